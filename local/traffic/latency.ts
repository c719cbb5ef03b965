/** Latency distributions of simulated versions, and how they fill Istio's duration buckets. */
import type { LatencyModel } from './profile.js';

/** z such that P(Z <= z) = 0.99 for a standard normal Z. */
const Z_99 = 2.3263478740408408;

/** Probability that a request takes at most `ms` milliseconds. */
export function latencyCdf(model: LatencyModel, ms: number): number {
  switch (model.kind) {
    case 'fixed':
      return ms >= model.ms ? 1 : 0;
    case 'uniform':
      if (model.maxMs <= model.minMs) return ms >= model.minMs ? 1 : 0;
      return Math.min(1, Math.max(0, (ms - model.minMs) / (model.maxMs - model.minMs)));
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(model);
      if (ms <= 0) return 0;
      if (sigma === 0) return ms >= model.medianMs ? 1 : 0;
      return standardNormalCdf((Math.log(ms) - mu) / sigma);
    }
  }
}

/** Mean latency, which is what `_sum` grows by per request on average. */
export function latencyMean(model: LatencyModel): number {
  switch (model.kind) {
    case 'fixed':
      return model.ms;
    case 'uniform':
      return (model.minMs + model.maxMs) / 2;
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(model);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
  }
}

/** One latency drawn from the model; `normal` yields standard normal deviates. */
export function sampleLatency(model: LatencyModel, uniform: () => number, normal: () => number): number {
  switch (model.kind) {
    case 'fixed':
      return model.ms;
    case 'uniform':
      return model.minMs + (model.maxMs - model.minMs) * uniform();
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(model);
      return Math.exp(mu + sigma * normal());
    }
  }
}

/** Checks a model's numbers, returning a sentence per problem. */
export function latencyProblems(model: LatencyModel): string[] {
  switch (model.kind) {
    case 'fixed':
      return model.ms >= 0 ? [] : [`fixed latency must be >= 0 ms, got ${model.ms}`];
    case 'uniform':
      return model.minMs >= 0 && model.maxMs >= model.minMs
        ? []
        : [`uniform latency needs 0 <= minMs <= maxMs, got ${model.minMs}..${model.maxMs}`];
    case 'lognormal':
      return model.medianMs > 0 && model.p99Ms >= model.medianMs
        ? []
        : [
            `log-normal latency needs 0 < medianMs <= p99Ms, got median ${model.medianMs}, p99 ${model.p99Ms}`,
          ];
  }
}

function lognormalParameters(model: { medianMs: number; p99Ms: number }): { mu: number; sigma: number } {
  return { mu: Math.log(model.medianMs), sigma: Math.log(model.p99Ms / model.medianMs) / Z_99 };
}

/** Φ(z) through erf (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7, plenty for traffic). */
export function standardNormalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}
