/**
 * One simulated canary analysis, judged by ours, Flagger's, Kayenta's and Argo Rollouts' judges on the
 * same traffic, with the oracle's log-likelihood path for later tuning.
 *
 * Time starts when the canary starts receiving its share of the traffic. Every judge looks at the end of
 * each minute for `HORIZON_MINUTES` minutes: ours on the counts accumulated since the start, Flagger on
 * the last minute, Kayenta at the end of its intervals, Argo every 5 minutes on the last 15 s. Flagger
 * rolls back on the tick after its threshold-th failed check (its scheduler order), which may be one
 * minute past the horizon, so 31 minutes are simulated.
 *
 * Rollback is what ends the harm; a pass does not end the judging (our releases keep being judged while
 * they wait for approval, Argo's background analysis runs on through later steps, Flagger and Kayenta
 * keep their own schedule), so bad requests count up to the rollback, or over the whole horizon.
 */
import { DEFAULT_JUDGE_CONFIG, type JudgeConfig, judgeCanary } from '../../src/domain/judge/index.js';
import { ArgoReferenceJudge } from './argo-reference-judge.js';
import { FlaggerReferenceJudge } from './flagger-reference-judge.js';
import { KayentaReferenceJudge } from './kayenta-reference-judge.js';
import { type LikelihoodRatio, oraclePassMinute, oraclePath } from './oracle.js';
import { type Random, seededRandom } from './random.js';
import {
  BASELINE_TO_CANARY_TRAFFIC,
  baselineModelAt,
  canaryModelAt,
  HORIZON_MINUTES,
  rateFactor,
  type Scenario,
  SLOW_CUT_MS,
} from './scenarios.js';
import {
  cumulativeBuckets,
  type MinuteCounts,
  perBucket,
  TrafficSource,
  type VersionModel,
} from './traffic.js';

/** The judges compared, the oracle apart. */
export const JUDGES = ['ours', 'flagger', 'kayenta', 'argo'] as const;
export type JudgeName = (typeof JUDGES)[number];

/** How one judge ended one analysis; minutes count from 1 (the end of the first minute). */
export interface JudgeOutcome {
  /** The look that rolled back, or null. */
  readonly rollbackMinute: number | null;
  /** The first look at which the step would have been promoted (before any rollback), or null. */
  readonly passMinute: number | null;
  /** The look at which the judge handed the decision to a person (Argo's Inconclusive run), or null. */
  readonly pausedMinute: number | null;
}

export interface TrialOutcome {
  readonly judges: Record<JudgeName, JudgeOutcome>;
  /** Bad requests the canary served by the end of each minute (index 0: none yet). */
  readonly cumulativeBad: readonly number[];
  /** The oracle's log-likelihood ratio after each look (bad scenarios only). */
  readonly oraclePath: readonly number[];
  /** The oracle's pass look against the reference bad canary (healthy scenarios only). */
  readonly oraclePassMinute: number | null;
}

/** Settings of one trial. */
export interface TrialSettings {
  readonly config: JudgeConfig;
  /** Our releases promote on the first `pass` at or after this many seconds. */
  readonly minAnalysisSeconds: number;
  readonly likelihoodRatio: LikelihoodRatio;
}

const SIMULATED_MINUTES = HORIZON_MINUTES + 1;

