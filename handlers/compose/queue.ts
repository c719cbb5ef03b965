/** The workers' SQS FIFO queue, from the configuration (an SQS endpoint override points at ElasticMQ locally). */
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import { type BotConfig, ConfigError } from '../../src/config.js';
import { openJobQueue } from '../../src/queue/open-job-queue.js';

/**
 * The job queue every producer (ingress, tick, worker) sends to.
 *
 * @example const queue = sqsQueueOf<WorkerJob>(config);
 * @throws ConfigError when CANARY_BOT_QUEUE_URL is not set
 */
export function sqsQueueOf<J>(config: BotConfig): JobQueue<J> {
  if (!config.queue)
    throw new ConfigError(
      "CANARY_BOT_QUEUE_URL: is required (the workers' SQS FIFO queue; serverless.yml sets it in AWS)",
    );
  return openJobQueue<J>({
    queueUrl: config.queue.url,
    ...(config.queue.endpoint ? { endpoint: config.queue.endpoint } : {}),
    ...(config.queue.region ? { region: config.queue.region } : {}),
  });
}
