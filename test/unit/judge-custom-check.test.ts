import { seededRandom } from '../../bench/judge/random.js';
import {
  type BoundedCheck,
  boundedMeanEvidence,
  customCheckProblems,
  DEFAULT_JUDGE_CONFIG,
  InvalidJudgeConfigError,
  judgeCanary,
  judgeCustomCheck,
  type MinutePair,
  type RatioCheck,
} from '../../src/domain/judge/index.js';

const checkoutFailures: RatioCheck = {
  kind: 'ratio',
  name: 'checkout failures',
  better: 'lower',
  floor: 0.005,
  ratio: 1.5,
};
const conversions: RatioCheck = {
  kind: 'ratio',
  name: 'conversions',
  better: 'higher',
  floor: 0.2,
  ratio: 1.25,
};
const cacheHitRatio: BoundedCheck = {
  kind: 'bounded',
  name: 'cache hit ratio',
  better: 'higher',
  min: 0,
  max: 1,
  absolute: 0.05,
  relative: 0,
};
const queueDepth: BoundedCheck = {
  kind: 'bounded',
  name: 'queue depth',
  better: 'lower',
  min: 0,
  max: 100,
  absolute: 10,
  relative: 0,
};

/** Minutes of a bounded metric: the baseline's values and the canary's, from two functions of the minute. */
function minutes(
  count: number,
  baseline: (m: number) => number,
  canary: (m: number) => number,
): MinutePair[] {
  return Array.from({ length: count }, (_, m) => ({ canary: canary(m), baseline: baseline(m) }));
}

describe('boundedMeanEvidence', () => {
  it('grows when the mean is beyond m0 and stays small when it is not', () => {
    // Prepare
    const high = [0.9, 0.8, 0.95, 0.9, 0.85, 0.9, 0.9, 0.8, 0.9, 0.95, 0.9, 0.85];
    const low = high.map((x) => 1 - x);
    // Act and Assess
    expect(boundedMeanEvidence(high, 0.5, 1)).toBeGreaterThan(20);
    expect(boundedMeanEvidence(low, 0.5, 1)).toBeLessThan(1);
    expect(boundedMeanEvidence(low, 0.5, -1)).toBeGreaterThan(20);
    expect(() => boundedMeanEvidence(high, 1, 1)).toThrow(RangeError);
  });
});

describe('judgeCustomCheck: ratio checks', () => {
  it('fails a canary whose checkout failures are several times the baseline, and says why', () => {
    // Act
    const reason = judgeCustomCheck(
      { check: checkoutFailures, canary: { events: 40, total: 1000 }, baseline: { events: 20, total: 9000 } },
      DEFAULT_JUDGE_CONFIG,
    );
    // Assess
    expect(reason).toEqual(
      expect.objectContaining({
        check: 'custom',
        name: 'checkout failures',
        status: 'fail',
        message:
          'checkout failures: canary 4% (40/1000) vs baseline 0.22% (20/9000): 99.99% sure it is worse than the tolerance (the larger of 0.5% and 1.5 × baseline)',
      }),
    );
  });

  it('fails a canary that converts less, passes one that converts as well', () => {
    // Prepare: the baseline converts 5% of 90,000 visits
    const baseline = { events: 4500, total: 90_000 };
    // Act
    const worse = judgeCustomCheck(
      { check: conversions, canary: { events: 300, total: 10_000 }, baseline },
      DEFAULT_JUDGE_CONFIG,
    );
    const same = judgeCustomCheck(
      { check: conversions, canary: { events: 500, total: 10_000 }, baseline },
      DEFAULT_JUDGE_CONFIG,
    );
    // Assess: 3% is below both 20% and 5% / 1.25 = 4%; 5% is above 5% / 2.5
    expect(worse.status).toBe('fail');
    expect(worse.message).toContain('worse than the tolerance (the smaller of 20% and baseline ÷ 1.25)');
    expect(same.status).toBe('pass');
  });

  it('waits while one version has no data', () => {
    // Act
    const reason = judgeCustomCheck(
      { check: checkoutFailures, canary: { events: 0, total: 0 }, baseline: { events: 2, total: 900 } },
      DEFAULT_JUDGE_CONFIG,
    );
    // Assess
    expect(reason.status).toBe('pending');
    expect(reason.message).toBe(
      'checkout failures: canary 0% (0/0) vs baseline 0.22% (2/900): no canary data yet',
    );
  });
});

