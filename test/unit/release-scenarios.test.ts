import {
  decide,
  type Effect,
  meshTargetOf,
  type Release,
  startRelease,
} from '../../src/domain/release/index.js';
import { botRoutePrefix } from '../../src/domain/routing/route-math.js';
import {
  APPROVER,
  act,
  appliedNow,
  approveNow,
  at,
  drive,
  eventMessages,
  FAIL,
  INCONCLUSIVE,
  meshTargets,
  NO_DATA,
  originalRoute,
  PASS,
  passStep,
  REQUESTER,
  releaseRequest,
  started,
  T0,
  tick,
  tickOf,
  v1,
  v2,
} from './release-fixtures.js';

const w = (a: number, b: number) => [
  { destination: v1, weight: a },
  { destination: v2, weight: b },
];

function kinds(effects: readonly Effect[]): string[] {
  return effects.map((e) => e.kind);
}

/** A target without its revision: what the owned route and the release's routes must be, and the drift check. */
function shape(target: ReturnType<typeof meshTargets>[number]) {
  const { revision: _revision, ...rest } = target;
  return rest;
}

function weightsTarget(
  weights: readonly { destination: unknown; weight: number }[],
  expected?: readonly { destination: unknown; weight: number }[],
  routes: readonly unknown[] = [],
) {
  return { owned: { kind: 'weights', weights }, routes, ...(expected ? { expected } : {}) };
}

function restoreTarget(expected?: readonly { destination: unknown; weight: number }[]) {
  return { owned: { kind: 'original', route: originalRoute }, routes: [], ...(expected ? { expected } : {}) };
}

describe('startRelease', () => {
  it('waits for approval of step 1 and announces it', () => {
    // Prepare
    const request = releaseRequest({ kind: 'canary', steps: [10, 25, 50, 100] });
    // Act
    const { release, effects } = startRelease(request, T0, 'R1');
    // Assess
    expect(release).toMatchObject({
      id: 'R1',
      kind: 'canary',
      phase: 'awaiting-approval',
      currentStep: 0,
      version: 1,
      applied: true,
      meshChanged: false,
      approvals: [],
      plan: {
        steps: [10, 25, 50, 100].map((canaryWeight) => ({ kind: 'set-weight', canaryWeight })),
      },
      approvalRequest: { step: 0, stateVersion: 1, requestedAt: T0, expiresAt: at(3600) },
      options: {
        onFailure: 'rollback',
        minAnalysisSeconds: 300,
        maxAnalysisSeconds: 1800,
        approvalExpirySeconds: 3600,
        noTrafficAlertSeconds: 300,
      },
      meta: { channel: 'C0RELEASES', thread: '1714557600.000100' },
    });
    expect(effects).toEqual([
      {
        kind: 'event',
        type: 'Normal',
        reason: 'Synced',
        message: `New release detected! reviews.bookinfo v1 -> v2, canary weight 10, 25, 50, 100, requested by ${REQUESTER}`,
      },
      {
        kind: 'event',
        type: 'Normal',
        reason: 'Synced',
        message: 'Halt reviews.bookinfo advancement waiting for approval canary weight 10',
      },
      {
        kind: 'request-approval',
        step: 0,
        stateVersion: 1,
        expiresAt: at(3600),
        description: 'canary weight 10',
      },
      expect.objectContaining({
        kind: 'audit',
        action: 'start',
        actor: REQUESTER,
        at: T0,
        step: 0,
        stateVersion: 1,
      }),
      { kind: 'notify' },
    ]);
  });

  it('keeps a release that survives a JSON round trip (the store keeps JSON)', () => {
    // Prepare
    const { release } = drive(
      started({ kind: 'canary' }, { withSources: [{ service: 'frontend', version: 'v2' }] }),
      ...passStep(10),
    );
    // Act
    const copy = JSON.parse(JSON.stringify(release)) as Release;
    // Assess
    expect(copy).toStrictEqual(release);
  });
});

