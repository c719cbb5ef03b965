/**
 * The oracle: Wald's sequential probability ratio test that knows the canary's true behaviour, minute by
 * minute, and the healthy behaviour it is tested against. It sees what the judges see (the canary's
 * requests per Istio bucket, failed or not, each minute) and sums the log-likelihood ratio
 * S = sum log(p_bad / p_healthy) over requests; it rolls back on the first look with S >= A.
 *
 * By Wald's identity, its false-rollback rate on healthy traffic is exactly E_bad[exp(-S_tau); tau <= T]:
 * the benchmark tunes A on the bad trials themselves so that this rate equals a target (ours' measured
 * rate), with no healthy run needed. Among all tests with that false-rollback rate, the SPRT needs the
 * fewest observations on average (Wald and Wolfowitz, 1948); truncated at 30 looks a minute apart it
 * is a close lower bound, not an exact one.
 *
 * For time to pass, the oracle is the SPRT between healthy and a reference bad canary (1% errors, the
 * smallest error effect simulated) with 1% false passes: it passes on the first look with
 * S <= log(0.01).
 */
import type { Scenario } from './scenarios.js';
import { BASELINE_MODEL, canaryModelAt, HORIZON_MINUTES } from './scenarios.js';
import { bucketProbabilities, uniformModel, type VersionModel, type WindowCounts } from './traffic.js';

/** The bad canary the oracle's pass test guards against. */
export const ORACLE_PASS_REFERENCE: VersionModel = uniformModel(0.01, 100, 400);

/** False passes the oracle's pass test allows (against the reference). */
export const ORACLE_FALSE_PASS = 0.01;

/** Per-request log-likelihood ratios of each (bucket, failed or not) outcome. */
interface LogRatios {
  readonly ok: readonly number[];
  readonly error: readonly number[];
}

/** The log-likelihood ratio of a bad model against the healthy one, per minute of canary counts. */
export class LikelihoodRatio {
  private readonly cache = new Map<VersionModel, LogRatios>();
  private readonly healthy = bucketProbabilities(BASELINE_MODEL);

  /** The increment of S for one minute of the canary's counts, when it behaves as `bad` says. */
  increment(bad: VersionModel, counts: WindowCounts): number {
    if (bad === BASELINE_MODEL) return 0;
    const ratios = this.ratiosOf(bad);
    let sum = 0;
    for (let i = 0; i < ratios.ok.length; i++) {
      const ok = counts.okPerBucket[i]!;
      const failed = counts.errorPerBucket[i]!;
      if (ok > 0) sum += ok * ratios.ok[i]!;
      if (failed > 0) sum += failed * ratios.error[i]!;
    }
    return sum;
  }

  private ratiosOf(bad: VersionModel): LogRatios {
    const cached = this.cache.get(bad);
    if (cached !== undefined) return cached;
    const p = bucketProbabilities(bad);
    const logRatio = (p1: number, p0: number) => (p1 > 0 && p0 > 0 ? Math.log(p1 / p0) : p1 > 0 ? 50 : -50);
    const ratios = {
      ok: p.ok.map((p1, i) => logRatio(p1, this.healthy.ok[i]!)),
      error: p.error.map((p1, i) => logRatio(p1, this.healthy.error[i]!)),
    };
    this.cache.set(bad, ratios);
    return ratios;
  }
}

/** S after each look (index 0 is after minute 1), for the scenario's own bad model. */
export function oraclePath(
  scenario: Scenario,
  minutes: readonly WindowCounts[],
  ratio: LikelihoodRatio,
): number[] {
  let s = 0;
  return minutes.slice(0, HORIZON_MINUTES).map((counts, index) => {
    s += ratio.increment(canaryModelAt(scenario, index + 1), counts);
    return s;
  });
}

/** The first look (1-based) at which the oracle's pass test passes, if it does within the horizon. */
export function oraclePassMinute(minutes: readonly WindowCounts[], ratio: LikelihoodRatio): number | null {
  const boundary = Math.log(ORACLE_FALSE_PASS);
  let s = 0;
  for (let i = 0; i < Math.min(minutes.length, HORIZON_MINUTES); i++) {
    s += ratio.increment(ORACLE_PASS_REFERENCE, minutes[i]!);
    if (s <= boundary) return i + 1;
  }
  return null;
}

/** The first look (1-based) at which S reaches `threshold`, or null. */
export function crossing(path: readonly number[], threshold: number): number | null {
  const index = path.findIndex((s) => s >= threshold);
  return index < 0 ? null : index + 1;
}

/**
 * The oracle's false-rollback rate on healthy traffic with threshold A, from bad trials' paths:
 * E_bad[exp(-S_tau); tau <= horizon] (a change of measure, exact in expectation).
 */
export function falseRollbackRate(paths: readonly (readonly number[])[], threshold: number): number {
  let sum = 0;
  for (const path of paths) {
    const minute = crossing(path, threshold);
    if (minute !== null) sum += Math.exp(-path[minute - 1]!);
  }
  return sum / paths.length;
}

/** The threshold A whose false-rollback rate is `target` (bisection; the rate falls as A grows). */
export function calibrateThreshold(paths: readonly (readonly number[])[], target: number): number {
  let low = 0;
  let high = 60;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (falseRollbackRate(paths, mid) > target) low = mid;
    else high = mid;
  }
  return high;
}
