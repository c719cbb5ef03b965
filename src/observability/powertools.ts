/**
 * Logs and operational counters through Powertools for AWS Lambda, the field's own library: JSON log lines
 * (with the function's context and correlation ids) and CloudWatch metrics as Embedded Metric Format, which
 * CloudWatch turns into metrics without an API call. The use cases see only the Logger and Telemetry ports.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '../app/logger.js';
import type { Telemetry, TelemetryMetric } from '../app/ports/telemetry.js';

/** The CloudWatch namespace of the bot's metrics. */
export const METRICS_NAMESPACE = 'CanaryBot';

/**
 * A logger for one function (`serviceName` = the handler: `worker`, `slack`…).
 *
 * @example const log = powertoolsLogger('worker'); log.info('tick', { releases: 3 });
 */
export function powertoolsLogger(serviceName: string): Logger {
  const logger = new PowertoolsLogger({ serviceName: `canary-bot-${serviceName}` });
  return {
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}

/** A logger that adds correlation ids (release, Slack request, Flagger revision) to every line. */
export function withCorrelation(log: Logger, ids: Readonly<Record<string, string | undefined>>): Logger {
  const keys = Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined));
  return {
    info: (message, fields) => log.info(message, { ...keys, ...fields }),
    warn: (message, fields) => log.warn(message, { ...keys, ...fields }),
    error: (message, fields) => log.error(message, { ...keys, ...fields }),
  };
}

const UNITS: Readonly<Record<TelemetryMetric, (typeof MetricUnit)[keyof typeof MetricUnit]>> = {
  Decision: MetricUnit.Count,
  AutomaticRollback: MetricUnit.Count,
  UnjudgedTick: MetricUnit.Count,
  UnjudgedRelease: MetricUnit.Count,
  MeshWrite: MetricUnit.Count,
  MeshError: MetricUnit.Count,
  SlackError: MetricUnit.Count,
  ChatDeferred: MetricUnit.Count,
  ChatDropped: MetricUnit.Count,
  RefusalNotRecorded: MetricUnit.Count,
  JobFailed: MetricUnit.Count,
  JobTooOld: MetricUnit.Count,
  JobAgeSeconds: MetricUnit.Seconds,
  TickFanOut: MetricUnit.Count,
  SmokeRequests: MetricUnit.Count,
  SmokeFailures: MetricUnit.Count,
  ChangeEventQueued: MetricUnit.Count,
  ChangeEventNotQueued: MetricUnit.Count,
  WebhookDelivered: MetricUnit.Count,
  WebhookRetried: MetricUnit.Count,
  WebhookFailed: MetricUnit.Count,
};

/** Counters of one function, flushed as EMF at the end of each invocation. */
export interface FlushingTelemetry extends Telemetry {
  flush(): void;
}

/**
 * Counters as CloudWatch metrics (EMF), with the function as a dimension. Counters with dimensions of their
 * own are written at once; the others at `flush()`.
 *
 * @example const telemetry = powertoolsTelemetry('tick'); telemetry.count('TickFanOut', 12); telemetry.flush();
 */
export function powertoolsTelemetry(serviceName: string): FlushingTelemetry {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: `canary-bot-${serviceName}` });
  return {
    count(metric, value = 1, dimensions) {
      if (dimensions && Object.keys(dimensions).length > 0) {
        const single = metrics.singleMetric();
        for (const [name, dimension] of Object.entries(dimensions)) single.addDimension(name, dimension);
        single.addMetric(metric, UNITS[metric], value);
        return;
      }
      metrics.addMetric(metric, UNITS[metric], value);
    },
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
