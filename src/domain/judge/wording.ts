/** Numbers as people read them in a chat message. */

/**
 * A proportion as a percentage with a sensible number of decimals.
 *
 * @example formatPercent(0.048) // '4.8%'
 * @example formatPercent(0.00093) // '0.093%'
 */
export function formatPercent(proportion: number): string {
  if (!Number.isFinite(proportion)) return 'n/a';
  const percent = proportion * 100;
  const decimals = percent === 0 || percent >= 1 ? 1 : percent >= 0.1 ? 2 : 3;
  return `${Number(percent.toFixed(decimals))}%`;
}

/** A count; fractional counts (Prometheus extrapolation) keep one decimal. */
export function formatCount(count: number): string {
  return Number.isInteger(count) ? String(count) : count.toFixed(1);
}

/** `hits/total` as a percentage with the raw counts, e.g. `4.8% (24/500)`. */
export function formatShare(hits: number, total: number): string {
  return `${formatPercent(total > 0 ? hits / total : 0)} (${formatCount(hits)}/${formatCount(total)})`;
}

/**
 * A confidence, rounded down so that it never overstates, e.g. `99.9%`.
 *
 * @example formatConfidence(0.99987) // '99.98%'
 */
export function formatConfidence(confidence: number): string {
  // Never print 100%: the evidence is finite.
  const percent = Math.min(confidence * 100, 99.99);
  const decimals = percent >= 99.9 ? 2 : 1;
  const factor = 10 ** decimals;
  // The epsilon absorbs binary rounding (0.995 * 100 is 99.49999...).
  return `${Number((Math.floor(percent * factor + 1e-6) / factor).toFixed(decimals))}%`;
}

/**
 * A duration in seconds, e.g. `45 s`, `3 min`, `1 h 5 min`.
 */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}

/** A latency in milliseconds, e.g. `820 ms`, `2.5 s`. */
export function formatMilliseconds(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${Number(ms.toPrecision(3))} ms`;
}

/** A quantile as its usual name, e.g. 0.99 -> `p99`, 0.999 -> `p99.9`. */
export function quantileName(q: number): string {
  return `p${Number((q * 100).toFixed(3))}`;
}
