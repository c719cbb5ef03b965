/**
 * The canary judge: canary versus baseline (the stable version in the same window) on errors and
 * latency, plus Flagger's absolute limits, with sequential tests that stay valid when the judge looks
 * at growing data every minute. Low traffic gives `inconclusive`, never a rollback on noise.
 *
 * Every check is a pair of always-valid tests (see sequential-test.ts): `fail` when the evidence that
 * the canary is outside its tolerance reaches 1 / (1 - failConfidence), `pass` when the evidence that it
 * is within `passMargin` times its tolerance reaches 1 / (1 - passConfidence), `pending` otherwise.
 * The two tolerances make an indifference zone, as in Wald's SPRT: a healthy canary is far inside the
 * wider one, so it passes on about half the data a pass at the fail tolerance would need.
 *
 * Comparisons with the baseline are intersection-union tests: the canary fails only when it is
 * confidently worse than BOTH the absolute floor (one-sample test on the canary) AND `ratio` x the
 * baseline. The ratio part conditions on the total number of bad requests of both versions: each bad
 * request comes from the canary with probability theta = ratio * nc / (ratio * nc + nb) at the edge of
 * the tolerance, so the unknown baseline rate drops out (exact for Poisson traffic at steady weights).
 * Passing is the mirror image (within the floor OR within the ratio), on the mean of the two e-values,
 * itself an e-value.
 *
 * Latency is a proportion too: the share of requests slower than the bucket boundary above the
 * baseline's q-quantile (q = 0.9, 0.99), with a floor of 1 - q (a canary whose q-quantile stays in the
 * baseline's bucket is fine). Flagger's limits become one-sample tests: success rate >= 99% is "at most
 * 1% errors", p99 <= 500 ms is "at most 1% of requests above 500 ms". A canary must be confidently
 * within them to pass, but fails on them only when it is also confidently worse than its baseline on
 * the same count: when a shared dependency breaks both versions, nobody is rolled back and nothing is
 * promoted. Below `minRequests` canary requests a check needs the square of the usual evidence, so a
 * handful of requests never rolls back.
 */

import { customCheckProblems, judgeCustomCheck } from './custom-check.js';
import {
  type Count,
  canaryShare,
  compareWithBaseline,
  type Evidence,
  evidenceFigures,
  failBar,
  leaning,
  passBar,
  statusOf,
  type Tolerance,
  toleranceText,
} from './evidence.js';
import {
  boundaryAtOrAbove,
  boundaryAtOrBelow,
  countSlowerThanBoundary,
  histogramQuantile,
  histogramTotal,
  type LatencyBucket,
  normalizeHistogram,
  quantileBoundary,
} from './latency-histogram.js';
import { confidenceOf, lowerEvidence, upperEvidence } from './sequential-test.js';
import {
  type CheckStatus,
  type CustomCheckReading,
  DEFAULT_JUDGE_CONFIG,
  InvalidJudgeConfigError,
  InvalidJudgeInputError,
  type JudgeConfig,
  type JudgeInput,
  type Reason,
  type Verdict,
  type VersionTraffic,
} from './verdict.js';
import {
  formatConfidence,
  formatCount,
  formatDuration,
  formatMilliseconds,
  formatShare,
  quantileName,
} from './wording.js';

/**
 * Judge one look at a canary analysis.
 *
 * @example
 * judgeCanary({
 *   canary: { requests: 500, errors: 24 },
 *   baseline: { requests: 3000, errors: 3 },
 *   elapsedSeconds: 300,
 *   canaryIdleSeconds: 0,
 * }).verdict // 'fail'
 * @throws InvalidJudgeConfigError, InvalidJudgeInputError
 */