describe('a healthy canary 10 -> 25 -> 50 -> 100', () => {
  it('takes four approvals and ends promoted, saying so in Flagger words', () => {
    // Prepare
    const start = startRelease(releaseRequest(), T0, 'R1');
    // Act
    const run = drive(
      start.release,
      ...passStep(10),
      ...passStep(1000),
      ...passStep(2000),
      ...passStep(3000),
    );
    // Assess
    expect(run.release.phase).toBe('promoted');
    expect(run.release.approvals.map((a) => [a.actor, a.step, a.stateVersion])).toEqual([
      [APPROVER, 0, 1],
      [APPROVER, 1, 4],
      [APPROVER, 2, 7],
      [APPROVER, 3, 10],
    ]);
    expect(run.release.approvals[1]?.seen).toEqual(PASS);
    expect(run.release.confirmedWeights).toEqual(w(0, 100));
    expect(run.release.finishedAt).toBe(at(3305));
    expect(eventMessages([start, ...run.decisions])).toEqual([
      `Normal: New release detected! reviews.bookinfo v1 -> v2, canary weight 10, 25, 50, 100, requested by ${REQUESTER}`,
      'Normal: Halt reviews.bookinfo advancement waiting for approval canary weight 10',
      `Normal: Approved reviews.bookinfo step 1/4 canary weight 10 by ${APPROVER}`,
      'Normal: Starting canary analysis for reviews.bookinfo',
      'Normal: Advance reviews.bookinfo canary weight 10',
      'Normal: Halt reviews.bookinfo advancement waiting for traffic increase approval canary weight 25',
      `Normal: Approved reviews.bookinfo step 2/4 canary weight 25 by ${APPROVER}`,
      'Normal: Advance reviews.bookinfo canary weight 25',
      'Normal: Halt reviews.bookinfo advancement waiting for traffic increase approval canary weight 50',
      `Normal: Approved reviews.bookinfo step 3/4 canary weight 50 by ${APPROVER}`,
      'Normal: Advance reviews.bookinfo canary weight 50',
      'Normal: Halt reviews.bookinfo advancement waiting for promotion approval canary weight 100',
      `Normal: Approved reviews.bookinfo step 4/4 canary weight 100 by ${APPROVER}`,
      'Normal: Advance reviews.bookinfo canary weight 100',
      'Normal: Promotion completed! reviews.bookinfo routes all traffic to reviews/v2',
    ]);
  });

  it('sets each weight with the previous one as the expected (drift-checked) state', () => {
    // Prepare
    const run = drive(started(), ...passStep(10), ...passStep(1000), ...passStep(2000), ...passStep(3000));
    // Act
    const targets = meshTargets(run.decisions).map(shape);
    // Assess
    expect(targets).toEqual([
      weightsTarget(w(90, 10), [{ destination: v1, weight: 100 }]),
      weightsTarget(w(75, 25), w(90, 10)),
      weightsTarget(w(50, 50), w(75, 25)),
      weightsTarget(w(0, 100), w(50, 50)),
    ]);
  });

  it('does not pass a step before the minimum analysis time, however good the verdict', () => {
    // Prepare
    const { release } = drive(
      started(),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 20),
    );
    // Act
    const early = decide(release, tickOf(release, 20 + 299, { verdict: PASS }));
    const onTime = decide(early.next, tickOf(early.next, 20 + 300, { verdict: PASS }));
    // Assess
    expect(early.next.phase).toBe('analysing');
    expect(early.next.lastVerdict).toEqual(PASS);
    expect(kinds(early.effects)).toEqual(['notify']);
    expect(onTime.next).toMatchObject({ phase: 'awaiting-approval', currentStep: 1 });
    expect(kinds(onTime.effects)).toEqual(['audit', 'event', 'request-approval', 'notify']);
    expect(onTime.effects).toContainEqual(
      expect.objectContaining({ kind: 'audit', action: 'advance', actor: 'canary-bot', step: 0 }),
    );
  });
});

