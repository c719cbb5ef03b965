/**
 * Always-valid evidence about the mean of bounded observations (values in [0, 1]), as e-values built
 * from betting martingales (Waudby-Smith and Ramdas, "Estimating means of bounded random variables by
 * betting", 2023): for the null "each observation's conditional mean is at most m0", the wealth
 * prod(1 + lambda (x_i - m0)) of a fixed bet lambda in [0, 1/m0] is a nonnegative supermartingale, and
 * so is an average of such wealths over several bets. No distribution is assumed beyond the bounds,
 * and observations may drift over time (a diurnal rate) as long as the null holds at every step.
 *
 * The evidence is recomputed from the whole series at every look, so the judge stays stateless: the
 * same series gives the same wealth.
 */

/** Bets as fractions of the largest allowed bet; small ones for small effects, none at the edge. */
const BET_FRACTIONS: readonly number[] = [1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 3 / 4];

/**
 * Evidence that the mean of `values` (each in [0, 1]) is above `m0` (side +1; e-value against H0: every
 * conditional mean is at most m0) or below it (side -1; against H0: every conditional mean is at least m0).
 *
 * @example boundedMeanEvidence([0.9, 0.8, 0.95, 0.9, 0.85, 0.9, 0.9, 0.8, 0.9, 0.95, 0.9, 0.85], 0.5, 1) // > 20
 */
export function boundedMeanEvidence(values: readonly number[], m0: number, side: 1 | -1): number {
  if (!(m0 > 0 && m0 < 1)) throw new RangeError(`m0 must be in (0, 1), got ${m0}`);
  // The largest bet keeps every factor >= 0: 1 + lambda (0 - m0) for side +1, 1 - lambda (1 - m0) for -1.
  const largest = side > 0 ? 1 / m0 : 1 / (1 - m0);
  let total = 0;
  for (const fraction of BET_FRACTIONS) {
    const bet = side * fraction * largest;
    let logWealth = 0;
    for (const value of values) {
      const x = Math.min(Math.max(value, 0), 1);
      logWealth += Math.log1p(bet * (x - m0));
    }
    total += Math.exp(logWealth);
  }
  return total / BET_FRACTIONS.length;
}
