/**
 * The judge during a bake: the release's last step sends all traffic to the canary, so no baseline serves
 * requests in the same window any more. The canary's live traffic is compared instead with the baseline's
 * figures recorded during the last analysis before 100% (the reference), each check a one-sample test.
 *
 * Why one-sample: the comparison with a live baseline conditions on the bad requests of both versions in
 * the same window, which is what keeps it valid at every look; a reference recorded once does not grow with
 * the canary, so that argument does not hold. Here the reference rate is a fixed threshold instead, and the
 * test asks whether the canary's rate is above `max(floor, ratio × reference)`: against a fixed threshold
 * the mixture e-values of sequential-test.ts stay valid at every look. The reference is itself a sample, so
 * its rate is padded up first (three more bad requests than it saw, the "rule of three"), which makes a
 * rollback on a reference that happened to look good by chance less likely.
 *
 * What it cannot see: a problem that hits both versions alike (the reference is from another time, so a
 * shared dependency that breaks now counts against the canary), a change of traffic mix since the
 * reference was recorded, and custom checks (they need a live baseline). Without a reference (no step
 * before 100% had baseline traffic, e.g. a blue/green switch) only the absolute limits apply.
 */
import { statusOf } from './evidence.js';
import {
  boundaryAtOrAbove,
  countSlowerThanBoundary,
  histogramTotal,
  type LatencyBucket,
  normalizeHistogram,
  quantileBoundary,
} from './latency-histogram.js';
import { confidenceOf, lowerEvidence, upperEvidence } from './sequential-test.js';
import {
  type CheckStatus,
  DEFAULT_JUDGE_CONFIG,
  InvalidJudgeInputError,
  type JudgeConfig,
  type Reason,
  type Verdict,
  type VersionTraffic,
} from './verdict.js';
import {
  formatConfidence,
  formatDuration,
  formatMilliseconds,
  formatPercent,
  formatShare,
  quantileName,
} from './wording.js';

/** Bad requests added to the reference's count before its rate is used as a threshold. */
export const REFERENCE_PADDING = 3;

/** The largest threshold a check uses: there must be something left to be within. */
const MAX_THRESHOLD = 0.999;

/** One look during a bake. */
export interface BakeInput {
  /** The canary's traffic since the bake started. */
  readonly canary: VersionTraffic;
  /** The baseline's figures recorded before 100%; none: only the absolute limits apply. */
  readonly reference?: VersionTraffic;
  readonly elapsedSeconds: number;
  readonly canaryIdleSeconds: number;
}

/**
 * Judges one look during a bake. `fail` when a check is confidently beyond its threshold (on at least
 * `minBadRequests` bad requests); `no-data` when the canary served nothing; `pass` when every check is
 * confidently within; `inconclusive` otherwise.
 *
 * @example
 * judgeBake({ canary: { requests: 4000, errors: 200 }, reference: { requests: 20000, errors: 10 },
 *   elapsedSeconds: 300, canaryIdleSeconds: 0 }).verdict // 'fail'
 * @throws InvalidJudgeInputError
 */
export function judgeBake(input: BakeInput, config: JudgeConfig = DEFAULT_JUDGE_CONFIG): Verdict {
  const canary = clean(input.canary, 'canary');
  const reference = input.reference && clean(input.reference, 'reference');
  const elapsed = nonNegative(input.elapsedSeconds, 'elapsedSeconds');
  const idle = nonNegative(input.canaryIdleSeconds, 'canaryIdleSeconds');
  if (canary.requests <= 0) {
    return {
      verdict: 'no-data',
      reasons: [
        {
          check: 'traffic',
          status: 'no-data',
          message: `canary received no requests in the ${formatDuration(elapsed)} since the bake started: nothing to judge`,
          figures: { elapsedSeconds: elapsed, canaryRequests: 0 },
        },
      ],
    };
  }
  const reasons: Reason[] = [
    errors(canary, reference, config),
    ...config.latencyTolerance.quantiles.map((q) => latency(canary, reference, q, config)),
    p99(canary, reference, config),
  ];
  const idleTooLong = idle >= config.maxIdleSeconds;
  if (idleTooLong)
    reasons.push({
      check: 'traffic',
      status: 'no-data',
      message: `canary has received no requests for ${formatDuration(idle)} (limit ${formatDuration(config.maxIdleSeconds)}): check that traffic still reaches it`,
      figures: { canaryIdleSeconds: idle },
    });
  const verdict: Verdict['verdict'] = reasons.some((r) => r.status === 'fail')
    ? 'fail'
    : idleTooLong
      ? 'no-data'
      : reasons.filter((r) => r.status !== 'skipped').every((r) => r.status === 'pass')
        ? 'pass'
        : 'inconclusive';
  const order: Record<CheckStatus, number> = { fail: 0, 'no-data': 1, pending: 2, pass: 3, skipped: 4 };
  return { verdict, reasons: [...reasons].sort((a, b) => order[a.status] - order[b.status]) };
}