describe('a failing canary', () => {
  it('rolls back with the judge reasons, restores the original route exactly, and ends rolled back', () => {
    // Prepare
    const { release } = drive(
      started(),
      ...passStep(10),
      (r) => approveNow(r, 400),
      (r) => appliedNow(r, 405),
    );
    // Act
    const failing = decide(release, tickOf(release, 460, { verdict: FAIL }));
    const restored = decide(failing.next, appliedNow(failing.next, 470));
    // Assess
    expect(failing.next).toMatchObject({
      phase: 'rolling-back',
      applied: false,
      lastVerdict: FAIL,
      rollback: { endAs: 'rolled-back', actor: 'canary-bot' },
    });
    expect(meshTargets([failing]).map(shape)).toEqual([restoreTarget(w(75, 25))]);
    expect(eventMessages([failing])).toEqual([
      `Warning: Rolling back reviews.bookinfo failed checks: ${FAIL.reasons[0]?.message}`,
    ]);
    expect(failing.effects).toContainEqual(
      expect.objectContaining({ kind: 'audit', action: 'rollback', actor: 'canary-bot', step: 1 }),
    );
    expect(restored.next).toMatchObject({ phase: 'rolled-back', applied: true, finishedAt: at(470) });
    expect(restored.next.confirmedWeights).toEqual([{ destination: v1, weight: 100 }]);
    expect(eventMessages([restored])).toEqual([
      'Warning: Canary failed! Restored reviews.bookinfo original route',
    ]);
  });

  it('rolls back on a failing verdict that arrives while waiting for the next approval', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10));
    // Act
    const failing = decide(release, tickOf(release, 900, { verdict: FAIL }));
    // Assess
    expect(release.phase).toBe('awaiting-approval');
    expect(failing.next.phase).toBe('rolling-back');
    expect(meshTargets([failing]).map(shape)).toEqual([restoreTarget(w(90, 10))]);
  });

  it('halts instead when onFailure is pause, and resuming restarts the analysis', () => {
    // Prepare
    const { release } = drive(
      started({ kind: 'canary' }, { options: { onFailure: 'pause' } }),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 15),
    );
    // Act
    const failing = decide(release, tickOf(release, 100, { verdict: FAIL }));
    const stillPaused = decide(failing.next, tickOf(failing.next, 160, { verdict: FAIL }));
    const resumed = decide(failing.next, {
      type: 'resume',
      stateVersion: failing.next.version,
      actor: APPROVER,
      at: at(200),
    });
    // Assess
    expect(failing.next).toMatchObject({
      phase: 'paused',
      pause: { reason: 'failed-analysis', from: 'analysing', actor: 'canary-bot' },
    });
    expect(meshTargets([failing])).toEqual([]);
    expect(eventMessages([failing])).toEqual([
      `Warning: Halt reviews.bookinfo advancement failed checks: ${FAIL.reasons[0]?.message}`,
    ]);
    expect(stillPaused.next).toBe(failing.next);
    expect(resumed.next).toMatchObject({
      phase: 'analysing',
      currentStep: 0,
      analysis: { startedAt: at(200) },
    });
    expect(resumed.next.pause).toBeUndefined();
    expect(eventMessages([resumed])).toEqual([`Normal: Resume reviews.bookinfo advancement by ${APPROVER}`]);
  });
});

describe('approvals', () => {
  it('refuses a duplicate click and says who approved it when', () => {
    // Prepare
    const release = started();
    const click = approveNow(release, 10);
    const first = decide(release, click);
    // Act
    const again = decide(first.next, { ...click, actor: 'U0SOMEONE', at: at(11) });
    // Assess
    expect(again.next).toBe(first.next);
    expect(again.effects).toEqual([]);
    expect(again.outcome).toEqual({
      status: 'refused',
      reason: 'duplicate',
      message: `Already approved by ${APPROVER} at ${at(10)}.`,
    });
  });

  it('refuses a button for another step', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10), ...passStep(1000));
    // Act
    const decision = decide(release, {
      type: 'approve',
      actor: APPROVER,
      at: at(2000),
      step: 1,
      stateVersion: 99,
    });
    // Assess
    expect(release.currentStep).toBe(2);
    expect(decision.next).toBe(release);
    expect(decision.outcome).toEqual({
      status: 'refused',
      reason: 'wrong-step',
      message: 'This button is for step 2, the release is at step 3.',
    });
  });

  it('refuses a button from an older state of the same step', () => {
    // Prepare
    const release = started();
    // Act
    const decision = decide(release, {
      type: 'approve',
      actor: APPROVER,
      at: at(10),
      step: 0,
      stateVersion: 0,
    });
    // Assess
    expect(decision.next).toBe(release);
    expect(decision.outcome).toMatchObject({ status: 'refused', reason: 'stale' });
  });

  it('refuses an expired approval and asks again with a new request', () => {
    // Prepare
    const release = started();
    // Act
    const late = decide(release, approveNow(release, 3601));
    const retry = decide(late.next, approveNow(late.next, 3700));
    // Assess
    expect(late.outcome).toEqual({
      status: 'refused',
      reason: 'expired',
      message: `This approval request expired at ${at(3600)}; a new one has been posted.`,
    });
    expect(late.next).toMatchObject({
      phase: 'awaiting-approval',
      version: 2,
      approvals: [],
      approvalRequest: { step: 0, stateVersion: 2, requestedAt: at(3601), expiresAt: at(7201) },
    });
    expect(late.effects).toContainEqual({
      kind: 'request-approval',
      step: 0,
      stateVersion: 2,
      expiresAt: at(7201),
      description: 'canary weight 10',
    });
    expect(late.effects).toContainEqual(
      expect.objectContaining({ kind: 'audit', action: 'approval-expired' }),
    );
    expect(retry.next.phase).toBe('applying');
  });

  it('accepts an approval exactly at its expiry time', () => {
    // Prepare
    const release = started();
    // Act
    const decision = decide(release, approveNow(release, 3600));
    // Assess
    expect(decision.outcome.status).toBe('accepted');
  });

  it('records what the approver saw with the approval and in the audit trail', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10));
    // Act
    const decision = decide(release, { ...approveNow(release, 400), seen: INCONCLUSIVE });
    // Assess
    expect(decision.next.approvals.at(-1)).toEqual({
      actor: APPROVER,
      at: at(400),
      step: 1,
      stateVersion: release.version,
      seen: INCONCLUSIVE,
    });
    expect(decision.effects).toContainEqual({
      kind: 'audit',
      action: 'approve',
      actor: APPROVER,
      at: at(400),
      step: 1,
      stateVersion: release.version,
      detail: {
        description: 'canary weight 25',
        verdict: 'inconclusive',
        reasons: [INCONCLUSIVE.reasons[0]?.message],
      },
    });
  });
});

