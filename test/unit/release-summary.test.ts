import {
  availableActions,
  currentWeights,
  decide,
  describePlan,
  describeStep,
  isFinal,
  nextWeights,
  stepLabel,
  summarizeProgress,
  weightsAfterStep,
} from '../../src/domain/release/index.js';
import {
  appliedNow,
  approveNow,
  at,
  drive,
  passStep,
  REQUESTER,
  started,
  v1,
  v2,
} from './release-fixtures.js';

const w = (a: number, b: number) => [
  { destination: v1, weight: a },
  { destination: v2, weight: b },
];

describe('release views', () => {
  it('describe the steps and the plan', () => {
    // Prepare
    const canary = started();
    const ab = started({
      kind: 'ab',
      matches: [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }],
    });
    // Act / Assess
    expect(describePlan(canary)).toBe('canary weight 10, 25, 50, 100');
    expect(describePlan(ab)).toBe(
      'A/B test: route requests with header end-user=jason to reviews/v2, then promotion',
    );
    expect(describeStep(canary, 2)).toBe('canary weight 50');
    expect(describeStep(canary, 4)).toBe('promotion');
    expect(describeStep(started({ kind: 'mirror' }), 2)).toBe('completion');
    expect(stepLabel(canary, 1)).toBe('step 2/4');
  });

  it('give current and next weights', () => {
    // Prepare
    const { release } = drive(started(), ...passStep(10));
    // Act / Assess
    expect(currentWeights(release)).toEqual(w(90, 10));
    expect(nextWeights(release)).toEqual(w(75, 25));
    expect(weightsAfterStep(release, 3)).toEqual(w(0, 100));
    expect(weightsAfterStep(started({ kind: 'mirror' }), 0)).toEqual([{ destination: v1, weight: 100 }]);
    expect(nextWeights(drive(started({ kind: 'blue-green' }), ...passStep(10)).release)).toBeUndefined();
  });

  it('summarise progress in one line', () => {
    // Prepare
    const waiting = drive(started(), ...passStep(10)).release;
    const analysing = drive(
      waiting,
      (r) => approveNow(r, 400),
      (r) => appliedNow(r, 401),
    ).release;
    const paused = decide(analysing, {
      type: 'pause',
      stateVersion: analysing.version,
      actor: REQUESTER,
      at: at(402),
    }).next;
    const cancelled = decide(started(), {
      type: 'cancel',
      stateVersion: started().version,
      actor: REQUESTER,
      at: at(1),
    }).next;
    // Act / Assess
    expect(summarizeProgress(waiting)).toEqual({
      phase: 'awaiting-approval',
      final: false,
      stepNumber: 2,
      stepCount: 4,
      step: 'canary weight 25',
      next: 'canary weight 25',
      weights: 'reviews/v1=90, reviews/v2=10',
      headline: 'reviews.bookinfo v2: waiting for approval of step 2/4 (canary weight 25)',
    });
    expect(summarizeProgress(analysing).headline).toBe(
      'reviews.bookinfo v2: analysing step 2/4 (canary weight 25)',
    );
    expect(summarizeProgress(analysing).next).toBe('canary weight 50');
    expect(summarizeProgress(paused).headline).toBe(
      `reviews.bookinfo v2: paused at step 2/4: paused by ${REQUESTER}`,
    );
    expect(summarizeProgress(cancelled)).toMatchObject({
      final: true,
      headline: `reviews.bookinfo v2: cancelled: cancelled by ${REQUESTER}; nothing had changed`,
    });
    expect(isFinal(cancelled)).toBe(true);
    expect(availableActions(cancelled)).toEqual([]);
    expect(availableActions(paused)).toEqual(['resume', 'rollback', 'cancel']);
  });
});
