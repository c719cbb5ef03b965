/**
 * The Prometheus implementation of {@link MetricsReader}: RED of any number of services in two instant
 * queries (requests by response code, latency bucket counts), quantiles computed from the buckets.
 */

import type { CheckSide, ConfiguredCheck, CustomCheckReader } from '../app/ports/custom-checks.js';
import { definitionOf } from '../app/ports/custom-checks.js';
import { BadQueryError, InvalidMetricsRequestError, NoDataError } from '../app/ports/metrics-errors.js';
import type { MetricsReader } from '../app/ports/metrics-reader.js';
import type {
  FlaggerCheckName,
  FlaggerCheckOptions,
  FlaggerCheckOutcome,
  FlaggerCheckResults,
  FlaggerTarget,
  RedRangeOptions,
  RedRangeReport,
  RedReport,
  RedSelection,
  RedWindow,
} from '../app/ports/red-metrics.js';
import { DEFAULT_ERROR_CODES } from '../app/ports/red-metrics.js';
import type { CustomCheckReading, MinutePair } from '../domain/judge/index.js';
import { renderCustomCheckQuery } from './custom-check-queries.js';
import { ISTIO_QUERIES } from './istio-queries.js';
import type { InstantSample, RangeSeries } from './prometheus-api.js';
import { PrometheusClient, type PrometheusClientDependencies, type QueryRange } from './prometheus-client.js';
import type { PrometheusConfig } from './prometheus-config.js';
import { ANY_VALUE, type QueryVariables, renderQuery } from './promql-template.js';
import { assembleRed, assembleRedRange, errorCodeMatcher } from './red-assembly.js';

/** The two calls the reader needs from a Prometheus client. */
export interface PromqlRunner {
  instantQuery(query: string, at: Date | number): Promise<InstantSample[]>;
  rangeQuery(query: string, range: QueryRange): Promise<RangeSeries[]>;
}

// Prometheus refuses range queries of more than 11,000 points per series.
const MAX_POINTS = 11_000;

/**
 * Reads RED from Prometheus.
 * @example
 * const metrics = PrometheusMetricsReader.fromConfig({ url: 'http://prometheus.istio-system:9090' });
 * const report = await metrics.red({ namespaces: ['bookinfo'], services: ['reviews'] }, { at: Date.now(), windowSeconds: 300 });
 */
export class PrometheusMetricsReader implements MetricsReader, CustomCheckReader {
  constructor(private readonly prometheus: PromqlRunner) {}

  /** Builds the reader and its HTTP client from settings. */
  static fromConfig(
    config: PrometheusConfig,
    dependencies?: PrometheusClientDependencies,
  ): PrometheusMetricsReader {
    return new PrometheusMetricsReader(new PrometheusClient(config, dependencies));
  }

  async red(selection: RedSelection, window: RedWindow): Promise<RedReport> {
    const variables = selectionVariables(selection);
    if (!(window.windowSeconds > 0)) {
      throw new InvalidMetricsRequestError(`the window must be positive, got ${window.windowSeconds} s`);
    }
    const errorCodes = window.errorCodes ?? DEFAULT_ERROR_CODES;
    errorCodeMatcher(errorCodes);
    const at = new Date(Number(window.at));
    const withWindow = { ...variables, window: window.windowSeconds };
    const requestsQuery = renderQuery(ISTIO_QUERIES['red-requests-by-code'], withWindow);
    const [requestsByCode, buckets] = await Promise.all([
      this.prometheus.instantQuery(requestsQuery, at),
      this.prometheus.instantQuery(renderQuery(ISTIO_QUERIES['red-duration-buckets'], withWindow), at),
    ]);
    const versions = assembleRed({
      requestsByCode,
      buckets,
      windowSeconds: window.windowSeconds,
      errorCodes,
    });
    if (versions.length === 0) {
      throw new NoDataError(
        `no Istio metrics for ${describeSelection(selection)} in the ${window.windowSeconds} s before ${at.toISOString()}`,
        requestsQuery,
      );
    }
    const seen = new Set(versions.map((v) => v.service));
    return {
      at,
      windowSeconds: window.windowSeconds,
      versions,
      servicesWithoutData: (selection.services ?? []).filter((service) => !seen.has(service)),
      queries: 2,
    };
  }

  async redRange(selection: RedSelection, options: RedRangeOptions): Promise<RedRangeReport> {
    const variables = selectionVariables(selection);
    const start = new Date(Number(options.start));
    const end = new Date(Number(options.end));
    const { stepSeconds } = options;
    if (!(stepSeconds > 0) || !(end.getTime() >= start.getTime())) {
      throw new InvalidMetricsRequestError('a range needs start <= end and a positive step');
    }
    if ((end.getTime() - start.getTime()) / 1000 / stepSeconds + 1 > MAX_POINTS) {
      throw new InvalidMetricsRequestError(`more than ${MAX_POINTS} points per series; use a larger step`);
    }
    const windowSeconds = options.windowSeconds ?? Math.max(60, 4 * stepSeconds);
    if (!(windowSeconds > 0))
      throw new InvalidMetricsRequestError(`the window must be positive, got ${windowSeconds} s`);
    const errorCodes = options.errorCodes ?? DEFAULT_ERROR_CODES;
    errorCodeMatcher(errorCodes);
    const withWindow = { ...variables, window: windowSeconds };
    const range = { start, end, stepSeconds };
    const ratesQuery = renderQuery(ISTIO_QUERIES['red-request-rate-by-code'], withWindow);
    const [requestRatesByCode, bucketRates] = await Promise.all([
      this.prometheus.rangeQuery(ratesQuery, range),
      this.prometheus.rangeQuery(renderQuery(ISTIO_QUERIES['red-duration-bucket-rate'], withWindow), range),
    ]);
    const series = assembleRedRange({ requestRatesByCode, bucketRates, errorCodes });
    if (series.length === 0) {
      throw new NoDataError(
        `no Istio metrics for ${describeSelection(selection)} between ${start.toISOString()} and ${end.toISOString()}`,
        ratesQuery,
      );
    }
    return { start, end, stepSeconds, windowSeconds, series, queries: 2 };
  }

