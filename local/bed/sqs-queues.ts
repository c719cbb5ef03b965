import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SqsEndpoint } from './elasticmq.js';

/** ElasticMQ checks no signature; the SDK still wants credentials to sign with. */
const bedCredentials = { accessKeyId: 'bed', secretAccessKey: 'bed' };

/**
 * An SQS client for the bed's ElasticMQ.
 *
 * @example const sqs = bedSqsClient((await requireBed()).sqs);
 */
export function bedSqsClient(sqs: SqsEndpoint): SQSClient {
  return new SQSClient({
    endpoint: sqs.endpoint,
    region: sqs.region,
    credentials: bedCredentials,
    useQueueUrlAsEndpoint: false,
  });
}

/** A FIFO queue and its FIFO dead-letter queue. */
export interface FifoQueuePair {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  /** Seconds a received message stays hidden before it comes back. */
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** Deletes both queues. */
  delete(): Promise<void>;
}

/** How to make a pair; names get a random suffix, so every test has its own queues. */
export interface FifoQueuePairOptions {
  /** Start of both names (letters, digits, `-`, `_`); default `canary-bot`. */
  prefix?: string;
  /** Default 30 s (SQS's default). */
  visibilityTimeoutSeconds?: number;
  /** Default 3. */
  maxReceiveCount?: number;
}

/**
 * Creates a FIFO queue (content-based deduplication off: senders give deduplication ids) whose messages move
 * to a FIFO dead-letter queue after `maxReceiveCount` receives, as the deployment's queue does.
 *
 * @example
 * const queues = await createFifoQueuePair(sqs, { prefix: 'worker', visibilityTimeoutSeconds: 2 });
 * // … send to queues.queueUrl …
 * await queues.delete();
 */
export async function createFifoQueuePair(
  client: SQSClient,
  options: FifoQueuePairOptions = {},
): Promise<FifoQueuePair> {
  const prefix = options.prefix ?? 'canary-bot';
  if (!/^[\w-]{1,50}$/.test(prefix)) throw new RangeError(`queue name prefix ${JSON.stringify(prefix)}`);
  const suffix = randomBytes(5).toString('hex');
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
  const maxReceiveCount = options.maxReceiveCount ?? 3;
  const fifo = { FifoQueue: 'true', ContentBasedDeduplication: 'false' };

  const dlq = await client.send(
    new CreateQueueCommand({ QueueName: `${prefix}-${suffix}-dlq.fifo`, Attributes: fifo }),
  );
  const deadLetterQueueUrl = dlq.QueueUrl!;
  const deadLetterQueueArn = await queueArn(client, deadLetterQueueUrl);
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-${suffix}.fifo`,
      Attributes: {
        ...fifo,
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl!;
  return {
    queueUrl,
    queueArn: await queueArn(client, queueUrl),
    deadLetterQueueUrl,
    deadLetterQueueArn,
    visibilityTimeoutSeconds,
    maxReceiveCount,
    delete: async () => {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await client.send(new DeleteQueueCommand({ QueueUrl: deadLetterQueueUrl }));
    },
  };
}

/**
 * A queue's ARN, as SQS reports it.
 *
 * @example await queueArn(sqs, url) // 'arn:aws:sqs:us-east-1:000000000000:worker-1a2b.fifo'
 */
export async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const answer = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = answer.Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS gave no ARN for ${queueUrl}`);
  return arn;
}
