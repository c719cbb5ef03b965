/**
 * The Monte Carlo comparison: every scenario at every canary rate, our judge and Flagger's on the same
 * simulated traffic, summarized per cell.
 */
import { DEFAULT_JUDGE_CONFIG, type JudgeConfig } from '../../src/domain/judge/index.js';
import { FLAGGER_DEFAULTS } from './flagger-reference-judge.js';
import { trialSeed } from './random.js';
import {
  BASELINE_MODEL,
  BASELINE_TO_CANARY_TRAFFIC,
  HORIZON_MINUTES,
  type JudgeOutcome,
  runTrial,
  SCENARIOS,
  type Scenario,
} from './trial.js';

export interface BenchmarkOptions {
  readonly seed: number;
  /** Canary request rates (requests per second). */
  readonly rates: readonly number[];
  /** Trials per rate for bad canaries. */
  readonly badTrials: number;
  /** Trials per rate for the healthy canary. */
  readonly healthyTrials: number;
  /** Trials per rate for the canary at the edge of the tolerance. */
  readonly edgeTrials: number;
  readonly config?: JudgeConfig;
  /** Called after each cell, for progress output. */
  readonly onCell?: (cell: CellResult) => void;
}

/** Summary of one judge over the trials of one cell. */
export interface JudgeSummary {
  readonly rollbacks: number;
  readonly rollbackRate: number;
  /** One-sided 95% Clopper-Pearson upper bound of the rollback rate. */
  readonly rollbackRateUpper95: number;
  readonly meanBadRequests: number;
  readonly medianBadRequests: number;
  /** Median rollback time in seconds; null when half the trials or more did not roll back. */
  readonly medianRollbackSeconds: number | null;
}

export interface CellResult {
  readonly scenario: string;
  readonly kind: Scenario['kind'];
  readonly canaryRps: number;
  readonly trials: number;
  readonly ours: JudgeSummary;
  readonly flagger: JudgeSummary;
  /** Median first time our judge said `pass`; null when half the trials or more never did. */
  readonly oursMedianFirstPassSeconds: number | null;
}

export interface BenchmarkResult {
  readonly seed: number;
  readonly horizonMinutes: number;
  readonly baselineToCanaryTraffic: number;
  readonly baseline: typeof BASELINE_MODEL;
  readonly scenarios: readonly Scenario[];
  readonly judgeConfig: JudgeConfig;
  readonly flagger: typeof FLAGGER_DEFAULTS;
  readonly cells: readonly CellResult[];
  readonly elapsedSeconds: number;
}

/** Runs every cell and returns the summaries. */
export function runBenchmark(options: BenchmarkOptions): BenchmarkResult {
  const config = options.config ?? DEFAULT_JUDGE_CONFIG;
  const started = performance.now();
  const cells: CellResult[] = [];
  SCENARIOS.forEach((scenario, scenarioIndex) => {
    const trials =
      scenario.kind === 'bad'
        ? options.badTrials
        : scenario.id === 'healthy'
          ? options.healthyTrials
          : options.edgeTrials;
    options.rates.forEach((rate, rateIndex) => {
      if (trials <= 0) return;
      const ours: JudgeOutcome[] = [];
      const flagger: JudgeOutcome[] = [];
      const firstPass: number[] = [];
      for (let trial = 0; trial < trials; trial++) {
        const outcome = runTrial(
          scenario,
          rate,
          trialSeed(options.seed, scenarioIndex, rateIndex, trial),
          config,
        );
        ours.push(outcome.ours);
        flagger.push(outcome.flagger);
        firstPass.push(outcome.oursFirstPassSeconds ?? Number.POSITIVE_INFINITY);
      }
      const cell: CellResult = {
        scenario: scenario.id,
        kind: scenario.kind,
        canaryRps: rate,
        trials,
        ours: summarize(ours),
        flagger: summarize(flagger),
        oursMedianFirstPassSeconds: finiteOrNull(median(firstPass)),
      };
      cells.push(cell);
      options.onCell?.(cell);
    });
  });
  return {
    seed: options.seed,
    horizonMinutes: HORIZON_MINUTES,
    baselineToCanaryTraffic: BASELINE_TO_CANARY_TRAFFIC,
    baseline: BASELINE_MODEL,
    scenarios: SCENARIOS,
    judgeConfig: config,
    flagger: FLAGGER_DEFAULTS,
    cells,
    elapsedSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

function summarize(outcomes: readonly JudgeOutcome[]): JudgeSummary {
  const rollbacks = outcomes.filter((o) => o.rolledBack).length;
  const bad = outcomes.map((o) => o.badRequests);
  return {
    rollbacks,
    rollbackRate: rollbacks / outcomes.length,
    rollbackRateUpper95: clopperPearsonUpper(rollbacks, outcomes.length, 0.05),
    meanBadRequests: bad.reduce((sum, b) => sum + b, 0) / outcomes.length,
    medianBadRequests: median(bad),
    medianRollbackSeconds: finiteOrNull(
      median(outcomes.map((o) => (o.rolledBack ? o.seconds : Number.POSITIVE_INFINITY))),
    ),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** The p with P(X <= hits | n, p) = alpha: a one-sided (1 - alpha) upper bound for a binomial rate. */
export function clopperPearsonUpper(hits: number, trials: number, alpha: number): number {
  if (hits >= trials) return 1;
  let low = hits / trials;
  let high = 1;
  for (let i = 0; i < 80; i++) {
    const mid = (low + high) / 2;
    if (binomialCdf(hits, trials, mid) > alpha) low = mid;
    else high = mid;
  }
  return high;
}

function binomialCdf(hits: number, trials: number, p: number): number {
  let logTerm = trials * Math.log1p(-p);
  let sum = Math.exp(logTerm);
  for (let k = 1; k <= hits; k++) {
    logTerm += Math.log((trials - k + 1) / k) + Math.log(p) - Math.log1p(-p);
    sum += Math.exp(logTerm);
  }
  return Math.min(sum, 1);
}
