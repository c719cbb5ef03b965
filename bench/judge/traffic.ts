/**
 * Simulated traffic of one version: Poisson arrivals, independent 5xx errors, log-normal latencies
 * recorded into Istio's histogram buckets. A version may be a mixture of request classes (an endpoint,
 * a header class) with their own error rates and latencies. Counts are drawn minute by minute; by
 * Poisson splitting, the counts of each (latency cell, error or not) pair in a minute are independent
 * Poisson variables, and so are the first 45 s and the last 15 s of a minute.
 */
import { ISTIO_DURATION_BUCKETS_MS, type LatencyBucket } from '../../src/domain/judge/index.js';
import { normalUpperTail, poisson, type Random } from './random.js';

/** A log-normal latency, given by its median and 99th percentile in ms. */
export interface Latency {
  readonly medianMs: number;
  readonly p99Ms: number;
}

/** One class of requests (an endpoint, a header class) and how the version answers it. */
export interface RequestClass extends Latency {
  /** Share of the version's requests in this class. */
  readonly share: number;
  /** Share of the class's requests answered with a 5xx. */
  readonly errorRate: number;
  /** Latency of the failed requests when it differs (fast refusals, slow timeouts). */
  readonly errorLatency?: Latency;
}

/** How a version behaves: a mixture of request classes whose shares add up to 1. */
export interface VersionModel {
  readonly classes: readonly RequestClass[];
}

/** A version whose requests are all alike. */
export function uniformModel(errorRate: number, medianMs: number, p99Ms: number): VersionModel {
  return { classes: [{ share: 1, errorRate, medianMs, p99Ms }] };
}

/** Share of a model's requests that fail. */
export function errorRateOf(model: VersionModel): number {
  return model.classes.reduce((sum, c) => sum + c.share * c.errorRate, 0);
}

/** What one version served in one stretch of time (a minute, or its last 15 s). */
export interface WindowCounts {
  readonly requests: number;
  readonly errors: number;
  /** Requests slower than the slow cut (see `TrafficSource`). */
  readonly slow: number;
  /** Successful requests per Istio bucket, not cumulative, aligned with `ISTIO_DURATION_BUCKETS_MS`. */
  readonly okPerBucket: readonly number[];
  /** Failed requests per Istio bucket, not cumulative. */
  readonly errorPerBucket: readonly number[];
}

/** One minute of a version's traffic, and its last 15 s on their own (what `irate` sees). */
export interface MinuteCounts extends WindowCounts {
  readonly last15s: WindowCounts;
}

const Z99 = 2.3263478740408408;

/** Expected share of requests per cell, for successful and failed requests. */
interface CellShares {
  readonly ok: number[];
  readonly error: number[];
}

/** Draws a version's traffic minute by minute at a given request rate. */
export class TrafficSource {
  /** Upper edges of the cells: Istio's boundaries plus the slow cut. */
  private readonly cellEdges: number[];
  /** Index in ISTIO_DURATION_BUCKETS_MS of each cell's Istio bucket. */
  private readonly cellBucket: number[];
  private readonly cellSlow: boolean[];
  private readonly shares: CellShares;

  /**
   * @param slowCutMs requests above it count as slow (the benchmark uses the baseline's true p99)
   */
  constructor(
    model: VersionModel,
    private readonly requestsPerSecond: number,
    slowCutMs: number,
  ) {
    const finite = ISTIO_DURATION_BUCKETS_MS.filter((le) => Number.isFinite(le));
    this.cellEdges = [...new Set([...finite, slowCutMs])].sort((a, b) => a - b);
    this.cellEdges.push(Number.POSITIVE_INFINITY);
    this.cellBucket = this.cellEdges.map((edge) => ISTIO_DURATION_BUCKETS_MS.findIndex((le) => le >= edge));
    this.cellSlow = this.cellEdges.map((edge) => edge > slowCutMs);
    this.shares = cellShares(model, this.cellEdges);
  }