export function judgeCanary(input: JudgeInput, config: JudgeConfig = DEFAULT_JUDGE_CONFIG): Verdict {
  validateConfig(config);
  const canary = cleanTraffic(input.canary, 'canary');
  const baseline = cleanTraffic(input.baseline, 'baseline');
  const elapsed = nonNegative(input.elapsedSeconds, 'elapsedSeconds');
  const idle = nonNegative(input.canaryIdleSeconds, 'canaryIdleSeconds');
  const custom = cleanCustom(input.custom ?? []);

  const canaryLatencyTotal = canary.latency ? histogramTotal(canary.latency) : 0;
  if (canary.requests <= 0 && canaryLatencyTotal <= 0) {
    return {
      verdict: 'no-data',
      reasons: [
        {
          check: 'traffic',
          status: 'no-data',
          message: `canary received no requests in the ${formatDuration(elapsed)} since the analysis started`,
          figures: { elapsedSeconds: elapsed, canaryRequests: 0 },
        },
      ],
    };
  }

  const reasons: Reason[] = [
    errorsVsBaseline(canary, baseline, config),
    successRate(canary, baseline, config),
    ...config.latencyTolerance.quantiles.map((q) => latencyVsBaseline(canary, baseline, q, config)),
    p99Limit(canary, baseline, config),
    ...custom.map((reading) => judgeCustomCheck(reading, config)),
  ];
  const idleTooLong = idle >= config.maxIdleSeconds;
  if (idleTooLong) {
    reasons.push({
      check: 'traffic',
      status: 'no-data',
      message:
        `canary has received no requests for ${formatDuration(idle)} ` +
        `(limit ${formatDuration(config.maxIdleSeconds)}): check that traffic still reaches it`,
      figures: { canaryIdleSeconds: idle, maxIdleSeconds: config.maxIdleSeconds },
    });
  }
  return { verdict: verdictOf(reasons, idleTooLong), reasons: sortReasons(reasons) };
}

/** Cleaned-up traffic: errors never above requests, latency sorted and monotonic. */
interface CleanTraffic {
  readonly requests: number;
  readonly errors: number;
  readonly latency: LatencyBucket[] | undefined;
}

function verdictOf(reasons: readonly Reason[], idleTooLong: boolean): Verdict['verdict'] {
  if (reasons.some((r) => r.status === 'fail')) return 'fail';
  if (idleTooLong) return 'no-data';
  const judged = reasons.filter((r) => r.status !== 'skipped');
  return judged.length > 0 && judged.every((r) => r.status === 'pass') ? 'pass' : 'inconclusive';
}

const STATUS_ORDER: Record<CheckStatus, number> = { fail: 0, 'no-data': 1, pending: 2, pass: 3, skipped: 4 };

function sortReasons(reasons: Reason[]): Reason[] {
  return reasons
    .map((reason, index) => ({ reason, index }))
    .sort((a, b) => STATUS_ORDER[a.reason.status] - STATUS_ORDER[b.reason.status] || a.index - b.index)
    .map(({ reason }) => reason);
}

/**
 * A hard limit (at most `limit` of requests bad). Fails when the canary is confidently beyond it AND,
 * if the baseline served requests, confidently worse than `ratio` x the baseline on the same count.
 * Passes when the canary is confidently within it, or, when a baseline is there to compare with (the
 * comparisons then carry the evidence), when its observed share is within it, as Flagger checks it.
 */
function hardLimit(canary: Count, baseline: Count | undefined, limit: number, ratio: number): Evidence {
  const beyond = upperEvidence(canary.bad, canary.total, limit);
  const compared = baseline !== undefined && baseline.total > 0;
  const worseThanBaseline = compared
    ? upperEvidence(canary.bad, canary.bad + baseline.bad, canaryShare(canary, baseline, ratio))
    : Number.POSITIVE_INFINITY;
  return {
    failEvidence: Math.min(beyond, worseThanBaseline),
    passEvidence: lowerEvidence(canary.bad, canary.total, limit),
    badRequests: canary.bad,
    requests: canary.total,
    beyondLimit: beyond,
    withinObserved: compared && canary.total > 0 && canary.bad <= limit * canary.total,
  };
}

/**
 * The end of a message about a limit the canary confidently breaks while not being worse than its
 * baseline (a problem both versions share), or '' otherwise.
 */
function sharedProblem(evidence: Evidence, config: JudgeConfig, baselineFigure: string): string {
  const bar = failBar(config, evidence);
  const shared =
    (evidence.beyondLimit ?? 0) >= bar &&
    evidence.failEvidence < bar &&
    evidence.badRequests >= config.minBadRequests;
  return shared
    ? `; so is the baseline's, ${baselineFigure}: a problem both versions share is not held against the canary, but it is not promoted either`
    : '';
}