  async flaggerChecks(target: FlaggerTarget, options: FlaggerCheckOptions): Promise<FlaggerCheckResults> {
    const variables = {
      namespace: target.namespace,
      target: target.workload,
      interval: options.interval ?? '1m',
    };
    const at = new Date(Number(options.at));
    const [successRate, duration] = await Promise.all([
      this.#flaggerCheck('request-success-rate', variables, at, target),
      this.#flaggerCheck('request-duration', variables, at, target),
    ]);
    return { 'request-success-rate': successRate, 'request-duration': duration };
  }

  async customCheck(
    check: ConfiguredCheck,
    sides: { readonly canary: CheckSide; readonly baseline: CheckSide },
    window: RedWindow,
  ): Promise<CustomCheckReading> {
    if (!(window.windowSeconds > 0)) {
      throw new InvalidMetricsRequestError(`the window must be positive, got ${window.windowSeconds} s`);
    }
    const at = new Date(Number(window.at));
    if (check.kind === 'ratio') {
      const count = async (side: CheckSide) => {
        const [events, total] = await Promise.all(
          (['events', 'total'] as const).map(async (field) => {
            const query = renderCustomCheckQuery(check, field, side, window.windowSeconds);
            const samples = await this.#named(check, field, this.prometheus.instantQuery(query, at));
            const values = samples.map((s) => s.value).filter((v) => Number.isFinite(v));
            return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v, 0);
          }),
        );
        // No total is no opportunity yet; no events beside a total is a counter not created yet.
        return total === undefined ? { events: 0, total: 0 } : { events: events ?? 0, total };
      };
      const [canary, baseline] = await Promise.all([count(sides.canary), count(sides.baseline)]);
      return { check: definitionOf(check), canary, baseline };
    }
    // One value a minute, each over the minute before it, since the window began.
    const minutes = Math.max(1, Math.floor(window.windowSeconds / 60));
    const range = { start: new Date(at.getTime() - (minutes - 1) * 60_000), end: at, stepSeconds: 60 };
    const series = async (side: CheckSide) => {
      const query = renderCustomCheckQuery(check, 'query', side, 60);
      const found = await this.#named(check, 'query', this.prometheus.rangeQuery(query, range));
      const byMinute = new Map<number, number[]>();
      for (const s of found)
        for (const point of s.points)
          if (Number.isFinite(point.value))
            byMinute.set(point.atMs, [...(byMinute.get(point.atMs) ?? []), point.value]);
      return new Map([...byMinute].map(([atMs, values]) => [atMs, mean(values)]));
    };
    const [canary, baseline] = await Promise.all([series(sides.canary), series(sides.baseline)]);
    const pairs: MinutePair[] = [...canary.keys()]
      .sort((a, b) => a - b)
      .flatMap((atMs) => {
        const base = baseline.get(atMs);
        return base === undefined ? [] : [{ canary: canary.get(atMs) as number, baseline: base }];
      });
    return { check: definitionOf(check), minutes: pairs };
  }

  async probeCustomCheck(check: ConfiguredCheck, side: CheckSide, at: Date | number): Promise<void> {
    const fields = check.kind === 'ratio' ? (['events', 'total'] as const) : (['query'] as const);
    for (const field of fields) {
      const query = renderCustomCheckQuery(check, field, side, 60);
      await this.#named(check, field, this.prometheus.instantQuery(query, new Date(Number(at))));
    }
  }

  /** A refused query, said with the check and the field it came from. */
  async #named<T>(check: ConfiguredCheck, field: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (!(error instanceof BadQueryError)) throw error;
      throw new BadQueryError(
        `custom check "${check.name}": Prometheus refused its ${field === 'query' ? '' : `${field} `}query: ${error.prometheusError}`,
        error.status,
        error.errorType,
        error.prometheusError,
        error.query,
      );
    }
  }

  async #flaggerCheck(
    name: FlaggerCheckName,
    variables: QueryVariables,
    at: Date,
    target: FlaggerTarget,
  ): Promise<FlaggerCheckOutcome> {
    const query = renderQuery(ISTIO_QUERIES[`flagger-${name}`], variables);
    const [first] = await this.prometheus.instantQuery(query, at);
    // Like Flagger: no series, or NaN (0 requests / 0 requests), is "no values found", not a number.
    if (first === undefined || Number.isNaN(first.value)) {
      return {
        kind: 'no-data',
        query,
        message: `no values found for ${name} of ${target.workload}.${target.namespace}; probably it is not receiving traffic`,
      };
    }
    return { kind: 'value', value: first.value, query };
  }
}

function selectionVariables(selection: RedSelection): QueryVariables {
  if (selection.namespaces.length === 0)
    throw new InvalidMetricsRequestError('select at least one namespace');
  if (selection.services !== undefined && selection.services.length === 0) {
    throw new InvalidMetricsRequestError(
      'an empty list of services selects nothing; leave it out to select all',
    );
  }
  return { namespaces: selection.namespaces, services: selection.services ?? ANY_VALUE };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function describeSelection(selection: RedSelection): string {
  const list = (values: readonly string[]) =>
    values.length > 5 ? `${values.slice(0, 5).join(', ')} and ${values.length - 5} more` : values.join(', ');
  const services = selection.services ? `services ${list(selection.services)}` : 'any service';
  return `${services} in ${list(selection.namespaces)}`;
}
