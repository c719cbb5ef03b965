/** Quorum approvals: distinct approvers, a required group, reasons; as `decide` and the policy see them. */
import fc from 'fast-check';
import type { FreezeNote } from '../../src/domain/governance/index.js';
import {
  type ApprovalPolicy,
  approvalRuleOf,
  authorize,
  type Decision,
  decide,
  type Effect,
  groupsOf,
  InvalidApprovalPolicyError,
  type Observation,
  type Release,
  reasonRefusal,
  validateApprovalPolicy,
} from '../../src/domain/release/index.js';
import { at, eventMessages, REQUESTER, started, tickOf } from './release-fixtures.js';

const SRE = 'S0SRE';
const QUORUM = { approvals: 2, oneFrom: SRE };

/** An approval by `actor` of what `release` waits for, with the quorum as the app passes it. */
function click(
  release: Release,
  actor: string,
  seconds: number,
  inGroup = false,
  quorum: { approvals: number; oneFrom?: string } = QUORUM,
  reason?: string,
): Extract<Observation, { type: 'approve' }> {
  return {
    type: 'approve',
    actor,
    at: at(seconds),
    step: release.currentStep,
    stateVersion: release.version,
    quorum: { ...quorum, inGroup },
    ...(reason ? { reason } : {}),
  };
}

const audits = (d: Decision) =>
  d.effects.filter((e): e is Extract<Effect, { kind: 'audit' }> => e.kind === 'audit');

describe('a quorum of distinct approvers with a required group', () => {
  it('counts approvals until two distinct people, one of them from the group, approved; then advances once', () => {
    // Arrange: a canary waiting for its first step, quorum 2 with one from S0SRE.
    const release = started();
    // Act: alice (not in the group) approves.
    const first = decide(release, click(release, 'U0ALICE', 10));
    // Assert: counted, nothing moves, the state version stays (every card drawn for it still counts).
    expect(first.outcome).toEqual({
      status: 'accepted',
      message: expect.stringContaining('1 of 2 approvals: U0ALICE; needs one from S0SRE'),
    });
    expect(first.next.phase).toBe('awaiting-approval');
    expect(first.next.version).toBe(release.version);
    expect(first.next.approvalRequest?.votes?.map((v) => v.actor)).toEqual(['U0ALICE']);
    expect(first.effects.some((e) => e.kind === 'converge')).toBe(false);
    expect(eventMessages([first]).join('\n')).toContain('by U0ALICE counted: 1 of 2 approvals');
    // Act: alice clicks again.
    const again = decide(first.next, click(first.next, 'U0ALICE', 12));
    // Assert: already counted, nothing changed.
    expect(again.outcome).toMatchObject({ status: 'refused', reason: 'duplicate' });
    expect(again.outcome.message).toMatch(/^Already counted/);
    expect(again.next).toBe(first.next);
    expect(again.effects).toEqual([]);
    // Act: carol (not in the group) approves: two people, still no one from the group.
    const second = decide(first.next, click(first.next, 'U0CAROL', 20));
    expect(second.next.phase).toBe('awaiting-approval');
    expect(second.outcome.message).toContain('2 of 2 approvals: U0ALICE, U0CAROL; needs one from S0SRE');
    // Act: bob, in the group, approves.
    const third = decide(second.next, click(second.next, 'U0BOB', 30, true));
    // Assert: the step advances, with the three approvals recorded.
    expect(third.outcome.status).toBe('accepted');
    expect(third.next.phase).toBe('applying');
    expect(third.next.version).toBe(release.version + 1);
    expect(third.next.approvals.map((a) => a.actor)).toEqual(['U0ALICE', 'U0CAROL', 'U0BOB']);
    expect(third.next.approvals.find((a) => a.actor === 'U0BOB')?.fromGroup).toBe(SRE);
    expect(audits(third)[0]?.detail).toMatchObject({ approvers: ['U0ALICE', 'U0CAROL', 'U0BOB'] });
  });

  it('advances at the second distinct approver when the first was from the group', () => {
    const release = started();
    const first = decide(release, click(release, 'U0BOB', 10, true));
    expect(first.next.phase).toBe('awaiting-approval');
    expect(first.outcome.message).toContain('1 of 2 approvals: U0BOB.');
    const second = decide(first.next, click(first.next, 'U0ALICE', 20));
    expect(second.next.phase).toBe('applying');
  });

  it('drops the votes with the request: an expired request starts again from none', () => {
    const release = started();
    const first = decide(release, click(release, 'U0ALICE', 10));
    // Act: the request (3600 s) expires; the tick posts it again.
    const renewed = decide(first.next, tickOf(first.next, 3700));
    expect(renewed.next.approvalRequest?.renewed).toBe(true);
    expect(renewed.next.approvalRequest?.votes).toBeUndefined();
    // Alice's earlier vote no longer counts: bob alone does not make the quorum.
    const bob = decide(renewed.next, click(renewed.next, 'U0BOB', 3710, true));
    expect(bob.next.phase).toBe('awaiting-approval');
    expect(bob.outcome.message).toContain('1 of 2 approvals: U0BOB');
  });

  it('puts the reason in the audit entry and the thread', () => {
    const release = started();
    const d = decide(release, click(release, 'U0BOB', 10, true, { approvals: 1 }, 'dashboards clean'));
    expect(d.next.phase).toBe('applying');
    expect(audits(d)[0]?.detail).toMatchObject({ reason: 'dashboards clean' });
    expect(eventMessages([d]).join('\n')).toMatch(/by U0BOB: dashboards clean/);
    const counted = decide(release, click(release, 'U0ALICE', 10, false, QUORUM, 'looks fine'));
    expect(audits(counted)[0]?.detail).toMatchObject({ reason: 'looks fine' });
    expect(eventMessages([counted]).join('\n')).toContain('by U0ALICE counted (looks fine)');
  });

  it('during a freeze, counts what does not complete the quorum and holds the approval that would; applies it after', () => {
    const WEEKEND: FreezeNote = {
      window: 'weekend',
      kind: 'deny',
      until: at(7200),
      reason: 'No promotions.',
    };
    const release = started();
    const first = decide(release, click(release, 'U0ALICE', 10), { freeze: WEEKEND });
    expect(first.next.approvalRequest?.votes?.length).toBe(1);
    expect(first.next.heldApproval).toBeUndefined();
    const second = decide(first.next, click(first.next, 'U0BOB', 20, true), { freeze: WEEKEND });
    expect(second.next.phase).toBe('awaiting-approval');
    expect(second.next.heldApproval).toMatchObject({ actor: 'U0BOB', fromGroup: SRE, quorum: QUORUM });
    // Act: the first tick after the freeze (the request expires at 3610 s).
    const thawed = decide(second.next, tickOf(second.next, 3000));
    expect(thawed.next.phase).toBe('applying');
    expect(thawed.next.approvals.map((a) => a.actor)).toEqual(['U0ALICE', 'U0BOB']);
  });

  it('one rollback while a step waits ends the release, whatever the votes', () => {
    const release = started();
    const first = decide(release, click(release, 'U0ALICE', 10));
    const rollback = decide(first.next, {
      type: 'rollback',
      actor: 'U0CAROL',
      at: at(20),
      stateVersion: first.next.version,
      reason: 'error spike',
    });
    expect(rollback.outcome.status).toBe('accepted');
    expect(['rolling-back', 'rolled-back']).toContain(rollback.next.phase);
  });
});

