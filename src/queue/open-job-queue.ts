import { SQSClient } from '@aws-sdk/client-sqs';
import type { JobQueue } from '../app/ports/job-queue.js';
import { SqsJobQueue } from './sqs-job-queue.js';

/** Where the job queue lives; config.ts maps its settings onto this. */
export interface JobQueueSettings {
  /** The FIFO queue's URL. */
  queueUrl: string;
  /** Only for ElasticMQ; AWS endpoints come from the region. */
  endpoint?: string;
  region?: string;
  /** See `SqsJobQueueOptions.maxMessageBytes`. */
  maxMessageBytes?: number;
}

/**
 * The SQS client the settings describe: with an endpoint (ElasticMQ), queue URLs are not used as endpoints,
 * so a queue URL naming another host still goes to the endpoint given.
 *
 * @example const client = sqsClientFor({ queueUrl, endpoint: 'http://127.0.0.1:9324', region: 'us-east-1' });
 */
export function sqsClientFor(settings: Omit<JobQueueSettings, 'queueUrl'>): SQSClient {
  return new SQSClient({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint, useQueueUrlAsEndpoint: false } : {}),
  });
}

/**
 * The job queue the settings describe. Call it once per process (Lambda: outside the handler) and reuse it.
 *
 * @example
 * const queue = openJobQueue<WorkerJob>({ queueUrl: config.queue.url });
 * const local = openJobQueue<WorkerJob>({ queueUrl, endpoint: bed.sqs.endpoint, region: bed.sqs.region });
 */
export function openJobQueue<J>(settings: JobQueueSettings): JobQueue<J> {
  return new SqsJobQueue<J>({
    client: sqsClientFor(settings),
    queueUrl: settings.queueUrl,
    ...(settings.maxMessageBytes ? { maxMessageBytes: settings.maxMessageBytes } : {}),
  });
}
