import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';
import { queueArn as readQueueArn } from './bed/sqs-queues.js';

/** A Lambda function behind an SQS event source mapping. */
export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined> | Promise<void>;

/** How the local event source mapping polls and invokes; the names follow Lambda's mapping settings. */
export interface SqsEventSourceOptions {
  client: SQSClient;
  queueUrl: string;
  /** The queue's ARN for `eventSourceARN`; asked from SQS when omitted. */
  queueArn?: string;
  /** `awsRegion` of the records. */
  region: string;
  handler: SqsHandler;
  /** Pollers, each invoking the handler with what one `ReceiveMessage` returned; default 1. */
  consumers?: number;
  /** Records per invocation, 1 to 10 (FIFO's limit); default 10. */
  batchSize?: number;
  /** Long-poll wait, 0 to 20 s; default 20, as Lambda does. `close()` cuts a wait short. */
  waitTimeSeconds?: number;
  /** `FunctionResponseTypes: [ReportBatchItemFailures]`: honour `batchItemFailures`; default true. */
  reportBatchItemFailures?: boolean;
  /** The function's timeout: an invocation still running then counts as failed; default 30 s. */
  functionTimeoutMs?: number;
  /** `context.functionName`; default `local-function`. */
  functionName?: string;
  /** Told before each invocation, and after it with what was deleted and what was left to come back. */
  observer?: SqsEventSourceObserver;
}

/** Hooks for callers that follow invocations (the process runner reports them to its parent). */
export interface SqsEventSourceObserver {
  invoking?(records: readonly SQSRecord[]): void;
  invoked?(outcome: InvocationOutcome): void;
}

/** What one invocation came to. */
export interface InvocationOutcome {
  readonly messageIds: readonly string[];
  /** Deleted from the queue: done. */
  readonly deleted: readonly string[];
  /** Left on the queue: back after the visibility timeout (or to the dead-letter queue). */
  readonly retried: readonly string[];
  /** Why the whole batch failed: the handler threw, timed out or answered an invalid response. */
  readonly error?: string;
}

/** What the event source did, for tests and benchmarks. */
export interface SqsEventSourceCounts {
  receives: number;
  received: number;
  invocations: number;
  /** Records deleted after their invocation succeeded. */
  deleted: number;
  /** Records left to come back: failed, later in a failed group, or in a failed invocation. */
  retried: number;
  /** Invocations that threw, timed out or answered an invalid `batchItemFailures`. */
  failedInvocations: number;
  timeouts: number;
  receiveErrors: number;
  /** Deletes SQS refused (a receipt handle that expired: the record will come back). */
  deleteErrors: number;
}

/** Lambda's attributes of an SQS record, in its order; FIFO queues add the last three. */
const recordAttributes = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;

/**
 * An SQS message as Lambda's SQS event source hands it to a function.
 *
 * @example const record = sqsRecord(message, 'arn:aws:sqs:us-east-1:000000000000:jobs.fifo', 'us-east-1');
 */
export function sqsRecord(message: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const attributes: Record<string, string> = {};
  for (const name of recordAttributes) {
    const value = message.Attributes?.[name];
    if (value !== undefined) attributes[name] = value;
  }
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = lambdaMessageAttribute(value);
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
}

function lambdaMessageAttribute(value: MessageAttributeValue): SQSMessageAttributes[string] {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined
      ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
      : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    dataType: value.DataType ?? 'String',
  };
}

/**
 * The records of a batch that go back to the queue, given the function's answer, or `undefined` when the
 * answer is invalid (an identifier that is empty or not in the batch), which fails the whole batch as Lambda
 * does. In a FIFO batch, every record after a failed one of the same group goes back too: delivering it now
 * would break the group's order.
 *
 * @example retriedRecords(records, { batchItemFailures: [{ itemIdentifier: records[0].messageId }] })
 */
export function retriedRecords(
  records: readonly SQSRecord[],
  response: SQSBatchResponse | undefined,
): Set<string> | undefined {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    if (!failure?.itemIdentifier || !ids.has(failure.itemIdentifier)) return undefined;
    failed.add(failure.itemIdentifier);
  }
  const stoppedGroups = new Set<string>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId;
    if (group !== undefined && stoppedGroups.has(group)) failed.add(record.messageId);
    else if (failed.has(record.messageId) && group !== undefined) stoppedGroups.add(group);
  }
  return failed;
}

/** Thrown inside an invocation that outlived the function's timeout. */
class FunctionTimeoutError extends Error {
  override name = 'FunctionTimeoutError';
}

/**
 * What Lambda's SQS event source mapping does for a queue, locally: `consumers` pollers long-poll
 * `ReceiveMessage` with every system attribute, invoke the handler with the `SQSEvent` Lambda would build,
 * delete what succeeded and leave the rest to come back after the visibility timeout, so that redrive to the
 * dead-letter queue happens after `maxReceiveCount` receives. FIFO queues keep a group's messages in order:
 * SQS hands out none of a group while one is in flight.
 *
 * @example
 * const source = await SqsEventSource.start({ client, queueUrl, region: 'us-east-1', handler, consumers: 4 });
 * // … later
 * await source.close(); // waits for the invocations in flight
 * console.log(source.counts());
 */
