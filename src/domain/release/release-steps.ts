/** A release's steps in words and facts: what the views, the events and `decide` say about a step. */
import type { Release } from './release.js';
import { releaseRoutePrefix } from './release.js';
import { type StepContext, type StepFacts, stepFacts, successPhaseOf } from './step-plan.js';

/** The context that a release's step facts are computed in. */
export function stepContextOf(release: Pick<Release, 'id' | 'baseline' | 'canary'>): StepContext {
  return { baseline: release.baseline, canary: release.canary, routePrefix: releaseRoutePrefix(release.id) };
}

/** Facts of step `index`, or undefined for the completion (`index === plan.steps.length`) or out of range. */
export function factsAt(release: Release, index: number): StepFacts | undefined {
  const step = release.plan.steps[index];
  return step === undefined ? undefined : stepFacts(step, stepContextOf(release));
}

/**
 * What step `index` does, in words; the completion reads `promotion` (or `completion` for plans that end
 * without shifting all traffic).
 *
 * @example describeStep(release, 1) // 'canary weight 25'
 */
export function describeStep(release: Release, index: number = release.currentStep): string {
  const facts = factsAt(release, index);
  if (facts) return facts.description;
  return successPhaseOf(release.kind) === 'promoted' ? 'promotion' : 'completion';
}

/**
 * `step 2/4` (1-based) for a step, `the promotion` / `the completion` past the last step.
 *
 * @example stepLabel(release, 1) // 'step 2/4'
 */
export function stepLabel(release: Release, index: number): string {
  const count = release.plan.steps.length;
  return index < count ? `step ${index + 1}/${count}` : `the ${describeStep(release, index)}`;
}

/**
 * `step 2` (1-based), or `the promotion` / `the completion` past the last step: what a button is for.
 */
export function stepName(release: Release, index: number): string {
  return index < release.plan.steps.length ? `step ${index + 1}` : `the ${describeStep(release, index)}`;
}

/** Flagger's three gates: before the first step, before the last step (or the completion), before any other. */
export function approvalKindAt(
  release: Release,
  index: number,
): 'approval' | 'promotion approval' | 'traffic increase approval' {
  if (index === 0) return 'approval';
  return index >= release.plan.steps.length - 1 ? 'promotion approval' : 'traffic increase approval';
}