describe('quorum properties', () => {
  const people = ['U0A1', 'U0A2', 'U0A3', 'U0B1', 'U0B2'];
  const inGroup = (actor: string) => actor.startsWith('U0B');
  const quorumArb = fc.record({
    approvals: fc.integer({ min: 1, max: 4 }),
    oneFrom: fc.option(fc.constant(SRE), { nil: undefined }),
  });
  const clicksArb = fc.array(fc.constantFrom(...people), { minLength: 0, maxLength: 12 });

  /** Plays the clicks in order; returns the release after each and whether each changed it. */
  function play(quorum: { approvals: number; oneFrom?: string }, clicks: readonly string[]) {
    let release = started();
    const steps: { actor: string; decision: Decision; before: Release }[] = [];
    clicks.forEach((actor, i) => {
      const q = quorum.oneFrom === undefined ? { approvals: quorum.approvals } : quorum;
      const decision = decide(release, click(release, actor, 10 + i, inGroup(actor), q));
      steps.push({ actor, decision, before: release });
      release = decision.next;
    });
    return { release, steps };
  }

  /** Whether a set of distinct approvers meets the quorum. */
  function meets(quorum: { approvals: number; oneFrom?: string }, actors: ReadonlySet<string>): boolean {
    return (
      actors.size >= quorum.approvals && (quorum.oneFrom === undefined || [...actors].some((a) => inGroup(a)))
    );
  }

  it('never advances below the quorum, and advances at the first click that meets it', () => {
    fc.assert(
      fc.property(quorumArb, clicksArb, (quorum, clicks) => {
        const { steps } = play(quorum, clicks);
        const seen = new Set<string>();
        let advanced = false;
        for (const { actor, decision, before } of steps) {
          if (before.phase !== 'awaiting-approval') break;
          seen.add(actor);
          const now = decision.next.phase !== 'awaiting-approval';
          expect(now).toBe(meets(quorum, seen));
          advanced = now;
          if (now) break;
        }
        expect(advanced).toBe(meets(quorum, new Set(clicks)));
      }),
    );
  });

  it('a second click by the same person never counts and changes nothing', () => {
    fc.assert(
      fc.property(quorumArb, clicksArb, (quorum, clicks) => {
        const { steps } = play(quorum, clicks);
        const seen = new Set<string>();
        for (const { actor, decision, before } of steps) {
          if (before.phase !== 'awaiting-approval') break;
          if (seen.has(actor)) {
            expect(decision.outcome).toMatchObject({ status: 'refused', reason: 'duplicate' });
            expect(decision.next).toBe(before);
            expect(decision.effects).toEqual([]);
          }
          seen.add(actor);
        }
      }),
    );
  });

  it('the order of the clicks does not matter to whether the step advances; each approver is recorded once', () => {
    fc.assert(
      fc.property(
        quorumArb,
        clicksArb.chain((clicks) =>
          fc.tuple(fc.constant(clicks), fc.shuffledSubarray(clicks, { minLength: clicks.length })),
        ),
        (quorum, [clicks, shuffled]) => {
          const a = play(quorum, clicks).release;
          const b = play(quorum, shuffled).release;
          expect(a.phase).toBe(b.phase);
          for (const r of [a, b]) {
            const approvers = r.approvals.map((x) => x.actor);
            expect(new Set(approvers).size).toBe(approvers.length);
            for (const actor of approvers) expect(clicks).toContain(actor);
          }
          if (a.phase === 'awaiting-approval')
            expect(new Set(a.approvalRequest?.votes?.map((v) => v.actor))).toEqual(
              new Set(b.approvalRequest?.votes?.map((v) => v.actor)),
            );
        },
      ),
    );
  });
});

