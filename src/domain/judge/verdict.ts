/**
 * What the judge reads and what it says. Counts are cumulative since the analysis (or step) started,
 * for the canary and for the baseline (the stable version serving the rest of the traffic in the same
 * window), as `increase(...[elapsed])` over Istio's standard metrics gives them.
 */
import type { LatencyBucket } from './latency-histogram.js';

/** Traffic one version served during the analysis window. Counts may be fractional (extrapolation). */
export interface VersionTraffic {
  /** All requests (`istio_requests_total`). */
  readonly requests: number;
  /** Requests answered with a 5xx code. */
  readonly errors: number;
  /** Cumulative latency buckets (`istio_request_duration_milliseconds_bucket`), or none if unknown. */
  readonly latency?: readonly LatencyBucket[];
}

/** One look at the analysis. */
export interface JudgeInput {
  readonly canary: VersionTraffic;
  readonly baseline: VersionTraffic;
  /** Seconds since the analysis window started. */
  readonly elapsedSeconds: number;
  /** Seconds since the canary last served a request (equal to `elapsedSeconds` if it never did). */
  readonly canaryIdleSeconds: number;
  /** Custom checks read for this look, judged beside the built-in ones. */
  readonly custom?: readonly CustomCheckReading[];
}

/**
 * A check a team defines on its own metric, compared between canary and baseline with the same
 * always-valid tests and the same fail and pass confidences as the built-in checks.
 */
export type CustomCheck = RatioCheck | BoundedCheck;

/** A share of events (failed checkouts per checkout, conversions per visit), compared like the error rate. */
export interface RatioCheck {
  readonly kind: 'ratio';
  readonly name: string;
  /** Whether a lower share (failures) or a higher one (conversions) is better. */
  readonly better: 'lower' | 'higher';
  /**
   * A share on the good side of the floor (below it, or above it when higher is better) is never held
   * against the canary; in (0, 1).
   */
  readonly floor: number;
  /** The canary's share may be `ratio` times worse than the baseline's (>= 1). */
  readonly ratio: number;
}

/**
 * A metric read once a minute within known bounds, that does not scale with the traffic share (a cache
 * hit ratio, memory per pod), compared by its mean: a guard that fails on evidence and passes on the
 * observed means (see custom-check.ts).
 */
export interface BoundedCheck {
  readonly kind: 'bounded';
  readonly name: string;
  readonly better: 'lower' | 'higher';
  /** Every per-minute value lies in [min, max]; values outside are clamped. */
  readonly min: number;
  readonly max: number;
  /** The canary's mean may be worse than the baseline's by `absolute` units plus `relative` x the baseline's. */
  readonly absolute: number;
  readonly relative: number;
}

/** Events and opportunities of one version over the analysis window. */
export interface EventCount {
  readonly events: number;
  readonly total: number;
}

/** One minute of a bounded metric, for both versions. */
export interface MinutePair {
  readonly canary: number;
  readonly baseline: number;
}

/** What a custom check read for one look: counts since the step began, or one pair of values a minute. */
export type CustomCheckReading =
  | { readonly check: RatioCheck; readonly canary: EventCount; readonly baseline: EventCount }
  | { readonly check: BoundedCheck; readonly minutes: readonly MinutePair[] };

