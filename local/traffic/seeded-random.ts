/** A small seeded generator so a "random" traffic run can be repeated exactly. */

export interface RandomSource {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal deviate. */
  normal(): number;
  /** Poisson deviate with mean `lambda`. */
  poisson(lambda: number): number;
}

/** mulberry32: 32-bit state, good enough spread for simulated traffic, not for anything secret. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    // Box-Muller; 1 - u keeps the logarithm away from 0.
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const poisson = (lambda: number) => {
    if (!(lambda > 0)) return 0;
    if (lambda < 30) {
      // Knuth: multiply uniforms until the product drops below e^-lambda.
      const limit = Math.exp(-lambda);
      let k = 0;
      let product = uniform();
      while (product > limit) {
        k++;
        product *= uniform();
      }
      return k;
    }
    // For large means the normal approximation is within a fraction of a percent.
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal()));
  };
  return { uniform, normal, poisson };
}