export class SqsEventSource {
  private readonly counters: SqsEventSourceCounts = {
    receives: 0,
    received: 0,
    invocations: 0,
    deleted: 0,
    retried: 0,
    failedInvocations: 0,
    timeouts: 0,
    receiveErrors: 0,
    deleteErrors: 0,
  };
  private readonly abort = new AbortController();
  private readonly pollers: Promise<void>[] = [];
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: Required<Omit<SqsEventSourceOptions, 'observer' | 'queueArn'>> & {
      queueArn: string;
      observer: SqsEventSourceObserver;
    },
  ) {}

  /** Starts the pollers; resolves once they run. */
  static async start(options: SqsEventSourceOptions): Promise<SqsEventSource> {
    const batchSize = options.batchSize ?? 10;
    const waitTimeSeconds = options.waitTimeSeconds ?? 20;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10)
      throw new RangeError('batchSize must be 1 to 10 (the most a FIFO queue hands out at once)');
    if (waitTimeSeconds < 0 || waitTimeSeconds > 20) throw new RangeError('waitTimeSeconds must be 0 to 20');
    const source = new SqsEventSource({
      client: options.client,
      queueUrl: options.queueUrl,
      queueArn: options.queueArn ?? (await readQueueArn(options.client, options.queueUrl)),
      region: options.region,
      handler: options.handler,
      consumers: Math.max(1, options.consumers ?? 1),
      batchSize,
      waitTimeSeconds,
      reportBatchItemFailures: options.reportBatchItemFailures ?? true,
      functionTimeoutMs: options.functionTimeoutMs ?? 30_000,
      functionName: options.functionName ?? 'local-function',
      observer: options.observer ?? {},
    });
    for (let i = 0; i < source.options.consumers; i++) source.pollers.push(source.poll());
    return source;
  }

  /** A copy of the counts so far. */
  counts(): SqsEventSourceCounts {
    return { ...this.counters };
  }

  /** Stops polling (a long poll in progress is cut short) and resolves when every invocation has ended. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      await Promise.all(this.pollers);
    })();
    await this.closing;
  }

  private async poll(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      let messages: Message[];
      try {
        const answer = await this.options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: this.options.batchSize,
            WaitTimeSeconds: this.options.waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.abort.signal },
        );
        this.counters.receives++;
        messages = answer.Messages ?? [];
        failures = 0;
      } catch {
        if (this.abort.signal.aborted) return;
        this.counters.receiveErrors++;
        failures++;
        // A queue that is gone or a server that is down: back off, as Lambda's pollers do.
        await sleep(Math.min(5000, 100 * 2 ** failures));
        continue;
      }
      if (messages.length === 0) continue;
      this.counters.received += messages.length;
      await this.invoke(messages.map((m) => sqsRecord(m, this.options.queueArn, this.options.region)));
    }
  }

  private async invoke(records: SQSRecord[]): Promise<void> {
    const { handler, functionTimeoutMs, reportBatchItemFailures, observer } = this.options;
    this.counters.invocations++;
    observer.invoking?.(records);
    let retried: Set<string> | undefined;
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = Date.now() + functionTimeoutMs;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FunctionTimeoutError(`timed out after ${functionTimeoutMs} ms`)),
          functionTimeoutMs,
        );
      });
      const response = await Promise.race([handler({ Records: records }, this.context(deadline)), timeout]);
      retried = reportBatchItemFailures
        ? retriedRecords(records, (response ?? undefined) as SQSBatchResponse | undefined)
        : new Set();
      if (!retried) error = 'invalid batchItemFailures: an itemIdentifier is empty or not in the batch';
    } catch (thrown) {
      if (thrown instanceof FunctionTimeoutError) this.counters.timeouts++;
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    } finally {
      clearTimeout(timer);
    }
    const keep = retried ?? new Set(records.map((r) => r.messageId));
    if (!retried) this.counters.failedInvocations++;
    const done = records.filter((r) => !keep.has(r.messageId));
    const deleted = await this.delete(done);
    this.counters.retried += keep.size;
    observer.invoked?.({
      messageIds: records.map((r) => r.messageId),
      deleted,
      retried: [...keep],
      ...(error ? { error } : {}),
    });
  }

  /** Deletes the records; returns the ids SQS confirmed. */
  private async delete(records: readonly SQSRecord[]): Promise<string[]> {
    const deleted: string[] = [];
    if (records.length === 0) return deleted;
    try {
      const answer = await this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const ok of answer.Successful ?? []) {
        const record = records[Number(ok.Id)];
        if (record) deleted.push(record.messageId);
      }
      this.counters.deleteErrors += answer.Failed?.length ?? 0;
    } catch {
      this.counters.deleteErrors += records.length;
    }
    this.counters.deleted += deleted.length;
    return deleted;
  }

  private context(deadline: number): Context {
    const { functionName, region, queueArn } = this.options;
    const account = queueArn.split(':')[4] ?? '000000000000';
    const unsupported = () => {
      throw new Error('callback-style completion is not supported: return a promise');
    };
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
      memoryLimitInMB: '1024',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/${process.pid}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }
}
