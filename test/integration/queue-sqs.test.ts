/**
 * The job queue and the local SQS event source on the bed's ElasticMQ: FIFO order and one invocation per
 * group at a time, parallel groups, deduplication, partial batch failure, redrive to the dead-letter queue,
 * a worker process killed mid-job, and what the adapter refuses or reports.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { startHttpFaultProxy } from '../../local/bed/fault-proxy.js';
import { bedSqsClient, createFifoQueuePair, type FifoQueuePair } from '../../local/bed/sqs-queues.js';
import { LambdaProcess } from '../../local/lambda-processes.js';
import {
  type InvocationOutcome,
  SqsEventSource,
  type SqsEventSourceOptions,
} from '../../local/sqs-event-source.js';
import { JobRejectedError, JobsNotSentError, type QueuedJob } from '../../src/app/ports/job-queue.js';
import { SqsJobQueue, sqsDeduplicationId } from '../../src/queue/sqs-job-queue.js';
import type { TestHandlerLine } from './support/sqs-test-handler.js';

interface Job {
  id: string;
}

let bed: BedState;
let client: SQSClient;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  bed = await requireBed();
  client = bedSqsClient(bed.sqs);
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

afterAll(() => client.destroy());

async function queues(visibilityTimeoutSeconds: number, maxReceiveCount = 5): Promise<FifoQueuePair> {
  const pair = await createFifoQueuePair(client, {
    prefix: 'queue-test',
    visibilityTimeoutSeconds,
    maxReceiveCount,
  });
  cleanup.push(() => pair.delete());
  return pair;
}

async function consume(
  pair: FifoQueuePair,
  handler: SqsEventSourceOptions['handler'],
  options: Partial<SqsEventSourceOptions> = {},
): Promise<{ source: SqsEventSource; outcomes: InvocationOutcome[] }> {
  const outcomes: InvocationOutcome[] = [];
  const source = await SqsEventSource.start({
    client,
    queueUrl: pair.queueUrl,
    region: bed.sqs.region,
    handler,
    waitTimeSeconds: 1,
    observer: { invoked: (outcome) => outcomes.push(outcome) },
    ...options,
  });
  cleanup.push(() => source.close());
  return { source, outcomes };
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Messages on the queue, visible or in flight. */
async function onQueue(queueUrl: string): Promise<number> {
  const answer = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(answer.Attributes?.ApproximateNumberOfMessages) +
    Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

const ids = (records: readonly SQSRecord[]) => records.map((r) => (JSON.parse(r.body) as Job).id);
const jobs = (group: string, names: string[]): QueuedJob<Job>[] =>
  names.map((id) => ({ group, dedupId: `${group}:${id}`, body: { id } }));

describe('SQS FIFO on ElasticMQ, through the job queue and the local event source', () => {
  it('delivers each group in order, one invocation per group at a time, with Lambda-shaped records', async () => {
    // Prepare
    const pair = await queues(30);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    const groups = ['release-a', 'release-b', 'release-c'];
    const seen = new Map<string, string[]>(groups.map((g) => [g, []]));
    const busy = new Set<string>();
    let overlaps = 0;
    let first: SQSRecord | undefined;
    const { source } = await consume(
      pair,
      async (event: SQSEvent) => {
        first ??= event.Records[0];
        const inBatch = new Set(event.Records.map((r) => r.attributes.MessageGroupId ?? ''));
        for (const group of inBatch) if (busy.has(group)) overlaps++;
        for (const group of inBatch) busy.add(group);
        for (const record of event.Records)
          seen.get(record.attributes.MessageGroupId ?? '')?.push(ids([record])[0]!);
        await sleep(20);
        for (const group of inBatch) busy.delete(group);
      },
      { consumers: 4, batchSize: 3 },
    );
    const names = Array.from({ length: 15 }, (_, i) => `m${String(i).padStart(2, '0')}`);

    // Act: the groups' jobs interleaved in one send
    await queue.send(
      names.flatMap((name) => groups.map((g) => ({ group: g, dedupId: `${g}:${name}`, body: { id: name } }))),
    );
    await eventually('all 45 are deleted', () => source.counts().deleted === 45);

    // Assess
    for (const group of groups) expect(seen.get(group)).toEqual(names);
    expect(overlaps).toBe(0);
    expect(first).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: pair.queueArn,
      awsRegion: bed.sqs.region,
      attributes: {
        ApproximateReceiveCount: '1',
        MessageGroupId: expect.stringMatching(/^release-[abc]$/),
        MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/),
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SequenceNumber: expect.stringMatching(/^\d+$/),
      },
    });
    expect(first?.attributes.MessageDeduplicationId).toBe(
      sqsDeduplicationId(`${first?.attributes.MessageGroupId}:${ids([first!])[0]}`),
    );
    expect(first?.messageId).toMatch(/\S/);
    expect(first?.receiptHandle).toMatch(/\S/);
    expect(await onQueue(pair.queueUrl)).toBe(0);
  });

  it('runs different groups in parallel, and one group serially', async () => {
    // Prepare
    const pair = await queues(30);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    let running = 0;
    let most = 0;
    const { source } = await consume(
      pair,
      async () => {
        most = Math.max(most, ++running);
        await sleep(300);
        running--;
      },
      { consumers: 4, batchSize: 1 },
    );

    // Act: 8 releases with one job each, then 8 jobs of one release
    await queue.send(Array.from({ length: 8 }, (_, i) => jobs(`release-${i}`, ['tick'])[0]!));
    await eventually('8 are deleted', () => source.counts().deleted === 8);
    const acrossGroups = most;
    most = 0;
    await queue.send(jobs('release-x', ['1', '2', '3', '4', '5', '6', '7', '8']));
    await eventually('16 are deleted', () => source.counts().deleted === 16);

    // Assess
    expect(acrossGroups).toBe(4);
    expect(most).toBe(1);
  });

  it('drops a job whose dedupId was sent before, even after the first was processed', async () => {
    // Prepare
    const pair = await queues(30);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    const handled: string[] = [];
    const { source } = await consume(pair, async (event) => {
      handled.push(...ids(event.Records));
    });

    // Act: Slack delivers a click twice, then a different click; later a third retry of the first
    await queue.send([{ group: 'release-d', dedupId: 'slack:Ev01', body: { id: 'first delivery' } }]);
    await queue.send([{ group: 'release-d', dedupId: 'slack:Ev01', body: { id: 'retried delivery' } }]);
    await queue.send([{ group: 'release-d', dedupId: 'slack:Ev02', body: { id: 'another click' } }]);
    await eventually('two are deleted', () => source.counts().deleted === 2);
    await queue.send([{ group: 'release-d', dedupId: 'slack:Ev01', body: { id: 'late retry' } }]);
    await sleep(1500);

    // Assess
    expect(handled).toEqual(['first delivery', 'another click']);
    expect(source.counts().received).toBe(2);
    expect(await onQueue(pair.queueUrl)).toBe(0);
  });

  it('deletes what succeeded and brings back a failed record with the rest of its group, in order', async () => {
    // Prepare: everything is on the queue before the consumer starts, so it comes in one batch
    const pair = await queues(2);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    await queue.send([...jobs('release-g', ['g1', 'g2', 'g3', 'g4']), ...jobs('release-h', ['h1', 'h2'])]);
    const batches: { ids: string[]; receiveCounts: string[] }[] = [];
    const jobOf = new Map<string, string>();

    // Act: g2 fails on its first delivery; the handler reports only g2
    const { source, outcomes } = await consume(pair, async (event): Promise<SQSBatchResponse> => {
      for (const record of event.Records) jobOf.set(record.messageId, ids([record])[0]!);
      batches.push({
        ids: ids(event.Records),
        receiveCounts: event.Records.map((r) => r.attributes.ApproximateReceiveCount),
      });
      const g2 = event.Records.find(
        (r) => ids([r])[0] === 'g2' && r.attributes.ApproximateReceiveCount === '1',
      );
      return { batchItemFailures: g2 ? [{ itemIdentifier: g2.messageId }] : [] };
    });
    await eventually('all six are deleted', () => source.counts().deleted === 6);

    // Assess
    expect([...(batches[0]?.ids ?? [])].sort()).toEqual(['g1', 'g2', 'g3', 'g4', 'h1', 'h2']);
    const named = (messageIds: readonly string[] | undefined) =>
      (messageIds ?? []).map((id) => jobOf.get(id)).sort();
    expect(named(outcomes[0]?.deleted)).toEqual(['g1', 'h1', 'h2']);
    expect(named(outcomes[0]?.retried)).toEqual(['g2', 'g3', 'g4']);
    expect(batches[1]).toEqual({ ids: ['g2', 'g3', 'g4'], receiveCounts: ['2', '2', '2'] });
    expect(batches).toHaveLength(2);
    expect(source.counts()).toMatchObject({ invocations: 2, deleted: 6, retried: 3, failedInvocations: 0 });
  });

  it('moves a job that keeps failing to the dead-letter queue after maxReceiveCount, with its payload', async () => {
    // Prepare
    const pair = await queues(1, 2);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    let poisonDeliveries = 0;
    const { source } = await consume(pair, async (event): Promise<SQSBatchResponse> => {
      const poison = event.Records.filter((r) => ids([r])[0] === 'poison');
      poisonDeliveries += poison.length;
      return { batchItemFailures: poison.map((r) => ({ itemIdentifier: r.messageId })) };
    });

    // Act
    await queue.send([...jobs('release-p', ['poison']), ...jobs('release-q', ['fine'])]);
    let dead: { body?: string; group?: string } | undefined;
    await eventually(
      'the poison job is in the dead-letter queue',
      async () => {
        const answer = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: pair.deadLetterQueueUrl,
            MessageSystemAttributeNames: ['All'],
            WaitTimeSeconds: 1,
          }),
        );
        const message = answer.Messages?.[0];
        if (message) dead = { body: message.Body, group: message.Attributes?.MessageGroupId };
        return message !== undefined;
      },
      20_000,
    );

    // Assess
    expect(dead).toEqual({ body: JSON.stringify({ id: 'poison' }), group: 'release-p' });
    expect(poisonDeliveries).toBe(2);
    expect(source.counts().deleted).toBe(1);
    expect(await onQueue(pair.queueUrl)).toBe(0);
  });

  it('brings a job back to another worker process after its worker is killed mid-job', async () => {
    // Prepare: two worker processes on one queue
    const pair = await queues(2);
    const dir = mkdtempSync(join(tmpdir(), 'queue-test-'));
    const log = join(dir, 'handled.jsonl');
    const start = () =>
      LambdaProcess.start({
        handler: 'test/integration/support/sqs-test-handler.ts',
        sqs: bed.sqs,
        queueUrl: pair.queueUrl,
        queueArn: pair.queueArn,
        waitTimeSeconds: 1,
        env: { SQS_TEST_HANDLER_LOG: log },
        logFile: join(dir, 'workers.log'),
      });
    const workers = await Promise.all([start(), start()]);
    cleanup.push(() => Promise.all(workers.map((w) => w.kill())));
    const queue = new SqsJobQueue<Job & { hangOnFirstReceive: boolean }>({ client, queueUrl: pair.queueUrl });

    // Act: the job hangs in whichever worker gets it first; that worker is SIGKILLed
    await queue.send([{ group: 'release-k', dedupId: 'k1', body: { id: 'k1', hangOnFirstReceive: true } }]);
    const victim = await Promise.any(
      workers.map((w) => w.waitFor((e) => e.type === 'invoking').then(() => w)),
    );
    await eventually(
      'the handler has started',
      () => existsSync(log) && readFileSync(log, 'utf8').includes('"k1"'),
    );
    await victim.kill();
    const survivor = workers.find((w) => w !== victim)!;
    const done = await survivor.waitFor((e) => e.type === 'invoked' && e.deleted.length === 1, 30_000);

    // Assess
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TestHandlerLine);
    expect(lines.map((l) => [l.pid, l.receiveCount, l.id])).toEqual([
      [victim.pid, 1, 'k1'],
      [survivor.pid, 2, 'k1'],
    ]);
    expect(victim.invocations()).toEqual({ started: 1, ended: 0 });
    expect(await victim.exited).toBe('SIGKILL');
    expect(done).toMatchObject({ type: 'invoked', retried: [] });
    expect(done).not.toHaveProperty('error');
    expect(await onQueue(pair.queueUrl)).toBe(0);
    expect(await survivor.stop()).toMatchObject({ invocations: 1, deleted: 1 });
  });

  it('leaves every record of a batch whose handler throws', async () => {
    // Prepare
    const pair = await queues(1);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    await queue.send([...jobs('release-e', ['e1']), ...jobs('release-f', ['f1'])]);
    let calls = 0;

    // Act: the first invocation throws, the next ones succeed
    const { source, outcomes } = await consume(pair, async () => {
      if (++calls === 1) throw new Error('worker crashed');
    });
    await eventually('both are deleted', () => source.counts().deleted === 2);

    // Assess
    expect(outcomes[0]).toMatchObject({ deleted: [], error: 'Error: worker crashed' });
    expect(outcomes[0]?.retried).toHaveLength(2);
    expect(source.counts()).toMatchObject({ failedInvocations: 1, retried: 2, deleted: 2 });
  });

  it('finishes the invocations in flight when closed, and polls no more', async () => {
    // Prepare
    const pair = await queues(30);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    let started = 0;
    const { source, outcomes } = await consume(pair, async () => {
      started++;
      await sleep(500);
    });
    await queue.send(jobs('release-c', ['c1']));
    await eventually('the handler runs', () => started === 1);

    // Act
    await source.close();
    await queue.send(jobs('release-c', ['c2']));
    await sleep(300);

    // Assess
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.deleted).toHaveLength(1);
    expect(started).toBe(1);
    expect(await onQueue(pair.queueUrl)).toBe(1);
  });

  it('counts an invocation that outlives the function timeout as failed; its record comes back', async () => {
    // Prepare
    const pair = await queues(1);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    const { source, outcomes } = await consume(
      pair,
      async (event) => {
        if (event.Records[0]?.attributes.ApproximateReceiveCount === '1') await sleep(800);
      },
      { functionTimeoutMs: 200 },
    );

    // Act
    await queue.send(jobs('release-t', ['t1']));
    await eventually('it is deleted', () => source.counts().deleted === 1);

    // Assess
    expect(outcomes[0]).toMatchObject({ deleted: [], error: 'FunctionTimeoutError: timed out after 200 ms' });
    expect(outcomes[0]?.retried).toHaveLength(1);
    expect(source.counts()).toMatchObject({ invocations: 2, timeouts: 1, failedInvocations: 1, deleted: 1 });
  });

  it('refuses a body above the limit, a bad group and an empty dedupId, and sends nothing', async () => {
    // Prepare
    const pair = await queues(30);
    const queue = new SqsJobQueue<Job>({ client, queueUrl: pair.queueUrl });
    const big = { id: 'x'.repeat(256 * 1024) };

    // Act
    const oversized = queue.send([
      ...jobs('release-o', ['fits']),
      { group: 'release-o', dedupId: 'big', body: big },
    ]);
    const badGroup = queue.send([{ group: 'release o', dedupId: 'spaced', body: { id: 'x' } }]);
    const noDedup = queue.send([{ group: 'release-o', dedupId: '', body: { id: 'x' } }]);

    // Assess
    await expect(oversized).rejects.toThrow(JobRejectedError);
    await expect(oversized).rejects.toMatchObject({
      dedupId: 'big',
      message: expect.stringMatching(
        /job 2 \(big\) is 262\d{3} bytes as JSON; the queue takes at most 262144/,
      ),
    });
    await expect(badGroup).rejects.toThrow(/group "release o"/);
    await expect(noDedup).rejects.toThrow(/empty dedupId/);
    expect(await onQueue(pair.queueUrl)).toBe(0);
  });

  describe('when SQS reports failures (a fault proxy in front of ElasticMQ)', () => {
    const failedAnswer = (body: string, senderFault: boolean) => {
      const entries = (JSON.parse(body) as { Entries: { Id: string }[] }).Entries;
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({
          Successful: [],
          Failed: entries.map((e) => ({
            Id: e.Id,
            SenderFault: senderFault,
            Code: senderFault ? 'InvalidParameterValue' : 'InternalError',
            Message: 'injected',
          })),
        }),
      };
    };
    const isBatch = (target: unknown) => target === 'AmazonSQS.SendMessageBatch';

    async function throughProxy() {
      const pair = await queues(30);
      const proxy = await startHttpFaultProxy(bed.sqs.endpoint);
      cleanup.push(() => proxy.close());
      const proxied = bedSqsClient({ endpoint: proxy.url, region: bed.sqs.region });
      cleanup.push(async () => proxied.destroy());
      const queue = new SqsJobQueue<Job>({ client: proxied, queueUrl: pair.queueUrl, retryDelayMs: 5 });
      return { pair, proxy, queue };
    }

    async function drain(queueUrl: string): Promise<string[]> {
      const found: string[] = [];
      for (;;) {
        const answer = await client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
        );
        if (!answer.Messages?.length) return found;
        found.push(...answer.Messages.map((m) => (JSON.parse(m.Body ?? '{}') as Job).id));
      }
    }

    it('retries the entries a batch reports failed on its side, with the same dedup ids', async () => {
      // Prepare: the first batch is answered "InternalError" for every entry
      const { pair, proxy, queue } = await throughProxy();
      let failures = 1;
      proxy.set((request, body) =>
        isBatch(request.headers['x-amz-target']) && failures-- > 0 ? failedAnswer(body, false) : undefined,
      );

      // Act
      await queue.send(['r1', 'r2', 'r3'].map((id) => jobs(`release-${id}`, [id])[0]!));

      // Assess
      expect(proxy.stats()).toEqual({ requests: 2, faults: 1 });
      expect((await drain(pair.queueUrl)).sort()).toEqual(['r1', 'r2', 'r3']);
      expect(await onQueue(pair.queueUrl)).toBe(3);
    });

    it('holds back the rest of a group whose job could not be sent, and says how many were not sent', async () => {
      // Prepare: every batch that carries group-10 fails
      const { pair, proxy, queue } = await throughProxy();
      proxy.set((request, body) =>
        isBatch(request.headers['x-amz-target']) && body.includes('"MessageGroupId":"group-10"')
          ? failedAnswer(body, false)
          : undefined,
      );
      const firstRound = Array.from({ length: 11 }, (_, i) => jobs(`group-${i}`, [`g${i}-1`])[0]!);

      // Act: 11 groups (two batches), then a second job for group-0 and group-10
      const sending = queue.send([
        ...firstRound,
        ...jobs('group-0', ['g0-2']),
        ...jobs('group-10', ['g10-2']),
      ]);

      // Assess
      const error = await sending.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobsNotSentError);
      expect(error).toMatchObject({ sent: 11, notSent: ['group-10:g10-1', 'group-10:g10-2'] });
      expect((error as Error).message).toBe(
        '2 of 13 jobs were not sent to the queue: InternalError (injected)',
      );
      expect(proxy.stats().faults).toBe(4);
      expect(await onQueue(pair.queueUrl)).toBe(11);
    });

    it('does not retry entries refused as the sender fault', async () => {
      // Prepare
      const { proxy, queue } = await throughProxy();
      proxy.set((request, body) =>
        isBatch(request.headers['x-amz-target']) ? failedAnswer(body, true) : undefined,
      );

      // Act
      const error = await queue.send(jobs('release-s', ['s1'])).catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ name: 'JobsNotSentError', sent: 0, notSent: ['release-s:s1'] });
      expect((error as Error).message).toMatch(/InvalidParameterValue/);
      expect(proxy.stats().faults).toBe(1);
    });
  });
});
