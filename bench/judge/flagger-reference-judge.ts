/**
 * Flagger's default analysis, reimplemented from its behaviour (fluxcd/flagger, read at commit
 * 15bd6ad5, pkg/controller/scheduler.go, scheduler_metrics.go, pkg/metrics/observers/istio.go,
 * pkg/metrics/providers/prometheus.go):
 *
 * - Every `interval` (60 s) the scheduler first checks whether `status.failedChecks >= threshold` and
 *   rolls back if so; only then does it run the metric checks, and a failing check does
 *   `failedChecks + 1`. So the rollback happens on the tick AFTER the threshold-th failure.
 * - `failedChecks` is never reset by a successful check: it is set to 0 only when a new analysis starts
 *   (new revision, `SyncStatus` with `FailedChecks: 0`). Failures accumulate over the whole analysis.
 * - `request-success-rate` = non-5xx rate / all rate * 100 over `[1m]`; fails when below the minimum.
 * - `request-duration` = `histogram_quantile(0.99, sum(rate(..._bucket[1m])) by (le))`, truncated to whole
 *   milliseconds (`time.Duration(int64(value)) * time.Millisecond`); fails when above the maximum.
 * - An empty or NaN query result is `ErrNoValuesFound` and fails the check ("Halt advancement no values
 *   found ... probably ... is not receiving traffic"): a minute without canary traffic is a failure.
 * - The checks run in order and the first failure ends the tick: at most one failed check per tick.
 *
 * Simplification, in Flagger's favour: the window is exactly the last 60 s of requests, whereas
 * Prometheus' rate() over [1m] with a 15 s scrape sees about 45 s and extrapolates.
 */
import { histogramQuantile, type LatencyBucket } from '../../src/domain/judge/index.js';

/** The canary's traffic over the last interval. */
export interface WindowCounts {
  readonly requests: number;
  readonly errors: number;
  readonly latency: readonly LatencyBucket[];
}

/** Flagger's analysis settings (the defaults most configurations use). */
export interface FlaggerSettings {
  readonly minSuccessRatePercent: number;
  readonly maxP99Ms: number;
  readonly threshold: number;
}

export const FLAGGER_DEFAULTS: FlaggerSettings = { minSuccessRatePercent: 99, maxP99Ms: 500, threshold: 5 };

/** One analysis run of Flagger's scheduler, tick by tick. */
export class FlaggerReferenceJudge {
  private failedChecks = 0;
  private lastPassed = false;

  constructor(private readonly settings: FlaggerSettings = FLAGGER_DEFAULTS) {}

  /** Failed checks so far. */
  get failures(): number {
    return this.failedChecks;
  }

  /** Whether the checks of the last tick passed (Flagger then advances the canary). */
  get lastCheckPassed(): boolean {
    return this.lastPassed;
  }

  /** One tick with the last interval's canary traffic: roll back, or keep analysing. */
  tick(window: WindowCounts): 'rollback' | 'continue' {
    this.lastPassed = false;
    if (this.failedChecks >= this.settings.threshold) return 'rollback';
    this.lastPassed = this.checksPass(window);
    if (!this.lastPassed) this.failedChecks++;
    return 'continue';
  }

  /** Whether the built-in metric checks pass on one window. */
  checksPass(window: WindowCounts): boolean {
    if (!(window.requests > 0)) return false;
    const successRate = ((window.requests - window.errors) / window.requests) * 100;
    if (successRate < this.settings.minSuccessRatePercent) return false;
    const p99 = histogramQuantile(0.99, window.latency);
    if (Number.isNaN(p99)) return false;
    return Math.trunc(p99) <= this.settings.maxP99Ms;
  }
}