function errorsVsBaseline(canary: CleanTraffic, baseline: CleanTraffic, config: JudgeConfig): Reason {
  const fail: Tolerance = {
    floor: config.errorTolerance.floorPercent / 100,
    ratio: config.errorTolerance.ratio,
  };
  const pass: Tolerance = {
    floor: config.errorTolerance.passFloorPercent / 100,
    ratio: config.passMargin * config.errorTolerance.ratio,
  };
  const figures = {
    canaryErrors: canary.errors,
    canaryRequests: canary.requests,
    baselineErrors: baseline.errors,
    baselineRequests: baseline.requests,
    toleranceFloor: fail.floor,
    toleranceRatio: fail.ratio,
    passFloor: pass.floor,
    passRatio: pass.ratio,
  };
  if (baseline.requests <= 0) {
    return {
      check: 'errors-vs-baseline',
      status: 'skipped',
      message: `no baseline traffic in the window: canary errors ${formatShare(canary.errors, canary.requests)} are judged against the success-rate limit only`,
      figures,
    };
  }
  const evidence = compareWithBaseline(
    { bad: canary.errors, total: canary.requests },
    { bad: baseline.errors, total: baseline.requests },
    fail,
    pass,
  );
  const status = statusOf(evidence, config);
  const head = `canary error rate ${formatShare(canary.errors, canary.requests)} vs baseline ${formatShare(baseline.errors, baseline.requests)}`;
  return {
    check: 'errors-vs-baseline',
    status,
    message: comparisonMessage(head, status, evidence, fail, pass, config),
    figures: { ...figures, ...evidenceFigures(evidence) },
  };
}

/** The sentence of a comparison with the baseline. */
function comparisonMessage(
  head: string,
  status: CheckStatus,
  evidence: Evidence,
  fail: Tolerance,
  pass: Tolerance,
  config: JudgeConfig,
): string {
  if (status === 'fail') {
    return `${head}: ${formatConfidence(confidenceOf(evidence.failEvidence))} sure it is worse than the tolerance (${toleranceText(fail)})`;
  }
  if (status === 'pass') {
    return `${head}: ${formatConfidence(confidenceOf(evidence.passEvidence))} sure it is within ${toleranceText(pass)}`;
  }
  return `${head}: not enough data yet (it fails beyond ${toleranceText(fail)} and passes within ${toleranceText(pass)})${leaning(evidence, config, 'worse', 'within')}`;
}

function successRate(canary: CleanTraffic, baseline: CleanTraffic, config: JudgeConfig): Reason {
  const limit = 1 - config.minSuccessRatePercent / 100;
  const evidence = hardLimit(
    { bad: canary.errors, total: canary.requests },
    { bad: baseline.errors, total: baseline.requests },
    limit,
    config.errorTolerance.ratio,
  );
  const status = statusOf(evidence, config);
  const successes = canary.requests - canary.errors;
  const head = `canary success rate ${formatShare(successes, canary.requests)}`;
  const minimum = `the ${config.minSuccessRatePercent}% minimum`;
  const baselineRate = formatShare(baseline.requests - baseline.errors, baseline.requests);
  const confidentlyWithin = evidence.passEvidence >= passBar(config);
  const shared = sharedProblem(evidence, config, baselineRate);
  const message =
    status === 'fail'
      ? `${head} is below ${minimum}${baseline.requests > 0 ? ` and worse than the baseline's ${baselineRate}` : ''}: ${formatConfidence(confidenceOf(evidence.failEvidence))} sure`
      : status === 'pass'
        ? `${head} meets ${minimum}${confidentlyWithin ? `: ${formatConfidence(confidenceOf(evidence.passEvidence))} sure` : ''}`
        : shared !== ''
          ? `${head} is below ${minimum}${shared}`
          : `${head}: not enough data yet to tell whether it meets ${minimum}${leaning(evidence, config, 'below', 'above')}`;
  return {
    check: 'success-rate',
    status,
    message,
    figures: {
      canarySuccesses: successes,
      canaryRequests: canary.requests,
      minSuccessRatePercent: config.minSuccessRatePercent,
      ...evidenceFigures(evidence),
    },
  };
}

