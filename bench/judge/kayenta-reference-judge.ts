/**
 * Kayenta's canary judge (NetflixACAJudge) over Spinnaker's interval scheme, reimplemented from its
 * behaviour (spinnaker/kayenta read at a69573be: kayenta-judge NetflixACAJudge.scala,
 * MannWhitneyClassifier.scala, WeightedSumScorer.scala, ThresholdScoreClassifier.scala;
 * kayenta-standalone-canary-analysis SetupAndExecuteCanariesStage.java, MonitorCanaryTask.java,
 * GenerateCanaryAnalysisResultTask.java; spinnaker/orca RunCanaryIntervalsStage.kt):
 *
 * - Each metric is a time series with one point per `step` (60 s) for the canary and the baseline; the
 *   window of judgement k runs from the start to k x interval (no lookback: growing windows).
 * - NaN points (a minute without requests) are removed (the default NaN strategy); an empty series is
 *   `Nodata`; identical series, or all points equal, are `Pass`.
 * - Classification: a Mann-Whitney interval at 98% for the shift canary - baseline; `High` when its
 *   lower end is above 0.25 x |estimate| and the mean ratio canary / baseline is at least 1 (the
 *   default allowed increase; ignored when a mean is 0). Direction `increase` for both metrics. When
 *   both series are constant, Kayenta adds Gaussian noise (sd 1e-5 x the value) before the test; a test
 *   on all-tied data throws and the metric is an `Error`, which does not count in the score.
 * - Score: one group, 100 x Pass / (Pass + High + Low); 0 when half the metrics or more are `Nodata`.
 * - A judgement scoring at or below `marginal` (75) ends the analysis as failed (rollback); the last
 *   judgement must score at least `pass` (95), or the analysis fails.
 *
 * Metrics, as a Prometheus canary config for Istio would define them: the error ratio of each minute
 * (5xx / all) and the p99 of each minute (`histogram_quantile(0.99, ...[1m])`). Kayenta gets the setup
 * its guide asks for: a baseline deployment of the canary's size, serving as much traffic, rather than
 * the stable version with 9 times the canary's traffic (per-minute ratios and quantiles of unequal
 * samples differ in spread, which its rank test would read as a difference).
 *
 * Intervals: Kayenta's default interval is the whole lifetime (one judgement at the end). Spinnaker's
 * guide recommends a 3-hour lifetime judged every hour; the benchmark scales that to its 30-minute
 * analysis: a 30-minute lifetime judged every 10 minutes.
 */
import { histogramQuantile } from '../../src/domain/judge/index.js';
import { AllTiedError, mannWhitneyInterval } from './mann-whitney.js';
import type { Random } from './random.js';
import { cumulativeBuckets, perBucket, type WindowCounts } from './traffic.js';

/** Kayenta's settings as the benchmark uses them. */
export interface KayentaSettings {
  readonly lifetimeMinutes: number;
  readonly intervalMinutes: number;
  readonly marginal: number;
  readonly pass: number;
  readonly confidenceLevel: number;
  readonly tolerance: number;
  readonly allowedIncrease: number;
}

export const KAYENTA_DEFAULTS: KayentaSettings = {
  lifetimeMinutes: 30,
  intervalMinutes: 10,
  marginal: 75,
  pass: 95,
  confidenceLevel: 0.98,
  tolerance: 0.25,
  allowedIncrease: 1,
};

/** How one metric was classified. */
export type MetricClass = 'Pass' | 'High' | 'Nodata' | 'Error';

/** What a judgement decided. */
export type KayentaDecision = 'rollback' | 'pass' | 'continue';

/** One analysis, judged at the end of each interval. */
export class KayentaReferenceJudge {
  private readonly canaryErrors: number[] = [];
  private readonly canaryP99: number[] = [];
  private readonly baselineErrors: number[] = [];
  private readonly baselineP99: number[] = [];

  constructor(
    private readonly random: Random,
    private readonly settings: KayentaSettings = KAYENTA_DEFAULTS,
  ) {}

  /**
   * Records one minute of both versions and, at the end of an interval, judges the analysis so far.
   */
  minute(minute: number, canary: WindowCounts, baseline: WindowCounts): KayentaDecision {
    this.canaryErrors.push(ratio(canary.errors, canary.requests));
    this.canaryP99.push(minuteP99(canary));
    this.baselineErrors.push(ratio(baseline.errors, baseline.requests));
    this.baselineP99.push(minuteP99(baseline));
    if (minute % this.settings.intervalMinutes !== 0 || minute > this.settings.lifetimeMinutes) {
      return 'continue';
    }
    const score = this.score();
    if (score <= this.settings.marginal) return 'rollback';
    if (minute >= this.settings.lifetimeMinutes) return score >= this.settings.pass ? 'pass' : 'rollback';
    return 'continue';
  }

  /** The summary score of the data so far (0 to 100). */
  score(): number {
    const classes = [
      this.classify(this.canaryErrors, this.baselineErrors),
      this.classify(this.canaryP99, this.baselineP99),
    ];
    if (classes.filter((c) => c === 'Nodata').length / classes.length >= 0.5) return 0;
    const counted = classes.filter((c) => c === 'Pass' || c === 'High');
    if (counted.length === 0) return 100;
    return Math.round((counted.filter((c) => c === 'Pass').length / counted.length) * 10000) / 100;
  }

  /** Kayenta's classification of one metric, direction `increase`. */
  classify(canarySeries: readonly number[], baselineSeries: readonly number[]): MetricClass {
    let experiment = canarySeries.filter((v) => !Number.isNaN(v));
    let control = baselineSeries.filter((v) => !Number.isNaN(v));
    if (experiment.length === 0 || control.length === 0) return 'Nodata';
    const sortedExperiment = [...experiment].sort((a, b) => a - b);
    const sortedControl = [...control].sort((a, b) => a - b);
    if (
      sortedExperiment.length === sortedControl.length &&
      sortedExperiment.every((v, i) => v === sortedControl[i])
    ) {
      return 'Pass';
    }
    if (new Set([...experiment, ...control]).size === 1) return 'Pass';
    if (new Set(experiment).size === 1 && new Set(control).size === 1) {
      experiment = this.withNoise(experiment);
      control = this.withNoise(control);
    }
    let interval: ReturnType<typeof mannWhitneyInterval>;
    try {
      interval = mannWhitneyInterval(experiment, control, this.settings.confidenceLevel);
    } catch (error) {
      if (error instanceof AllTiedError) return 'Error';
      throw error;
    }
    const upperBound = this.settings.tolerance * Math.abs(interval.estimate);
    const effect = meanRatio(control, experiment);
    const high =
      interval.lower > upperBound && (Number.isNaN(effect) || effect >= this.settings.allowedIncrease);
    return high ? 'High' : 'Pass';
  }

  private withNoise(values: readonly number[]): number[] {
    const scale = values[0]! * 1e-5;
    return values.map((v) => v + scale * gaussian(this.random));
  }
}

function ratio(errors: number, requests: number): number {
  return requests > 0 ? errors / requests : Number.NaN;
}

function minuteP99(window: WindowCounts): number {
  return histogramQuantile(0.99, cumulativeBuckets(perBucket(window)));
}

function meanRatio(control: readonly number[], experiment: readonly number[]): number {
  const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const controlMean = mean(control);
  const experimentMean = mean(experiment);
  return controlMean === 0 || experimentMean === 0 ? Number.NaN : experimentMean / controlMean;
}

/** A standard normal draw (Box-Muller). */
function gaussian(random: Random): number {
  const u = 1 - random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
