/** Small pure views of a release for the app and the Slack card. */
import type { WeightedDestination } from '../routing/virtual-service.js';
import type { ReleaseAction } from './approval-policy.js';
import { isFinal, PHASE_WORDS, type Phase } from './phases.js';
import { type Release, targetName } from './release.js';
import { clockTime } from './release-events.js';
import { describeStep, factsAt, stepLabel } from './release-steps.js';
import { describeWeightList, type MeshShape } from './step-plan.js';

/** The weights confirmed in the mesh now (what the route serves, as far as the release knows). */
export function currentWeights(release: Release): readonly WeightedDestination[] {
  return release.confirmedWeights;
}

/**
 * The weights of the owned route once steps 0..`index` are applied (mirror and match steps keep the weights).
 *
 * @example weightsAfterStep(release, 1) // [{ destination: reviews/v1, weight: 75 }, { destination: reviews/v2, weight: 25 }]
 */
export function weightsAfterStep(release: Release, index: number): readonly WeightedDestination[] {
  let shape: MeshShape = { weights: release.original.weights, routes: [] };
  const last = Math.min(index, release.plan.steps.length - 1);
  for (let i = 0; i <= last; i++) {
    const facts = factsAt(release, i);
    if (facts) shape = facts.apply(shape);
  }
  return shape.weights;
}

/** The weights the next approval would set, or undefined when no step is ahead. */
export function nextWeights(release: Release): readonly WeightedDestination[] | undefined {
  if (isFinal(release)) return undefined;
  const next = release.phase === 'awaiting-approval' ? release.currentStep : release.currentStep + 1;
  return next < release.plan.steps.length ? weightsAfterStep(release, next) : undefined;
}

/** The buttons worth showing: the person actions `decide` would accept now. */
export function availableActions(release: Release): ReleaseAction[] {
  const phase: Phase = release.phase;
  switch (phase) {
    case 'awaiting-approval':
      return ['approve', 'reject', 'rollback', 'pause', 'cancel'];
    case 'analysing':
    case 'baking':
      return ['rollback', 'pause', 'cancel'];
    case 'applying':
    case 'promoting':
      return ['rollback', 'cancel'];
    case 'paused':
      return release.pause?.reason === 'drift' && !release.meshChanged
        ? ['rollback', 'cancel']
        : ['resume', 'rollback', 'cancel'];
    case 'rolling-back':
    case 'promoted':
    case 'completed':
    case 'rolled-back':
    case 'failed':
    case 'cancelled':
      return [];
    default:
      return phase satisfies never;
  }
}

/** Where a release stands, for a card or `/canary status`. */
export interface ProgressSummary {
  readonly phase: Phase;
  readonly final: boolean;
  /** 1-based number of the current step (capped at the step count). */
  readonly stepNumber: number;
  readonly stepCount: number;
  /** What the current step does (or `promotion`/`completion` past the last). */
  readonly step: string;
  /** What the next approval would do, if a step is ahead. */
  readonly next?: string;
  /** The confirmed weights, e.g. `reviews/v1=75, reviews/v2=25`. */
  readonly weights: string;
  /** One line, e.g. `reviews.bookinfo v2: analysing step 2/4 (canary weight 25)`. */
  readonly headline: string;
}

/**
 * Where a release stands.
 *
 * @example summarizeProgress(release).headline // 'reviews.bookinfo v2: waiting for approval of step 2/4 (canary weight 25)'
 */
export function summarizeProgress(release: Release): ProgressSummary {
  const count = release.plan.steps.length;
  const step = release.currentStep;
  const what = `${stepLabel(release, step)} (${describeStep(release, step)})`;
  const title = `${targetName(release)} ${release.canary.version}`;
  const nextIndex = release.phase === 'awaiting-approval' ? step : step + 1;
  let state: string;
  switch (release.phase) {
    case 'awaiting-approval':
      state =
        step < count
          ? `waiting for approval of ${what}`
          : `waiting for approval of the ${describeStep(release, step)}`;
      if (release.approvalRequest?.unjudged)
        state += `, without a verdict (${release.approvalRequest.unjudged})`;
      break;
    case 'applying':
      state = `applying ${what}`;
      break;
    case 'analysing':
      state = `analysing ${what}`;
      break;
    case 'baking':
      state = `baking until ${release.bake ? clockTime(release.bake.until) : 'the end of its bake'}: ${what} stays live and judged`;
      break;
    case 'paused':
      state = `paused at ${stepLabel(release, step)}: ${release.pause?.detail ?? 'paused'}`;
      break;
    case 'rolling-back':
      state = `rolling back: ${release.rollback?.reason ?? ''}`;
      break;
    case 'promoting':
    case 'promoted':
    case 'completed':
    case 'rolled-back':
    case 'failed':
    case 'cancelled':
      state = release.summary
        ? `${PHASE_WORDS[release.phase]}: ${release.summary}`
        : PHASE_WORDS[release.phase];
      break;
    default:
      state = release.phase satisfies never;
  }
  return {
    phase: release.phase,
    final: isFinal(release),
    stepNumber: Math.min(step + 1, count),
    stepCount: count,
    step: describeStep(release, step),
    ...(!isFinal(release) && nextIndex <= count ? { next: describeStep(release, nextIndex) } : {}),
    weights: describeWeightList(release.confirmedWeights),
    headline: `${title}: ${state}`,
  };
}
