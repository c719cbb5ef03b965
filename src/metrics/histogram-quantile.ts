/**
 * Quantiles from cumulative bucket counts, computed exactly as Prometheus' `histogram_quantile` does
 * for classic histograms (promql/quantile.go, 2.x), so a number computed here from the batched bucket
 * query equals the one Prometheus would return for the same series.
 */

/** One cumulative bucket: `count` observations were at most `le` (`le` is `Infinity` for `+Inf`). */
export interface LatencyBucket {
  readonly le: number;
  readonly count: number;
}

const INFINITY = /^[+-]?inf(inity)?$/i;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The number in an `le` label as Go's strconv.ParseFloat reads it (`+Inf`, `0.5`, `1e3`), or undefined
 * when it is not a number; Prometheus skips such series.
 * @example parseBucketBound('+Inf') // Infinity
 */
export function parseBucketBound(le: string): number | undefined {
  if (INFINITY.test(le)) return le.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/i.test(le)) return Number.NaN;
  if (!DECIMAL.test(le)) return undefined;
  return Number(le);
}

/**
 * Prometheus' `histogram_quantile(q, buckets)`: buckets sorted by `le`, equal bounds merged, counts made
 * monotonic; linear interpolation inside the bucket that holds rank q * total, from 0 for the first
 * bucket; the upper bound of the last finite bucket when the rank falls in `+Inf`.
 * NaN without a `+Inf` bucket, with fewer than two buckets or with no observation; -Inf / +Inf for
 * q < 0 / q > 1.
 *
 * @example histogramQuantile(0.5, [{ le: 10, count: 40 }, { le: 20, count: 80 }, { le: Infinity, count: 80 }]) // 10
 */
export function histogramQuantile(q: number, buckets: readonly LatencyBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (buckets.length === 0) return Number.NaN;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted[sorted.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const merged = monotonic(coalesce(sorted));
  if (merged.length < 2) return Number.NaN;
  const observations = merged[merged.length - 1]!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // Binary search over all but the +Inf bucket, like Go's sort.Search(len-1, count >= rank).
  let b = merged.length - 1;
  for (let i = 0; i < merged.length - 1; i++) {
    if (merged[i]!.count >= rank) {
      b = i;
      break;
    }
  }
  if (b === merged.length - 1) return merged[merged.length - 2]!.le;
  if (b === 0 && merged[0]!.le <= 0) return merged[0]!.le;
  let bucketStart = 0;
  const bucketEnd = merged[b]!.le;
  let count = merged[b]!.count;
  if (b > 0) {
    bucketStart = merged[b - 1]!.le;
    count -= merged[b - 1]!.count;
    rank -= merged[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * Buckets as Prometheus returns them for one version: sorted by `le`, buckets with the same bound summed.
 * Counts are left as measured (not forced monotonic), since they are raw data for the judge.
 */
export function sortedBuckets(buckets: readonly LatencyBucket[]): LatencyBucket[] {
  return coalesce([...buckets].sort((a, b) => a.le - b.le));
}

function coalesce(sorted: readonly LatencyBucket[]): LatencyBucket[] {
  const out: { le: number; count: number }[] = [];
  for (const bucket of sorted) {
    const last = out[out.length - 1];
    if (last && last.le === bucket.le) last.count += bucket.count;
    else out.push({ le: bucket.le, count: bucket.count });
  }
  return out;
}

// Counts of separately extrapolated bucket series can dip; Prometheus raises each to the running maximum.
function monotonic(buckets: LatencyBucket[]): LatencyBucket[] {
  let max = Number.NEGATIVE_INFINITY;
  return buckets.map((b) => {
    if (b.count > max) max = b.count;
    return b.count < max ? { le: b.le, count: max } : b;
  });
}
