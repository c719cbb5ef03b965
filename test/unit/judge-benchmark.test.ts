import { ArgoReferenceJudge } from '../../bench/judge/argo-reference-judge.js';
import { runBenchmark } from '../../bench/judge/benchmark.js';
import { FlaggerReferenceJudge, type WindowCounts } from '../../bench/judge/flagger-reference-judge.js';
import { KayentaReferenceJudge } from '../../bench/judge/kayenta-reference-judge.js';
import { mannWhitneyInterval, normalQuantile } from '../../bench/judge/mann-whitney.js';
import {
  calibrateThreshold,
  crossing,
  falseRollbackRate,
  LikelihoodRatio,
  oraclePath,
} from '../../bench/judge/oracle.js';
import { seededRandom } from '../../bench/judge/random.js';
import { renderMarkdown } from '../../bench/judge/report.js';
import { BASELINE_MODEL, SCENARIOS, SLOW_CUT_MS } from '../../bench/judge/scenarios.js';
import { type WindowCounts as MinuteWindow, TrafficSource, uniformModel } from '../../bench/judge/traffic.js';
import { runTrial, trialSettings } from '../../bench/judge/trial.js';
import { ISTIO_DURATION_BUCKETS_MS } from '../../src/domain/judge/index.js';

/** A window whose requests all took `ms` (an Istio bucket edge) and `errors` of them failed. */
function window(requests: number, errors: number, ms = 100): WindowCounts {
  return {
    requests,
    errors,
    latency: ISTIO_DURATION_BUCKETS_MS.map((le) => ({ le, count: le >= ms ? requests : 0 })),
  };
}

/** The same as the simulator's windows: requests per bucket, failed or not, all at `ms`. */
function minuteWindow(requests: number, errors: number, ms = 100): MinuteWindow {
  const at = ISTIO_DURATION_BUCKETS_MS.findIndex((le) => le >= ms);
  const okPerBucket = ISTIO_DURATION_BUCKETS_MS.map((_, i) => (i === at ? requests - errors : 0));
  const errorPerBucket = ISTIO_DURATION_BUCKETS_MS.map((_, i) => (i === at ? errors : 0));
  return { requests, errors, slow: 0, okPerBucket, errorPerBucket };
}

const scenario = (id: string) => SCENARIOS.find((s) => s.id === id)!;

describe('FlaggerReferenceJudge', () => {
  it('rolls back on the tick after the 5th failed check, as the scheduler orders it', () => {
    // Prepare
    const flagger = new FlaggerReferenceJudge();
    const empty = window(0, 0);
    // Act
    const ticks = Array.from({ length: 6 }, () => flagger.tick(empty));
    // Assess: empty windows are failed checks ("no values found")
    expect(ticks).toEqual(['continue', 'continue', 'continue', 'continue', 'continue', 'rollback']);
  });

  it('never resets failed checks on a successful check', () => {
    // Prepare
    const flagger = new FlaggerReferenceJudge();
    const bad = window(100, 5);
    const good = window(100, 0);
    // Act
    const ticks = [bad, good, bad, good, bad, good, bad, good, bad, good].map((w) => flagger.tick(w));
    // Assess
    expect(flagger.failures).toBe(5);
    expect(ticks.at(-1)).toBe('rollback');
  });

  it('fails success rate below 99% and p99 above 500 ms after truncating to whole ms', () => {
    // Prepare
    const flagger = new FlaggerReferenceJudge();
    // p99 interpolates to 500.4995 ms, which Flagger truncates to 500 ms: not above the limit
    const edge = {
      requests: 100_000,
      errors: 0,
      latency: ISTIO_DURATION_BUCKETS_MS.map((le) => ({
        le,
        count: le >= 1000 ? 100_000 : le >= 500 ? 98_999 : 0,
      })),
    };
    // Act and Assess
    expect(flagger.checksPass(window(100, 1))).toBe(true);
    expect(flagger.checksPass(window(100, 2))).toBe(false);
    expect(flagger.checksPass(edge)).toBe(true);
    expect(flagger.checksPass(window(100, 0, 1000))).toBe(false);
  });
});

