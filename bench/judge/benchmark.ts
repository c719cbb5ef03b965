/**
 * The Monte Carlo comparison: every scenario at every canary rate, every judge on the same simulated
 * traffic, summarized per cell; the oracle tuned per cell to ours' false-rollback rate at that rate.
 */
import { DEFAULT_JUDGE_CONFIG, type JudgeConfig } from '../../src/domain/judge/index.js';
import { ARGO_DEFAULTS } from './argo-reference-judge.js';
import { FLAGGER_DEFAULTS } from './flagger-reference-judge.js';
import { KAYENTA_DEFAULTS } from './kayenta-reference-judge.js';
import { calibrateThreshold, crossing, LikelihoodRatio, ORACLE_FALSE_PASS } from './oracle.js';
import { trialSeed } from './random.js';
import {
  BASELINE_MODEL,
  BASELINE_TO_CANARY_TRAFFIC,
  badFromMinute,
  HORIZON_MINUTES,
  SCENARIOS,
  type Scenario,
} from './scenarios.js';
import {
  JUDGES,
  type JudgeName,
  type JudgeOutcome,
  runTrial,
  type TrialOutcome,
  trialSettings,
} from './trial.js';

export interface BenchmarkOptions {
  readonly seed: number;
  /** Canary request rates (requests per second). */
  readonly rates: readonly number[];
  /** Trials per rate for bad canaries. */
  readonly badTrials: number;
  /** Trials per rate for the healthy canary (the false-rollback figure). */
  readonly healthyTrials: number;
  /** Trials per rate for the other healthy-kind canaries (bursty, diurnal, shared outage, edge). */
  readonly otherHealthyTrials: number;
  /** Only these scenarios (all when absent). */
  readonly scenarios?: readonly string[];
  readonly config?: JudgeConfig;
  /** Our releases promote on the first `pass` at or after this many seconds (300 by default). */
  readonly minAnalysisSeconds?: number;
  /** Called after each cell, for progress output. */
  readonly onCell?: (cell: RawCell) => void;
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
  /** Trials promoted: for a bad canary, promoted while it was bad (false passes). */
  readonly passes: number;
  readonly passRate: number;
  readonly passRateUpper95: number;
  /** Median time to the promotion in seconds; null when half the trials or more were never promoted. */
  readonly medianPassSeconds: number | null;
  /** Trials handed to a person without a verdict (Argo's Inconclusive run). */
  readonly paused: number;
}

/** The oracle in one cell: its tuned threshold and what it did. */
export interface OracleSummary extends JudgeSummary {
  /** Log-likelihood threshold A (bad cells). */
  readonly threshold: number | null;
  /** The false-rollback rate it was tuned to (bad cells). */
  readonly targetFalseRollbackRate: number | null;
}

export interface CellResult {
  readonly scenario: string;
  readonly kind: Scenario['kind'];
  readonly canaryRps: number;
  readonly trials: number;
  readonly judges: Record<JudgeName, JudgeSummary>;
  readonly oracle: OracleSummary;
}

export interface BenchmarkResult {
  readonly seed: number;
  readonly horizonMinutes: number;
  readonly minAnalysisSeconds: number;
  readonly baselineToCanaryTraffic: number;
  readonly baseline: typeof BASELINE_MODEL;
  readonly scenarios: readonly Scenario[];
  readonly judgeConfig: JudgeConfig;
  readonly flagger: typeof FLAGGER_DEFAULTS;
  readonly kayenta: typeof KAYENTA_DEFAULTS;
  readonly argo: typeof ARGO_DEFAULTS;
  readonly oracleFalsePass: number;
  readonly cells: readonly CellResult[];
  readonly elapsedSeconds: number;
}

/** One cell's trials, summarized, with what the oracle needs to be tuned afterwards. */
export interface RawCell {
  readonly scenarioId: string;
  readonly rate: number;
  readonly trials: number;
  readonly judges: Record<JudgeName, JudgeSummary>;
  /** Bad cells: the oracle's log-likelihood path and the bad requests by minute, per trial. */
  readonly oraclePaths: readonly (readonly number[])[];
  readonly cumulativeBad: readonly (readonly number[])[];
  /** Healthy cells: the oracle's pass look per trial. */
  readonly oraclePassMinutes: readonly (number | null)[];
}

