import fc from 'fast-check';
import {
  decideHookCall,
  decidePersonAction,
  FLAGGER_GATE_HOOKS,
  type FlaggerCall,
  type FlaggerPayload,
  type FlaggerRevision,
  type GateHook,
  gateIdOf,
  parseGateId,
  revisionIdOf,
  revisionKeyProblem,
} from '../../src/domain/flagger/index.js';

const at = (minute: number) => new Date(Date.UTC(2026, 4, 1, 10, minute)).toISOString();
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';

/** Flagger's payload for a confirm-* or rollback call: exactly the fields CallWebhook sends. */
const payload = (checksum = '7845487b68', phase = 'Progressing'): FlaggerPayload => ({
  name: 'podinfo',
  namespace: 'test',
  phase,
  checksum,
  metadata: {},
});
const gateCall = (hook: GateHook, checksum?: string): FlaggerCall => ({ hook, payload: payload(checksum) });
const eventCall = (
  message: string,
  options: { type?: 'Normal' | 'Warning'; phase?: string; checksum?: string } = {},
): FlaggerCall => ({
  hook: 'event',
  payload: payload(options.checksum, options.phase ?? 'Progressing'),
  event: { type: options.type ?? 'Normal', message, timestampMs: 1_795_350_316_114 },
});

/** Applies calls in order the way the app does: keep `next` only when the decision changed something. */
function run(calls: FlaggerCall[], start?: FlaggerRevision): FlaggerRevision | undefined {
  let revision = start;
  calls.forEach((call, i) => {
    const decision = decideHookCall(revision, call, at(i));
    if (decision.changed) revision = decision.next;
  });
  return revision;
}

function approve(revision: FlaggerRevision, hook: GateHook, actor = ALICE): FlaggerRevision {
  const decision = decidePersonAction(revision, hook, 'approve', actor, at(30));
  if (!decision.ok) throw new Error(decision.message);
  return decision.next;
}

