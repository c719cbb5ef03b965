/**
 * The canaries the benchmark simulates: what the canary (and, in one case, the baseline) does minute by
 * minute, how the traffic rate moves, and what counts as a bad request.
 */
import { uniformModel, type VersionModel } from './traffic.js';

/** Looks per analysis: a 30-minute analysis at one look a minute. */
export const HORIZON_MINUTES = 30;

/** Baseline: 0.1% errors, median 100 ms, p99 400 ms. */
export const BASELINE_MODEL: VersionModel = uniformModel(0.001, 100, 400);

/** The canary serves 10% of the service's traffic; the baseline (stable) the other 90%. */
export const BASELINE_TO_CANARY_TRAFFIC = 9;

/** Requests slower than this (the baseline's true p99) count as bad in latency scenarios. */
export const SLOW_CUT_MS = 400;

/** How the request rate moves over the analysis (both versions alike: the weights do not change). */
export type TrafficPattern = 'steady' | 'bursty' | 'diurnal';

/** A change of behaviour at a given minute (a leak that shows, an outage of a shared dependency). */
export interface Change {
  /** The new behaviour applies from this minute on (minute 1 is the first minute of the analysis). */
  readonly fromMinute: number;
  readonly model: VersionModel;
}

/** A kind of canary to simulate. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** `bad`: a rollback is right; `healthy`: a rollback is a false rollback. */
  readonly kind: 'bad' | 'healthy';
  readonly canary: VersionModel;
  readonly canaryChange?: Change;
  readonly baselineChange?: Change;
  readonly traffic: TrafficPattern;
  /** What counts as a bad request served by the canary. */
  readonly badRequest: 'error' | 'slow';
}

const HEALTHY = BASELINE_MODEL;
const SLOWER = uniformModel(0.001, 200, 800);
const OUTAGE = uniformModel(0.05, 200, 800);

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'errors-5pct',
    title: 'errors 5%',
    kind: 'bad',
    canary: uniformModel(0.05, 100, 400),
    traffic: 'steady',
    badRequest: 'error',
  },
  {
    id: 'errors-2pct',
    title: 'errors 2%',
    kind: 'bad',
    canary: uniformModel(0.02, 100, 400),
    traffic: 'steady',
    badRequest: 'error',
  },
  {
    id: 'errors-1pct',
    title: 'errors 1%',
    kind: 'bad',
    canary: uniformModel(0.01, 100, 400),
    traffic: 'steady',
    badRequest: 'error',
  },
  {
    id: 'errors-one-endpoint',
    title: 'one endpoint (5% of requests) fails 40%, fast (2% overall)',
    kind: 'bad',
    canary: {
      classes: [
        { share: 0.95, errorRate: 0.001, medianMs: 100, p99Ms: 400 },
        { share: 0.05, errorRate: 0.4, medianMs: 100, p99Ms: 400, errorLatency: { medianMs: 5, p99Ms: 20 } },
      ],
    },
    traffic: 'steady',
    badRequest: 'error',
  },
  {
    id: 'errors-one-header-class',
    title: 'one header class (10% of requests) times out 10% (1.1% overall, slow)',
    kind: 'bad',
    canary: {
      classes: [
        { share: 0.9, errorRate: 0.001, medianMs: 100, p99Ms: 400 },
        {
          share: 0.1,
          errorRate: 0.1,
          medianMs: 100,
          p99Ms: 400,
          errorLatency: { medianMs: 2000, p99Ms: 4000 },
        },
      ],
    },
    traffic: 'steady',
    badRequest: 'error',
  },
  {
    id: 'errors-5pct-bursty',
    title: 'errors 5%, bursty traffic',
    kind: 'bad',
    canary: uniformModel(0.05, 100, 400),
    traffic: 'bursty',
    badRequest: 'error',
  },
  {
    id: 'latency-x2',
    title: 'latency x2 (median 200, p99 800 ms)',
    kind: 'bad',
    canary: SLOWER,
    traffic: 'steady',
    badRequest: 'slow',
  },
  {
    id: 'latency-tail',
    title: 'p99 doubled, median unchanged (100/800 ms)',
    kind: 'bad',
    canary: uniformModel(0.001, 100, 800),
    traffic: 'steady',
    badRequest: 'slow',
  },
  {
    id: 'latency-leak',
    title: 'latency x2 from minute 11 (a leak)',
    kind: 'bad',
    canary: HEALTHY,
    canaryChange: { fromMinute: 11, model: SLOWER },
    traffic: 'steady',
    badRequest: 'slow',
  },
  {
    id: 'healthy',
    title: 'healthy (same as baseline)',
    kind: 'healthy',
    canary: HEALTHY,
    traffic: 'steady',
    badRequest: 'error',
  },
  {
    id: 'healthy-bursty',
    title: 'healthy, bursty traffic',
    kind: 'healthy',
    canary: HEALTHY,
    traffic: 'bursty',
    badRequest: 'error',
  },
  {
    id: 'healthy-diurnal',
    title: 'healthy, diurnal rate (evening decline)',
    kind: 'healthy',
    canary: HEALTHY,
    traffic: 'diurnal',
    badRequest: 'error',
  },
  {
    id: 'shared-outage',
    title: 'shared outage from minute 3: both versions 5% errors, x2 latency',
    kind: 'healthy',
    canary: HEALTHY,
    canaryChange: { fromMinute: 3, model: OUTAGE },
    baselineChange: { fromMinute: 3, model: OUTAGE },
    traffic: 'steady',
    badRequest: 'error',
  },
  {
    id: 'edge-errors',
    title: 'at the edge of the tolerance: 0.25% errors',
    kind: 'healthy',
    canary: uniformModel(0.0025, 100, 400),
    traffic: 'steady',
    badRequest: 'error',
  },
];

/** The canary's behaviour in a given minute. */
export function canaryModelAt(scenario: Scenario, minute: number): VersionModel {
  return modelAt(scenario.canary, scenario.canaryChange, minute);
}

/** The baseline's behaviour in a given minute. */
export function baselineModelAt(scenario: Scenario, minute: number): VersionModel {
  return modelAt(BASELINE_MODEL, scenario.baselineChange, minute);
}

/** The first minute in which the canary is bad (1 unless its regression starts later). */
export function badFromMinute(scenario: Scenario): number {
  return scenario.canaryChange?.fromMinute ?? 1;
}

function modelAt(model: VersionModel, change: Change | undefined, minute: number): VersionModel {
  return change !== undefined && minute >= change.fromMinute ? change.model : model;
}

/** Bursty: a quarter of the minutes carry 85% of the traffic (3.4 times the mean rate), the rest 0.2 times. */
const BURST_FACTOR = 3.4;
const QUIET_FACTOR = 0.2;
const BURST_SHARE = 0.25;

/**
 * The rate of minute `minute` relative to the nominal rate. `uniform` is a draw in [0, 1) that bursty
 * traffic uses to pick burst minutes.
 */
export function rateFactor(pattern: TrafficPattern, minute: number, uniform: number): number {
  switch (pattern) {
    case 'steady':
      return 1;
    case 'bursty':
      return uniform < BURST_SHARE ? BURST_FACTOR : QUIET_FACTOR;
    case 'diurnal':
      // An evening release: the rate falls linearly from 1.5 to 0.5 times the nominal over the analysis.
      return 1.5 - (minute - 0.5) / HORIZON_MINUTES;
    default: {
      const unknown: never = pattern;
      throw new Error(`unknown traffic pattern ${String(unknown)}`);
    }
  }
}