/** What one cell needs; plain data, so that a worker thread can run it. */
export interface CellTask {
  readonly scenarioId: string;
  readonly rate: number;
  readonly rateIndex: number;
  readonly trials: number;
  readonly seed: number;
  readonly config: JudgeConfig;
  readonly minAnalysisSeconds: number;
}

/** The cells of a run, healthy first (the oracle of a bad cell is tuned to ours' rate on healthy ones). */
export function cellTasks(options: BenchmarkOptions): CellTask[] {
  const config = options.config ?? DEFAULT_JUDGE_CONFIG;
  const minAnalysisSeconds = options.minAnalysisSeconds ?? 300;
  const selected = selectedScenarios(options);
  const ordered = [
    ...selected.filter((scenario) => scenario.id === 'healthy'),
    ...selected.filter((scenario) => scenario.id !== 'healthy'),
  ];
  return ordered
    .flatMap((scenario) =>
      options.rates.map((rate, rateIndex) => ({
        scenarioId: scenario.id,
        rate,
        rateIndex,
        trials: trialsOf(scenario, options),
        seed: options.seed,
        config,
        minAnalysisSeconds,
      })),
    )
    .filter((task) => task.trials > 0);
}

/** Runs the trials of one cell. */
export function runCell(task: CellTask): RawCell {
  const scenarioIndex = SCENARIOS.findIndex((s) => s.id === task.scenarioId);
  const scenario = SCENARIOS[scenarioIndex]!;
  const settings = trialSettings(new LikelihoodRatio(), task.config, task.minAnalysisSeconds);
  const outcomes: TrialOutcome[] = [];
  for (let trial = 0; trial < task.trials; trial++) {
    const seed = trialSeed(task.seed, scenarioIndex, task.rateIndex, trial);
    outcomes.push(runTrial(scenario, task.rate, seed, settings));
  }
  const bad = scenario.kind === 'bad';
  const cumulativeBad = outcomes.map((o) => o.cumulativeBad);
  return {
    scenarioId: scenario.id,
    rate: task.rate,
    trials: task.trials,
    judges: Object.fromEntries(
      JUDGES.map((judge) => [
        judge,
        summarize(
          scenario,
          outcomes.map((o) => o.judges[judge]),
          cumulativeBad,
        ),
      ]),
    ) as Record<JudgeName, JudgeSummary>,
    oraclePaths: bad ? outcomes.map((o) => o.oraclePath) : [],
    cumulativeBad: bad ? cumulativeBad : [],
    oraclePassMinutes: bad ? [] : outcomes.map((o) => o.oraclePassMinute),
  };
}

/** Runs every cell in this thread and returns the summaries. */
export function runBenchmark(options: BenchmarkOptions): BenchmarkResult {
  const started = performance.now();
  const raw = cellTasks(options).map((task) => {
    const cell = runCell(task);
    options.onCell?.(cell);
    return cell;
  });
  return assemble(options, raw, (performance.now() - started) / 1000);
}

/** The result of a run from its cells (in any order): the oracle tuned, the cells in scenario order. */
export function assemble(
  options: BenchmarkOptions,
  raw: readonly RawCell[],
  seconds: number,
): BenchmarkResult {
  const config = options.config ?? DEFAULT_JUDGE_CONFIG;
  const selected = selectedScenarios(options);
  const oursFalseRollbackUpper = new Map(
    raw.filter((c) => c.scenarioId === 'healthy').map((c) => [c.rate, c.judges.ours.rollbackRateUpper95]),
  );
  const order = (id: string) => selected.findIndex((scenario) => scenario.id === id);
  const cells = raw
    .map((cell): CellResult => {
      const scenario = SCENARIOS.find((s) => s.id === cell.scenarioId)!;
      return {
        scenario: cell.scenarioId,
        kind: scenario.kind,
        canaryRps: cell.rate,
        trials: cell.trials,
        judges: cell.judges,
        oracle: oracleSummary(scenario, cell, oursFalseRollbackUpper.get(cell.rate)),
      };
    })
    .sort((a, b) => order(a.scenario) - order(b.scenario) || a.canaryRps - b.canaryRps);
  return {
    seed: options.seed,
    horizonMinutes: HORIZON_MINUTES,
    minAnalysisSeconds: options.minAnalysisSeconds ?? 300,
    baselineToCanaryTraffic: BASELINE_TO_CANARY_TRAFFIC,
    baseline: BASELINE_MODEL,
    scenarios: selected,
    judgeConfig: config,
    flagger: FLAGGER_DEFAULTS,
    kayenta: KAYENTA_DEFAULTS,
    argo: ARGO_DEFAULTS,
    oracleFalsePass: ORACLE_FALSE_PASS,
    cells,
    elapsedSeconds: Math.round(seconds * 10) / 10,
  };
}

