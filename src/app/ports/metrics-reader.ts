import type {
  FlaggerCheckOptions,
  FlaggerCheckResults,
  FlaggerTarget,
  RedRangeOptions,
  RedRangeReport,
  RedReport,
  RedSelection,
  RedWindow,
} from './red-metrics.js';

/**
 * Everything the bot reads from metrics: RED per version for the judge and the reports, series for
 * charts, and Flagger's two built-in checks. Implementations issue a constant number of queries per call,
 * whatever the number of services.
 */
export interface MetricsReader {
  /**
   * RED of every version of the selected services over `windowSeconds` ending at `at`.
   * @throws NoDataError when no series matched; PrometheusUnavailableError; BadQueryError
   */
  red(selection: RedSelection, window: RedWindow): Promise<RedReport>;
  /**
   * Request rate, error rate and p99 per version every `stepSeconds`, for charts.
   * @throws NoDataError when no series matched; PrometheusUnavailableError; BadQueryError
   */
  redRange(selection: RedSelection, options: RedRangeOptions): Promise<RedRangeReport>;
  /**
   * Flagger's `request-success-rate` (percent) and `request-duration` (p99, ms) for a workload; each is a
   * value or no data.
   * @throws PrometheusUnavailableError; BadQueryError
   */
  flaggerChecks(target: FlaggerTarget, options: FlaggerCheckOptions): Promise<FlaggerCheckResults>;
}
