/**
 * One simulated canary analysis, judged by our judge and by Flagger's on the same traffic.
 *
 * Time starts when the canary starts receiving its share of the traffic. Both judges look every 60 s
 * for `HORIZON_MINUTES` looks: ours on the counts accumulated since the start, Flagger on the last
 * minute. Ours rolls back on the look that fails; Flagger on the tick after its threshold-th failed
 * check (its scheduler order), which may be one minute past the horizon.
 */
import { DEFAULT_JUDGE_CONFIG, type JudgeConfig, judgeCanary } from '../../src/domain/judge/index.js';
import { FLAGGER_DEFAULTS, FlaggerReferenceJudge, type FlaggerSettings } from './flagger-reference-judge.js';
import { type Random, seededRandom } from './random.js';
import { cumulativeBuckets, type MinuteCounts, TrafficSource, type VersionModel } from './traffic.js';

/** Looks per analysis: a 30-minute analysis at one look a minute. */
export const HORIZON_MINUTES = 30;

/** Baseline: 0.1% errors, median 100 ms, p99 400 ms. */
export const BASELINE_MODEL: VersionModel = { errorRate: 0.001, medianMs: 100, p99Ms: 400 };

/** The canary serves 10% of the service's traffic; the baseline (stable) the other 90%. */
export const BASELINE_TO_CANARY_TRAFFIC = 9;

/** A kind of canary to simulate. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** `bad`: a rollback is right; `healthy`: a rollback is a false rollback. */
  readonly kind: 'bad' | 'healthy';
  readonly canary: VersionModel;
  /** What counts as a bad request served by the canary. */
  readonly badRequest: 'error' | 'slow';
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'errors-5pct',
    title: 'errors 5% (baseline 0.1%)',
    kind: 'bad',
    canary: { ...BASELINE_MODEL, errorRate: 0.05 },
    badRequest: 'error',
  },
  {
    id: 'latency-x2',
    title: 'latency x2: median 200 ms, p99 800 ms (baseline 100/400)',
    kind: 'bad',
    canary: { ...BASELINE_MODEL, medianMs: 200, p99Ms: 800 },
    badRequest: 'slow',
  },
  {
    id: 'latency-tail',
    title: 'p99 doubled, median unchanged: 100/800 ms (baseline 100/400)',
    kind: 'bad',
    canary: { ...BASELINE_MODEL, p99Ms: 800 },
    badRequest: 'slow',
  },
  {
    id: 'healthy',
    title: 'healthy (same as baseline)',
    kind: 'healthy',
    canary: BASELINE_MODEL,
    badRequest: 'error',
  },
  {
    id: 'edge-errors',
    title: 'at the edge of the tolerance: 0.25% errors (baseline 0.1%)',
    kind: 'healthy',
    canary: { ...BASELINE_MODEL, errorRate: 0.0025 },
    badRequest: 'error',
  },
];

/** How one judge ended one analysis. */
export interface JudgeOutcome {
  readonly rolledBack: boolean;
  /** Rollback time, or the horizon (1800 s) if no rollback. */
  readonly seconds: number;
  /** Bad requests the canary served until the rollback, or over the horizon. */
  readonly badRequests: number;
}

export interface TrialOutcome {
  readonly ours: JudgeOutcome;
  readonly flagger: JudgeOutcome;
  /** First look at which our judge said `pass`, if any. */
  readonly oursFirstPassSeconds: number | undefined;
}

/** Runs one analysis of `scenario` with the canary at `canaryRps` requests per second. */
export function runTrial(
  scenario: Scenario,
  canaryRps: number,
  seed: number,
  config: JudgeConfig = DEFAULT_JUDGE_CONFIG,
  flaggerSettings: FlaggerSettings = FLAGGER_DEFAULTS,
): TrialOutcome {
  const random: Random = seededRandom(seed);
  const slowCutMs = BASELINE_MODEL.p99Ms;
  const canarySource = new TrafficSource(scenario.canary, canaryRps, slowCutMs);
  const baselineSource = new TrafficSource(BASELINE_MODEL, canaryRps * BASELINE_TO_CANARY_TRAFFIC, slowCutMs);
  const canaryTotal = new Accumulator();
  const baselineTotal = new Accumulator();
  const flagger = new FlaggerReferenceJudge(flaggerSettings);
  let ours: JudgeOutcome | undefined;
  let theirs: JudgeOutcome | undefined;
  let oursFirstPassSeconds: number | undefined;
  let bad = 0;
  let lastCanaryMinute = 0;

  for (
    let minute = 1;
    minute <= HORIZON_MINUTES + 1 && (ours === undefined || theirs === undefined);
    minute++
  ) {
    const seconds = minute * 60;
    const canaryMinute = canarySource.drawMinute(random);
    const baselineMinute = baselineSource.drawMinute(random);
    canaryTotal.add(canaryMinute);
    baselineTotal.add(baselineMinute);
    bad += scenario.badRequest === 'error' ? canaryMinute.errors : canaryMinute.slow;
    if (canaryMinute.requests > 0) lastCanaryMinute = minute;

    if (theirs === undefined) {
      const window = { ...canaryMinute, latency: cumulativeBuckets(canaryMinute.perBucket) };
      if (flagger.tick(window) === 'rollback') theirs = { rolledBack: true, seconds, badRequests: bad };
      else if (minute > HORIZON_MINUTES)
        theirs = {
          rolledBack: false,
          seconds: HORIZON_MINUTES * 60,
          badRequests: bad - badOf(scenario, canaryMinute),
        };
    }
    if (ours === undefined && minute <= HORIZON_MINUTES) {
      const { verdict } = judgeCanary(
        {
          canary: canaryTotal.traffic(),
          baseline: baselineTotal.traffic(),
          elapsedSeconds: seconds,
          canaryIdleSeconds: (minute - lastCanaryMinute) * 60,
        },
        config,
      );
      if (verdict === 'fail') ours = { rolledBack: true, seconds, badRequests: bad };
      else if (verdict === 'pass' && oursFirstPassSeconds === undefined) oursFirstPassSeconds = seconds;
      if (ours === undefined && minute === HORIZON_MINUTES)
        ours = { rolledBack: false, seconds, badRequests: bad };
    }
  }
  // The loop always settles both before it ends; the fallbacks only satisfy the compiler.
  return {
    ours: ours ?? { rolledBack: false, seconds: HORIZON_MINUTES * 60, badRequests: bad },
    flagger: theirs ?? { rolledBack: false, seconds: HORIZON_MINUTES * 60, badRequests: bad },
    oursFirstPassSeconds,
  };
}

function badOf(scenario: Scenario, minute: MinuteCounts): number {
  return scenario.badRequest === 'error' ? minute.errors : minute.slow;
}

/** Counts since the start of the analysis. */
class Accumulator {
  private requests = 0;
  private errors = 0;
  private readonly perBucket: number[] = [];

  add(minute: MinuteCounts): void {
    this.requests += minute.requests;
    this.errors += minute.errors;
    minute.perBucket.forEach((count, i) => {
      this.perBucket[i] = (this.perBucket[i] ?? 0) + count;
    });
  }

  traffic() {
    return { requests: this.requests, errors: this.errors, latency: cumulativeBuckets(this.perBucket) };
  }
}