describe('drift', () => {
  it('halts on drift reported by a tick, warns, and never writes', () => {
    // Prepare
    const { release } = drive(
      started(),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 15),
    );
    // Act
    const decision = decide(
      release,
      tickOf(release, 120, { drift: 'expected reviews/v1=90, reviews/v2=10, found reviews/v1=100' }),
    );
    // Assess
    expect(decision.next).toMatchObject({ phase: 'paused', pause: { reason: 'drift', from: 'analysing' } });
    expect(meshTargets([decision])).toEqual([]);
    expect(eventMessages([decision])).toEqual([
      'Warning: Halt reviews.bookinfo advancement route changed outside the bot: expected reviews/v1=90, reviews/v2=10, found reviews/v1=100',
    ]);
    expect(decision.effects).toContainEqual(
      expect.objectContaining({ kind: 'audit', action: 'drift', actor: 'canary-bot' }),
    );
  });

  it('halts when the mesh refuses a change for drift, and resuming re-applies without the drift check', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10), (r) => approveNow(r, 400));
    // Act
    const refused = decide(release, {
      type: 'apply-failed',
      at: at(401),
      revision: release.desired.revision,
      code: 'drift',
      message: 'expected reviews/v1=90, reviews/v2=10, found reviews/v1=100',
    });
    const resumed = decide(refused.next, {
      type: 'resume',
      stateVersion: refused.next.version,
      actor: APPROVER,
      at: at(500),
    });
    // Assess
    expect(refused.next).toMatchObject({ phase: 'paused', pause: { reason: 'drift', from: 'applying' } });
    expect(resumed.next).toMatchObject({
      phase: 'applying',
      currentStep: 1,
      desired: { revision: release.desired.revision + 1 },
    });
    expect(meshTargets([resumed]).map(shape)).toEqual([weightsTarget(w(75, 25))]);
  });

  it('refuses to resume after drift that happened before the release changed anything', () => {
    // Prepare
    const halted = decide(
      started(),
      tickOf(started(), 30, { drift: 'found reviews/v1=50, reviews/v3=50' }),
    ).next;
    // Act
    const decision = decide(halted, {
      type: 'resume',
      stateVersion: halted.version,
      actor: APPROVER,
      at: at(60),
    });
    // Assess
    expect(halted.phase).toBe('paused');
    expect(decision.next).toBe(halted);
    expect(decision.outcome).toMatchObject({ status: 'refused', reason: 'wrong-phase' });
  });
});

