/**
 * Codes of metrics failures. Each asks the caller for a different reaction: `unavailable` = try again
 * later (never judge on it), `bad-query` = a bug or a wrong setting, `no-data` = the service served nothing
 * measurable (halt, never promote, never treat as zero).
 */
export type MetricsErrorCode =
  | 'unavailable' // Prometheus down, timing out, or answering 5xx/429 after every retry
  | 'bad-query' // Prometheus refused the query (4xx) and said why
  | 'unauthorized' // 401/403: the credentials or the signature were refused
  | 'bad-response' // an answer that is not Prometheus' JSON (a proxy page, a truncated body)
  | 'no-data' // the query ran and matched nothing (or only NaN)
  | 'template' // a query template could not be rendered
  | 'invalid-request'; // the selection or the window cannot be asked for (no namespace, window <= 0...)

/**
 * A failure to read metrics. `code` tells the caller what to do; `message` is for people and never holds
 * a secret (no token, password, signature or credential).
 *
 * @example
 * if (error instanceof MetricsError && error.code === 'no-data') halt(error.message);
 */
export class MetricsError extends Error {
  override name = 'MetricsError';
  constructor(
    readonly code: MetricsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why the last attempt failed, in words that carry no secret. */
export type UnavailableReason = 'timeout' | 'connection' | 'server-error' | 'throttled';

/** Prometheus could not answer: down, timed out, or 5xx/429 after every retry. */
export class PrometheusUnavailableError extends MetricsError {
  override name = 'PrometheusUnavailableError';
  constructor(
    message: string,
    readonly reason: UnavailableReason,
    /** HTTP attempts made, retries included. */
    readonly attempts: number,
    /** HTTP status of the last answer, if there was one. */
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super('unavailable', message, options);
  }
}

/** Prometheus refused the query (HTTP 4xx); `prometheusError` is its own explanation. Never retried. */
export class BadQueryError extends MetricsError {
  override name = 'BadQueryError';
  constructor(
    message: string,
    readonly status: number,
    /** Prometheus' `errorType`, e.g. `bad_data` or `execution`. */
    readonly errorType: string | undefined,
    /** Prometheus' `error`, e.g. `1:5: parse error: unexpected <by>`. */
    readonly prometheusError: string,
    readonly query: string,
  ) {
    super('bad-query', message);
  }
}

/** Prometheus (or the gateway in front of it, e.g. Amazon Managed Prometheus) refused the credentials. */
export class PrometheusAuthError extends MetricsError {
  override name = 'PrometheusAuthError';
  constructor(
    message: string,
    /** HTTP status; undefined when no credentials could be had to sign the request. */
    readonly status: number | undefined,
  ) {
    super('unauthorized', message);
  }
}

/** An answer that is not a Prometheus API response. */
export class PrometheusResponseError extends MetricsError {
  override name = 'PrometheusResponseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad-response', message, options);
  }
}

/**
 * The query ran and found nothing: no series, or only NaN (0 / 0). It is never a zero: a release must not
 * be promoted, nor rolled back, on it.
 */
export class NoDataError extends MetricsError {
  override name = 'NoDataError';
  constructor(
    message: string,
    /** The PromQL that matched nothing, for the log. */
    readonly query?: string,
  ) {
    super('no-data', message);
  }
}

/** A query template could not be rendered: a variable is missing, of the wrong kind, or not declared. */
export class QueryTemplateError extends MetricsError {
  override name = 'QueryTemplateError';
  constructor(
    message: string,
    readonly template: string,
    options?: { cause?: unknown },
  ) {
    super('template', message, options);
  }
}

/** Rendering needed variables that were not given; `missing` names every one of them. */
export class MissingQueryVariableError extends QueryTemplateError {
  override name = 'MissingQueryVariableError';
  constructor(
    template: string,
    readonly missing: readonly string[],
  ) {
    super(`query template ${template} needs ${missing.map((m) => `{{ ${m} }}`).join(', ')}`, template);
  }
}

/** A RED read that cannot be asked for: no namespace, a window that is not positive, an unknown error code. */
export class InvalidMetricsRequestError extends MetricsError {
  override name = 'InvalidMetricsRequestError';
  constructor(message: string) {
    super('invalid-request', message);
  }
}

const UNAVAILABLE_WORDS: Record<UnavailableReason, (status: number | undefined) => string> = {
  timeout: () => 'it did not answer in time',
  connection: () => 'it could not be reached',
  'server-error': (status) => `it answered HTTP ${status ?? '5xx'}`,
  throttled: (status) => `it was throttling requests (HTTP ${status ?? 429})`,
};

/**
 * A metrics failure in words for a channel: what went wrong, never where (endpoints, addresses and workspace
 * ids stay in the logs).
 *
 * @example metricsFailureForPeople(error) // 'Prometheus is unavailable: it answered HTTP 503 (3 attempts)'
 */
export function metricsFailureForPeople(error: unknown, fallback = 'the metrics could not be read'): string {
  if (error instanceof PrometheusUnavailableError) {
    const attempts = `${error.attempts} attempt${error.attempts === 1 ? '' : 's'}`;
    return `Prometheus is unavailable: ${UNAVAILABLE_WORDS[error.reason](error.status)} (${attempts})`;
  }
  if (!(error instanceof MetricsError)) return fallback;
  return error.message
    .replace(/\s+at\s+https?:\/\/\S+/gi, '')
    .replace(/https?:\/\/\S+/gi, 'its endpoint')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, 'its address');
}