  /**
   * One minute of traffic at `rateFactor` times the nominal rate.
   */
  drawMinute(random: Random, rateFactor = 1): MinuteCounts {
    const first = this.draw(random, 45 * rateFactor);
    const last15s = this.draw(random, 15 * rateFactor);
    return {
      requests: first.requests + last15s.requests,
      errors: first.errors + last15s.errors,
      slow: first.slow + last15s.slow,
      okPerBucket: first.okPerBucket.map((n, i) => n + last15s.okPerBucket[i]!),
      errorPerBucket: first.errorPerBucket.map((n, i) => n + last15s.errorPerBucket[i]!),
      last15s,
    };
  }

  private draw(random: Random, seconds: number): WindowCounts {
    const okPerBucket = new Array<number>(ISTIO_DURATION_BUCKETS_MS.length).fill(0);
    const errorPerBucket = new Array<number>(ISTIO_DURATION_BUCKETS_MS.length).fill(0);
    const expected = this.requestsPerSecond * seconds;
    let requests = 0;
    let errors = 0;
    let slow = 0;
    for (let cell = 0; cell < this.cellEdges.length; cell++) {
      const ok = poisson(random, expected * this.shares.ok[cell]!);
      const failed = poisson(random, expected * this.shares.error[cell]!);
      const served = ok + failed;
      if (served === 0) continue;
      okPerBucket[this.cellBucket[cell]!]! += ok;
      errorPerBucket[this.cellBucket[cell]!]! += failed;
      requests += served;
      errors += failed;
      if (this.cellSlow[cell]) slow += served;
    }
    return { requests, errors, slow, okPerBucket, errorPerBucket };
  }
}

/**
 * The probability of each (Istio bucket, failed or not) outcome of one request, as the judges can
 * see it. The oracle's likelihood ratios are built from these.
 */
export function bucketProbabilities(model: VersionModel): CellShares {
  const edges = [...ISTIO_DURATION_BUCKETS_MS];
  return cellShares(model, edges);
}

function cellShares(model: VersionModel, edges: readonly number[]): CellShares {
  const ok = new Array<number>(edges.length).fill(0);
  const error = new Array<number>(edges.length).fill(0);
  for (const requestClass of model.classes) {
    const okShares = latencyShares(requestClass, edges);
    const errorShares = latencyShares(requestClass.errorLatency ?? requestClass, edges);
    for (let i = 0; i < edges.length; i++) {
      ok[i]! += requestClass.share * (1 - requestClass.errorRate) * okShares[i]!;
      error[i]! += requestClass.share * requestClass.errorRate * errorShares[i]!;
    }
  }
  return { ok, error };
}

/** Probability of a log-normal latency falling in each cell (upper edges, the last one +Inf). */
function latencyShares(latency: Latency, edges: readonly number[]): number[] {
  const mu = Math.log(latency.medianMs);
  const sigma = (Math.log(latency.p99Ms) - mu) / Z99;
  const upperTail = (edge: number) =>
    edge === Number.POSITIVE_INFINITY ? 0 : normalUpperTail((Math.log(edge) - mu) / sigma);
  let previousTail = 1;
  return edges.map((edge) => {
    const tail = upperTail(edge);
    const share = Math.max(previousTail - tail, 0);
    previousTail = tail;
    return share;
  });
}

/** All requests per Istio bucket (successful and failed), not cumulative. */
export function perBucket(window: WindowCounts): number[] {
  return window.okPerBucket.map((n, i) => n + window.errorPerBucket[i]!);
}

/** Cumulative Istio buckets from per-bucket counts. */
export function cumulativeBuckets(counts: readonly number[]): LatencyBucket[] {
  let running = 0;
  return ISTIO_DURATION_BUCKETS_MS.map((le, i) => {
    running += counts[i] ?? 0;
    return { le, count: running };
  });
}