/**
 * The threshold a share is held to: the larger of `floor` and `ratio` × the reference's padded share.
 *
 * @example bakeThreshold(0.0025, 1.5, { bad: 10, total: 20000 }) // 0.0025 (1.5 × 13/20000 is below the floor)
 */
export function bakeThreshold(
  floor: number,
  ratio: number,
  reference: { readonly bad: number; readonly total: number } | undefined,
): number {
  const padded =
    reference && reference.total > 0 ? Math.min(1, (reference.bad + REFERENCE_PADDING) / reference.total) : 0;
  return Math.min(MAX_THRESHOLD, Math.max(floor, ratio * padded));
}

interface Clean {
  readonly requests: number;
  readonly errors: number;
  readonly latency: LatencyBucket[] | undefined;
}

function clean(t: VersionTraffic, who: string): Clean {
  const requests = nonNegative(t.requests, `${who}.requests`);
  const errors = Math.min(nonNegative(t.errors, `${who}.errors`), requests);
  return { requests, errors, latency: t.latency ? normalizeHistogram(t.latency) : undefined };
}

function nonNegative(value: number, name: string): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new InvalidJudgeInputError(`${name} must be a number >= 0, not ${value}`);
  return value;
}

/** A one-sample check of `bad` out of `total` against a fail and a pass threshold. */
function check(
  bad: number,
  total: number,
  failAt: number,
  passAt: number,
  config: JudgeConfig,
): { status: CheckStatus; failEvidence: number; passEvidence: number } {
  const evidence = {
    failEvidence: upperEvidence(bad, total, failAt),
    passEvidence: lowerEvidence(bad, total, Math.min(passAt, MAX_THRESHOLD)),
    badRequests: bad,
    requests: total,
  };
  return { status: statusOf(evidence, config), ...evidence };
}

function sentence(
  head: string,
  c: { status: CheckStatus; failEvidence: number; passEvidence: number },
  failAt: number,
  passAt: number,
  against: string,
): string {
  if (c.status === 'fail')
    return `${head}: ${formatConfidence(confidenceOf(c.failEvidence))} sure it is above ${formatPercent(failAt)} (${against})`;
  if (c.status === 'pass')
    return `${head}: ${formatConfidence(confidenceOf(c.passEvidence))} sure it is within ${formatPercent(passAt)}`;
  return `${head}: not enough data yet (it fails above ${formatPercent(failAt)}, ${against}, and passes within ${formatPercent(passAt)})`;
}

function errors(canary: Clean, reference: Clean | undefined, config: JudgeConfig): Reason {
  const limit = 1 - config.minSuccessRatePercent / 100;
  const ref =
    reference && reference.requests > 0 ? { bad: reference.errors, total: reference.requests } : undefined;
  // Without a reference, the success-rate minimum alone; with one, the errors tolerance against it.
  const failAt = ref
    ? bakeThreshold(config.errorTolerance.floorPercent / 100, config.errorTolerance.ratio, ref)
    : Math.min(MAX_THRESHOLD, limit);
  const passAt = ref
    ? bakeThreshold(
        config.errorTolerance.passFloorPercent / 100,
        config.passMargin * config.errorTolerance.ratio,
        ref,
      )
    : limit;
  const c = check(canary.errors, canary.requests, failAt, passAt, config);
  const against = ref
    ? `the larger of ${formatPercent(config.errorTolerance.floorPercent / 100)} and ${config.errorTolerance.ratio} × the recorded baseline's ${formatShare(ref.bad, ref.total)}`
    : `the ${config.minSuccessRatePercent}% success-rate minimum; no baseline figures were recorded`;
  return {
    check: ref ? 'errors-vs-baseline' : 'success-rate',
    status: c.status,
    message: sentence(
      `canary errors during the bake ${formatShare(canary.errors, canary.requests)}`,
      c,
      failAt,
      passAt,
      against,
    ),
    figures: {
      canaryErrors: canary.errors,
      canaryRequests: canary.requests,
      ...(ref ? { referenceErrors: ref.bad, referenceRequests: ref.total } : {}),
      threshold: failAt,
      failConfidence: confidenceOf(c.failEvidence),
      passConfidence: confidenceOf(c.passEvidence),
    },
  };
}

