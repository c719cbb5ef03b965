/**
 * Always-valid evidence about a proportion, as e-values (mixture likelihood ratios).
 *
 * An e-value E against a null hypothesis H0 satisfies, for every stopping rule, P(E >= 1/alpha) <= alpha
 * under H0 (Ville's inequality). So the judge may look at growing data every minute, as often as it
 * likes, and still wrongly reject H0 at most alpha of the time over the whole analysis.
 *
 * Each e-value is a weighted mixture of likelihood ratios p_k^x (1-p_k)^(n-x) / p0^x (1-p0)^(n-x) over
 * alternatives p_k on one side of p0. For the one-sided null "p <= p0", every such ratio with p_k > p0
 * is a supermartingale under any p <= p0, so the mixture is one too (same for the mirror image).
 */

/** Shifts of the alternatives from p0, in logit units, geometric from 0.01 to about 12. */
const LOGIT_SHIFTS: readonly number[] = geometricGrid(0.01, 12, 1.08);

/**
 * Log prior weights of the shifts: a Gamma(3, 1) density on the logit shift (mode 2, mean 3), which
 * favours the 5x-20x rate changes of a broken release and still covers small, slow effects. The
 * geometric grid's spacing is proportional to d, hence d^3 rather than d^2.
 */
const LOG_WEIGHTS: readonly number[] = normalizedLogWeights(LOGIT_SHIFTS.map((d) => 3 * Math.log(d) - d));

/**
 * Evidence that a proportion is above `p0` (e-value against H0: p <= p0).
 *
 * @param hits events seen (errors, slow requests, ...); may be fractional (Prometheus extrapolation)
 * @param trials opportunities (requests)
 * @param p0 the proportion under test, strictly between 0 and 1
 * @example upperEvidence(12, 100, 0.01) // > 1e5: 12/100 is far above 1%
 */
export function upperEvidence(hits: number, trials: number, p0: number): number {
  return Math.exp(logMixtureRatio(hits, trials, p0, +1));
}

/**
 * Evidence that a proportion is below `p0` (e-value against H0: p >= p0).
 *
 * @example lowerEvidence(0, 2000, 0.01) // > 20: no error in 2000 requests is well below 1%
 */
export function lowerEvidence(hits: number, trials: number, p0: number): number {
  return Math.exp(logMixtureRatio(hits, trials, p0, -1));
}

/**
 * The confidence an e-value gives, 1 - 1/E (an always-valid p-value of 1/E), clamped to [0, 1).
 *
 * @example confidenceOf(1000) // 0.999
 */
export function confidenceOf(evidence: number): number {
  if (!(evidence > 1)) return 0;
  return 1 - 1 / evidence;
}

function logMixtureRatio(hits: number, trials: number, p0: number, side: 1 | -1): number {
  const x = Math.min(Math.max(hits, 0), Math.max(trials, 0));
  const misses = Math.max(trials, 0) - x;
  if (p0 <= 0) return side > 0 && x > 0 ? Number.POSITIVE_INFINITY : 0;
  if (p0 >= 1) return side < 0 && misses > 0 ? Number.POSITIVE_INFINITY : 0;
  if (trials <= 0) return 0;
  const { perHit, perMiss } = coefficients(p0, side);
  let max = Number.NEGATIVE_INFINITY;
  const terms: number[] = new Array(LOGIT_SHIFTS.length);
  for (let k = 0; k < LOGIT_SHIFTS.length; k++) {
    const term = LOG_WEIGHTS[k]! + x * perHit[k]! + misses * perMiss[k]!;
    terms[k] = term;
    if (term > max) max = term;
  }
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (const term of terms) sum += Math.exp(term - max);
  return max + Math.log(sum);
}

/** Per-alternative log-likelihood ratios of one hit and one miss, for a given p0 and side. */
interface Coefficients {
  readonly perHit: readonly number[];
  readonly perMiss: readonly number[];
}

/** Coefficients of recent (p0, side) pairs: the judge asks about the same floors again and again. */
const COEFFICIENTS = new Map<number, Coefficients>();
const MAX_CACHED = 256;

function coefficients(p0: number, side: 1 | -1): Coefficients {
  const key = side * p0;
  const cached = COEFFICIENTS.get(key);
  if (cached !== undefined) return cached;
  const base = logit(p0);
  const logP0 = Math.log(p0);
  const logQ0 = Math.log1p(-p0);
  const zs = LOGIT_SHIFTS.map((shift) => base + side * shift);
  const computed = {
    perHit: zs.map((z) => logSigmoid(z) - logP0),
    perMiss: zs.map((z) => logSigmoid(-z) - logQ0),
  };
  if (COEFFICIENTS.size >= MAX_CACHED) COEFFICIENTS.clear();
  COEFFICIENTS.set(key, computed);
  return computed;
}

function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

/** log(1 / (1 + e^-z)), stable for large |z|. */
function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

function geometricGrid(from: number, to: number, factor: number): number[] {
  const grid: number[] = [];
  for (let d = from; d <= to; d *= factor) grid.push(d);
  return grid;
}

function normalizedLogWeights(logDensityTimesJacobian: readonly number[]): number[] {
  const max = Math.max(...logDensityTimesJacobian);
  const logTotal = max + Math.log(logDensityTimesJacobian.reduce((sum, w) => sum + Math.exp(w - max), 0));
  return logDensityTimesJacobian.map((w) => w - logTotal);
}
