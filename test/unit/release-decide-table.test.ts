import fc from 'fast-check';
import {
  availableActions,
  type Decision,
  decide,
  FINAL_PHASES,
  isFinal,
  OBSERVATION_TYPES,
  type Observation,
  PHASES,
  type Phase,
  type Release,
} from '../../src/domain/release/index.js';
import { botRoutePrefix } from '../../src/domain/routing/route-math.js';
import {
  APPROVER,
  appliedNow,
  approveNow,
  at,
  drive,
  FAIL,
  INCONCLUSIVE,
  NO_DATA,
  PASS,
  passStep,
  REQUESTER,
  started,
  tick,
  tickOf,
} from './release-fixtures.js';

/** One release in every phase (and every kind of pause), reached through `decide` itself. */
function releasesInEveryPhase(): [string, Release][] {
  const analysing = drive(
    started(),
    (r) => approveNow(r, 10),
    (r) => appliedNow(r, 15),
  ).release;
  const atStep2 = drive(started(), ...passStep(10)).release;
  const applying = decide(atStep2, approveNow(atStep2, 400)).next;
  const pinned = started(
    { kind: 'canary', steps: [100] },
    { withSources: [{ service: 'frontend', version: 'v2' }] },
  );
  const rollingBack = decide(analysing, tickOf(analysing, 100, { verdict: FAIL })).next;
  const failedMesh = decide(applying, {
    type: 'apply-failed',
    at: at(401),
    revision: applying.desired.revision,
    code: 'invalid',
    message: 'bad',
  }).next;
  const cases: [string, Release][] = [
    ['awaiting-approval of step 1', started()],
    ['awaiting-approval of step 2', atStep2],
    ['applying', applying],
    ['analysing', analysing],
    [
      'paused by a person',
      decide(analysing, { type: 'pause', stateVersion: analysing.version, actor: REQUESTER, at: at(60) })
        .next,
    ],
    ['paused by drift', decide(analysing, tickOf(analysing, 60, { drift: 'found reviews/v1=100' })).next],
    [
      'paused by a failed analysis',
      drive(
        started({ kind: 'canary' }, { options: { onFailure: 'pause' } }),
        ...passStep(10).slice(0, 2),
        tick(100, { verdict: FAIL }),
      ).release,
    ],
    [
      'paused by a refused change',
      decide(applying, {
        type: 'apply-failed',
        at: at(401),
        revision: applying.desired.revision,
        code: 'not-ready',
        message: 'no ready replicas',
      }).next,
    ],
    ['promoting', drive(pinned, ...passStep(10)).release],
    [
      'baking',
      drive(
        started({ kind: 'canary', steps: [50, 100] }, { options: { bakeSeconds: 1800 } }),
        ...passStep(10),
        ...passStep(400),
      ).release,
    ],
    ['rolling-back', rollingBack],
    ['promoted', drive(started({ kind: 'blue-green' }), ...passStep(10)).release],
    [
      'completed',
      drive(
        started({
          kind: 'weights',
          weights: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 80 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 20 },
          ],
        }),
        ...passStep(10),
      ).release,
    ],
    ['rolled-back', decide(rollingBack, appliedNow(rollingBack, 110)).next],
    ['failed', decide(failedMesh, appliedNow(failedMesh, 410)).next],
    [
      'cancelled',
      decide(started(), { type: 'cancel', stateVersion: started().version, actor: REQUESTER, at: at(5) })
        .next,
    ],
  ];
  return cases;
}