function selectedScenarios(options: BenchmarkOptions): Scenario[] {
  return SCENARIOS.filter((s) => options.scenarios === undefined || options.scenarios.includes(s.id));
}

function trialsOf(scenario: Scenario, options: BenchmarkOptions): number {
  if (scenario.kind === 'bad') return options.badTrials;
  return scenario.id === 'healthy' ? options.healthyTrials : options.otherHealthyTrials;
}

function summarize(
  scenario: Scenario,
  judged: readonly JudgeOutcome[],
  cumulativeBad: readonly (readonly number[])[],
): JudgeSummary {
  const n = judged.length;
  const rolledBack = judged.filter((o) => o.rollbackMinute !== null).length;
  const bad = judged.map((o, i) => cumulativeBad[i]![o.rollbackMinute ?? HORIZON_MINUTES]!);
  // For a bad canary, only a promotion while it is bad counts (a leak may show after a right promotion).
  const promotedAt = judged.map((o) =>
    o.passMinute !== null && (scenario.kind === 'healthy' || o.passMinute >= badFromMinute(scenario))
      ? o.passMinute
      : Number.POSITIVE_INFINITY,
  );
  const passes = promotedAt.filter(Number.isFinite).length;
  return {
    rollbacks: rolledBack,
    rollbackRate: rolledBack / n,
    rollbackRateUpper95: clopperPearsonUpper(rolledBack, n, 0.05),
    meanBadRequests: mean(bad),
    medianBadRequests: median(bad),
    medianRollbackSeconds: minutesToSeconds(
      median(judged.map((o) => o.rollbackMinute ?? Number.POSITIVE_INFINITY)),
    ),
    passes,
    passRate: passes / n,
    passRateUpper95: clopperPearsonUpper(passes, n, 0.05),
    medianPassSeconds: minutesToSeconds(median(promotedAt)),
    paused: judged.filter((o) => o.pausedMinute !== null).length,
  };
}

/** The oracle's summary: tuned and replayed on bad cells, its pass test on healthy ones. */
function oracleSummary(scenario: Scenario, cell: RawCell, target: number | undefined): OracleSummary {
  const n = cell.trials;
  if (scenario.kind === 'healthy') {
    const passAt = cell.oraclePassMinutes.map((m) => m ?? Number.POSITIVE_INFINITY);
    const passes = passAt.filter(Number.isFinite).length;
    return {
      ...emptySummary(),
      passes,
      passRate: passes / n,
      passRateUpper95: clopperPearsonUpper(passes, n, 0.05),
      medianPassSeconds: minutesToSeconds(median(passAt)),
      threshold: null,
      targetFalseRollbackRate: null,
    };
  }
  const targetRate = target ?? 0.01;
  const threshold = calibrateThreshold(cell.oraclePaths, targetRate);
  const passBoundary = Math.log(ORACLE_FALSE_PASS);
  const outcomes: JudgeOutcome[] = cell.oraclePaths.map((path) => {
    const rollbackMinute = crossing(path, threshold);
    const passIndex = path.findIndex((s) => s <= passBoundary);
    const passMinute =
      passIndex >= 0 && (rollbackMinute === null || passIndex + 1 < rollbackMinute) ? passIndex + 1 : null;
    return { rollbackMinute, passMinute, pausedMinute: null };
  });
  return {
    ...summarize(scenario, outcomes, cell.cumulativeBad),
    threshold,
    targetFalseRollbackRate: targetRate,
  };
}

function emptySummary(): JudgeSummary {
  return {
    rollbacks: 0,
    rollbackRate: 0,
    rollbackRateUpper95: 0,
    meanBadRequests: 0,
    medianBadRequests: 0,
    medianRollbackSeconds: null,
    passes: 0,
    passRate: 0,
    passRateUpper95: 0,
    medianPassSeconds: null,
    paused: 0,
  };
}

function minutesToSeconds(minutes: number): number | null {
  return Number.isFinite(minutes) ? minutes * 60 : null;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
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