describe('judgeCustomCheck: bounded checks', () => {
  it('fails a canary whose cache stopped working, through a daily swing both versions share', () => {
    // Prepare: the baseline's hit ratio swings between 0.75 and 0.95; the canary's sits near 0.1
    const swing = (m: number) => 0.85 + 0.1 * Math.sin(m / 3);
    const broken = (m: number) => 0.1 + 0.05 * Math.sin(m);
    // Act
    const early = judgeCustomCheck(
      { check: cacheHitRatio, minutes: minutes(15, swing, broken) },
      DEFAULT_JUDGE_CONFIG,
    );
    const later = judgeCustomCheck(
      { check: cacheHitRatio, minutes: minutes(16, swing, broken) },
      DEFAULT_JUDGE_CONFIG,
    );
    // Assess: evidence grows by at most log(1 + effect / range) a minute: this one needs 16
    expect(early.status).toBe('pending');
    expect(later.status).toBe('fail');
    expect(later.message).toMatch(
      /^cache hit ratio: canary mean 0\.\d+ vs baseline 0\.\d+ over 16 minutes: 99\.\d+% sure it is worse than the tolerance \(baseline − 0\.05\)$/,
    );
  });

  it('passes a canary whose observed mean is within the tolerance, holds one beyond it', () => {
    // Prepare
    const swing = (m: number) => 0.85 + 0.1 * Math.sin(m / 3);
    // Act
    const same = judgeCustomCheck(
      { check: cacheHitRatio, minutes: minutes(3, swing, swing) },
      DEFAULT_JUDGE_CONFIG,
    );
    const worse = judgeCustomCheck(
      { check: cacheHitRatio, minutes: minutes(3, swing, (m) => swing(m) - 0.1) },
      DEFAULT_JUDGE_CONFIG,
    );
    // Assess
    expect(same.status).toBe('pass');
    expect(same.message).toMatch(/: within the tolerance \(baseline − 0\.05\)$/);
    expect(worse.status).toBe('pending');
  });

  it('fails a canary at its tolerance at most 1% of the time over 30 looks', () => {
    // Prepare: queue depth, canary exactly 10 deeper than the baseline on average, noisy minute to minute
    const random = seededRandom(3);
    const runs = 300;
    let failed = 0;
    // Act
    for (let run = 0; run < runs; run++) {
      const seen: MinutePair[] = [];
      for (let minute = 0; minute < 30; minute++) {
        const baseline = 20 + 30 * random.next();
        seen.push({ baseline, canary: baseline + 10 + 40 * (random.next() - 0.5) });
        if (judgeCustomCheck({ check: queueDepth, minutes: seen }, DEFAULT_JUDGE_CONFIG).status === 'fail') {
          failed++;
          break;
        }
      }
    }
    // Assess: at most 1% in expectation; 3 of 300 or fewer with high probability
    expect(failed).toBeLessThanOrEqual(3);
  });
});

describe('custom checks in judgeCanary', () => {
  it('fails a canary that the RED checks pass when its custom check fails', () => {
    // Prepare: healthy RED after five minutes at 10 req/s, checkout failures at 4% vs 0.22%
    const input = {
      canary: { requests: 3000, errors: 3 },
      baseline: { requests: 27_000, errors: 27 },
      elapsedSeconds: 300,
      canaryIdleSeconds: 0,
    };
    const custom = [
      { check: checkoutFailures, canary: { events: 40, total: 1000 }, baseline: { events: 20, total: 9000 } },
    ];
    // Act
    const red = judgeCanary(input);
    const withCustom = judgeCanary({ ...input, custom });
    // Assess
    expect(red.verdict).toBe('pass');
    expect(withCustom.verdict).toBe('fail');
    expect(withCustom.reasons[0]).toEqual(
      expect.objectContaining({ check: 'custom', name: 'checkout failures' }),
    );
  });

  it('refuses a custom check that could never fail, naming it', () => {
    // Prepare
    const tooWide: BoundedCheck = { ...queueDepth, absolute: 150 };
    const input = {
      canary: { requests: 10, errors: 0 },
      baseline: { requests: 90, errors: 0 },
      elapsedSeconds: 60,
      canaryIdleSeconds: 0,
      custom: [{ check: tooWide, minutes: [] }],
    };
    // Act and Assess
    expect(() => judgeCanary(input)).toThrow(InvalidJudgeConfigError);
    expect(() => judgeCanary(input)).toThrow(
      `invalid custom checks: custom check "queue depth": the tolerance is wider than the metric's range: it could never fail`,
    );
    expect(customCheckProblems({ ...checkoutFailures, ratio: 0.5, floor: 2 })).toEqual([
      'custom check "checkout failures": floor must be in (0, 1), got 2',
      'custom check "checkout failures": ratio must be >= 1, got 0.5',
    ]);
  });
});