/** Several observations of every type, aimed at the release (current step, version, revision). */
function observationsFor(r: Release, seconds: number): Observation[] {
  const when = at(seconds);
  return [
    approveNow(r, seconds),
    { type: 'approve', actor: APPROVER, at: when, step: r.currentStep + 1, stateVersion: r.version },
    { type: 'approve', actor: APPROVER, at: when, step: r.currentStep, stateVersion: r.version - 1 },
    { type: 'reject', actor: APPROVER, at: when, stateVersion: r.version, reason: 'no' },
    { type: 'rollback', actor: REQUESTER, at: when, stateVersion: r.version },
    { type: 'pause', actor: REQUESTER, at: when, stateVersion: r.version },
    { type: 'resume', actor: REQUESTER, at: when, stateVersion: r.version },
    { type: 'cancel', actor: REQUESTER, at: when, stateVersion: r.version },
    { type: 'pause', actor: REQUESTER, at: when, stateVersion: r.version - 1 },
    { type: 'cancel', actor: REQUESTER, at: when, stateVersion: r.version - 1 },
    appliedNow(r, seconds),
    { type: 'applied', at: when, revision: r.desired.revision + 7 },
    ...(
      [
        'unavailable',
        'drift',
        'not-ready',
        'invalid',
        'forbidden',
        'not-found',
        'rejected',
        'superseded',
      ] as const
    ).map(
      (code): Observation => ({
        type: 'apply-failed',
        at: when,
        revision: r.desired.revision,
        code,
        message: code,
      }),
    ),
    tickOf(r, seconds),
    ...[PASS, FAIL, INCONCLUSIVE, NO_DATA].map((verdict) => tickOf(r, seconds, { verdict })),
    tickOf(r, seconds, { drift: 'found reviews/v1=100' }),
    tickOf(r, seconds, { unreadable: 'Prometheus is unavailable' }),
    // A verdict computed for another analysis window is stale: it must change nothing.
    {
      type: 'tick',
      at: when,
      verdict: { verdict: FAIL, stateVersion: r.version - 1, step: r.currentStep, windowStartedAt: at(0) },
    },
  ];
}

/** What must hold after every decision, whatever the phase and observation. */
function checkInvariants(before: Release, decision: Decision): void {
  const { next, effects, outcome } = decision;
  expect(PHASES).toContain(next.phase);
  expect(['accepted', 'refused', 'ignored']).toContain(outcome.status);
  expect(outcome.message.length).toBeGreaterThan(0);
  if (next === before) {
    expect(effects.filter((e) => e.kind !== 'converge')).toEqual([]);
  } else {
    // A quiet change (a verdict recorded, a retry noted) keeps the state version; every other change bumps it.
    expect([before.version, before.version + 1]).toContain(next.version);
    if (next.phase !== before.phase || next.desired.revision !== before.desired.revision)
      expect(next.version).toBe(before.version + 1);
    expect(effects.at(-1)).toEqual({ kind: 'notify' });
    expect(JSON.parse(JSON.stringify(next))).toStrictEqual(next);
  }
  if (isFinal(before)) expect(next).toBe(before);
  for (const effect of effects) {
    if (effect.kind === 'converge') {
      expect(effect.revision).toBe(next.desired.revision);
      expect(next.applied).toBe(false);
      for (const route of next.desired.routes)
        expect(route.name.startsWith(`${botRoutePrefix}R1-`)).toBe(true);
    }
    if (effect.kind === 'tombstone') {
      expect(isFinal(next)).toBe(true);
      expect(next.meshChanged).toBe(true);
    }
    if (effect.kind === 'request-approval') {
      expect(next.phase).toBe('awaiting-approval');
      expect(effect.stateVersion).toBe(next.version);
      expect(effect.step).toBe(next.currentStep);
    }
    if (effect.kind === 'audit') expect(effect.stateVersion).toBe(before.version);
  }
  switch (next.phase) {
    case 'awaiting-approval':
      expect(next.approvalRequest).toMatchObject({ step: next.currentStep, stateVersion: next.version });
      expect(next.currentStep).toBeLessThanOrEqual(next.plan.steps.length);
      break;
    case 'applying':
    case 'promoting':
    case 'rolling-back':
      expect(next.applied).toBe(false);
      expect(next.meshChanged).toBe(true);
      break;
    case 'analysing':
      expect(next.applied).toBe(true);
      expect(next.analysis?.step).toBe(next.currentStep);
      break;
    case 'baking':
      // The last step stays live, judged in a window of its own, and nothing is pending approval.
      expect(next.applied).toBe(true);
      expect(next.currentStep).toBe(next.plan.steps.length - 1);
      expect(next.analysis?.step).toBe(next.currentStep);
      expect(next.bake?.until).toBeDefined();
      expect(next.approvalRequest).toBeUndefined();
      break;
    case 'paused':
      expect(next.pause).toBeDefined();
      expect(next.approvalRequest).toBeUndefined();
      break;
    case 'promoted':
    case 'completed':
    case 'rolled-back':
    case 'failed':
    case 'cancelled':
      expect(next.finishedAt).toBeDefined();
      expect(next.approvalRequest).toBeUndefined();
      break;
    default:
      next.phase satisfies never;
  }
}