describe('crash repair', () => {
  it('converges again on the next tick while the requested state is unconfirmed, on the same target', () => {
    // Prepare
    const approved = decide(started(), approveNow(started(), 10));
    // Act
    const repaired = decide(approved.next, tickOf(approved.next, 11));
    // Assess
    expect(approved.next).toMatchObject({ phase: 'applying', applied: false });
    expect(repaired.next).toBe(approved.next);
    expect(repaired.effects).toEqual([{ kind: 'converge', revision: approved.next.desired.revision }]);
    expect(repaired.outcome.status).toBe('accepted');
    expect(meshTargetOf(repaired.next)).toEqual(meshTargetOf(approved.next));
  });

  it('ignores a confirmation of an older revision', () => {
    // Prepare
    const approved = decide(started(), approveNow(started(), 10)).next;
    // Act
    const decision = decide(approved, {
      type: 'applied',
      at: at(20),
      revision: approved.desired.revision - 1,
    });
    // Assess
    expect(decision.next).toBe(approved);
    expect(decision.outcome.status).toBe('ignored');
  });

  it('retries transient mesh failures on the next tick, warning only once', () => {
    // Prepare
    const approved = decide(started(), approveNow(started(), 10)).next;
    const failure = {
      type: 'apply-failed',
      revision: approved.desired.revision,
      code: 'unavailable',
      message: 'timeout',
    } as const;
    // Act
    const first = decide(approved, { ...failure, at: at(12) });
    const second = decide(first.next, { ...failure, at: at(80) });
    const retried = decide(first.next, tickOf(first.next, 75));
    // Assess
    expect(first.next).toMatchObject({ phase: 'applying', applyError: { code: 'unavailable' } });
    expect(eventMessages([first])).toEqual([
      'Warning: Halt reviews.bookinfo advancement the mesh did not take the change yet, retrying: timeout',
    ]);
    expect(second.next).toBe(first.next);
    expect(retried.effects).toEqual([{ kind: 'converge', revision: first.next.desired.revision }]);
  });

  it('halts for a person when the canary is not ready, and fails (restoring) when the change is invalid', () => {
    // Prepare
    const approved = decide(started(), approveNow(started(), 10)).next;
    const failure = { type: 'apply-failed', at: at(12), revision: approved.desired.revision } as const;
    // Act
    const notReady = decide(approved, {
      ...failure,
      code: 'not-ready',
      message: 'reviews-v2 has no ready replicas',
    });
    const invalid = decide(approved, { ...failure, code: 'invalid', message: 'weights must add up to 100' });
    const failed = decide(invalid.next, appliedNow(invalid.next, 20));
    // Assess
    expect(notReady.next).toMatchObject({
      phase: 'paused',
      pause: { reason: 'apply-failed', from: 'applying' },
    });
    expect(eventMessages([notReady])).toEqual([
      'Warning: Halt reviews.bookinfo advancement the mesh refused canary weight 10: reviews-v2 has no ready replicas',
    ]);
    expect(invalid.next).toMatchObject({ phase: 'rolling-back', rollback: { endAs: 'failed' } });
    expect(meshTargets([invalid]).map(shape)).toEqual([restoreTarget([{ destination: v1, weight: 100 }])]);
    expect(failed.next.phase).toBe('failed');
    expect(eventMessages([failed])).toEqual([
      'Warning: Canary failed! Restored reviews.bookinfo original route after the mesh refused a change: weights must add up to 100',
    ]);
  });
});

describe('no data', () => {
  it('never promotes, warns once after noTrafficAlertSeconds, then asks a person after the maximum', () => {
    // Prepare
    const { release } = drive(
      started(),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 20),
    );
    const ticks = Array.from({ length: 29 }, (_, i) => tick(20 + 60 * (i + 1), { verdict: NO_DATA }));
    // Act
    const run = drive(release, ...ticks);
    const last = decide(run.release, tickOf(run.release, 20 + 1800, { verdict: NO_DATA }));
    // Assess
    expect(run.release.phase).toBe('analysing');
    expect(run.decisions.every((d) => d.next.phase === 'analysing')).toBe(true);
    expect(eventMessages(run.decisions)).toEqual([
      `Warning: Halt advancement no values found for istio metric istio_requests_total probably reviews.bookinfo is not receiving traffic: ${NO_DATA.reasons[0]?.message}`,
    ]);
    const warnedAt = run.decisions.findIndex((d) => d.effects.some((e) => e.kind === 'event'));
    expect(warnedAt).toBe(5); // first no-data at +60 s, warning 300 s later
    expect(last.next).toMatchObject({
      phase: 'awaiting-approval',
      currentStep: 1,
      approvalRequest: { step: 1, unjudged: 'no-data' },
    });
    expect(last.effects).toContainEqual(
      expect.objectContaining({ kind: 'request-approval', step: 1, unjudged: 'no-data' }),
    );
    expect(eventMessages([last])[0]).toMatch(
      /^Warning: Halt reviews\.bookinfo advancement no traffic after 30 min \(.*\), waiting for traffic increase approval canary weight 25$/,
    );
  });

  it('keeps analysing on inconclusive verdicts and asks for the promotion after the maximum on the last step', () => {
    // Prepare
    const { release } = drive(
      started({ kind: 'blue-green' }),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 20),
      tick(600, { verdict: INCONCLUSIVE }),
    );
    // Act
    const timedOut = decide(release, tickOf(release, 20 + 1800, { verdict: INCONCLUSIVE }));
    const approved = decide(timedOut.next, approveNow(timedOut.next, 1900));
    // Assess
    expect(release.phase).toBe('analysing');
    expect(timedOut.next).toMatchObject({
      phase: 'awaiting-approval',
      currentStep: 1,
      approvalRequest: { unjudged: 'inconclusive' },
    });
    expect(timedOut.effects).toContainEqual(
      expect.objectContaining({ kind: 'request-approval', description: 'promotion' }),
    );
    expect(approved.next.phase).toBe('promoted');
  });
});

