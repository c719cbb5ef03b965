import { poisson, seededRandom } from '../../bench/judge/random.js';
import {
  DEFAULT_JUDGE_CONFIG,
  InvalidJudgeConfigError,
  InvalidJudgeInputError,
  ISTIO_DURATION_BUCKETS_MS,
  type JudgeInput,
  judgeCanary,
  type LatencyBucket,
  type Reason,
  type VersionTraffic,
} from '../../src/domain/judge/index.js';

/** Cumulative Istio buckets from requests per bucket, keyed by the bucket's upper edge `le`. */
function histogram(perBucket: Record<number, number>): LatencyBucket[] {
  let running = 0;
  return ISTIO_DURATION_BUCKETS_MS.map((le) => {
    running += perBucket[le] ?? 0;
    return { le, count: running };
  });
}

/** A service with p90 in (100, 250] and p99 in (250, 500], for `n` requests (a multiple of 500). */
function healthyLatency(n: number): LatencyBucket[] {
  return histogram({ 50: 0.2 * n, 100: 0.3 * n, 250: 0.44 * n, 500: 0.058 * n, 1000: 0.002 * n });
}

/** 10% of `n` requests above 500 ms (p99 about 1.8 s). */
function slowLatency(n: number): LatencyBucket[] {
  return histogram({ 100: 0.3 * n, 250: 0.4 * n, 500: 0.2 * n, 1000: 0.08 * n, 2500: 0.02 * n });
}

function look(canary: VersionTraffic, baseline: VersionTraffic, elapsedSeconds = 600, canaryIdleSeconds = 0) {
  const input: JudgeInput = { canary, baseline, elapsedSeconds, canaryIdleSeconds };
  return judgeCanary(input);
}

function reasonOf(reasons: readonly Reason[], check: Reason['check'], quantile?: number): Reason {
  const found = reasons.find(
    (r) => r.check === check && (quantile === undefined || r.figures.quantile === quantile),
  );
  if (found === undefined) throw new Error(`no ${check} reason`);
  return found;
}

