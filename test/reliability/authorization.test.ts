/**
 * Authorization: every action by someone outside the policy is refused, changes nothing, and is recorded;
 * four eyes hold for the requester.
 */
import { actOnRelease, type PersonAction } from '../../src/app/release-actions.js';
import { auditTrail } from '../../src/app/release-queries.js';
import { startRelease } from '../../src/app/start-release.js';
import { type EngineHarness, startEngine } from '../integration/support/engine-harness.js';

const alice = { userId: 'U0ALICE001', groupIds: [] }; // may start
const bob = { userId: 'U0BOB00002', groupIds: ['S0APPROVERS'] }; // approver through a user group
const mallory = { userId: 'U0MALLORY9', groupIds: [] }; // nothing

let engine: EngineHarness;
beforeAll(async () => {
  engine = await startEngine();
  engine.deps.policy = { default: { starters: ['U0ALICE001'], approvers: ['S0APPROVERS'], fourEyes: true } };
});
afterAll(async () => {
  await engine?.close();
});

describe('authorization', () => {
  it('refuses a start outside the policy and records it', async () => {
    const result = await startRelease(
      engine.deps,
      { kind: 'canary', service: 'reviews', version: 'v2', namespace: engine.namespace },
      mallory,
    );

    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/start/i);
    expect(await engine.deps.store.activeForRoute(`${engine.namespace}/reviews/(default)`)).toBeUndefined();
    const audit = await auditTrail(engine.deps, `start:${engine.namespace}/reviews`);
    expect(audit.map((e) => [e.actor, e.action])).toEqual([[mallory.userId, 'refused-start']]);
  });

  it('refuses every action on a release by an outsider, changes nothing, and records each one', async () => {
    const started = await startRelease(
      engine.deps,
      { kind: 'canary', service: 'reviews', version: 'v2', namespace: engine.namespace },
      alice,
    );
    if (!started.ok) throw new Error(started.message);
    const { id, approvalRequest } = started.value;
    const before = JSON.stringify((await engine.reviews()).spec);
    const actions: PersonAction[] = [
      { action: 'approve', step: approvalRequest!.step, stateVersion: approvalRequest!.stateVersion },
      { action: 'reject', stateVersion: started.value.version },
      { action: 'rollback', stateVersion: started.value.version },
      { action: 'pause', stateVersion: started.value.version },
      { action: 'resume', stateVersion: started.value.version },
      { action: 'cancel', stateVersion: started.value.version },
    ];

    const answers = await Promise.all(actions.map((a) => actOnRelease(engine.deps, id, a, mallory)));

    expect(answers.map((a) => a.ok)).toEqual(actions.map(() => false));
    expect((await engine.release(id)).phase).toBe('awaiting-approval');
    expect(JSON.stringify((await engine.reviews()).spec)).toBe(before);
    const refused = (await auditTrail(engine.deps, id))
      .filter((e) => e.actor === mallory.userId)
      .map((e) => e.action);
    expect(refused.sort()).toEqual(actions.map((a) => `refused-${a.action}`).sort());
  });

  it('keeps four eyes: the requester cannot approve, an approver of the group can', async () => {
    const [current] = await engine.deps.store.history(engine.namespace, 'reviews', 1);
    const request = current!.state.approvalRequest!;
    const approve: PersonAction = {
      action: 'approve',
      step: request.step,
      stateVersion: request.stateVersion,
    };

    const own = await actOnRelease(engine.deps, current!.id, approve, {
      ...alice,
      groupIds: ['S0APPROVERS'],
    });
    const other = await actOnRelease(engine.deps, current!.id, approve, bob);

    expect(own.ok).toBe(false);
    expect(own.message).toMatch(/four|own|requester/i);
    expect(other.ok).toBe(true);
    expect((await engine.release(current!.id)).phase).toBe('analysing');
  });
});