function latency(canary: Clean, reference: Clean | undefined, q: number, config: JudgeConfig): Reason {
  const name = quantileName(q);
  const skipped = (message: string): Reason => ({
    check: 'latency-vs-baseline',
    status: 'skipped',
    message,
    figures: { quantile: q },
  });
  if (!canary.latency) return skipped(`no latency histogram for the canary: ${name} not compared`);
  if (!reference?.latency)
    return skipped(`no recorded baseline latency: ${name} not compared during the bake`);
  const referenceTotal = histogramTotal(reference.latency);
  const needed = Math.ceil(config.minBaselineTail / (1 - q));
  if (referenceTotal < needed)
    return skipped(
      `the recorded baseline has ${referenceTotal} requests, ${needed} needed to place its ${name}`,
    );
  const boundary = quantileBoundary(reference.latency, q);
  if (boundary === undefined)
    return skipped(`the recorded baseline's ${name} is above the last finite latency bucket: not compared`);
  const total = histogramTotal(canary.latency);
  const slow = countSlowerThanBoundary(canary.latency, boundary);
  const ref = { bad: countSlowerThanBoundary(reference.latency, boundary), total: referenceTotal };
  const failAt = bakeThreshold(1 - q, config.latencyTolerance.ratio, ref);
  const passAt = bakeThreshold(
    config.passMargin * (1 - q),
    config.passMargin * config.latencyTolerance.ratio,
    ref,
  );
  const c = check(slow, total, failAt, passAt, config);
  return {
    check: 'latency-vs-baseline',
    status: c.status,
    message: sentence(
      `canary requests slower than ${formatMilliseconds(boundary)} (the bucket above the recorded baseline's ${name}) ${formatShare(slow, total)}`,
      c,
      failAt,
      passAt,
      `${config.latencyTolerance.ratio} × the recorded baseline's ${formatShare(ref.bad, ref.total)}`,
    ),
    figures: {
      quantile: q,
      boundaryMs: boundary,
      canarySlow: slow,
      canaryRequests: total,
      referenceSlow: ref.bad,
      referenceRequests: ref.total,
      threshold: failAt,
      failConfidence: confidenceOf(c.failEvidence),
      passConfidence: confidenceOf(c.passEvidence),
    },
  };
}

function p99(canary: Clean, reference: Clean | undefined, config: JudgeConfig): Reason {
  const limitText = `the ${formatMilliseconds(config.maxP99Ms)} limit`;
  if (!canary.latency)
    return {
      check: 'p99-limit',
      status: 'skipped',
      message: `no latency histogram for the canary: p99 not checked against ${limitText}`,
      figures: { maxP99Ms: config.maxP99Ms },
    };
  const total = histogramTotal(canary.latency);
  const boundary = boundaryAtOrAbove(canary.latency, config.maxP99Ms);
  const slow = boundary === Number.POSITIVE_INFINITY ? 0 : countSlowerThanBoundary(canary.latency, boundary);
  const refTotal = reference?.latency ? histogramTotal(reference.latency) : 0;
  const ref =
    reference?.latency && refTotal > 0 && boundary !== Number.POSITIVE_INFINITY
      ? { bad: countSlowerThanBoundary(reference.latency, boundary), total: refTotal }
      : undefined;
  const failAt = bakeThreshold(0.01, config.latencyTolerance.ratio, ref);
  const c = check(slow, total, failAt, 0.01, config);
  const against = ref
    ? `${limitText}, or ${config.latencyTolerance.ratio} × the recorded baseline's ${formatShare(ref.bad, ref.total)} if more`
    : limitText;
  return {
    check: 'p99-limit',
    status: c.status,
    message: sentence(
      `canary requests slower than ${formatMilliseconds(boundary)} during the bake ${formatShare(slow, total)}`,
      c,
      failAt,
      0.01,
      against,
    ),
    figures: {
      canarySlow: slow,
      canaryRequests: total,
      maxP99Ms: config.maxP99Ms,
      threshold: failAt,
      failConfidence: confidenceOf(c.failEvidence),
      passConfidence: confidenceOf(c.passEvidence),
    },
  };
}
