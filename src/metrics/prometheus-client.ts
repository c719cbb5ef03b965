/**
 * A small Prometheus HTTP API client over axios: POST form-encoded queries (no URL length limit), an
 * explicit evaluation time, per-attempt timeouts, retries with jittered exponential back-off on 5xx,
 * 429, timeouts and connection errors (never on other 4xx), and bearer, basic or SigV4 authentication.
 * Failures come out as typed MetricsErrors whose messages and causes carry no secret.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import {
  BadQueryError,
  PrometheusAuthError,
  PrometheusResponseError,
  PrometheusUnavailableError,
  type UnavailableReason,
} from '../app/ports/metrics-errors.js';
import {
  type InstantSample,
  instantQueryForm,
  parseErrorBody,
  parseInstantResponse,
  parseRangeResponse,
  type RangeSeries,
  rangeQueryForm,
} from './prometheus-api.js';
import {
  type PrometheusConfig,
  type ResolvedPrometheusConfig,
  resolvePrometheusConfig,
} from './prometheus-config.js';
import { type AwsCredentialsProvider, defaultAwsCredentials, SigV4RequestSigner } from './sigv4-signing.js';

const FORM = 'application/x-www-form-urlencoded';

/** Where retries and give-ups are reported; the Powertools logger fits. Details never hold secrets. */
export interface MetricsLog {
  warn(message: string, details?: Record<string, unknown>): void;
}

/** Things tests replace: credentials for SigV4, the clock of signatures, back-off sleep and jitter. */
export interface PrometheusClientDependencies {
  /** Default: the AWS default credential chain (only used with `auth.kind === 'sigv4'`). */
  credentials?: AwsCredentialsProvider;
  /** Signing time; default now. */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for jitter; default Math.random. */
  random?: () => number;
  log?: MetricsLog;
}

/** Counters since the client was built: PromQL queries asked for, and HTTP requests sent (retries included). */
export interface QueryStats {
  queries: number;
  httpRequests: number;
}

/** A time range evaluated every `stepSeconds`. */
export interface QueryRange {
  start: Date | number;
  end: Date | number;
  stepSeconds: number;
}

type Attempt =
  | { kind: 'ok'; text: string }
  | { kind: 'retry'; reason: UnavailableReason; status?: number; detail: string; retryAfterMs?: number };

/**
 * Runs PromQL against one Prometheus endpoint.
 * @example
 * const prometheus = new PrometheusClient({ url: 'http://127.0.0.1:9090', timeoutMs: 5000 });
 * const samples = await prometheus.instantQuery('sum(up)', new Date('2026-01-15T10:00:00Z'));
 * @throws PrometheusUnavailableError, BadQueryError, PrometheusAuthError, PrometheusResponseError
 */
export class PrometheusClient {
  /** The base URL, for messages and logs (it never carries credentials). */
  readonly endpoint: string;
  readonly #config: ResolvedPrometheusConfig;
  readonly #http: AxiosInstance;
  readonly #signer: SigV4RequestSigner | undefined;
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #log: MetricsLog | undefined;
  readonly #stats: QueryStats = { queries: 0, httpRequests: 0 };

