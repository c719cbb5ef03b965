/**
 * Prometheus' HTTP API wire format (`/api/v1/query`, `/api/v1/query_range`): request bodies and the
 * parsing of answers into plain samples. Pure; the transport lives in prometheus-client.ts.
 */

import { PrometheusResponseError } from '../app/ports/metrics-errors.js';
import { parseBucketBound } from './histogram-quantile.js';

/** One series of an instant query: its labels and its value at the evaluation time. */
export interface InstantSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One series of a range query: its labels and a value per evaluated step. */
export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly { readonly atMs: number; readonly value: number }[];
}

/** Prometheus' error envelope: `{"status":"error","errorType":"bad_data","error":"..."}`. */
export interface PrometheusErrorBody {
  errorType: string | undefined;
  error: string;
}

/**
 * Form body of an instant query at a fixed time (seconds since the epoch, millisecond precision), so the
 * same call gives the same answer however late it runs.
 */
export function instantQueryForm(query: string, atMs: number, timeoutSeconds?: number): string {
  const form = new URLSearchParams({ query, time: formatTime(atMs) });
  if (timeoutSeconds !== undefined) form.set('timeout', `${Math.max(1, Math.ceil(timeoutSeconds))}s`);
  return form.toString();
}

/** Form body of a range query from `startMs` to `endMs` every `stepSeconds`. */
export function rangeQueryForm(
  query: string,
  range: { startMs: number; endMs: number; stepSeconds: number },
  timeoutSeconds?: number,
): string {
  const form = new URLSearchParams({
    query,
    start: formatTime(range.startMs),
    end: formatTime(range.endMs),
    step: String(range.stepSeconds),
  });
  if (timeoutSeconds !== undefined) form.set('timeout', `${Math.max(1, Math.ceil(timeoutSeconds))}s`);
  return form.toString();
}

function formatTime(ms: number): string {
  return (Math.round(ms) / 1000).toFixed(3);
}

/** Parses the body of a successful instant query; a scalar becomes one sample without labels. */
export function parseInstantResponse(text: string): InstantSample[] {
  const data = successData(text);
  const result = data.result;
  switch (data.resultType) {
    case 'vector':
      if (!Array.isArray(result)) throw shapeError('vector result is not a list');
      return result.map((series) => {
        const { metric, value } = series as { metric?: unknown; value?: unknown };
        return { labels: labelsOf(metric), value: sampleValue(value) };
      });
    case 'scalar':
      return [{ labels: {}, value: sampleValue(result) }];
    default:
      throw shapeError(`unexpected resultType ${String(data.resultType)} for an instant query`);
  }
}

/** Parses the body of a successful range query. */
export function parseRangeResponse(text: string): RangeSeries[] {
  const data = successData(text);
  if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw shapeError(`unexpected resultType ${String(data.resultType)} for a range query`);
  }
  return data.result.map((series) => {
    const { metric, values } = series as { metric?: unknown; values?: unknown };
    if (!Array.isArray(values)) throw shapeError('matrix series without values');
    return {
      labels: labelsOf(metric),
      points: values.map((pair) => ({ atMs: sampleTime(pair), value: sampleValue(pair) })),
    };
  });
}

/** Prometheus' error text from an error body, if the body is one. */
export function parseErrorBody(text: string): PrometheusErrorBody | undefined {
  try {
    const body = JSON.parse(text) as { status?: unknown; errorType?: unknown; error?: unknown };
    if (typeof body.error !== 'string') return undefined;
    return { errorType: typeof body.errorType === 'string' ? body.errorType : undefined, error: body.error };
  } catch {
    return undefined;
  }
}

function successData(text: string): { resultType?: unknown; result?: unknown } {
  let body: { status?: unknown; data?: { resultType?: unknown; result?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (cause) {
    throw new PrometheusResponseError(
      `Prometheus answered with something that is not JSON: ${preview(text)}`,
      {
        cause,
      },
    );
  }
  if (body?.status !== 'success' || typeof body.data !== 'object' || body.data === null) {
    throw shapeError(`status ${String(body?.status)} without data`);
  }
  return body.data;
}

function labelsOf(metric: unknown): Record<string, string> {
  if (typeof metric !== 'object' || metric === null) throw shapeError('series without labels');
  return metric as Record<string, string>;
}

function sampleTime(pair: unknown): number {
  if (!Array.isArray(pair) || typeof pair[0] !== 'number') throw shapeError('sample without a timestamp');
  return Math.round(pair[0] * 1000);
}

// Values travel as strings: "12.5", "NaN", "+Inf".
function sampleValue(pair: unknown): number {
  if (!Array.isArray(pair) || typeof pair[1] !== 'string') throw shapeError('sample without a value');
  const value = parseBucketBound(pair[1]);
  if (value === undefined) throw shapeError(`sample value ${JSON.stringify(pair[1])} is not a number`);
  return value;
}

function shapeError(what: string): PrometheusResponseError {
  return new PrometheusResponseError(`unexpected Prometheus answer: ${what}`);
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || '(empty body)';
}