describe('blue/green', () => {
  it('switches everything at once after one approval and promotes after the analysis', () => {
    // Prepare
    const release = started({ kind: 'blue-green' });
    // Act
    const run = drive(release, ...passStep(10));
    // Assess
    expect(release.plan.steps).toEqual([{ kind: 'switch' }]);
    expect(meshTargets(run.decisions).map(shape)).toEqual([
      weightsTarget(w(0, 100), [{ destination: v1, weight: 100 }]),
    ]);
    expect(run.release.phase).toBe('promoted');
    expect(eventMessages(run.decisions)).toContain(
      'Normal: Advance reviews.bookinfo switch all traffic to reviews/v2',
    );
  });

  it('switches back instantly to the original route on failure', () => {
    // Prepare
    const { release } = drive(
      started({ kind: 'blue-green' }),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 11),
    );
    // Act
    const back = drive(release, tick(70, { verdict: FAIL }), (r) => appliedNow(r, 72));
    // Assess
    expect(meshTargets(back.decisions.slice(0, 1)).map(shape)).toEqual([restoreTarget(w(0, 100))]);
    expect(back.release.phase).toBe('rolled-back');
  });
});

describe('A/B', () => {
  const matches = [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }] as const;

  it('routes matching requests to the canary, then promotes through an approval and removes its route', () => {
    // Prepare
    const release = started({ kind: 'ab', matches: [...matches] });
    // Act
    const run = drive(release, ...passStep(10), ...passStep(1000), (r) => appliedNow(r, 1400));
    // Assess
    const abRoute = { name: 'canary-bot-R1-ab', matches: [...matches], destination: v2 };
    expect(meshTargets(run.decisions).map(shape)).toEqual([
      weightsTarget([{ destination: v1, weight: 100 }], [{ destination: v1, weight: 100 }], [abRoute]),
      weightsTarget(w(0, 100), [{ destination: v1, weight: 100 }], [abRoute]),
      weightsTarget(w(0, 100), w(0, 100)),
    ]);
    expect(run.decisions[5]?.next.phase).toBe('promoting');
    expect(run.release.phase).toBe('promoted');
    expect(eventMessages(run.decisions)).toEqual(
      expect.arrayContaining([
        'Normal: Advance reviews.bookinfo route requests with header end-user=jason to reviews/v2',
        'Normal: Halt reviews.bookinfo advancement waiting for promotion approval switch all traffic to reviews/v2',
        'Normal: Promotion completed! reviews.bookinfo routes all traffic to reviews/v2',
      ]),
    );
    for (const target of meshTargets(run.decisions))
      for (const route of target.routes) expect(route.name.startsWith(botRoutePrefix)).toBe(true);
  });

  it('ends the test without promoting when the person cancels instead of approving the promotion', () => {
    // Prepare
    const { release } = drive(started({ kind: 'ab', matches: [...matches] }), ...passStep(10));
    // Act
    const run = drive(release, act('cancel', 500, REQUESTER), (r) => appliedNow(r, 510));
    // Assess
    expect(meshTargets(run.decisions.slice(0, 1)).map(shape)).toEqual([restoreTarget()]);
    expect(run.release.phase).toBe('cancelled');
    expect(eventMessages(run.decisions)).toEqual([
      `Normal: Rolling back reviews.bookinfo release cancelled by ${REQUESTER}`,
      'Normal: Release cancelled! Restored reviews.bookinfo original route',
    ]);
  });
});