  constructor(config: PrometheusConfig, dependencies: PrometheusClientDependencies = {}) {
    this.#config = resolvePrometheusConfig(config);
    this.endpoint = this.#config.url;
    const auth = this.#config.auth;
    this.#signer =
      auth.kind === 'sigv4'
        ? new SigV4RequestSigner({
            region: auth.region,
            service: auth.service,
            credentials: dependencies.credentials ?? defaultAwsCredentials(),
          })
        : undefined;
    this.#now = dependencies.now ?? (() => new Date());
    this.#sleep = dependencies.sleep ?? ((ms) => sleepFor(ms));
    this.#random = dependencies.random ?? Math.random;
    this.#log = dependencies.log;
    this.#http = axios.create({
      // A redirect would lose the signature and turn the POST into a GET: report it instead.
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: (data: unknown) => data,
      validateStatus: () => true,
    });
  }

  /** Counters of queries and HTTP requests so far (a copy). */
  get stats(): QueryStats {
    return { ...this.#stats };
  }

  /**
   * Evaluates `query` at `at` (`/api/v1/query` with `time=`). An empty list means the query matched no
   * series; deciding whether that is "no data" is the caller's business.
   */
  async instantQuery(query: string, at: Date | number): Promise<InstantSample[]> {
    const form = instantQueryForm(query, Number(at), this.#config.timeoutMs / 1000);
    return parseInstantResponse(await this.#query('/api/v1/query', form, query));
  }

  /** Evaluates `query` at every step from `start` to `end` (`/api/v1/query_range`). */
  async rangeQuery(query: string, range: QueryRange): Promise<RangeSeries[]> {
    const form = rangeQueryForm(
      query,
      { startMs: Number(range.start), endMs: Number(range.end), stepSeconds: range.stepSeconds },
      this.#config.timeoutMs / 1000,
    );
    return parseRangeResponse(await this.#query('/api/v1/query_range', form, query));
  }

  async #query(path: string, form: string, query: string): Promise<string> {
    this.#stats.queries++;
    const attempts = this.#config.retries + 1;
    let last: Extract<Attempt, { kind: 'retry' }> | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await this.#attempt(path, form, query);
      if (outcome.kind === 'ok') return outcome.text;
      last = outcome;
      if (attempt === attempts) break;
      const delayMs = Math.max(
        this.#backoffMs(attempt),
        Math.min(outcome.retryAfterMs ?? 0, this.#config.retryMaxDelayMs),
      );
      this.#log?.warn('Prometheus query failed; retrying', {
        endpoint: this.endpoint,
        path,
        attempt,
        reason: outcome.reason,
        status: outcome.status,
        detail: outcome.detail,
        delayMs: Math.round(delayMs),
      });
      await this.#sleep(delayMs);
    }
    const failure = last!;
    throw new PrometheusUnavailableError(
      `Prometheus at ${this.endpoint} is unavailable (${failure.detail}) after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
      failure.reason,
      attempts,
      failure.status,
      { cause: new Error(failure.detail) },
    );
  }

  // Exponential with "equal jitter": never zero, never in lockstep with other Lambdas.
  #backoffMs(attempt: number): number {
    const cap = Math.min(this.#config.retryMaxDelayMs, this.#config.retryBaseDelayMs * 2 ** (attempt - 1));
    return cap / 2 + (cap / 2) * this.#random();
  }

  async #attempt(path: string, form: string, query: string): Promise<Attempt> {
    const url = new URL(`${this.#config.url}${path}`);
    const headers = await this.#headers(url, form);
    this.#stats.httpRequests++;
    let response: AxiosResponse<string>;
    try {
      response = await this.#http.request<string>({
        url: url.toString(),
        method: 'POST',
        data: form,
        headers,
        timeout: this.#config.timeoutMs,
        signal: AbortSignal.timeout(this.#config.timeoutMs),
      });
    } catch (error) {
      return transportFailure(error, this.#config.timeoutMs);
    }
    return this.#classify(response, query);
  }

  async #headers(url: URL, body: string): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      ...this.#config.headers,
      'content-type': FORM,
      accept: 'application/json',
    };
    const auth = this.#config.auth;
    switch (auth.kind) {
      case 'none':
        return headers;
      case 'bearer':
        return { ...headers, authorization: `Bearer ${auth.token}` };
      case 'basic':
        return {
          ...headers,
          authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
        };
      case 'sigv4':
        try {
          return await this.#signer!.sign({ method: 'POST', url, headers, body }, this.#now());
        } catch (error) {
          throw new PrometheusAuthError(
            `could not sign the query to ${this.endpoint} with SigV4: no usable AWS credentials (${error instanceof Error ? error.name : 'error'})`,
            undefined,
          );
        }
    }
  }

  #classify(response: AxiosResponse<string>, query: string): Attempt {
    const { status } = response;
    const text = typeof response.data === 'string' ? response.data : String(response.data ?? '');
    if (status >= 200 && status < 300) return { kind: 'ok', text };
    const prometheus = parseErrorBody(text);
    const retryAfterMs = retryAfter(response.headers['retry-after']);
    if (status >= 500 || status === 429) {
      const detail = `HTTP ${status}${prometheus ? `: ${prometheus.error}` : ''}`;
      return {
        kind: 'retry',
        reason: status === 429 ? 'throttled' : 'server-error',
        status,
        detail,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    if (status === 401 || status === 403) {
      // The body of an AWS signature error can quote the canonical request, security token included.
      const errorType = response.headers['x-amzn-errortype'];
      throw new PrometheusAuthError(
        `Prometheus at ${this.endpoint} refused the bot's credentials (HTTP ${status}${typeof errorType === 'string' ? ` ${errorType.split(':')[0]}` : ''})`,
        status,
      );
    }
    if (status >= 400) {
      const reason = prometheus?.error ?? preview(text);
      throw new BadQueryError(
        `Prometheus refused the query (HTTP ${status}${prometheus?.errorType ? ` ${prometheus.errorType}` : ''}): ${reason}`,
        status,
        prometheus?.errorType,
        reason,
        query,
      );
    }
    throw new PrometheusResponseError(
      `Prometheus at ${this.endpoint} answered HTTP ${status}${response.headers.location ? ' (a redirect; check the URL)' : ''}`,
    );
  }
}

// Only the error code and Node's sentence survive: axios errors hold the request headers (credentials).
function transportFailure(error: unknown, timeoutMs: number): Attempt {
  const code = (error as { code?: unknown }).code;
  const timedOut =
    code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED' || axios.isCancel(error);
  if (timedOut) return { kind: 'retry', reason: 'timeout', detail: `no answer within ${timeoutMs} ms` };
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'retry',
    reason: 'connection',
    detail: typeof code === 'string' ? `${code}: ${message}` : message,
  };
}

function retryAfter(header: unknown): number | undefined {
  if (typeof header !== 'string') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)';
}
