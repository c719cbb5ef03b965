/**
 * Turns the samples of the batched queries into RED per version: pure functions, tested by value.
 * Quantiles are computed here from the bucket counts, exactly as Prometheus would.
 */

import { InvalidMetricsRequestError, NoDataError } from '../app/ports/metrics-errors.js';
import type {
  ErrorCodes,
  LatencyQuantiles,
  RedPoint,
  RedReport,
  VersionKey,
  VersionRed,
  VersionRedSeries,
} from '../app/ports/red-metrics.js';
import {
  histogramQuantile,
  type LatencyBucket,
  parseBucketBound,
  sortedBuckets,
} from './histogram-quantile.js';
import { VERSION_LABELS } from './istio-queries.js';
import type { InstantSample, RangeSeries } from './prometheus-api.js';

/**
 * A predicate on Istio's `response_code` label for a set of error codes (`5xx`, `429`, `0`...).
 * @example errorCodeMatcher(['5xx', '429'])('503') // true
 * @throws InvalidMetricsRequestError for an entry that is neither a class nor a code
 */
export function errorCodeMatcher(codes: ErrorCodes): (responseCode: string) => boolean {
  const classes = new Set<string>();
  const exact = new Set<string>();
  for (const code of codes) {
    if (/^[1-5]xx$/i.test(code)) classes.add(code[0]!);
    else if (/^\d{1,3}$/.test(code)) exact.add(String(Number(code)));
    else
      throw new InvalidMetricsRequestError(
        `error code ${JSON.stringify(code)} is neither a class like 5xx nor a code like 503`,
      );
  }
  if (classes.size === 0 && exact.size === 0)
    throw new InvalidMetricsRequestError('the set of error codes is empty');
  return (responseCode) =>
    (responseCode.length === 3 && classes.has(responseCode[0]!)) || exact.has(responseCode);
}

/** The version a series belongs to (labels Prometheus dropped for being empty read as ''). */
export function versionKeyOf(labels: Readonly<Record<string, string>>): VersionKey {
  const [namespace, service, version, workload] = VERSION_LABELS.map((label) => labels[label] ?? '');
  return { namespace: namespace!, service: service!, version: version!, workload: workload! };
}

function idOf(key: VersionKey): string {
  return `${key.namespace}\u0000${key.service}\u0000${key.version}\u0000${key.workload}`;
}