function latencyVsBaseline(
  canary: CleanTraffic,
  baseline: CleanTraffic,
  q: number,
  config: JudgeConfig,
): Reason {
  const name = quantileName(q);
  const figures = { quantile: q };
  if (canary.latency === undefined || baseline.latency === undefined) {
    return {
      check: 'latency-vs-baseline',
      status: 'skipped',
      message: `no latency histogram for the ${canary.latency === undefined ? 'canary' : 'baseline'}: ${name} not compared`,
      figures,
    };
  }
  const baselineTotal = histogramTotal(baseline.latency);
  if (baselineTotal <= 0) {
    return {
      check: 'latency-vs-baseline',
      status: 'skipped',
      message: `no baseline traffic in the window: canary latency is judged against the p99 limit only`,
      figures,
    };
  }
  const needed = Math.ceil(config.minBaselineTail / (1 - q));
  if (baselineTotal < needed) {
    return {
      check: 'latency-vs-baseline',
      status: 'pending',
      message: `baseline served ${formatCount(baselineTotal)} requests; ${needed} needed to place its ${name} before comparing the canary with it`,
      figures: { ...figures, baselineRequests: baselineTotal, baselineRequestsNeeded: needed },
    };
  }
  const boundary = quantileBoundary(baseline.latency, q);
  if (boundary === undefined) {
    return {
      check: 'latency-vs-baseline',
      status: 'skipped',
      message: `baseline ${name} is above the last finite latency bucket: ${name} not compared`,
      figures,
    };
  }
  const canaryTotal = histogramTotal(canary.latency);
  const canarySlow = countSlowerThanBoundary(canary.latency, boundary);
  const baselineSlow = countSlowerThanBoundary(baseline.latency, boundary);
  const fail: Tolerance = { floor: 1 - q, ratio: config.latencyTolerance.ratio };
  const pass: Tolerance = { floor: config.passMargin * fail.floor, ratio: config.passMargin * fail.ratio };
  const evidence = compareWithBaseline(
    { bad: canarySlow, total: canaryTotal },
    { bad: baselineSlow, total: baselineTotal },
    fail,
    pass,
  );
  const status = statusOf(evidence, config);
  const head =
    `canary requests slower than ${formatMilliseconds(boundary)} (the bucket above the baseline's ${name}): ` +
    `${formatShare(canarySlow, canaryTotal)} vs baseline ${formatShare(baselineSlow, baselineTotal)}`;
  const message = comparisonMessage(head, status, evidence, fail, pass, config);
  return {
    check: 'latency-vs-baseline',
    status,
    message,
    figures: {
      ...figures,
      boundaryMs: boundary,
      canarySlow,
      canaryRequests: canaryTotal,
      baselineSlow,
      baselineRequests: baselineTotal,
      toleranceFloor: fail.floor,
      toleranceRatio: fail.ratio,
      passFloor: pass.floor,
      passRatio: pass.ratio,
      ...evidenceFigures(evidence),
    },
  };
}

function p99Limit(canary: CleanTraffic, baseline: CleanTraffic, config: JudgeConfig): Reason {
  const limitText = `the ${formatMilliseconds(config.maxP99Ms)} limit`;
  if (canary.latency === undefined) {
    return {
      check: 'p99-limit',
      status: 'skipped',
      message: `no latency histogram for the canary: p99 not checked against ${limitText}`,
      figures: { maxP99Ms: config.maxP99Ms },
    };
  }
  const total = histogramTotal(canary.latency);
  // Requests above the boundary at or above the limit surely exceed it; those above the one below may.
  const upper = boundaryAtOrAbove(canary.latency, config.maxP99Ms);
  const lower = boundaryAtOrBelow(canary.latency, config.maxP99Ms);
  const surelySlow = upper === Number.POSITIVE_INFINITY ? 0 : countSlowerThanBoundary(canary.latency, upper);
  const maybeSlow = lower === 0 ? total : countSlowerThanBoundary(canary.latency, lower);
  const baselineCount = slowCount(baseline.latency, upper);
  const p99 = histogramQuantile(0.99, canary.latency);
  const limit = hardLimit({ bad: surelySlow, total }, baselineCount, 0.01, config.latencyTolerance.ratio);
  const evidence: Evidence = {
    ...limit,
    passEvidence: lowerEvidence(maybeSlow, total, 0.01),
    // Observed as Flagger observes it: the interpolated p99 within the limit.
    withinObserved: limit.withinObserved === true && p99 <= config.maxP99Ms,
  };
  const status = total > 0 ? statusOf(evidence, config) : 'pending';
  const head = `canary p99 ≈ ${formatMilliseconds(p99)} over ${formatCount(total)} requests`;
  const boundaryNote = upper === config.maxP99Ms ? '' : ` (the first bucket boundary above the limit)`;
  const baselineShare =
    baselineCount === undefined ? '' : formatShare(baselineCount.bad, baselineCount.total);
  const shared = sharedProblem(evidence, config, `${baselineShare} slower than ${formatMilliseconds(upper)}`);
  const message =
    status === 'fail'
      ? `${head} is above ${limitText}: ${formatShare(surelySlow, total)} took longer than ${formatMilliseconds(upper)}${boundaryNote}${baselineCount === undefined || baselineCount.total <= 0 ? '' : ` (baseline ${baselineShare})`}; ${formatConfidence(confidenceOf(evidence.failEvidence))} sure more than 1% do`
      : status === 'pass'
        ? evidence.passEvidence >= passBar(config)
          ? `${head} is within ${limitText}: ${formatConfidence(confidenceOf(evidence.passEvidence))} sure at most 1% of requests take longer`
          : `${head} is within ${limitText}`
        : shared !== ''
          ? `${head} is above ${limitText}: ${formatShare(surelySlow, total)} took longer than ${formatMilliseconds(upper)}${shared}`
          : `${head}: not enough data yet to tell whether it is within ${limitText}${leaning(evidence, config, 'above', 'within')}`;
  return {
    check: 'p99-limit',
    status,
    message,
    figures: {
      canaryP99Ms: p99,
      maxP99Ms: config.maxP99Ms,
      canarySlow: surelySlow,
      canaryRequests: total,
      ...evidenceFigures(evidence),
    },
  };
}

