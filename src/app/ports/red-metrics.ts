/**
 * RED values (Rate, Errors, Duration) per version of a service, as the reader returns them and the judge
 * and the Slack views consume them. Plain data, no I/O.
 */
import type { LatencyBucket } from '../../domain/judge/index.js';

export type { LatencyBucket } from '../../domain/judge/index.js';

/**
 * One version of one service, as Istio labels it: `destination_workload_namespace`,
 * `destination_service_name`, `destination_version`, `destination_workload`.
 */
export interface VersionKey {
  readonly namespace: string;
  /** `destination_service_name`: `reviews` for subset-based releases, `apps-svc-v2` for host-based ones. */
  readonly service: string;
  /** `destination_version` (the pods' `version` label; `unknown` when they have none). */
  readonly version: string;
  readonly workload: string;
}

/** Latency quantiles in milliseconds, interpolated from the buckets as `histogram_quantile` does. */
export interface LatencyQuantiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** RED of one version over one window. Counts may be fractional when Prometheus extrapolates. */
export interface VersionRed extends VersionKey {
  /** Requests in the window. */
  readonly requests: number;
  /** Requests per second over the window. */
  readonly requestRate: number;
  /** Requests answered with an error code (5xx unless configured otherwise). */
  readonly errors: number;
  /** errors / requests; undefined when the version served no request in the window (never 0 for "none"). */
  readonly errorRate: number | undefined;
  /** undefined when no request was measured in the window. */
  readonly latencyMs: LatencyQuantiles | undefined;
  /**
   * Cumulative bucket counts in the window, sorted by `le` (ms; `Infinity` for `+Inf`), as Prometheus
   * returned them: what the judge reads as `latency`.
   */
  readonly buckets: readonly LatencyBucket[];
}

/** Which services to read: every version of them is found from the data. */
export interface RedSelection {
  /** `destination_workload_namespace` values; at least one. */
  readonly namespaces: readonly string[];
  /** `destination_service_name` values (in any of the namespaces); default every service. */
  readonly services?: readonly string[];
}

/**
 * Response codes counted as errors: classes such as `5xx` or exact codes such as `429` or `0` (Envoy's
 * code when no response was sent). Default `['5xx']`, like Flagger.
 */
export type ErrorCodes = readonly string[];

export const DEFAULT_ERROR_CODES: ErrorCodes = ['5xx'];

/** The window of an instant RED read: `windowSeconds` ending at `at`. */
export interface RedWindow {
  /** Evaluation time; the same time gives the same numbers. */
  readonly at: Date | number;
  readonly windowSeconds: number;
  readonly errorCodes?: ErrorCodes;
}

/** RED of every version found for a selection. */
export interface RedReport {
  readonly at: Date;
  readonly windowSeconds: number;
  /** Sorted by namespace, service, version, workload. */
  readonly versions: readonly VersionRed[];
  /** Services named in the selection that have no series at all (no data, not zero). */
  readonly servicesWithoutData: readonly string[];
  /** PromQL queries this read issued. */
  readonly queries: number;
}

/** A range read for charts: values every `stepSeconds`, each over the `windowSeconds` before it. */
export interface RedRangeOptions {
  readonly start: Date | number;
  readonly end: Date | number;
  readonly stepSeconds: number;
  /** Window of each point's `rate`; default 4 x step, at least 60 s. */
  readonly windowSeconds?: number;
  readonly errorCodes?: ErrorCodes;
}

/** One point of a chart; undefined where the value does not exist (gaps, never zeros). */
export interface RedPoint {
  readonly atMs: number;
  readonly requestRate: number | undefined;
  readonly errorRate: number | undefined;
  readonly p99Ms: number | undefined;
}

export interface VersionRedSeries extends VersionKey {
  readonly points: readonly RedPoint[];
}

export interface RedRangeReport {
  readonly start: Date;
  readonly end: Date;
  readonly stepSeconds: number;
  readonly windowSeconds: number;
  readonly series: readonly VersionRedSeries[];
  readonly queries: number;
}

/** Flagger's two built-in checks. */
export type FlaggerCheckName = 'request-success-rate' | 'request-duration';

/** The canary workload a Flagger check reads (`destination_workload` in `destination_workload_namespace`). */
export interface FlaggerTarget {
  readonly namespace: string;
  readonly workload: string;
}

export interface FlaggerCheckOptions {
  readonly at: Date | number;
  /** Flagger's `interval`: seconds or a PromQL duration; default `1m`. */
  readonly interval?: number | string;
}

/** A check's value (percent for the success rate, ms for the duration), or no data: never a made-up zero. */
export type FlaggerCheckOutcome =
  | { readonly kind: 'value'; readonly value: number; readonly query: string }
  | { readonly kind: 'no-data'; readonly query: string; readonly message: string };

export type FlaggerCheckResults = Readonly<Record<FlaggerCheckName, FlaggerCheckOutcome>>;