describe('decide is total', () => {
  const cases = releasesInEveryPhase();

  it('has a release in every phase', () => {
    // Prepare / Act
    const phases = new Set<Phase>(cases.map(([, r]) => r.phase));
    // Assess
    expect([...phases].sort()).toEqual([...PHASES].sort());
  });

  it.each(cases)('answers every observation type in %s', (_name, release) => {
    // Prepare
    const observations = observationsFor(release, 5000);
    expect(new Set(observations.map((o) => o.type))).toEqual(new Set(OBSERVATION_TYPES));
    for (const observation of observations) {
      // Act
      const decision = decide(release, observation);
      // Assess
      checkInvariants(release, decision);
    }
  });

  it.each(cases)('accepts exactly the person actions the card offers in %s', (_name, release) => {
    // Prepare
    const offered = availableActions(release);
    for (const action of ['approve', 'reject', 'rollback', 'pause', 'resume', 'cancel'] as const) {
      const observation: Observation =
        action === 'approve'
          ? approveNow(release, 100)
          : { type: action, actor: REQUESTER, at: at(100), stateVersion: release.version };
      // Act
      const decision = decide(release, observation);
      // Assess
      if (offered.includes(action)) expect(decision.outcome.status).toBe('accepted');
      else expect(decision.outcome.status).toBe('refused');
      if (FINAL_PHASES.includes(release.phase as never))
        expect(decision.outcome).toMatchObject({ reason: 'finished' });
    }
  });
});

describe('random walks', () => {
  const observation = fc.oneof(
    fc.constant('approve' as const),
    fc.constant('applied' as const),
    fc.constantFrom('reject', 'rollback', 'pause', 'resume', 'cancel'),
    fc.record({
      kind: fc.constant('apply-failed' as const),
      code: fc.constantFrom('unavailable', 'drift', 'not-ready', 'invalid', 'not-found'),
    }),
    fc.record({
      kind: fc.constant('tick' as const),
      verdict: fc.constantFrom(undefined, PASS, FAIL, INCONCLUSIVE, NO_DATA),
      drift: fc.constantFrom(undefined, undefined, undefined, 'found reviews/v1=100'),
    }),
  );

  it('keep every invariant whatever happens, in any order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('canary', 'blue-green', 'mirror'),
        fc.array(fc.tuple(observation, fc.integer({ min: 1, max: 900 })), { maxLength: 40 }),
        fc.constantFrom(0, 600),
        (kind, walk, bakeSeconds) => {
          // Prepare
          let release = started({ kind } as never, {
            withSources: kind === 'canary' ? [{ service: 'frontend', version: 'v2' }] : undefined,
            options: { bakeSeconds },
          });
          let seconds = 0;
          for (const [step, gap] of walk) {
            seconds += gap;
            const o: Observation =
              step === 'approve'
                ? approveNow(release, seconds)
                : step === 'applied'
                  ? appliedNow(release, seconds)
                  : typeof step === 'string'
                    ? { type: step, actor: REQUESTER, at: at(seconds), stateVersion: release.version }
                    : step.kind === 'apply-failed'
                      ? {
                          type: 'apply-failed',
                          at: at(seconds),
                          revision: release.desired.revision,
                          code: step.code,
                          message: 'x',
                        }
                      : {
                          ...tickOf(release, seconds, step.verdict ? { verdict: step.verdict } : {}),
                          ...(step.drift ? { drift: step.drift } : {}),
                        };
            // Act
            const decision = decide(release, o);
            // Assess
            checkInvariants(release, decision);
            release = decision.next;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never leave analysis on no-data or inconclusive verdicts except to ask a person', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom(NO_DATA, INCONCLUSIVE, undefined), fc.integer({ min: 1, max: 600 })),
          {
            maxLength: 60,
          },
        ),
        (walk) => {
          // Prepare
          let release = drive(
            started(),
            (r) => approveNow(r, 10),
            (r) => appliedNow(r, 20),
          ).release;
          let seconds = 20;
          for (const [verdict, gap] of walk) {
            seconds += gap;
            // Act
            release = decide(release, tickOf(release, seconds, verdict ? { verdict } : {})).next;
            // Assess
            expect(['analysing', 'awaiting-approval']).toContain(release.phase);
            expect(release.currentStep).toBeLessThanOrEqual(1);
            if (release.phase === 'awaiting-approval') {
              expect(release.approvalRequest?.unjudged).toBeDefined();
              break;
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
