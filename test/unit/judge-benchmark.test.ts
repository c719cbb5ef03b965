import { runBenchmark } from '../../bench/judge/benchmark.js';
import { FlaggerReferenceJudge, type WindowCounts } from '../../bench/judge/flagger-reference-judge.js';
import { renderMarkdown } from '../../bench/judge/report.js';
import { runTrial, SCENARIOS } from '../../bench/judge/trial.js';
import { ISTIO_DURATION_BUCKETS_MS } from '../../src/domain/judge/index.js';

/** A window whose requests all took `ms` (an Istio bucket edge) and `errors` of them failed. */
function window(requests: number, errors: number, ms = 100): WindowCounts {
  return {
    requests,
    errors,
    latency: ISTIO_DURATION_BUCKETS_MS.map((le) => ({ le, count: le >= ms ? requests : 0 })),
  };
}

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

describe('judge benchmark', () => {
  it('is reproducible from its seed and catches a broken canary faster than Flagger', () => {
    // Prepare
    const errors = SCENARIOS.find((s) => s.id === 'errors-5pct')!;
    // Act
    const first = runTrial(errors, 10, 1234);
    const again = runTrial(errors, 10, 1234);
    // Assess
    expect(again).toEqual(first);
    expect(first.ours.rolledBack).toBe(true);
    expect(first.ours.seconds).toBeLessThan(first.flagger.seconds);
  });

  it('runs a quick benchmark and renders one table row per cell', () => {
    // Act
    const result = runBenchmark({ seed: 7, rates: [10], badTrials: 5, healthyTrials: 10, edgeTrials: 5 });
    const markdown = renderMarkdown(result);
    // Assess
    expect(result.cells).toHaveLength(SCENARIOS.length);
    expect(result.cells.find((c) => c.scenario === 'healthy')?.ours.rollbacks).toBe(0);
    expect(markdown.split('\n').filter((line) => line.startsWith('| ') && / 10 \| /.test(line))).toHaveLength(
      SCENARIOS.length,
    );
  });
});
