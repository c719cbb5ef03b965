import { createHash } from 'node:crypto';
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type JobQueue, JobRejectedError, JobsNotSentError, type QueuedJob } from '../app/ports/job-queue.js';

/**
 * 256 KiB: the message size every SQS queue and ElasticMQ accept. SQS allows up to 1 MiB since August 2025
 * on queues whose `MaximumMessageSize` says so; raise `maxMessageBytes` only for such a queue.
 */
export const defaultMaxMessageBytes = 256 * 1024;
/** SQS's ceiling for one message, and for the sum of the messages of one batch. */
export const sqsMessageBytesCeiling = 1024 * 1024;
/** Entries in one `SendMessageBatch`, at most. */
export const sqsBatchEntries = 10;

/** Options of the SQS job queue. */
export interface SqsJobQueueOptions {
  /** Built once per container and shared; its own retries cover throttling and lost connections. */
  client: SQSClient;
  /** A FIFO queue (`….fifo`). */
  queueUrl: string;
  /** Largest body accepted (UTF-8 bytes), also the largest batch; default `defaultMaxMessageBytes`. */
  maxMessageBytes?: number;
  /** Attempts for the entries a batch reports failed on the queue's side (not the sender's); default 4. */
  attempts?: number;
  /** First pause before retrying failed entries, doubled each time, with jitter; default 50 ms. */
  retryDelayMs?: number;
  /** Batches in flight at once; default 4. */
  concurrency?: number;
}

/** MessageGroupId and MessageDeduplicationId: 1 to 128 of SQS's alphanumerics and punctuation. */
const sqsIdPattern = /^[\x21-\x7e]{1,128}$/;

/** A job ready to send. */
interface Entry {
  readonly index: number;
  readonly group: string;
  readonly dedupId: string;
  readonly bytes: number;
  readonly request: SendMessageBatchRequestEntry;
}

/** What became of one batch. */
interface BatchOutcome {
  readonly sent: number;
  readonly failed: readonly Entry[];
  readonly reason?: string;
  readonly cause?: unknown;
}

/**
 * The deduplication id SQS gets for a job's `dedupId`: its SHA-256 in hex, always within SQS's alphabet and
 * 128 characters, whatever the caller's id holds (Slack ids, colons, non-ASCII names).
 *
 * @example sqsDeduplicationId('approve:rel-42:3') // '5f0c…' (64 hex digits)
 */
export function sqsDeduplicationId(dedupId: string): string {
  return createHash('sha256').update(dedupId, 'utf8').digest('hex');
}

/**
 * A job's body as SQS carries it: JSON, with U+FFFE and U+FFFF (which SQS refuses in a body) escaped. Lone
 * surrogates are escaped by JSON.stringify itself.
 *
 * @example sqsMessageBody({ kind: 'tick' }) // '{"kind":"tick"}'
 */