/** Requests of a version slower than a bucket boundary, if its histogram is known. */
function slowCount(latency: LatencyBucket[] | undefined, boundary: number): Count | undefined {
  if (latency === undefined) return undefined;
  const total = histogramTotal(latency);
  const bad = boundary === Number.POSITIVE_INFINITY ? 0 : countSlowerThanBoundary(latency, boundary);
  return { bad, total };
}

function cleanTraffic(traffic: VersionTraffic, version: string): CleanTraffic {
  const requests = nonNegative(traffic.requests, `${version}.requests`);
  const errors = Math.min(nonNegative(traffic.errors, `${version}.errors`), requests);
  if (traffic.latency === undefined) return { requests, errors, latency: undefined };
  for (const bucket of traffic.latency) nonNegative(bucket.count, `${version}.latency[le=${bucket.le}]`);
  return { requests, errors, latency: normalizeHistogram(traffic.latency) };
}

/** Custom readings with valid definitions and counts; a bad definition is a configuration error. */
function cleanCustom(readings: readonly CustomCheckReading[]): CustomCheckReading[] {
  const problems = readings.flatMap((reading) => customCheckProblems(reading.check));
  if (problems.length > 0) throw new InvalidJudgeConfigError(`invalid custom checks: ${problems.join('; ')}`);
  return readings.map((reading) => {
    if ('minutes' in reading) return reading;
    const count = (side: 'canary' | 'baseline') => {
      const total = nonNegative(reading[side].total, `${reading.check.name}.${side}.total`);
      const events = Math.min(
        nonNegative(reading[side].events, `${reading.check.name}.${side}.events`),
        total,
      );
      return { events, total };
    };
    return { check: reading.check, canary: count('canary'), baseline: count('baseline') };
  });
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidJudgeInputError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

function validateConfig(config: JudgeConfig): void {
  const problems: string[] = [];
  const within = (value: number, low: number, high: number, name: string) => {
    if (!(value > low && value < high)) problems.push(`${name} must be in (${low}, ${high}), got ${value}`);
  };
  within(config.minSuccessRatePercent, 0, 100, 'minSuccessRatePercent');
  within(config.maxP99Ms, 0, Number.POSITIVE_INFINITY, 'maxP99Ms');
  within(config.errorTolerance.floorPercent, 0, 100, 'errorTolerance.floorPercent');
  within(config.failConfidence, 0, 1, 'failConfidence');
  within(config.passConfidence, 0, 1, 'passConfidence');
  within(config.maxIdleSeconds, 0, Number.POSITIVE_INFINITY, 'maxIdleSeconds');
  for (const q of config.latencyTolerance.quantiles) within(q, 0, 1, 'latencyTolerance.quantiles[]');
  if (!(config.errorTolerance.ratio >= 1)) problems.push('errorTolerance.ratio must be >= 1');
  if (!(config.latencyTolerance.ratio >= 1)) problems.push('latencyTolerance.ratio must be >= 1');
  if (!(config.passMargin >= 1)) problems.push('passMargin must be >= 1');
  within(config.errorTolerance.passFloorPercent, 0, 100, 'errorTolerance.passFloorPercent');
  if (!(config.minBadRequests >= 0)) problems.push('minBadRequests must be >= 0');
  if (!(config.minBaselineTail >= 0)) problems.push('minBaselineTail must be >= 0');
  if (!(config.minRequests >= 0)) problems.push('minRequests must be >= 0');
  if (problems.length > 0) throw new InvalidJudgeConfigError(`invalid judge config: ${problems.join('; ')}`);
}
