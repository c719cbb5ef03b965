/**
 * Evidence of one check in both directions, and how it becomes a status: shared by the built-in checks
 * and custom checks.
 */
import { confidenceOf, lowerEvidence, upperEvidence } from './sequential-test.js';
import type { CheckStatus, JudgeConfig } from './verdict.js';
import { formatConfidence, formatCount, formatPercent } from './wording.js';

/** Evidence from one check, in both directions, and the requests it rests on. */
export interface Evidence {
  readonly failEvidence: number;
  readonly passEvidence: number;
  readonly badRequests: number;
  readonly requests: number;
  /** Hard limits: the evidence that the canary is beyond the limit, whatever the baseline does. */
  readonly beyondLimit?: number;
  /** Hard limits with a baseline: the canary's observed share is within the limit, which suffices to pass. */
  readonly withinObserved?: boolean;
}

/** `fail` past the fail bar on enough bad requests, `pass` past the pass bar (or within a hard limit as observed). */
export function statusOf(
  evidence: Evidence,
  config: JudgeConfig,
): Exclude<CheckStatus, 'skipped' | 'no-data'> {
  if (evidence.failEvidence >= failBar(config, evidence) && evidence.badRequests >= config.minBadRequests) {
    return 'fail';
  }
  if (evidence.passEvidence >= passBar(config) || evidence.withinObserved === true) return 'pass';
  return 'pending';
}

/** Evidence needed to fail: squared (overwhelming) while the canary has served only a handful of requests. */
export function failBar(config: JudgeConfig, evidence: Evidence): number {
  const bar = 1 / (1 - config.failConfidence);
  return evidence.requests < config.minRequests ? bar * bar : bar;
}

/** Evidence needed to pass. */
export function passBar(config: JudgeConfig): number {
  return 1 / (1 - config.passConfidence);
}

/** Bad and total requests of one version on one count (errors, or requests slower than a boundary). */
export interface Count {
  readonly bad: number;
  readonly total: number;
}

/** A tolerance: the larger of a floor and a multiple of the baseline's rate. */
export interface Tolerance {
  readonly floor: number;
  readonly ratio: number;
}

/**
 * Intersection-union comparison: fails when worse than the fail tolerance's floor AND its ratio x
 * baseline; passes when within the pass tolerance's floor OR its ratio x baseline.
 */
export function compareWithBaseline(
  canary: Count,
  baseline: Count,
  fail: Tolerance,
  pass: Tolerance,
): Evidence {
  const bad = canary.bad + baseline.bad;
  return {
    failEvidence: Math.min(
      upperEvidence(canary.bad, canary.total, fail.floor),
      upperEvidence(canary.bad, bad, canaryShare(canary, baseline, fail.ratio)),
    ),
    passEvidence:
      (lowerEvidence(canary.bad, canary.total, Math.min(pass.floor, MAX_PROPORTION)) +
        lowerEvidence(canary.bad, bad, canaryShare(canary, baseline, pass.ratio))) /
      2,
    badRequests: canary.bad,
    requests: canary.total,
  };
}

/**
 * The mirror image of `compareWithBaseline`, for shares where higher is better (conversions): fails
 * when the canary's share is confidently below the floor AND below baseline / ratio; passes when it is
 * confidently above the pass tolerance's floor OR its baseline / ratio. `bad` counts the events here.
 */
export function compareHigherWithBaseline(
  canary: Count,
  baseline: Count,
  fail: Tolerance,
  pass: Tolerance,
): Evidence {
  const events = canary.bad + baseline.bad;
  return {
    failEvidence: Math.min(
      lowerEvidence(canary.bad, canary.total, fail.floor),
      lowerEvidence(canary.bad, events, canaryShare(canary, baseline, 1 / fail.ratio)),
    ),
    passEvidence:
      (upperEvidence(canary.bad, canary.total, pass.floor) +
        upperEvidence(canary.bad, events, canaryShare(canary, baseline, 1 / pass.ratio))) /
      2,
    // The minimum of bad requests applies to the opportunities the canary missed.
    badRequests: canary.total - canary.bad,
    requests: canary.total,
  };
}

/** `the larger of 0.25% and 1.5 × baseline` */
export function toleranceText(tolerance: Tolerance): string {
  return `the larger of ${formatPercent(tolerance.floor)} and ${tolerance.ratio} × baseline`;
}

/** A tolerance never reaches 100%: there would be nothing left to be within. */
export const MAX_PROPORTION = 0.999;

/** The share of all bad requests that come from the canary when its rate is `ratio` x the baseline's. */
export function canaryShare(canary: Count, baseline: Count, ratio: number): number {
  return (ratio * canary.total) / (ratio * canary.total + baseline.total);
}

/** The end of a pending message: how the evidence leans so far, if it leans at all. */
export function leaning(evidence: Evidence, config: JudgeConfig, worse: string, within: string): string {
  const bar = failBar(config, evidence);
  if (evidence.failEvidence >= bar) {
    return `; ${formatConfidence(confidenceOf(evidence.failEvidence))} sure it is ${worse}, but only ${formatCount(evidence.badRequests)} bad requests (${config.minBadRequests} needed to fail)`;
  }
  if (evidence.failEvidence >= 4) {
    const few = evidence.requests < config.minRequests ? ` on fewer than ${config.minRequests} requests` : '';
    return `; so far ${formatConfidence(confidenceOf(evidence.failEvidence))} sure it is ${worse} (${formatConfidence(confidenceOf(bar))} needed to fail${few})`;
  }
  if (evidence.passEvidence >= 4) {
    return `; so far ${formatConfidence(confidenceOf(evidence.passEvidence))} sure it is ${within} (${formatConfidence(config.passConfidence)} needed to pass)`;
  }
  return '';
}

export function evidenceFigures(evidence: Evidence): Record<string, number> {
  return {
    failConfidence: confidenceOf(evidence.failEvidence),
    passConfidence: confidenceOf(evidence.passEvidence),
  };
}