describe('mannWhitneyInterval', () => {
  it('finds the interval ends and the estimate at the jumps of the rank statistic', () => {
    // Prepare: the 16 differences x - y run from 1 to 7; with the normal approximation the 90%
    // interval's ends fall on the jumps at 2 and 6, and the statistic is exactly 0 at 4
    const x = [5, 6, 7, 8];
    const y = [1, 2, 3, 4];
    // Act
    const interval = mannWhitneyInterval(x, y, 0.9);
    // Assess
    expect(interval.estimate).toBeCloseTo(4, 3);
    expect(interval.lower).toBeCloseTo(2, 3);
    expect(interval.upper).toBeCloseTo(6, 3);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 6);
  });
});

describe('KayentaReferenceJudge', () => {
  it('classifies a clearly higher canary as High and an identical one as Pass', () => {
    // Prepare
    const kayenta = new KayentaReferenceJudge(seededRandom(1));
    const control = [0.001, 0.002, 0, 0.001, 0.003, 0.001, 0.002, 0, 0.001, 0.002];
    const higher = control.map((v) => v + 0.05);
    // Act and Assess
    expect(kayenta.classify(higher, control)).toBe('High');
    expect(kayenta.classify([...control].reverse(), control)).toBe('Pass');
    expect(kayenta.classify([Number.NaN], control)).toBe('Nodata');
  });

  it('rolls back at the first interval scoring at or below marginal, and passes only at the end', () => {
    // Prepare: a canary failing 10% of 100 requests a minute against a clean baseline
    const bad = new KayentaReferenceJudge(seededRandom(2));
    const good = new KayentaReferenceJudge(seededRandom(3));
    const decisions = (judge: KayentaReferenceJudge, canaryErrors: number) =>
      Array.from({ length: 30 }, (_, i) =>
        judge.minute(i + 1, minuteWindow(100, canaryErrors), minuteWindow(100, i % 7 === 0 ? 1 : 0)),
      );
    // Act
    const badDecisions = decisions(bad, 10);
    const goodDecisions = decisions(good, 0);
    // Assess
    expect(badDecisions.indexOf('rollback')).toBe(9);
    expect(goodDecisions.indexOf('pass')).toBe(29);
    expect(goodDecisions.filter((d) => d !== 'continue')).toEqual(['pass']);
  });
});

describe('ArgoReferenceJudge', () => {
  it('fails after failureLimit + 1 failed measurements, passes the step when the pause ends', () => {
    // Prepare: every measurement sees a 10% error rate (below the 95% success condition)
    const argo = new ArgoReferenceJudge();
    // Act
    const decisions = Array.from({ length: 30 }, (_, i) => argo.minute(i + 1, minuteWindow(40, 4)));
    // Assess: the step passes at 5 min (one failure is within failureLimit 3); the 4th failure aborts
    expect(decisions.indexOf('pass')).toBe(4);
    expect(decisions.indexOf('rollback')).toBe(19);
  });

  it('pauses for a person on the first inconclusive measurement (inconclusiveLimit 0)', () => {
    // Prepare: p99 between the success (500 ms) and failure (1000 ms) conditions, and an empty window (NaN)
    const slow = new ArgoReferenceJudge();
    const empty = new ArgoReferenceJudge();
    // Act
    const slowDecision = [1, 2, 3, 4, 5].map((m) => slow.minute(m, minuteWindow(40, 0, 1000))).at(-1);
    const emptyDecision = [1, 2, 3, 4, 5].map((m) => empty.minute(m, minuteWindow(0, 0))).at(-1);
    // Assess: a NaN p99 meets neither condition; a NaN success rate fails (only one failure so far)
    expect(slowDecision).toBe('pause');
    expect(emptyDecision).toBe('pause');
  });
});