export function sqsMessageBody(body: unknown): string {
  const text = JSON.stringify(body);
  if (text === undefined) throw new TypeError('the body has no JSON form');
  return text.replace(/[\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/**
 * The job queue on an SQS FIFO queue: `SendMessageBatch` of up to 10 jobs, `MessageGroupId` = the job's
 * group, `MessageDeduplicationId` from its `dedupId`, JSON bodies. A group's jobs go out in the order given:
 * its n-th job is sent only after its (n-1)-th was accepted, so retrying a failed entry never overtakes.
 *
 * @example
 * const queue = new SqsJobQueue<WorkerJob>({ client: new SQSClient({}), queueUrl: config.queueUrl });
 * await queue.send([{ group: 'release-42', dedupId: 'slack:Ev123', body: job }]);
 */
export class SqsJobQueue<J> implements JobQueue<J> {
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly maxMessageBytes: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly concurrency: number;

  constructor(options: SqsJobQueueOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    if (this.maxMessageBytes < 1 || this.maxMessageBytes > sqsMessageBytesCeiling) {
      throw new RangeError(`maxMessageBytes must be between 1 and ${sqsMessageBytesCeiling}`);
    }
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.retryDelayMs = options.retryDelayMs ?? 50;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  async send(jobs: readonly QueuedJob<J>[]): Promise<void> {
    // Every job is checked before any is sent: a bad one sends nothing.
    const entries = jobs.map((job, index) => this.entryOf(job, index));
    const blocked = new Set<string>();
    const notSent: Entry[] = [];
    let sent = 0;
    let reason: string | undefined;
    let cause: unknown;
    for (const round of rounds(entries)) {
      const ready = round.filter((entry) => {
        if (!blocked.has(entry.group)) return true;
        notSent.push(entry);
        return false;
      });
      const outcomes = await inParallel(batches(ready, this.maxMessageBytes), this.concurrency, (batch) =>
        this.sendBatch(batch),
      );
      for (const outcome of outcomes) {
        sent += outcome.sent;
        for (const entry of outcome.failed) {
          blocked.add(entry.group);
          notSent.push(entry);
        }
        reason ??= outcome.reason;
        cause ??= outcome.cause;
      }
    }
    if (notSent.length > 0) {
      const ids = notSent.sort((a, b) => a.index - b.index).map((entry) => entry.dedupId);
      throw new JobsNotSentError(sent, ids, { cause, ...(reason ? { reason } : {}) });
    }
  }

  private entryOf(job: QueuedJob<J>, index: number): Entry {
    if (!sqsIdPattern.test(job.group)) {
      throw new JobRejectedError(
        `job ${index + 1} has the group ${JSON.stringify(job.group.slice(0, 140))}; a group is 1 to 128 printable ASCII characters without spaces`,
        job.dedupId,
      );
    }
    if (job.dedupId.length === 0) throw new JobRejectedError(`job ${index + 1} has an empty dedupId`, '');
    let body: string;
    try {
      body = sqsMessageBody(job.body);
    } catch (error) {
      throw new JobRejectedError(
        `job ${index + 1} (${job.dedupId}) has a body that cannot be sent as JSON: ${(error as Error).message}`,
        job.dedupId,
      );
    }
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > this.maxMessageBytes) {
      throw new JobRejectedError(
        `job ${index + 1} (${job.dedupId}) is ${bytes} bytes as JSON; the queue takes at most ${this.maxMessageBytes}`,
        job.dedupId,
      );
    }
    return {
      index,
      group: job.group,
      dedupId: job.dedupId,
      bytes,
      request: {
        Id: `j${index}`,
        MessageBody: body,
        MessageGroupId: job.group,
        MessageDeduplicationId: sqsDeduplicationId(job.dedupId),
      },
    };
  }

  /** Sends one batch, retrying the entries SQS reports failed on its side; sender faults are final. */
  private async sendBatch(batch: readonly Entry[]): Promise<BatchOutcome> {
    let pending = batch;
    let sent = 0;
    const final: Entry[] = [];
    let reason: string | undefined;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let answer: SendMessageBatchCommandOutput;
      try {
        answer = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending.map((e) => e.request) }),
        );
      } catch (error) {
        // The client has already retried what it deems transient.
        const name = (error as Error).name ?? 'Error';
        return {
          sent,
          failed: [...final, ...pending],
          reason: `${name}: ${(error as Error).message}`,
          cause: error,
        };
      }
      const byId = new Map(pending.map((entry) => [entry.request.Id, entry]));
      sent += answer.Successful?.length ?? 0;
      const retry: Entry[] = [];
      for (const failure of answer.Failed ?? []) {
        const entry = byId.get(failure.Id);
        if (!entry) continue;
        reason ??= `${failure.Code ?? 'failed'}${failure.Message ? ` (${failure.Message})` : ''}`;
        (failure.SenderFault || attempt >= this.attempts ? final : retry).push(entry);
      }
      pending = retry;
      if (pending.length > 0) await pause(this.retryDelayMs * 2 ** (attempt - 1));
    }
    return { sent, failed: final, ...(reason && final.length > 0 ? { reason } : {}) };
  }
}

/** Round n holds every group's n-th job, so a group appears at most once per round. */
function rounds(entries: readonly Entry[]): Entry[][] {
  const seen = new Map<string, number>();
  const result: Entry[][] = [];
  for (const entry of entries) {
    const n = seen.get(entry.group) ?? 0;
    seen.set(entry.group, n + 1);
    const round = result[n] ?? [];
    round.push(entry);
    result[n] = round;
  }
  return result;
}

/** Batches of at most 10 entries whose bodies add up to at most `maxBytes`. */
function batches(entries: readonly Entry[], maxBytes: number): Entry[][] {
  const result: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === sqsBatchEntries || bytes + entry.bytes > maxBytes) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** Runs `work` over the items with at most `limit` at once; results in the items' order. */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms * (0.5 + Math.random())));