describe('confirm-* gates', () => {
  it('refuses the first call of a revision, opens the gate and asks for a card', () => {
    // Act
    const decision = decideHookCall(undefined, gateCall('confirm-promotion'), at(0));
    // Assess
    expect(decision).toMatchObject({
      allow: false,
      verdict: 'waiting',
      changed: true,
      needsCard: true,
      notices: [{ kind: 'gate-waiting', hook: 'confirm-promotion' }],
    });
    expect(decision.next.gates['confirm-promotion']).toEqual({ status: 'waiting', since: at(0) });
    expect(decision.answer).toBe(
      'confirm-promotion of podinfo.test revision 7845487b68 is waiting for an approval in Slack.',
    );
  });

  it('keeps refusing while waiting, without writing anything', () => {
    const waiting = run([gateCall('confirm-promotion')]);
    const decision = decideHookCall(waiting, gateCall('confirm-promotion'), at(5));
    expect(decision).toMatchObject({ allow: false, verdict: 'waiting', changed: false, notices: [] });
  });

  it('lets Flagger through once approved, records the first use once', () => {
    // Prepare
    const approved = approve(run([gateCall('confirm-promotion')])!, 'confirm-promotion');
    // Act
    const first = decideHookCall(approved, gateCall('confirm-promotion'), at(31));
    const second = decideHookCall(first.next, gateCall('confirm-promotion'), at(32));
    // Assess
    expect(first).toMatchObject({ allow: true, verdict: 'approved', changed: true, cardChanged: true });
    expect(first.notices).toEqual([{ kind: 'gate-used', hook: 'confirm-promotion' }]);
    expect(first.next.gates['confirm-promotion']).toMatchObject({ by: ALICE, usedAt: at(31) });
    expect(second).toMatchObject({ allow: true, changed: false, notices: [] });
  });

  it('needs an approval per hook: confirm-promotion approved does not open confirm-traffic-increase', () => {
    const approved = approve(run([gateCall('confirm-promotion')])!, 'confirm-promotion');
    const other = decideHookCall(approved, gateCall('confirm-traffic-increase'), at(40));
    expect(other).toMatchObject({ allow: false, verdict: 'waiting', changed: true });
  });

  it('needs a new approval for a new checksum: the new revision starts from nothing', () => {
    // Prepare: revision A approved
    const a = approve(run([gateCall('confirm-promotion', 'aaaa1111')])!, 'confirm-promotion');
    expect(decideHookCall(a, gateCall('confirm-promotion', 'aaaa1111'), at(31)).allow).toBe(true);
    // Act: the app looks revisions up by id, so revision B is undefined in the store
    expect(revisionIdOf(payload('bbbb2222'))).not.toBe(revisionIdOf(payload('aaaa1111')));
    const b = decideHookCall(undefined, gateCall('confirm-promotion', 'bbbb2222'), at(32));
    // Assess
    expect(b).toMatchObject({ allow: false, verdict: 'waiting' });
  });

  it('refuses for good after a rejection, and a later approval changes nothing', () => {
    const waiting = run([gateCall('confirm-rollout')])!;
    const rejected = decidePersonAction(waiting, 'confirm-rollout', 'reject', BOB, at(10));
    expect(rejected.ok).toBe(true);
    if (!rejected.ok) return;
    expect(decideHookCall(rejected.next, gateCall('confirm-rollout'), at(11))).toMatchObject({
      allow: false,
      verdict: 'rejected',
      answer: `confirm-rollout of podinfo.test revision 7845487b68 was rejected by ${BOB} at ${at(10)}.`,
    });
    expect(decidePersonAction(rejected.next, 'confirm-rollout', 'approve', ALICE, at(12))).toEqual({
      ok: false,
      reason: 'already-decided',
      message: `confirm-rollout of podinfo.test revision 7845487b68 was already rejected by ${BOB} at ${at(10)}.`,
    });
  });

  it('answers a second approval with who approved first, and changes nothing', () => {
    const approved = approve(run([gateCall('confirm-promotion')])!, 'confirm-promotion', ALICE);
    expect(decidePersonAction(approved, 'confirm-promotion', 'approve', BOB, at(31))).toMatchObject({
      ok: false,
      reason: 'already-decided',
    });
  });

  it('refuses to approve a gate Flagger never asked for', () => {
    const revision = run([eventCall('Starting canary analysis for podinfo.test')])!;
    expect(decidePersonAction(revision, 'confirm-promotion', 'approve', ALICE, at(1))).toMatchObject({
      ok: false,
      reason: 'not-asked',
    });
  });

  it('never lets a gate through unless that gate of that revision was approved (any call order)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), hook: fc.constantFrom(...FLAGGER_GATE_HOOKS) }),
      fc.record({
        kind: fc.constant('click' as const),
        hook: fc.constantFrom(...FLAGGER_GATE_HOOKS),
        action: fc.constantFrom('approve' as const, 'reject' as const),
      }),
      fc.record({ kind: fc.constant('event' as const), warning: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let revision: FlaggerRevision | undefined;
        const approvedHooks = new Set<GateHook>();
        for (const [i, s] of steps.entries()) {
          if (s.kind === 'click') {
            if (!revision) continue;
            const decision = decidePersonAction(revision, s.hook, s.action, ALICE, at(i));
            if (!decision.ok) continue;
            if (s.action === 'approve') approvedHooks.add(s.hook);
            revision = decision.next;
            continue;
          }
          const call =
            s.kind === 'call'
              ? gateCall(s.hook)
              : eventCall('Advance podinfo.test canary weight 10', {
                  type: s.warning ? 'Warning' : 'Normal',
                });
          const decision = decideHookCall(revision, call, at(i));
          if (s.kind === 'call' && decision.allow && !approvedHooks.has(s.hook)) return false;
          if (decision.changed) revision = decision.next;
        }
        return true;
      }),
    );
  });
});

describe('rollback hook', () => {
  it('offers the Roll back button on the first call and refuses until someone presses it', () => {
    // Act
    const first = decideHookCall(undefined, { hook: 'rollback', payload: payload() }, at(0));
    const again = decideHookCall(first.next, { hook: 'rollback', payload: payload() }, at(1));
    // Assess
    expect(first).toMatchObject({ allow: false, verdict: 'no-rollback', changed: true, needsCard: true });
    expect(first.next.rollback).toEqual({ status: 'offered', since: at(0) });
    expect(again).toMatchObject({ allow: false, changed: false });
  });

  it('answers 2xx once Roll back was pressed, and records the first use', () => {
    const offered = run([{ hook: 'rollback', payload: payload() }])!;
    const pressed = decidePersonAction(offered, 'rollback', 'rollback', ALICE, at(5));
    if (!pressed.ok) throw new Error(pressed.message);
    const call = decideHookCall(pressed.next, { hook: 'rollback', payload: payload() }, at(6));
    expect(call).toMatchObject({
      allow: true,
      verdict: 'rollback-requested',
      notices: [{ kind: 'rollback-used' }],
    });
    expect(decidePersonAction(call.next, 'rollback', 'rollback', BOB, at(7))).toMatchObject({
      ok: false,
      reason: 'already-decided',
    });
  });

  it('refuses Roll back before Flagger ever called the rollback hook', () => {
    const revision = run([gateCall('confirm-promotion')])!;
    expect(decidePersonAction(revision, 'rollback', 'rollback', ALICE, at(3))).toMatchObject({
      ok: false,
      reason: 'not-asked',
    });
  });
});