describe('oracle', () => {
  it('predicts from bad trials alone the false-rollback rate it has on healthy traffic', () => {
    // Prepare: the 2% errors oracle at 10 requests a second, tuned on 300 bad trials to at most 1%
    const ratio = new LikelihoodRatio();
    const bad = scenario('errors-2pct');
    const random = seededRandom(11);
    const draw = (model = bad.canary) => {
      const source = new TrafficSource(model, 10, SLOW_CUT_MS);
      return Array.from({ length: 30 }, () => source.drawMinute(random));
    };
    const badPaths = Array.from({ length: 300 }, () => oraclePath(bad, draw(), ratio));
    const threshold = calibrateThreshold(badPaths, 0.01);
    const predicted = falseRollbackRate(badPaths, threshold);
    // Act: run it on 2000 healthy canaries
    const healthy = 2000;
    const healthyPaths = Array.from({ length: healthy }, () => oraclePath(bad, draw(BASELINE_MODEL), ratio));
    const measured = healthyPaths.filter((path) => crossing(path, threshold) !== null).length / healthy;
    // Assess: within 4 binomial standard deviations of the prediction, which Wald's bound exp(-A) caps
    expect(predicted).toBeLessThanOrEqual(0.01);
    expect(predicted).toBeGreaterThan(0.001);
    expect(Math.abs(measured - predicted)).toBeLessThan(4 * Math.sqrt(predicted / healthy));
    expect(predicted).toBeLessThan(Math.exp(-threshold));
  });
});

describe('judge benchmark', () => {
  it('is reproducible from its seed and catches a broken canary faster than Flagger', () => {
    // Prepare
    const settings = trialSettings(new LikelihoodRatio());
    const errors = scenario('errors-5pct');
    // Act
    const first = runTrial(errors, 10, 1234, settings);
    const again = runTrial(errors, 10, 1234, settings);
    // Assess
    expect(again).toEqual(first);
    expect(first.judges.ours.rollbackMinute).not.toBeNull();
    expect(first.judges.ours.rollbackMinute!).toBeLessThan(first.judges.flagger.rollbackMinute!);
  });

  it('draws mixtures with the error rate of their classes', () => {
    // Prepare: one endpoint with 5% of requests failing 40% of the time: 2% overall
    const source = new TrafficSource(scenario('errors-one-endpoint').canary, 100, SLOW_CUT_MS);
    const random = seededRandom(5);
    // Act
    const minutes = Array.from({ length: 20 }, () => source.drawMinute(random));
    const requests = minutes.reduce((sum, m) => sum + m.requests, 0);
    const errors = minutes.reduce((sum, m) => sum + m.errors, 0);
    // Assess: 120,000 requests, 2400 errors expected (sd about 49)
    expect(errors / requests).toBeGreaterThan(0.0185);
    expect(errors / requests).toBeLessThan(0.0215);
    expect(uniformModel(0.02, 100, 400).classes[0]!.errorRate).toBe(0.02);
  });

  it('runs a small benchmark and renders one table row per cell', () => {
    // Act
    const result = runBenchmark({
      seed: 7,
      rates: [10],
      badTrials: 4,
      healthyTrials: 10,
      otherHealthyTrials: 3,
      scenarios: ['errors-5pct', 'healthy', 'shared-outage'],
    });
    const markdown = renderMarkdown(result);
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && / 10 \| /.test(line));
    // Assess
    expect(result.cells).toHaveLength(3);
    expect(rows).toHaveLength(3);
    expect(result.cells.find((c) => c.scenario === 'healthy')?.judges.ours.rollbacks).toBe(0);
    expect(result.cells.find((c) => c.scenario === 'shared-outage')?.judges.ours.rollbacks).toBe(0);
    expect(result.cells.find((c) => c.scenario === 'shared-outage')?.judges.flagger.rollbacks).toBe(3);
  });
});