/** Runs one analysis of `scenario` with the canary at `canaryRps` requests per second (on average). */
export function runTrial(
  scenario: Scenario,
  canaryRps: number,
  seed: number,
  settings: TrialSettings,
): TrialOutcome {
  const random: Random = seededRandom(seed);
  const sources = new SourceCache(canaryRps);
  const flagger = new FlaggerReferenceJudge();
  const kayenta = new KayentaReferenceJudge(random);
  const argo = new ArgoReferenceJudge();
  const outcomes = Object.fromEntries(JUDGES.map((j) => [j, new OutcomeBuilder()])) as Record<
    JudgeName,
    OutcomeBuilder
  >;
  const canaryMinutes: MinuteCounts[] = [];
  const cumulativeBad = [0];
  const canaryTotal = new Accumulator();
  const baselineTotal = new Accumulator();
  let lastCanaryMinute = 0;

  for (let minute = 1; minute <= SIMULATED_MINUTES; minute++) {
    const factor = rateFactor(scenario.traffic, minute, random.next());
    const canary = sources.of(canaryModelAt(scenario, minute), 1).drawMinute(random, factor);
    const baseline = sources
      .of(baselineModelAt(scenario, minute), BASELINE_TO_CANARY_TRAFFIC)
      .drawMinute(random, factor);
    // Kayenta's own baseline: a deployment of the canary's size serving as much traffic (its guide's setup).
    const control = sources.of(baselineModelAt(scenario, minute), 1).drawMinute(random, factor);
    canaryMinutes.push(canary);
    cumulativeBad.push(
      cumulativeBad.at(-1)! + (scenario.badRequest === 'error' ? canary.errors : canary.slow),
    );
    canaryTotal.add(canary);
    baselineTotal.add(baseline);
    if (canary.requests > 0) lastCanaryMinute = minute;

    const window = { ...canary, latency: cumulativeBuckets(perBucket(canary)) };
    outcomes.flagger.decide(minute, flagger.tick(window) === 'rollback' ? 'rollback' : 'continue');
    if (flagger.lastCheckPassed) outcomes.flagger.decide(minute, 'pass');
    if (minute > HORIZON_MINUTES) continue;

    if (outcomes.ours.open) {
      const { verdict } = judgeCanary(
        {
          canary: canaryTotal.traffic(),
          baseline: baselineTotal.traffic(),
          elapsedSeconds: minute * 60,
          canaryIdleSeconds: (minute - lastCanaryMinute) * 60,
        },
        settings.config,
      );
      if (verdict === 'fail') outcomes.ours.decide(minute, 'rollback');
      else if (verdict === 'pass' && minute * 60 >= settings.minAnalysisSeconds)
        outcomes.ours.decide(minute, 'pass');
    }
    if (outcomes.kayenta.open) outcomes.kayenta.decide(minute, kayenta.minute(minute, canary, control));
    if (outcomes.argo.open) outcomes.argo.decide(minute, argo.minute(minute, canary.last15s));
  }

  const bad = scenario.kind === 'bad';
  return {
    judges: Object.fromEntries(JUDGES.map((j) => [j, outcomes[j].build()])) as Record<
      JudgeName,
      JudgeOutcome
    >,
    cumulativeBad,
    oraclePath: bad ? oraclePath(scenario, canaryMinutes, settings.likelihoodRatio) : [],
    oraclePassMinute: bad ? null : oraclePassMinute(canaryMinutes, settings.likelihoodRatio),
  };
}

/** Default trial settings. */
export function trialSettings(
  likelihoodRatio: LikelihoodRatio,
  config: JudgeConfig = DEFAULT_JUDGE_CONFIG,
  minAnalysisSeconds = 300,
): TrialSettings {
  return { config, minAnalysisSeconds, likelihoodRatio };
}

class OutcomeBuilder {
  private rollbackMinute: number | null = null;
  private passMinute: number | null = null;
  private pausedMinute: number | null = null;

  /** Still judging: not rolled back, not handed to a person. */
  get open(): boolean {
    return this.rollbackMinute === null && this.pausedMinute === null;
  }

  decide(minute: number, decision: 'rollback' | 'pass' | 'pause' | 'continue'): void {
    if (!this.open) return;
    if (decision === 'rollback') this.rollbackMinute = minute;
    else if (decision === 'pause') this.pausedMinute = minute;
    else if (decision === 'pass' && this.passMinute === null) this.passMinute = minute;
  }

  build(): JudgeOutcome {
    return {
      rollbackMinute: this.rollbackMinute,
      passMinute: this.passMinute,
      pausedMinute: this.pausedMinute,
    };
  }
}

/** Traffic sources per (model, share of traffic), built once per trial. */
class SourceCache {
  private readonly sources = new Map<VersionModel, Map<number, TrafficSource>>();

  constructor(private readonly canaryRps: number) {}

  of(model: VersionModel, multiple: number): TrafficSource {
    let byMultiple = this.sources.get(model);
    if (byMultiple === undefined) {
      byMultiple = new Map();
      this.sources.set(model, byMultiple);
    }
    let source = byMultiple.get(multiple);
    if (source === undefined) {
      source = new TrafficSource(model, this.canaryRps * multiple, SLOW_CUT_MS);
      byMultiple.set(multiple, source);
    }
    return source;
  }
}

/** Counts since the start of the analysis. */
class Accumulator {
  private requests = 0;
  private errors = 0;
  private readonly perBucket: number[] = [];

  add(minute: MinuteCounts): void {
    this.requests += minute.requests;
    this.errors += minute.errors;
    perBucket(minute).forEach((count, i) => {
      this.perBucket[i] = (this.perBucket[i] ?? 0) + count;
    });
  }

  traffic() {
    return { requests: this.requests, errors: this.errors, latency: cumulativeBuckets(this.perBucket) };
  }
}