function compareKeys(a: VersionKey, b: VersionKey): number {
  for (const field of ['namespace', 'service', 'version', 'workload'] as const) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

/** p50, p90 and p99 of cumulative buckets, or undefined when they hold no observation. */
export function latencyQuantiles(buckets: readonly LatencyBucket[]): LatencyQuantiles | undefined {
  const p50 = histogramQuantile(0.5, buckets);
  const p90 = histogramQuantile(0.9, buckets);
  const p99 = histogramQuantile(0.99, buckets);
  return [p50, p90, p99].some(Number.isNaN) ? undefined : { p50, p90, p99 };
}

interface Accumulator {
  key: VersionKey;
  requests: number;
  errors: number;
  buckets: LatencyBucket[];
  hasRequests: boolean;
}

/**
 * Keeps one reporter per service, across all the given groups of samples: the one that saw more of its
 * requests in the first group (sidecars, `destination`, or the waypoint of Istio's ambient mode), the waypoint
 * on a tie. A service whose pods keep sidecars behind a waypoint has each request reported twice, and its
 * sidecars also see what skips the waypoint (traffic from an ingress gateway): their count is the whole one.
 * A waypoint no longer in use (its counters flat at zero) never hides the sidecars. A sample without a
 * reporter label counts as the sidecars'.
 *
 * @example oneReporterPerService((s) => s.value, requests, buckets) // [requests of one reporter per service, buckets likewise]
 */
export function oneReporterPerService<T extends { labels: Readonly<Record<string, string>> }>(
  sizeOf: (sample: T) => number,
  ...groups: readonly (readonly T[])[]
): T[][] {
  const serviceOf = (labels: Readonly<Record<string, string>>) =>
    `${labels.destination_workload_namespace ?? ''}\u0000${labels.destination_service_name ?? ''}`;
  const reporterOf = (sample: T) => (sample.labels.reporter === 'waypoint' ? 'waypoint' : 'destination');
  const seen = new Map<string, { destination: number; waypoint: number; sidecars: boolean }>();
  for (const sample of groups[0] ?? []) {
    const key = serviceOf(sample.labels);
    const totals = seen.get(key) ?? { destination: 0, waypoint: 0, sidecars: false };
    totals[reporterOf(sample)] += sizeOf(sample);
    if (reporterOf(sample) === 'destination') totals.sidecars = true;
    seen.set(key, totals);
  }
  const chosen = (key: string) => {
    const totals = seen.get(key);
    if (!totals) return undefined;
    if (totals.waypoint > 0 && totals.waypoint >= totals.destination) return 'waypoint';
    return totals.sidecars ? 'destination' : 'waypoint';
  };
  return groups.map((group) =>
    group.filter((sample) => {
      const pick = chosen(serviceOf(sample.labels));
      return pick === undefined || pick === reporterOf(sample);
    }),
  );
}

/**
 * RED per version from the two batched instant queries: requests by response code and bucket counts.
 * @example assembleRed({ requestsByCode, buckets, windowSeconds: 300, errorCodes: ['5xx'] })
 */
export function assembleRed(input: {
  requestsByCode: readonly InstantSample[];
  buckets: readonly InstantSample[];
  windowSeconds: number;
  errorCodes: ErrorCodes;
}): VersionRed[] {
  const isError = errorCodeMatcher(input.errorCodes);
  const [requestsByCode = [], buckets = []] = oneReporterPerService(
    (sample) => sample.value,
    input.requestsByCode,
    input.buckets,
  );
  const rows = new Map<string, Accumulator>();
  const rowOf = (labels: Readonly<Record<string, string>>) => {
    const key = versionKeyOf(labels);
    const id = idOf(key);
    let row = rows.get(id);
    if (!row) {
      row = { key, requests: 0, errors: 0, buckets: [], hasRequests: false };
      rows.set(id, row);
    }
    return row;
  };
  for (const sample of requestsByCode) {
    const row = rowOf(sample.labels);
    row.hasRequests = true;
    row.requests += sample.value;
    if (isError(sample.labels.response_code ?? '')) row.errors += sample.value;
  }
  for (const sample of buckets) {
    const le = parseBucketBound(sample.labels.le ?? '');
    if (le !== undefined) rowOf(sample.labels).buckets.push({ le, count: sample.value });
  }
  return [...rows.values()]
    .map((row): VersionRed => {
      const buckets = sortedBuckets(row.buckets);
      return {
        ...row.key,
        requests: row.requests,
        requestRate: row.requests / input.windowSeconds,
        errors: row.errors,
        errorRate: row.hasRequests && row.requests > 0 ? row.errors / row.requests : undefined,
        latencyMs: latencyQuantiles(buckets),
        buckets,
      };
    })
    .sort(compareKeys);
}

/**
 * Chart series per version from the two batched range queries (request rates by code, bucket rates).
 * Steps where a value cannot be computed get undefined, so a chart shows a gap rather than a false zero.
 */
export function assembleRedRange(input: {
  requestRatesByCode: readonly RangeSeries[];
  bucketRates: readonly RangeSeries[];
  errorCodes: ErrorCodes;
}): VersionRedSeries[] {
  const isError = errorCodeMatcher(input.errorCodes);
  const [requestRatesByCode = [], bucketRates = []] = oneReporterPerService(
    (series) => series.points.reduce((sum, point) => sum + point.value, 0),
    input.requestRatesByCode,
    input.bucketRates,
  );
  type Step = { rate: number; errorRate: number; hasRate: boolean; buckets: LatencyBucket[] };
  const versions = new Map<string, { key: VersionKey; steps: Map<number, Step> }>();
  const stepOf = (labels: Readonly<Record<string, string>>, atMs: number) => {
    const key = versionKeyOf(labels);
    const id = idOf(key);
    let version = versions.get(id);
    if (!version) {
      version = { key, steps: new Map() };
      versions.set(id, version);
    }
    let step = version.steps.get(atMs);
    if (!step) {
      step = { rate: 0, errorRate: 0, hasRate: false, buckets: [] };
      version.steps.set(atMs, step);
    }
    return step;
  };
  for (const series of requestRatesByCode) {
    const error = isError(series.labels.response_code ?? '');
    for (const point of series.points) {
      const step = stepOf(series.labels, point.atMs);
      step.hasRate = true;
      step.rate += point.value;
      if (error) step.errorRate += point.value;
    }
  }
  for (const series of bucketRates) {
    const le = parseBucketBound(series.labels.le ?? '');
    if (le === undefined) continue;
    for (const point of series.points)
      stepOf(series.labels, point.atMs).buckets.push({ le, count: point.value });
  }
  return [...versions.values()]
    .map(({ key, steps }): VersionRedSeries => {
      const points = [...steps.entries()]
        .sort(([a], [b]) => a - b)
        .map(([atMs, step]): RedPoint => {
          const p99 = histogramQuantile(0.99, step.buckets);
          return {
            atMs,
            requestRate: step.hasRate ? step.rate : undefined,
            errorRate: step.hasRate && step.rate > 0 ? step.errorRate / step.rate : undefined,
            p99Ms: Number.isNaN(p99) ? undefined : p99,
          };
        });
      return { ...key, points };
    })
    .sort(compareKeys);
}

/**
 * The versions of a report that match every given field.
 * @example versionsMatching(report, { service: 'reviews', version: 'v2' })
 */
export function versionsMatching(
  report: Pick<RedReport, 'versions'>,
  match: Partial<VersionKey>,
): VersionRed[] {
  const fields = Object.entries(match).filter(([, value]) => value !== undefined) as [
    keyof VersionKey,
    string,
  ][];
  return report.versions.filter((version) => fields.every(([field, value]) => version[field] === value));
}

/**
 * The one version of a report that matches, or NoDataError when there is none: a missing version is
 * never read as zero traffic.
 * @throws NoDataError; InvalidMetricsRequestError when several versions match
 */
export function requireVersion(report: Pick<RedReport, 'versions'>, match: Partial<VersionKey>): VersionRed {
  const found = versionsMatching(report, match);
  const described = Object.entries(match)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => `${field}=${value}`)
    .join(', ');
  if (found.length === 0) throw new NoDataError(`no metrics for ${described} in the window`);
  if (found.length > 1) {
    throw new InvalidMetricsRequestError(
      `${found.length} versions match ${described}; name the workload too`,
    );
  }
  return found[0]!;
}