/** Tunables, with Flagger's thresholds as hard limits. See `DEFAULT_JUDGE_CONFIG`. */
export interface JudgeConfig {
  /**
   * Hard limit like Flagger's `request-success-rate` min, in percent (99). The canary must be
   * confidently within it to pass; it fails on it only when it is also worse than the baseline (the
   * errors ratio), so a problem both versions share (a dependency down) holds the canary back without
   * rolling it back. With no baseline traffic the limit alone decides.
   */
  readonly minSuccessRatePercent: number;
  /** Hard limit like Flagger's `request-duration` max for the p99, in ms (500); like the success rate. */
  readonly maxP99Ms: number;
  /**
   * The canary's error rate is acceptable up to the larger of `floorPercent` and `ratio` x baseline's:
   * error rates under the floor are never held against it, and above it only a real multiple counts.
   * It passes when confidently under the larger of `passFloorPercent` and passMargin x ratio x baseline.
   */
  readonly errorTolerance: {
    readonly ratio: number;
    readonly floorPercent: number;
    readonly passFloorPercent: number;
  };
  /**
   * Latency is compared at each quantile q of the baseline: the share of canary requests slower than
   * the bucket boundary above the baseline's q-quantile is acceptable up to the larger of (1 - q) and
   * `ratio` x the baseline's share. It passes when confidently under passMargin times both.
   */
  readonly latencyTolerance: { readonly ratio: number; readonly quantiles: readonly number[] };
  /**
   * Confidence needed to fail a check: a canary within a check's tolerance fails it at most
   * 1 - failConfidence of the time over the whole analysis, however many looks (e.g. 0.99).
   */
  readonly failConfidence: number;
  /**
   * Confidence needed to pass a check, e.g. 0.99: a canary beyond a check's pass tolerance passes it at
   * most 1 - passConfidence of the time over the whole analysis, however many looks.
   */
  readonly passConfidence: number;
  /**
   * A comparison with the baseline passes when the canary is confidently within a pass tolerance wider
   * than the fail tolerance: `passMargin` times its ratios (and times latency's floor; errors have
   * their own `passFloorPercent`). Between the two tolerances neither verdict is owed (Wald's
   * indifference zone): a canary a little worse than the fail tolerance may pass, and a healthy canary
   * passes on a fraction of the data a pass at the fail tolerance would need.
   */
  readonly passMargin: number;
  /** A check never fails on fewer failing (or slow) canary requests than this. */
  readonly minBadRequests: number;
  /**
   * Below this many canary requests a check fails only on overwhelming evidence: the square of the
   * usual bar (99.99% instead of 99%), so a handful of unlucky requests never rolls back.
   */
  readonly minRequests: number;
  /** Baseline requests needed above its q-quantile (n * (1 - q)) before latency is compared at q. */
  readonly minBaselineTail: number;
  /** Report `no-data` when the canary has served nothing for this long. */
  readonly maxIdleSeconds: number;
}

/** Defaults: Flagger's usual limits (99%, 500 ms) plus the comparison with the baseline. */
export const DEFAULT_JUDGE_CONFIG: JudgeConfig = {
  minSuccessRatePercent: 99,
  maxP99Ms: 500,
  errorTolerance: { ratio: 1.5, floorPercent: 0.25, passFloorPercent: 1 },
  latencyTolerance: { ratio: 2, quantiles: [0.9, 0.99] },
  failConfidence: 0.99,
  passConfidence: 0.99,
  passMargin: 2,
  minBadRequests: 3,
  minRequests: 20,
  minBaselineTail: 10,
  maxIdleSeconds: 300,
};

/**
 * `pass`: every check is confidently within its limits; `fail`: at least one check is confidently
 * outside (roll back); `inconclusive`: not enough data yet either way; `no-data`: the canary served no
 * request (or none for too long): never promote on it.
 */
export type VerdictKind = 'pass' | 'fail' | 'inconclusive' | 'no-data';

/** The checks the judge runs. */
export type CheckName =
  | 'traffic'
  | 'errors-vs-baseline'
  | 'success-rate'
  | 'latency-vs-baseline'
  | 'p99-limit'
  | 'custom';

/** Outcome of one check: `pending` = not enough data yet; `skipped` = could not run; `no-data` = no canary traffic. */
export type CheckStatus = 'pass' | 'fail' | 'pending' | 'skipped' | 'no-data';

/** One reason, a plain sentence and the numbers behind it. */
export interface Reason {
  readonly check: CheckName;
  /** The custom check's name, for `custom` reasons. */
  readonly name?: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly figures: Readonly<Record<string, number>>;
}

/** The judge's answer: a verdict and every reason, failing ones first. */
export interface Verdict {
  readonly verdict: VerdictKind;
  readonly reasons: readonly Reason[];
}

/** A configuration value is out of range; the message says which one. */
export class InvalidJudgeConfigError extends Error {
  override readonly name = 'InvalidJudgeConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A count is negative or not a number; the message says which one. */
export class InvalidJudgeInputError extends Error {
  override readonly name = 'InvalidJudgeInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
