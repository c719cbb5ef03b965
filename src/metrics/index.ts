/** Prometheus: RED of Istio's standard metrics, with queries kept as data and read in batches. */

export {
  BadQueryError,
  InvalidMetricsRequestError,
  MetricsError,
  type MetricsErrorCode,
  MissingQueryVariableError,
  NoDataError,
  PrometheusAuthError,
  PrometheusResponseError,
  PrometheusUnavailableError,
  QueryTemplateError,
  type UnavailableReason,
} from '../app/ports/metrics-errors.js';
export type { MetricsReader } from '../app/ports/metrics-reader.js';
export {
  DEFAULT_ERROR_CODES,
  type ErrorCodes,
  type FlaggerCheckName,
  type FlaggerCheckOptions,
  type FlaggerCheckOutcome,
  type FlaggerCheckResults,
  type FlaggerTarget,
  type LatencyQuantiles,
  type RedPoint,
  type RedRangeOptions,
  type RedRangeReport,
  type RedReport,
  type RedSelection,
  type RedWindow,
  type VersionKey,
  type VersionRed,
  type VersionRedSeries,
} from '../app/ports/red-metrics.js';
export {
  histogramQuantile,
  type LatencyBucket,
  parseBucketBound,
  sortedBuckets,
} from './histogram-quantile.js';
export {
  ISTIO_QUERIES,
  ISTIO_REQUEST_DURATION_BUCKET,
  ISTIO_REQUESTS_TOTAL,
  type IstioQueryName,
  VERSION_LABELS,
} from './istio-queries.js';
export type { InstantSample, RangeSeries } from './prometheus-api.js';
export {
  type MetricsLog,
  PrometheusClient,
  type PrometheusClientDependencies,
  type QueryRange,
  type QueryStats,
} from './prometheus-client.js';
export {
  InvalidPrometheusConfigError,
  type PrometheusAuth,
  type PrometheusConfig,
  prometheusConfigSchema,
  type ResolvedPrometheusConfig,
  resolvePrometheusConfig,
} from './prometheus-config.js';
export { PrometheusMetricsReader, type PromqlRunner } from './prometheus-metrics-reader.js';
export {
  ANY_VALUE,
  anyOfRegex,
  escapePromqlString,
  type QueryTemplate,
  type QueryVariableKind,
  type QueryVariables,
  quoteRegex,
  renderQuery,
} from './promql-template.js';
export {
  assembleRed,
  assembleRedRange,
  errorCodeMatcher,
  latencyQuantiles,
  requireVersion,
  versionKeyOf,
  versionsMatching,
} from './red-assembly.js';
export {
  type AwsCredentials,
  type AwsCredentialsProvider,
  defaultAwsCredentials,
  type SignableRequest,
  SigV4RequestSigner,
} from './sigv4-signing.js';
