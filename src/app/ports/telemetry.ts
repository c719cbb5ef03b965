/**
 * Operational counters the use cases emit (CloudWatch metrics in AWS, through Powertools' EMF): decisions,
 * automatic rollbacks, unjudged ticks, failures of Slack and Kubernetes, queue age. Never a secret, never a
 * high-cardinality dimension (no release ids: those go into the log).
 */
export type TelemetryMetric =
  | 'Decision'
  | 'AutomaticRollback'
  | 'UnjudgedTick'
  | 'UnjudgedRelease'
  | 'MeshWrite'
  | 'MeshError'
  | 'SlackError'
  | 'ChatDeferred'
  | 'ChatDropped'
  | 'JobFailed'
  | 'JobTooOld'
  | 'JobAgeSeconds'
  | 'TickFanOut'
  | 'RefusalNotRecorded'
  | 'SmokeRequests'
  | 'SmokeFailures'
  | 'ChangeEventQueued'
  | 'ChangeEventNotQueued'
  | 'WebhookDelivered'
  | 'WebhookRetried'
  | 'WebhookFailed';

/** Where counters go. */
export interface Telemetry {
  /**
   * Adds `value` (default 1) to a metric, with a few low-cardinality dimensions.
   *
   * @example telemetry.count('AutomaticRollback', 1, { namespace: 'bookinfo' });
   */
  count(metric: TelemetryMetric, value?: number, dimensions?: Readonly<Record<string, string>>): void;
}

/** Counts nothing: the default where no telemetry is wired (tests of pure flows, benchmarks). */
export const noTelemetry: Telemetry = { count: () => {} };
