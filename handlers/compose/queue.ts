/** The workers' SQS FIFO queue, from the configuration (an SQS endpoint override points at ElasticMQ locally). */
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import { type BotConfig, ConfigError } from '../../src/config.js';

/**
 * The job queue every producer (ingress, tick, worker) sends to.
 *
 * @example const queue = await sqsQueueOf<WorkerJob>(config);
 * @throws ConfigError when CANARY_BOT_QUEUE_URL is not set
 */
export async function sqsQueueOf<J>(config: BotConfig): Promise<JobQueue<J>> {
  if (!config.queue)
    throw new ConfigError(
      "CANARY_BOT_QUEUE_URL: is required (the workers' SQS FIFO queue; serverless.yml sets it in AWS)",
    );
  const [{ SQSClient }, { SqsJobQueue }] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('../../src/queue/sqs-job-queue.js'),
  ]);
  const client = new SQSClient({
    ...(config.queue.region ? { region: config.queue.region } : {}),
    ...(config.queue.endpoint ? { endpoint: config.queue.endpoint } : {}),
  });
  return new SqsJobQueue<J>({ client, queueUrl: config.queue.url });
}
