/**
 * Simulated traffic of one version: Poisson arrivals, independent 5xx errors, log-normal latencies
 * recorded into Istio's histogram buckets. Counts are drawn minute by minute; by Poisson splitting,
 * the counts of each (latency cell, error or not) pair in a minute are independent Poisson variables.
 */
import { ISTIO_DURATION_BUCKETS_MS, type LatencyBucket } from '../../src/domain/judge/index.js';
import { normalUpperTail, poisson, type Random } from './random.js';

/** How a version behaves. */
export interface VersionModel {
  /** Share of requests answered with a 5xx. */
  readonly errorRate: number;
  /** Median latency in ms (log-normal). */
  readonly medianMs: number;
  /** 99th percentile latency in ms (log-normal). */
  readonly p99Ms: number;
}

/** What one version served in one minute. */
export interface MinuteCounts {
  readonly requests: number;
  readonly errors: number;
  /** Requests slower than the slow cut (see `TrafficSource`). */
  readonly slow: number;
  /** Requests per Istio bucket, not cumulative, aligned with `ISTIO_DURATION_BUCKETS_MS`. */
  readonly perBucket: readonly number[];
}

const Z99 = 2.3263478740408408;

/** Draws a version's traffic minute by minute at a fixed request rate. */
export class TrafficSource {
  /** Upper edges of the cells: Istio's boundaries plus the slow cut. */
  private readonly cellEdges: number[];
  /** Index in ISTIO_DURATION_BUCKETS_MS of each cell's Istio bucket. */
  private readonly cellBucket: number[];
  private readonly cellSlow: boolean[];
  private readonly okMeans: number[];
  private readonly errorMeans: number[];

  /**
   * @param slowCutMs requests above it count as slow (the benchmark uses the baseline's true p99)
   */
  constructor(model: VersionModel, requestsPerSecond: number, slowCutMs: number) {
    const mu = Math.log(model.medianMs);
    const sigma = (Math.log(model.p99Ms) - mu) / Z99;
    const finite = ISTIO_DURATION_BUCKETS_MS.filter((le) => Number.isFinite(le));
    this.cellEdges = [...new Set([...finite, slowCutMs])].sort((a, b) => a - b);
    this.cellEdges.push(Number.POSITIVE_INFINITY);
    this.cellBucket = this.cellEdges.map((edge) => ISTIO_DURATION_BUCKETS_MS.findIndex((le) => le >= edge));
    this.cellSlow = this.cellEdges.map((edge) => edge > slowCutMs);
    const upperTail = (edge: number) =>
      edge === Number.POSITIVE_INFINITY ? 0 : normalUpperTail((Math.log(edge) - mu) / sigma);
    const perMinute = requestsPerSecond * 60;
    this.okMeans = [];
    this.errorMeans = [];
    let previousTail = 1;
    for (const edge of this.cellEdges) {
      const tail = upperTail(edge);
      const share = Math.max(previousTail - tail, 0);
      previousTail = tail;
      this.okMeans.push(perMinute * share * (1 - model.errorRate));
      this.errorMeans.push(perMinute * share * model.errorRate);
    }
  }

  /** One minute of traffic. */
  drawMinute(random: Random): MinuteCounts {
    const perBucket = new Array<number>(ISTIO_DURATION_BUCKETS_MS.length).fill(0);
    let requests = 0;
    let errors = 0;
    let slow = 0;
    for (let cell = 0; cell < this.cellEdges.length; cell++) {
      const ok = poisson(random, this.okMeans[cell]!);
      const failed = poisson(random, this.errorMeans[cell]!);
      const served = ok + failed;
      if (served === 0) continue;
      perBucket[this.cellBucket[cell]!]! += served;
      requests += served;
      errors += failed;
      if (this.cellSlow[cell]) slow += served;
    }
    return { requests, errors, slow, perBucket };
  }
}

/** Cumulative Istio buckets from per-bucket counts. */
export function cumulativeBuckets(perBucket: readonly number[]): LatencyBucket[] {
  let running = 0;
  return ISTIO_DURATION_BUCKETS_MS.map((le, i) => {
    running += perBucket[i] ?? 0;
    return { le, count: running };
  });
}
