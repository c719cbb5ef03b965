/**
 * The two-sample Mann-Whitney (Wilcoxon rank-sum) confidence interval for a location shift, as Kayenta
 * computes it (spinnaker/kayenta, kayenta-mannwhitney, MannWhitney.scala and BrentSolver.java, read at
 * a69573be): the normal approximation with continuity and tie corrections, the interval's ends and the
 * estimate found as the shifts where the standardized statistic crosses the normal quantiles (R's
 * `wilcox.test` with `conf.int = TRUE, exact = FALSE`), each found by Brent's method with an absolute
 * tolerance of 1e-4, as R's `uniroot` and Kayenta do. The statistic is a step function of the shift,
 * so the roots land within that tolerance of a jump, on either side: for error ratios (around 0.001)
 * the tolerance is not small, and Kayenta's classification inherits it.
 */

/** A location-shift interval for x - y and its point estimate. */
export interface ShiftInterval {
  readonly lower: number;
  readonly upper: number;
  readonly estimate: number;
}

/** All observations are tied: the statistic has no spread (Kayenta throws, the metric is an Error). */
export class AllTiedError extends Error {
  override readonly name = 'AllTiedError';
  constructor(message = 'cannot compute a confidence interval when all observations are tied') {
    super(message);
  }
}

/**
 * Confidence interval (at `confidenceLevel`) and estimate of the shift between samples x and y.
 *
 * @example mannWhitneyInterval([5, 6, 7, 8], [1, 2, 3, 4], 0.9).estimate // 4
 * @throws AllTiedError when every observation is equal
 */
export function mannWhitneyInterval(
  x: readonly number[],
  y: readonly number[],
  confidenceLevel: number,
): ShiftInterval {
  const muMin = Math.min(...x) - Math.max(...y);
  const muMax = Math.max(...x) - Math.min(...y);
  const z = normalQuantile(1 - (1 - confidenceLevel) / 2);
  const f = (quantile: number) => (mu: number) => standardizedStatistic(mu, x, y) - quantile;
  const root = (quantile: number) => {
    const atMin = f(quantile)(muMin);
    const atMax = f(quantile)(muMax);
    if (atMin <= 0) return muMin;
    if (atMax >= 0) return muMax;
    return brentRoot(muMin, muMax, atMin, atMax, f(quantile));
  };
  // Kayenta solves for the estimate without the end checks.
  const estimate = brentRoot(muMin, muMax, f(0)(muMin), f(0)(muMax), f(0));
  return { lower: root(z), upper: root(-z), estimate };
}

/**
 * (W - continuity) / sigma for the shift `mu`, W being the rank sum of x - mu minus its mean under no
 * shift; decreasing in `mu`.
 */
function standardizedStatistic(mu: number, x: readonly number[], y: readonly number[]): number {
  const nx = x.length;
  const ny = y.length;
  const values = [...x.map((v) => v - mu), ...y];
  const { ranks, tieCorrection } = averageRanks(values);
  let rankSum = 0;
  for (let i = 0; i < nx; i++) rankSum += ranks[i]!;
  const dz = rankSum - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
  const n = nx + ny;
  const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - tieCorrection / (n * (n - 1))));
  if (sigma === 0 || Number.isNaN(sigma)) throw new AllTiedError();
  return (dz - Math.sign(dz) * 0.5) / sigma;
}

/** Ranks 1..n with ties given their average rank, and the sum of t^3 - t over groups of t ties. */
function averageRanks(values: readonly number[]): { ranks: number[]; tieCorrection: number } {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let tieCorrection = 0;
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    const ties = end - start;
    tieCorrection += ties ** 3 - ties;
    start = end;
  }
  return { ranks, tieCorrection };
}

const ROOT_TOLERANCE = 1e-4;
const EPSILON = 2.220446049250313e-16;

/**
 * Brent's root finder (Brent, "Algorithms for Minimization without Derivatives", 1973, chapter 4; the
 * `zeroin` of Netlib and R): keeps a bracket [b, c] around the root with b the best estimate, and
 * steps by inverse interpolation when it beats bisection. Stops when the bracket is within the
 * tolerance and returns b.
 */
function brentRoot(low: number, high: number, fLow: number, fHigh: number, f: (x: number) => number): number {
  if (fLow === 0) return low;
  if (fHigh === 0) return high;
  let a = low;
  let fa = fLow;
  let b = high;
  let fb = fHigh;
  let c = a;
  let fc = fa;
  for (let iteration = 0; iteration <= 1000; iteration++) {
    const previousStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      [a, b, c] = [b, c, b];
      [fa, fb, fc] = [fb, fc, fb];
    }
    const tolerance = 2 * EPSILON * Math.abs(b) + ROOT_TOLERANCE / 2;
    let step = (c - b) / 2;
    if (Math.abs(step) <= tolerance || fb === 0) return b;
    if (Math.abs(previousStep) >= tolerance && Math.abs(fa) > Math.abs(fb)) {
      const cb = c - b;
      let p: number;
      let q: number;
      if (a === c) {
        // Two points: the secant.
        const t1 = fb / fa;
        p = cb * t1;
        q = 1 - t1;
      } else {
        // Three points: inverse quadratic interpolation.
        const qa = fa / fc;
        const t1 = fb / fc;
        const t2 = fb / fa;
        p = t2 * (cb * qa * (qa - t1) - (b - a) * (t1 - 1));
        q = (qa - 1) * (t1 - 1) * (t2 - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (p < 0.75 * cb * q - Math.abs(tolerance * q) / 2 && p < Math.abs((previousStep * q) / 2))
        step = p / q;
    }
    if (Math.abs(step) < tolerance) step = step > 0 ? tolerance : -tolerance;
    a = b;
    fa = fb;
    b += step;
    fb = f(b);
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
    }
  }
  return b;
}

/**
 * The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).
 *
 * @example normalQuantile(0.99) // 2.3263...
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
