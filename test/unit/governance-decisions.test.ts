import type { FreezeNote } from '../../src/domain/governance/index.js';
import {
  describeFreeze,
  freezeNoteOf,
  parseFreezeWindows,
  untilWords,
} from '../../src/domain/governance/index.js';
import {
  type ApprovalPolicy,
  authorizeFreezeBypass,
  type Decision,
  decide,
  type Effect,
  type Release,
} from '../../src/domain/release/index.js';
import {
  APPROVER,
  act,
  appliedNow,
  approveNow,
  at,
  drive,
  eventMessages,
  PASS,
  started,
  tickOf,
} from './release-fixtures.js';

const WEEKEND: FreezeNote = {
  window: 'weekend',
  kind: 'deny',
  until: at(7200),
  reason: 'No promotions at the weekend.',
};
const STOP: FreezeNote = { window: 'stop the line', kind: 'stop', reason: 'incident 4711', by: 'U0SRE' };

const audits = (d: Decision) =>
  d.effects.filter((e): e is Extract<Effect, { kind: 'audit' }> => e.kind === 'audit');

/** A canary at step 1, analysing after its first approval. */
function analysing(): Release {
  return drive(
    started(),
    (r) => approveNow(r, 10),
    (r) => appliedNow(r, 15),
  ).release;
}

describe('a freeze holds what goes forward', () => {
  it('holds an approval during a freeze: recorded, not applied, the state version kept, the card told', () => {
    // Arrange
    const release = started();
    // Act
    const decision = decide(release, approveNow(release, 10), { freeze: WEEKEND });
    // Assess
    expect(decision.outcome.status).toBe('accepted');
    expect(decision.outcome.message).toMatch(
      /frozen until .* "weekend".*recorded and applied when the freeze ends/,
    );
    expect(decision.next.phase).toBe('awaiting-approval');
    expect(decision.next.version).toBe(release.version);
    expect(decision.next.heldApproval).toMatchObject({ actor: APPROVER, step: 0 });
    expect(decision.next.freeze).toEqual(WEEKEND);
    expect(decision.effects.some((e) => e.kind === 'converge')).toBe(false);
    expect(audits(decision).map((a) => a.action)).toEqual(['approval-held']);
  });

  it('applies a held approval at the first tick after the freeze, if its request has not expired', () => {
    // Arrange
    const held = decide(started(), approveNow(started(), 10), { freeze: WEEKEND }).next;
    // Act
    const still = decide(held, tickOf(held, 70), { freeze: WEEKEND });
    const thawed = decide(held, tickOf(held, 130));
    // Assess
    expect(still.next.phase).toBe('awaiting-approval');
    expect(thawed.next.phase).toBe('applying');
    expect(thawed.next.heldApproval).toBeUndefined();
    expect(thawed.next.freeze).toBeUndefined();
    expect(thawed.next.approvals.map((a) => a.actor)).toEqual([APPROVER]);
    expect(eventMessages([thawed]).join('\n')).toMatch(/the freeze is over: applying the approval/i);
    expect(thawed.effects.some((e) => e.kind === 'converge')).toBe(true);
  });

  it('does not apply a held approval on a thawing tick that brings drift: the drift is handled instead', () => {
    // Arrange
    const held = decide(started(), approveNow(started(), 10), { freeze: WEEKEND }).next;
    // Act: the first tick after the freeze finds the route changed by hand.
    const thawed = decide(held, tickOf(held, 130, { drift: 'v1 expected at 100%, found 70%' }));
    // Assess
    expect(thawed.next.phase).not.toBe('applying');
    expect(thawed.next.approvals).toEqual([]);
    expect(thawed.effects.some((e) => e.kind === 'converge')).toBe(false);
  });

  it('drops a held approval whose request expired during the freeze, and says so', () => {
    // Arrange
    const held = decide(started(), approveNow(started(), 10), { freeze: WEEKEND }).next;
    // Act: the request (3600 s) expired before the freeze ended.
    const thawed = decide(held, tickOf(held, 4000));
    // Assess
    expect(thawed.next.heldApproval).toBeUndefined();
    expect(thawed.next.approvals).toEqual([]);
    expect(thawed.next.phase).toBe('awaiting-approval');
    expect(eventMessages([thawed]).join('\n')).toMatch(/was not applied: its request expired/);
  });

  it("holds the tick's automatic advance: a passing step stays live and judged", () => {
    // Arrange
    const release = analysing();
    // Act
    const frozen = decide(release, tickOf(release, 400, { verdict: PASS }), { freeze: STOP });
    const free = decide(release, tickOf(release, 400, { verdict: PASS }));
    // Assess
    expect(frozen.next.phase).toBe('analysing');
    expect(frozen.next.freeze).toEqual(STOP);
    expect(eventMessages([frozen]).join('\n')).toMatch(/line stopped by U0SRE: incident 4711/);
    expect(free.next.phase).toBe('awaiting-approval');
  });

  it('marks a waiting release frozen at the tick and clears it after, each time redrawing the card', () => {
    // Arrange
    const release = started();
    // Act
    const marked = decide(release, tickOf(release, 60), { freeze: STOP });
    const cleared = decide(marked.next, tickOf(marked.next, 120));
    // Assess
    expect(marked.next.freeze).toEqual(STOP);
    expect(marked.next.version).toBe(release.version);
    expect(marked.effects.some((e) => e.kind === 'notify')).toBe(true);
    expect(cleared.next.freeze).toBeUndefined();
    expect(eventMessages([cleared]).join('\n')).toMatch(/the freeze is over/);
  });

  it('refuses a resume that is an approval during a freeze, naming the window and its end', () => {
    // Arrange
    const failed = drive(
      started(undefined, { options: { onFailure: 'pause' } }),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 15),
      (r) => tickOf(r, 60, { verdict: { verdict: 'fail', reasons: [] } }),
    ).release;
    // Act
    const decision = decide(failed, act('resume', 100, APPROVER)(failed), { freeze: WEEKEND });
    // Assess
    expect(failed.phase).toBe('paused');
    expect(decision.outcome).toMatchObject({ status: 'refused', reason: 'frozen' });
    expect(decision.outcome.message).toMatch(/frozen until .* "weekend": No promotions at the weekend/);
    expect(decision.next).toBe(failed);
  });

  it.each(['rollback', 'pause', 'cancel'] as const)('lets %s through during a freeze', (action) => {
    // Arrange
    const release = analysing();
    // Act
    const decision = decide(release, act(action, 100, APPROVER)(release), { freeze: STOP });
    // Assess
    expect(decision.outcome.status).toBe('accepted');
    expect(decision.next.phase).not.toBe('analysing');
  });

  it('applies an approval that bypasses the freeze, announcing and auditing it with the reason', () => {
    // Arrange
    const release = started();
    // Act
    const decision = decide(
      release,
      { ...approveNow(release, 10), bypassFreeze: 'hotfix INC-42' },
      { freeze: WEEKEND },
    );
    // Assess
    expect(decision.next.phase).toBe('applying');
    const bypass = audits(decision).find((a) => a.action === 'freeze-bypass');
    expect(bypass?.detail).toMatchObject({ reason: 'hotfix INC-42', freeze: 'weekend' });
    expect(eventMessages([decision]).join('\n')).toMatch(
      /Freeze bypassed on reviews.bookinfo step 1\/4 by U0APPROVER: hotfix INC-42/,
    );
  });
});