describe('mirror', () => {
  it('mirrors, analyses the shadow traffic, and completes after an approval ends the mirror', () => {
    // Prepare
    const release = started({ kind: 'mirror', percent: 50 });
    // Act
    const run = drive(
      release,
      ...passStep(10),
      (r) => approveNow(r, 1000),
      (r) => appliedNow(r, 1001),
    );
    // Assess
    const original = [{ destination: v1, weight: 100 }];
    expect(meshTargets(run.decisions).map(shape)).toEqual([
      {
        owned: { kind: 'weights', weights: original, mirror: { destination: v2, percent: 50 } },
        routes: [],
        expected: original,
      },
      weightsTarget(original, original),
    ]);
    expect(run.release.phase).toBe('completed');
    expect(run.release.confirmedWeights).toEqual([{ destination: v1, weight: 100 }]);
    expect(eventMessages(run.decisions)).toEqual([
      `Normal: Approved reviews.bookinfo step 1/2 mirror 50% of traffic to reviews/v2 by ${APPROVER}`,
      'Normal: Starting canary analysis for reviews.bookinfo',
      'Normal: Advance reviews.bookinfo mirror 50% of traffic to reviews/v2',
      'Normal: Halt reviews.bookinfo advancement waiting for promotion approval stop mirroring traffic to reviews/v2',
      `Normal: Approved reviews.bookinfo step 2/2 stop mirroring traffic to reviews/v2 by ${APPROVER}`,
      'Normal: Advance reviews.bookinfo stop mirroring traffic to reviews/v2',
      'Normal: Release completed! Stopped mirroring reviews.bookinfo traffic to reviews/v2; live traffic unchanged',
    ]);
  });
});

describe('manual weights', () => {
  it('applies the approved weights once, analyses, and completes holding them', () => {
    // Prepare
    const release = started({ kind: 'weights', weights: w(90, 10) });
    // Act
    const run = drive(release, ...passStep(10));
    // Assess
    expect(meshTargets(run.decisions).map(shape)).toEqual([
      weightsTarget(w(90, 10), [{ destination: v1, weight: 100 }]),
    ]);
    expect(run.release).toMatchObject({ phase: 'completed', confirmedWeights: w(90, 10) });
    expect(eventMessages(run.decisions).at(-1)).toBe(
      'Normal: Release completed! reviews.bookinfo holds weights reviews/v1=90, reviews/v2=10',
    );
  });
});

describe('multi-service release (--with)', () => {
  it('pins the given sources to the canary with the first step and removes the pins on promotion', () => {
    // Prepare
    const release = started(
      { kind: 'canary', steps: [50] },
      { withSources: [{ service: 'frontend', version: 'v2' }] },
    );
    // Act
    const run = drive(release, ...passStep(10), ...passStep(1000), (r) => appliedNow(r, 1400));
    // Assess
    const pin = {
      name: 'canary-bot-R1-pin-frontend',
      matches: [{ kind: 'source', labels: { app: 'frontend', version: 'v2' } }],
      destination: v2,
    };
    expect(meshTargets(run.decisions.slice(0, 1)).map(shape)).toEqual([
      weightsTarget(w(50, 50), [{ destination: v1, weight: 100 }], [pin]),
    ]);
    expect(run.decisions[5]?.next.phase).toBe('promoting');
    expect(meshTargets(run.decisions.slice(5, 6)).map(shape)).toEqual([weightsTarget(w(0, 100), w(0, 100))]);
    expect(run.release.phase).toBe('promoted');
    expect(run.release.desired.routes).toEqual([]);
  });
});

describe('cancel', () => {
  it('before any mesh change ends cancelled with nothing to undo', () => {
    // Prepare
    const release = started();
    // Act
    const decision = decide(release, {
      type: 'cancel',
      stateVersion: release.version,
      actor: REQUESTER,
      at: at(30),
    });
    // Assess
    expect(decision.next).toMatchObject({ phase: 'cancelled', finishedAt: at(30), meshChanged: false });
    expect(meshTargets([decision])).toEqual([]);
    expect(eventMessages([decision])).toEqual([
      `Normal: Release cancelled! Nothing to undo for reviews.bookinfo, cancelled by ${REQUESTER}`,
    ]);
    expect(decision.effects).toContainEqual(
      expect.objectContaining({ kind: 'audit', action: 'cancel', actor: REQUESTER }),
    );
  });

  it('after a change restores the original route (without a drift check: a person asked), then ends cancelled', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10));
    // Act
    const run = drive(release, act('cancel', 400, REQUESTER), (r) => appliedNow(r, 410));
    // Assess
    expect(run.decisions[0]?.next.phase).toBe('rolling-back');
    expect(meshTargets(run.decisions.slice(0, 1)).map(shape)).toEqual([restoreTarget()]);
    expect(run.release.phase).toBe('cancelled');
  });
});