describe('the policy: quorum and reasons', () => {
  const base = { starters: ['*'], fourEyes: true } as const;

  it('resolves the rule of a namespace in a cluster, one approval and no reasons by default', () => {
    const policy: ApprovalPolicy = {
      default: { ...base, approvers: ['*'] },
      clusters: {
        prod: {
          namespaces: {
            payments: {
              ...base,
              approvers: ['S0PAY', SRE],
              quorum: QUORUM,
              reasons: ['approve', 'rollback'],
            },
          },
        },
      },
    };
    expect(() => validateApprovalPolicy(policy)).not.toThrow();
    expect(approvalRuleOf(policy, { namespace: 'payments', cluster: 'prod' })).toEqual({
      quorum: QUORUM,
      reasons: ['approve', 'rollback'],
    });
    expect(approvalRuleOf(policy, { namespace: 'payments' })).toEqual({
      quorum: { approvals: 1 },
      reasons: [],
    });
  });

  it.each([
    [{ approvals: 0 }, ['*'], 'the quorum asks for 0 approvals; it must be a whole number from 1 to 10.'],
    [{ approvals: 11 }, ['*'], 'the quorum asks for 11 approvals; it must be a whole number from 1 to 10.'],
    [{ approvals: 1.5 }, ['*'], 'the quorum asks for 1.5 approvals; it must be a whole number from 1 to 10.'],
    [
      { approvals: 2, oneFrom: 'U0BOB' },
      ['*'],
      'the quorum\'s oneFrom is "U0BOB", which is not a Slack user group id (S…).',
    ],
    [
      { approvals: 2, oneFrom: SRE },
      ['S0PAY'],
      'the quorum needs one approver from S0SRE, which approvers does not list: list it there too, or its members could not approve.',
    ],
    [
      { approvals: 2 },
      ['U0ALICE'],
      'the quorum asks for 2 distinct approvers but approvers names only one person: no step could ever be approved.',
    ],
    [
      { approvals: 3 },
      ['U0ALICE', 'U0BOB'],
      'the quorum asks for 3 distinct approvers but approvers names only 2 people: no step could ever be approved.',
    ],
  ])('refuses the quorum %j with approvers %j, in a sentence', (quorum, approvers, sentence) => {
    const policy: ApprovalPolicy = {
      default: { ...base, approvers: ['*'] },
      namespaces: { shop: { ...base, approvers, quorum } },
    };
    expect(() => validateApprovalPolicy(policy)).toThrow(
      new InvalidApprovalPolicyError(`In the approval policy of namespace shop, ${sentence}`),
    );
  });

  it('looks up the quorum group with the policy’s other groups', () => {
    const policy: ApprovalPolicy = { default: { ...base, approvers: ['*'], quorum: QUORUM } };
    expect(groupsOf(policy)).toEqual([SRE]);
  });

  it('accepts a quorum of two over one user group (its members are many)', () => {
    const policy: ApprovalPolicy = { default: { ...base, approvers: [SRE], quorum: { approvals: 2 } } };
    expect(() => validateApprovalPolicy(policy)).not.toThrow();
  });

  it('refuses an approval or a rollback without a reason when the rule asks for one', () => {
    const rule = { quorum: { approvals: 1 }, reasons: ['approve', 'rollback'] as const };
    expect(reasonRefusal('approve', undefined, rule)).toMatch(/asks for a reason to approve/);
    expect(reasonRefusal('approve', '   ', rule)).toMatch(/asks for a reason to approve/);
    expect(reasonRefusal('rollback', '', rule)).toMatch(/asks for a reason to roll back/);
    expect(reasonRefusal('approve', 'clean dashboards', rule)).toBeUndefined();
    expect(reasonRefusal('pause', undefined, rule)).toBeUndefined();
    expect(reasonRefusal('approve', undefined, { ...rule, reasons: [] })).toBeUndefined();
  });

  it('four eyes still excludes the starter under a quorum', () => {
    const policy: ApprovalPolicy = { default: { ...base, approvers: ['*'], quorum: QUORUM } };
    const release = started();
    expect(authorize('approve', { userId: REQUESTER, groupIds: [SRE] }, release, policy)).toMatchObject({
      allowed: false,
    });
  });
});