describe('freeze bypass is a named role of the policy', () => {
  const policy: ApprovalPolicy = {
    default: { starters: ['*'], approvers: ['*'], fourEyes: true },
    freezeBypass: ['S0SRE', 'U0LEAD'],
  };

  it.each([
    [{ userId: 'U0LEAD', groupIds: [] }, 'hotfix', true],
    [{ userId: 'U1', groupIds: ['S0SRE'] }, 'hotfix', true],
    [{ userId: 'U1', groupIds: [] }, 'hotfix', false],
    [{ userId: 'U0LEAD', groupIds: [] }, '  ', false],
  ])('%o with reason %p: allowed %p', (actor, reason, allowed) => {
    // Act
    const answer = authorizeFreezeBypass(actor, policy, reason);
    // Assess
    expect(answer.allowed).toBe(allowed);
  });

  it('refuses everyone when the policy names nobody, or only *', () => {
    // Act
    const answer = authorizeFreezeBypass(
      { userId: 'U1', groupIds: [] },
      { ...policy, freezeBypass: ['*'] },
      'x',
    );
    // Assess
    expect(answer).toEqual({
      allowed: false,
      reason: expect.stringMatching(/names nobody who may bypass a freeze/),
    });
  });
});

describe('freeze notes', () => {
  it('says the end in the window\'s own zone: "frozen until Mon 08:00 Europe/Berlin"', () => {
    // Arrange
    const parsed = parseFreezeWindows([
      {
        name: 'weekend',
        scope: { namespace: 'payments' },
        kind: 'deny',
        rrule: 'DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=FR',
        duration: 'P2DT16H',
      },
    ]);
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    // Act
    const note = freezeNoteOf(
      { frozen: true, window: 'weekend', kind: 'deny', until: new Date('2026-03-30T06:00:00Z'), reason: 'r' },
      parsed.windows,
    );
    // Assess
    expect(note?.timeZone).toBe('Europe/Berlin');
    expect(describeFreeze(note as FreezeNote, Date.parse('2026-03-27T17:00:00Z'))).toBe(
      'frozen until Mon 08:00 Europe/Berlin by the freeze window "weekend": r',
    );
    expect(untilWords('2027-01-04T00:00:00Z', 'UTC', Date.parse('2026-12-20T00:00:00Z'))).toBe(
      '2027-01-04 00:00 UTC',
    );
  });
});