describe('pause and resume', () => {
  it('pauses while waiting for approval and resumes with a fresh approval request', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10));
    // Act
    const paused = decide(release, {
      type: 'pause',
      stateVersion: release.version,
      actor: REQUESTER,
      at: at(400),
    });
    const oldButton = decide(paused.next, approveNow(release, 401));
    const twice = decide(paused.next, {
      type: 'pause',
      stateVersion: paused.next.version,
      actor: APPROVER,
      at: at(402),
    });
    const resumed = decide(paused.next, {
      type: 'resume',
      stateVersion: paused.next.version,
      actor: REQUESTER,
      at: at(500),
    });
    // Assess
    expect(paused.next).toMatchObject({
      phase: 'paused',
      pause: { reason: 'manual', from: 'awaiting-approval', actor: REQUESTER },
    });
    expect(eventMessages([paused])).toEqual([
      `Normal: Halt reviews.bookinfo advancement paused by ${REQUESTER}`,
    ]);
    expect(oldButton.outcome).toMatchObject({ status: 'refused', reason: 'wrong-phase' });
    expect(twice.outcome).toEqual({
      status: 'refused',
      reason: 'duplicate',
      message: `Already paused by ${REQUESTER} at ${at(400)}.`,
    });
    expect(resumed.next).toMatchObject({
      phase: 'awaiting-approval',
      currentStep: 1,
      approvalRequest: { step: 1, stateVersion: resumed.next.version },
    });
  });

  it('refuses to pause while a change is being applied', () => {
    // Prepare
    const approved = decide(started(), approveNow(started(), 10)).next;
    // Act
    const decision = decide(approved, {
      type: 'pause',
      stateVersion: approved.version,
      actor: REQUESTER,
      at: at(11),
    });
    // Assess
    expect(decision.next).toBe(approved);
    expect(decision.outcome).toMatchObject({ status: 'refused', reason: 'wrong-phase' });
  });
});

describe('reject and rollback', () => {
  it('a rejection restores the route and ends rolled back, naming who rejected which step', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10));
    // Act
    const run = drive(release, act('reject', 400, APPROVER, 'error budget spent'), (r) => appliedNow(r, 401));
    // Assess
    expect(eventMessages(run.decisions)).toEqual([
      `Warning: Rolling back reviews.bookinfo step 2/4 canary weight 25 rejected by ${APPROVER}: error budget spent`,
      'Warning: Canary failed! Restored reviews.bookinfo original route',
    ]);
    expect(run.release.phase).toBe('rolled-back');
  });

  it('a manual rollback before any change ends rolled back with nothing to restore', () => {
    // Prepare
    const release = started();
    // Act
    const decision = decide(release, {
      type: 'rollback',
      stateVersion: release.version,
      actor: REQUESTER,
      at: at(5),
    });
    // Assess
    expect(decision.next.phase).toBe('rolled-back');
    expect(eventMessages([decision])).toEqual([
      `Warning: Rolling back reviews.bookinfo manual rollback by ${REQUESTER}`,
      'Warning: Canary failed! Nothing to restore for reviews.bookinfo',
    ]);
  });

  it('a second rollback while rolling back is refused as a duplicate', () => {
    // Prepare
    const { release } = drive(started(), (r) => approveNow(r, 10), act('rollback', 20, REQUESTER));
    // Act
    const decision = decide(release, {
      type: 'rollback',
      stateVersion: release.version,
      actor: APPROVER,
      at: at(21),
    });
    // Assess
    expect(decision.next).toBe(release);
    expect(decision.outcome).toMatchObject({ status: 'refused', reason: 'duplicate' });
  });

  it('a restore the mesh refuses for good ends failed and says to restore by hand', () => {
    // Prepare
    const { release } = drive(started(), (r) => approveNow(r, 10), act('rollback', 20, REQUESTER));
    // Act
    const decision = decide(release, {
      type: 'apply-failed',
      at: at(21),
      revision: release.desired.revision,
      code: 'not-found',
      message: 'VirtualService bookinfo/reviews does not exist',
    });
    // Assess
    expect(decision.next).toMatchObject({ phase: 'failed', applied: false });
    expect(eventMessages([decision])).toEqual([
      'Warning: Canary failed! Could not restore reviews.bookinfo original route: VirtualService bookinfo/reviews does not exist; restore it by hand',
    ]);
  });
});

describe('time', () => {
  it('refuses a person action whose time is not ISO 8601 and changes nothing', () => {
    // Prepare
    const release = started();
    // Act
    const decision = decide(release, {
      type: 'pause',
      stateVersion: release.version,
      actor: REQUESTER,
      at: 'yesterday',
    });
    // Assess
    expect(decision.next).toBe(release);
    expect(decision.outcome).toMatchObject({ status: 'refused', reason: 'invalid' });
  });
});
