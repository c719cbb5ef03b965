/**
 * An Argo Rollouts background analysis, reimplemented from its behaviour (argoproj/argo-rollouts read
 * at 9f8d111d: docs/features/analysis.md, docs/analysis/prometheus.md, utils/evaluate/evaluate.go,
 * analysis/analysis.go, utils/analysis/helpers.go):
 *
 * - Each metric is measured every `interval` (5m in the docs' examples).
 * - A measurement is `Successful` when the success condition holds; without a failure condition it is
 *   `Failed` otherwise; with both conditions, a value meeting neither is `Inconclusive`. A NaN result
 *   (0/0 when the canary served nothing) meets no condition.
 * - A metric is `Failed` once its failed measurements exceed `failureLimit` (they are counted over the
 *   whole run, never reset), and `Inconclusive` once its inconclusive measurements exceed
 *   `inconclusiveLimit` (default 0: the first one). The run takes the worst metric phase (Failed worse
 *   than Inconclusive); a Failed run aborts the rollout (rollback), an Inconclusive one pauses it until
 *   a person resumes or aborts it; either way the run stops measuring.
 *
 * The template, from the docs' examples, on the canary's own service:
 *
 * - `success-rate`: `sum(irate(istio_requests_total{...,response_code!~"5.*"}[5m])) /
 *   sum(irate(istio_requests_total{...}[5m]))`, `successCondition: result[0] >= 0.95`, `failureLimit: 3`.
 * - `latency`: `histogram_quantile(0.99, sum(irate(istio_request_duration_milliseconds_bucket{...}[5m]))
 *   by (le))`, `successCondition: result[0] <= 500`, `failureCondition: result[0] >= 1000` (the docs'
 *   way to leave the middle to a person), `failureLimit: 3`.
 *
 * `irate` uses the last two samples of the range: with a 15 s scrape, the last 15 s of requests.
 * The rollout: `setWeight: 10`, `pause: {duration: 5m}` (the same minimum as ours); the step passes
 * when the pause ends while the run is neither Failed nor Inconclusive. The measurement at the run's
 * start finds no canary series yet (an Error, harmless below 5 in a row) and is left out.
 */
import { histogramQuantile } from '../../src/domain/judge/index.js';
import { cumulativeBuckets, perBucket, type WindowCounts } from './traffic.js';

/** The template and rollout settings. */
export interface ArgoSettings {
  readonly intervalMinutes: number;
  readonly minSuccessRate: number;
  readonly maxP99Ms: number;
  readonly failP99Ms: number;
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly pauseMinutes: number;
}

export const ARGO_DEFAULTS: ArgoSettings = {
  intervalMinutes: 5,
  minSuccessRate: 0.95,
  maxP99Ms: 500,
  failP99Ms: 1000,
  failureLimit: 3,
  inconclusiveLimit: 0,
  pauseMinutes: 5,
};

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive';

/** What the rollout does after a minute. */
export type ArgoDecision = 'rollback' | 'pause' | 'pass' | 'continue';

interface MetricTally {
  failed: number;
  inconclusive: number;
}

/** One background analysis run over one canary step. */
export class ArgoReferenceJudge {
  private readonly successRate: MetricTally = { failed: 0, inconclusive: 0 };
  private readonly latency: MetricTally = { failed: 0, inconclusive: 0 };
  private done = false;

  constructor(private readonly settings: ArgoSettings = ARGO_DEFAULTS) {}

  /**
   * One minute has passed; `last15s` is what `irate` sees at its end (the canary's last 15 s).
   */
  minute(minute: number, last15s: WindowCounts): ArgoDecision {
    if (this.done) return 'continue';
    if (minute % this.settings.intervalMinutes === 0) {
      this.record(this.successRate, this.measureSuccessRate(last15s));
      this.record(this.latency, this.measureLatency(last15s));
      const phase = this.runPhase();
      if (phase !== 'Running') {
        this.done = true;
        return phase === 'Failed' ? 'rollback' : 'pause';
      }
    }
    return minute === this.settings.pauseMinutes ? 'pass' : 'continue';
  }

  /** `result[0] >= 0.95` with no failure condition. */
  measureSuccessRate(window: WindowCounts): MeasurementPhase {
    const value = (window.requests - window.errors) / window.requests;
    return value >= this.settings.minSuccessRate ? 'Successful' : 'Failed';
  }

  /** `result[0] <= 500` and `result[0] >= 1000`; NaN meets neither. */
  measureLatency(window: WindowCounts): MeasurementPhase {
    const p99 = histogramQuantile(0.99, cumulativeBuckets(perBucket(window)));
    if (p99 <= this.settings.maxP99Ms) return 'Successful';
    if (p99 >= this.settings.failP99Ms) return 'Failed';
    return 'Inconclusive';
  }

  private record(tally: MetricTally, phase: MeasurementPhase): void {
    if (phase === 'Failed') tally.failed++;
    if (phase === 'Inconclusive') tally.inconclusive++;
  }

  private runPhase(): 'Failed' | 'Inconclusive' | 'Running' {
    const tallies = [this.successRate, this.latency];
    if (tallies.some((t) => t.failed > this.settings.failureLimit)) return 'Failed';
    if (tallies.some((t) => t.inconclusive > this.settings.inconclusiveLimit)) return 'Inconclusive';
    return 'Running';
  }
}