describe('judgeCanary', () => {
  it('fails a clearly bad canary and says why in words and numbers', () => {
    // Prepare
    const canary = { requests: 500, errors: 24 };
    const baseline = { requests: 3000, errors: 3 };
    // Act
    const { verdict, reasons } = look(canary, baseline);
    // Assess
    expect(verdict).toBe('fail');
    expect(reasons[0]).toEqual(
      expect.objectContaining({
        check: 'errors-vs-baseline',
        status: 'fail',
        message:
          'canary error rate 4.8% (24/500) vs baseline 0.1% (3/3000): 99.99% sure it is worse than the tolerance (the larger of 0.25% and 1.5 × baseline)',
      }),
    );
    expect(reasonOf(reasons, 'success-rate').message).toBe(
      "canary success rate 95.2% (476/500) is below the 99% minimum and worse than the baseline's 99.9% (2997/3000): 99.99% sure",
    );
  });

  it('says inconclusive, not fail, on identical small samples', () => {
    // Prepare
    const canary = { requests: 20, errors: 0, latency: histogram({ 50: 4, 100: 6, 250: 9, 500: 1 }) };
    const baseline = { requests: 500, errors: 0, latency: healthyLatency(500) };
    // Act
    const { verdict, reasons } = look(canary, baseline, 120);
    // Assess
    expect(verdict).toBe('inconclusive');
    // The comparisons carry the evidence; within Flagger's limits as observed is not enough to pass
    expect(reasons.map((r) => r.status)).toEqual(['pending', 'pending', 'pending', 'pass', 'pass']);
    expect(reasonOf(reasons, 'latency-vs-baseline', 0.99).message).toBe(
      'baseline served 500 requests; 1000 needed to place its p99 before comparing the canary with it',
    );
  });

  it('says no-data when the canary served no request, and never pass', () => {
    // Prepare
    const canary = { requests: 0, errors: 0, latency: histogram({}) };
    const baseline = { requests: 2000, errors: 2, latency: healthyLatency(2000) };
    // Act
    const result = look(canary, baseline, 300, 300);
    // Assess
    expect(result).toEqual({
      verdict: 'no-data',
      reasons: [
        {
          check: 'traffic',
          status: 'no-data',
          message: 'canary received no requests in the 5 min since the analysis started',
          figures: { elapsedSeconds: 300, canaryRequests: 0 },
        },
      ],
    });
  });

  it('reports a canary that stopped receiving traffic as no-data', () => {
    // Prepare
    const canary = { requests: 300, errors: 0 };
    const baseline = { requests: 2700, errors: 3 };
    // Act
    const { verdict, reasons } = look(canary, baseline, 900, 360);
    // Assess
    expect(verdict).toBe('no-data');
    expect(reasons[0]?.message).toBe(
      'canary has received no requests for 6 min (limit 5 min): check that traffic still reaches it',
    );
  });

  it('passes a healthy canary on large samples', () => {
    // Prepare
    const canary = { requests: 20000, errors: 20, latency: healthyLatency(20000) };
    const baseline = { requests: 180000, errors: 180, latency: healthyLatency(180000) };
    // Act
    const { verdict, reasons } = look(canary, baseline);
    // Assess
    expect(verdict).toBe('pass');
    expect(reasons.every((r) => r.status === 'pass')).toBe(true);
    expect(reasonOf(reasons, 'p99-limit').message).toBe(
      'canary p99 ≈ 466 ms over 20000 requests is within the 500 ms limit: 99.99% sure at most 1% of requests take longer',
    );
  });

  it('fails on the absolute p99 limit when the baseline is within it', () => {
    // Prepare: 10% of canary requests above 500 ms, 0.2% of the baseline's
    const canary = { requests: 2000, errors: 2, latency: slowLatency(2000) };
    const baseline = { requests: 18000, errors: 18, latency: healthyLatency(18000) };
    // Act
    const { verdict, reasons } = look(canary, baseline);
    // Assess
    expect(verdict).toBe('fail');
    expect(reasonOf(reasons, 'p99-limit')).toEqual(
      expect.objectContaining({
        status: 'fail',
        message:
          'canary p99 ≈ 1.8 s over 2000 requests is above the 500 ms limit: 10% (200/2000) took longer than 500 ms (baseline 0.2% (36/18000)); 99.99% sure more than 1% do',
      }),
    );
  });

  it('holds back, without rolling back, a canary as slow as its baseline beyond the p99 limit', () => {
    // Prepare: 10% of requests above 500 ms, in both versions (a shared dependency is slow)
    const canary = { requests: 2000, errors: 2, latency: slowLatency(2000) };
    const baseline = { requests: 18000, errors: 18, latency: slowLatency(18000) };
    // Act
    const { verdict, reasons } = look(canary, baseline);
    // Assess
    expect(verdict).toBe('inconclusive');
    expect(reasons[0]).toEqual(
      expect.objectContaining({
        check: 'p99-limit',
        status: 'pending',
        message:
          "canary p99 ≈ 1.8 s over 2000 requests is above the 500 ms limit: 10% (200/2000) took longer than 500 ms; so is the baseline's, 10% (1800/18000) slower than 500 ms: a problem both versions share is not held against the canary, but it is not promoted either",
      }),
    );
    expect(reasonOf(reasons, 'latency-vs-baseline', 0.99).status).toBe('pass');
  });

  it('fails a canary slower than its baseline on the latency comparison', () => {
    // Prepare: everything twice as slow (median 200 ms, p99 800 ms) after one minute at 10 rps
    const canary = {
      requests: 600,
      errors: 0,
      latency: histogram({ 100: 73, 250: 317, 500: 173, 1000: 34, 2500: 3 }),
    };
    const baseline = { requests: 5000, errors: 5, latency: healthyLatency(5000) };
    // Act
    const { verdict, reasons } = look(canary, baseline, 60);
    // Assess
    expect(verdict).toBe('fail');
    expect(reasonOf(reasons, 'latency-vs-baseline', 0.9).message).toBe(
      "canary requests slower than 250 ms (the bucket above the baseline's p90): 35% (210/600) vs baseline 6% (300/5000): 99.99% sure it is worse than the tolerance (the larger of 10% and 2 × baseline)",
    );
  });

  it('respects the error tolerance: within it passes, beyond it fails', () => {
    // Prepare: baseline 0.1%, tolerance max(0.25%, 1.5 x 0.1%) = 0.25%
    const baseline = { requests: 9_000_000, errors: 9000 };
    // Act
    const within = look({ requests: 1_000_000, errors: 2000 }, baseline);
    const beyond = look({ requests: 1_000_000, errors: 4000 }, baseline);
    // Assess
    expect(reasonOf(within.reasons, 'errors-vs-baseline').status).toBe('pass');
    expect(within.verdict).toBe('pass');
    expect(reasonOf(beyond.reasons, 'errors-vs-baseline').status).toBe('fail');
    expect(beyond.verdict).toBe('fail');
  });

  it('neither rolls back nor promotes a canary under the success-rate limit when its baseline is too', () => {
    // Prepare: baseline 2% errors, canary 2.5% (within 1.5 x baseline), both under Flagger's 99%
    const canary = { requests: 100_000, errors: 2500 };
    const baseline = { requests: 900_000, errors: 18_000 };
    // Act
    const { verdict, reasons } = look(canary, baseline);
    // Assess
    expect(reasonOf(reasons, 'errors-vs-baseline').status).toBe('pass');
    expect(reasonOf(reasons, 'success-rate')).toEqual(
      expect.objectContaining({
        status: 'pending',
        message:
          "canary success rate 97.5% (97500/100000) is below the 99% minimum; so is the baseline's, 98% (882000/900000): a problem both versions share is not held against the canary, but it is not promoted either",
      }),
    );
    expect(verdict).toBe('inconclusive');
  });

  it('fails on the success-rate limit alone when the baseline is within it', () => {
    // Prepare: canary 2.5% errors, baseline 0.1%
    const canary = { requests: 100_000, errors: 2500 };
    const baseline = { requests: 900_000, errors: 900 };
    // Act
    const { verdict, reasons } = look(canary, baseline);
    // Assess
    expect(reasonOf(reasons, 'success-rate').status).toBe('fail');
    expect(verdict).toBe('fail');
  });

  it('passes a healthy canary after five minutes at 10 requests a second', () => {
    // Prepare: 3000 canary requests with 3 errors, the baseline 9 times as many, the same latency
    const canary = { requests: 3000, errors: 3, latency: healthyLatency(3000) };
    const baseline = { requests: 27_000, errors: 27, latency: healthyLatency(27_000) };
    // Act
    const { verdict, reasons } = look(canary, baseline, 300);
    // Assess
    expect(verdict).toBe('pass');
    expect(reasonOf(reasons, 'errors-vs-baseline').message).toBe(
      'canary error rate 0.1% (3/3000) vs baseline 0.1% (27/27000): 99.99% sure it is within the larger of 1% and 3 × baseline',
    );
  });

  it('passes a canary beyond its pass tolerance at most 1% of the time over 30 looks', () => {
    // Prepare: canary errors at exactly 3 x the baseline's 1% (the pass tolerance), 100 requests a minute
    const random = seededRandom(7);
    // Poisson errors: the traffic the conditional test is exact for
    const draw = (n: number, p: number) => poisson(random, n * p);
    const runs = 200;
    let passed = 0;
    // Act
    for (let run = 0; run < runs; run++) {
      const canary = { requests: 0, errors: 0 };
      const baseline = { requests: 0, errors: 0 };
      for (let minute = 1; minute <= 30; minute++) {
        canary.requests += 100;
        canary.errors += draw(100, 0.03);
        baseline.requests += 900;
        baseline.errors += draw(900, 0.01);
        if (reasonOf(look(canary, baseline, minute * 60).reasons, 'errors-vs-baseline').status === 'pass') {
          passed++;
          break;
        }
      }
    }
    // Assess: at most 1% in expectation; 2 of 200 or fewer with high probability
    expect(passed).toBeLessThanOrEqual(Math.ceil(0.01 * runs));
  });

  it('fails on a handful of requests only when the evidence is overwhelming', () => {
    // Prepare: 3 slow requests out of 13 (23% vs a 1% limit) is not enough; 20 errors out of 20 is
    const thirteen = { requests: 13, errors: 0, latency: histogram({ 100: 6, 250: 4, 1000: 3 }) };
    const baseline = { requests: 100, errors: 0, latency: histogram({ 50: 20, 100: 30, 250: 44, 500: 6 }) };
    // Act
    const handful = look(thirteen, baseline, 120);
    const allFailing = look({ requests: 20, errors: 20 }, { requests: 180, errors: 0 }, 120);
    // Assess
    expect(handful.verdict).toBe('inconclusive');
    expect(reasonOf(handful.reasons, 'p99-limit').message).toBe(
      'canary p99 ≈ 978 ms over 13 requests: not enough data yet to tell whether it is within the 500 ms limit; so far 98.2% sure it is above (99.99% needed to fail on fewer than 20 requests)',
    );
    expect(allFailing.verdict).toBe('fail');
  });

  it('judges on the absolute limits alone when the baseline served nothing', () => {
    // Prepare
    const canary = { requests: 2000, errors: 60 };
    // Act
    const { verdict, reasons } = look(canary, { requests: 0, errors: 0 });
    // Assess
    expect(verdict).toBe('fail');
    expect(reasonOf(reasons, 'errors-vs-baseline')).toEqual(
      expect.objectContaining({
        status: 'skipped',
        message:
          'no baseline traffic in the window: canary errors 3% (60/2000) are judged against the success-rate limit only',
      }),
    );
  });

  it("passes Flagger's limits on observation beside a baseline, on confidence without one", () => {
    // Prepare: 100 canary requests, none failed, all fast
    const canary = { requests: 100, errors: 0, latency: histogram({ 100: 100 }) };
    const baseline = { requests: 900, errors: 1, latency: histogram({ 100: 900 }) };
    // Act
    const beside = look(canary, baseline, 300);
    const alone = look(canary, { requests: 0, errors: 0 }, 300);
    const aloneLonger = look({ requests: 2000, errors: 0 }, { requests: 0, errors: 0 }, 1800);
    // Assess
    expect(reasonOf(beside.reasons, 'success-rate')).toEqual(
      expect.objectContaining({
        status: 'pass',
        message: 'canary success rate 100% (100/100) meets the 99% minimum',
      }),
    );
    expect(reasonOf(alone.reasons, 'success-rate').status).toBe('pending');
    expect(reasonOf(aloneLonger.reasons, 'success-rate').status).toBe('pass');
  });

  it('never fails a check on fewer than 3 bad requests', () => {
    // Prepare: 2 errors in 25 requests against a clean baseline and a 0.01% floor: overwhelming, but only 2
    const config = {
      ...DEFAULT_JUDGE_CONFIG,
      errorTolerance: { ...DEFAULT_JUDGE_CONFIG.errorTolerance, floorPercent: 0.01 },
    };
    const canary = { requests: 25, errors: 2 };
    const baseline = { requests: 100_000, errors: 0 };
    // Act
    const { verdict, reasons } = judgeCanary(
      { canary, baseline, elapsedSeconds: 300, canaryIdleSeconds: 0 },
      config,
    );
    // Assess
    expect(verdict).toBe('inconclusive');
    expect(reasonOf(reasons, 'errors-vs-baseline').message).toContain(
      'but only 2 bad requests (3 needed to fail)',
    );
  });

  it('refuses negative counts and out-of-range settings with typed errors', () => {
    // Prepare
    const baseline = { requests: 10, errors: 0 };
    // Act
    const negative = () => look({ requests: -1, errors: 0 }, baseline);
    const badConfig = () =>
      judgeCanary(
        { canary: baseline, baseline, elapsedSeconds: 60, canaryIdleSeconds: 0 },
        { ...DEFAULT_JUDGE_CONFIG, failConfidence: 1 },
      );
    // Assess
    expect(negative).toThrow(InvalidJudgeInputError);
    expect(negative).toThrow('canary.requests must be a finite number >= 0, got -1');
    expect(badConfig).toThrow(InvalidJudgeConfigError);
    expect(badConfig).toThrow('failConfidence must be in (0, 1), got 1');
  });
});
