/**
 * Latency histograms as Istio exports them (`istio_request_duration_milliseconds_bucket`): cumulative
 * counts of requests that took at most `le` milliseconds, the last bucket being `le = +Inf`.
 */

/** One cumulative bucket: `count` requests took at most `le` ms (`le` may be `Infinity`). */
export interface LatencyBucket {
  readonly le: number;
  readonly count: number;
}

/** Istio's default bucket boundaries in milliseconds (the last one is +Inf). */
export const ISTIO_DURATION_BUCKETS_MS: readonly number[] = [
  0.5,
  1,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10000,
  30000,
  60000,
  300000,
  600000,
  1800000,
  3600000,
  Number.POSITIVE_INFINITY,
];

/**
 * Sorted, cumulative-monotonic copy of a histogram with a `+Inf` bucket, or `undefined` when there is
 * none. Counts that dip (Prometheus extrapolates each bucket series on its own) are raised to the running
 * maximum, as `histogram_quantile` does.
 */
export function normalizeHistogram(buckets: readonly LatencyBucket[]): LatencyBucket[] | undefined {
  const sorted = [...buckets]
    .filter((b) => !Number.isNaN(b.le) && Number.isFinite(b.count))
    .sort((a, b) => a.le - b.le);
  if (sorted.length === 0 || sorted[sorted.length - 1]!.le !== Number.POSITIVE_INFINITY) return undefined;
  let running = 0;
  return sorted.map((b) => {
    running = Math.max(running, b.count, 0);
    return { le: b.le, count: running };
  });
}

/** Number of requests in the histogram (the `+Inf` bucket). */
export function histogramTotal(histogram: readonly LatencyBucket[]): number {
  return histogram[histogram.length - 1]?.count ?? 0;
}

/** Requests slower than the bucket boundary `le` (which must be one of the histogram's boundaries). */
export function countSlowerThanBoundary(histogram: readonly LatencyBucket[], le: number): number {
  const bucket = histogram.find((b) => b.le === le);
  return bucket === undefined ? 0 : histogramTotal(histogram) - bucket.count;
}

/** Smallest boundary >= `ms`: requests above it surely took longer than `ms` (a lower bound). */
export function boundaryAtOrAbove(histogram: readonly LatencyBucket[], ms: number): number {
  return histogram.find((b) => b.le >= ms)?.le ?? Number.POSITIVE_INFINITY;
}

/** Largest boundary <= `ms` (0 if none): requests above it may have taken longer than `ms` (an upper bound). */
export function boundaryAtOrBelow(histogram: readonly LatencyBucket[], ms: number): number {
  let found = 0;
  for (const b of histogram) if (b.le <= ms) found = b.le;
  return found;
}

/**
 * The first finite boundary that holds at least a fraction `q` of the requests (the upper edge of the
 * bucket containing the q-quantile), or `undefined` when the quantile lies in the `+Inf` bucket or the
 * histogram is empty.
 */
export function quantileBoundary(histogram: readonly LatencyBucket[], q: number): number | undefined {
  const total = histogramTotal(histogram);
  if (total <= 0) return undefined;
  const bucket = histogram.find((b) => b.count >= q * total);
  return bucket === undefined || bucket.le === Number.POSITIVE_INFINITY ? undefined : bucket.le;
}

/**
 * Prometheus' `histogram_quantile(q, ...)` on cumulative counts: linear interpolation inside the bucket
 * holding rank q * total, the upper edge of the last finite bucket when the rank falls in `+Inf`, and
 * NaN when there is no observation.
 *
 * @example histogramQuantile(0.99, [{ le: 100, count: 90 }, { le: 500, count: 100 }, { le: Infinity, count: 100 }]) // 460
 */
export function histogramQuantile(q: number, histogram: readonly LatencyBucket[]): number {
  if (histogram.length < 2) return Number.NaN;
  const total = histogramTotal(histogram);
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  const index = histogram.findIndex((b) => b.count >= rank);
  if (index === histogram.length - 1) return histogram[histogram.length - 2]!.le;
  const bucket = histogram[index]!;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const previous = index > 0 ? histogram[index - 1]! : { le: 0, count: 0 };
  const inBucket = bucket.count - previous.count;
  return previous.le + (bucket.le - previous.le) * ((rank - previous.count) / inBucket);
}