describe('events', () => {
  it('opens no thread for the first deployment (Initializing, Initialized)', () => {
    for (const phase of ['Initializing', 'Initialized']) {
      const decision = decideHookCall(
        undefined,
        eventCall('Initialization done! podinfo.test', { phase }),
        at(0),
      );
      expect(decision).toMatchObject({ allow: true, verdict: 'ignored', changed: false, needsCard: false });
    }
  });

  it('opens no thread for "New revision detected!", which carries the previous checksum', () => {
    const decision = decideHookCall(
      undefined,
      eventCall('New revision detected! Scaling up podinfo.test'),
      at(0),
    );
    expect(decision).toMatchObject({ verdict: 'ignored', needsCard: false });
  });

  it('relays analysis events into the revision thread, counting and flagging warnings', () => {
    // Act
    const revision = run([
      eventCall('Starting canary analysis for podinfo.test'),
      eventCall('Halt podinfo.test advancement waiting for promotion approval ask', {
        type: 'Warning',
        phase: 'WaitingPromotion',
      }),
    ])!;
    // Assess
    expect(revision).toMatchObject({
      phase: 'WaitingPromotion',
      events: 2,
      warnings: 1,
      lastWarning: 'Halt podinfo.test advancement waiting for promotion approval ask',
    });
    const decision = decideHookCall(revision, eventCall('Advance podinfo.test canary weight 20'), at(9));
    expect(decision).toMatchObject({ verdict: 'relayed', cardChanged: true, needsCard: true });
    expect(decision.notices).toEqual([{ kind: 'event', event: expect.objectContaining({ type: 'Normal' }) }]);
  });

  it('marks the revision promoted on "Promotion completed!" and keeps it final', () => {
    const promoted = run([
      eventCall('Starting canary analysis for podinfo.test'),
      eventCall('Promotion completed! Scaling down podinfo.test', { phase: 'Succeeded' }),
      eventCall('New revision detected! Scaling up podinfo.test'),
    ])!;
    expect(promoted).toMatchObject({ outcome: 'succeeded', phase: 'Succeeded', events: 3 });
    expect(decidePersonAction(promoted, 'confirm-promotion', 'approve', ALICE, at(9))).toMatchObject({
      ok: false,
      reason: 'finished',
    });
  });

  it('marks the revision failed on "Canary failed!"', () => {
    const failed = run([
      eventCall('Starting canary analysis for podinfo.test'),
      eventCall('Canary failed! Scaling down podinfo.test', { type: 'Warning', phase: 'Failed' }),
    ])!;
    expect(failed.outcome).toBe('failed');
  });
});

describe('ids', () => {
  it('names a gate by revision and hook, and reads it back', () => {
    const key = { namespace: 'test', name: 'podinfo.v2', checksum: '7845487b68' };
    expect(gateIdOf(key, 'confirm-promotion')).toBe('test/podinfo.v2/7845487b68/confirm-promotion');
    expect(parseGateId(gateIdOf(key, 'rollback'))).toEqual({ key, target: 'rollback' });
  });

  it('refuses ids that are not exactly a gate id', () => {
    for (const id of [
      'test/podinfo/7845487b68',
      'test/podinfo/7845487b68/pre-rollout',
      'Test/podinfo/7845487b68/rollback',
      'test/podinfo/78-45/rollback',
      'test/podinfo/x/rollback/extra',
      '',
    ])
      expect(parseGateId(id)).toBeUndefined();
  });

  it('says what is wrong with a key', () => {
    expect(revisionKeyProblem({ namespace: 'a'.repeat(64), name: 'x', checksum: '1' })).toMatch(/namespace/);
    expect(revisionKeyProblem({ namespace: 'ok', name: 'Not_OK', checksum: '1' })).toMatch(/name/);
    expect(revisionKeyProblem({ namespace: 'ok', name: 'ok', checksum: '' })).toMatch(/checksum/);
  });
});
