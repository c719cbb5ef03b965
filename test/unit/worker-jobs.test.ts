/**
 * Jobs as the work queue carries them: JSON text. A tick's reading must reach the judge exactly as it was
 * read (the +Inf latency bucket included), and a body that is not a job is dropped, not retried forever.
 */
import type { SQSEvent } from 'aws-lambda';
import { handleBatch, type WorkerJob } from '../../handlers/compose/worker.js';
import { judgeReading, type TickReading } from '../../src/app/canary-analysis.js';
import { silentLogger } from '../../src/app/logger.js';
import { parseTickJob, readingFromWire, readingToWire, type TickJob } from '../../src/app/tick.js';
import { sqsMessageBody } from '../../src/queue/sqs-job-queue.js';

const buckets = (total: number) => [
  { le: 10, count: Math.round(total * 0.2) },
  { le: 25, count: Math.round(total * 0.6) },
  { le: 100, count: Math.round(total * 0.99) },
  { le: 250, count: total },
  { le: Number.POSITIVE_INFINITY, count: total },
];

const reading: TickReading = {
  kind: 'figures',
  stateVersion: 7,
  step: 1,
  windowStartedAt: '2026-12-04T10:00:00.000Z',
  windowSeconds: 300,
  canary: { requests: 3000, errors: 0, latency: buckets(3000) },
  baseline: { requests: 27000, errors: 0, latency: buckets(27000) },
};

/** What a worker gets back from SQS for a job the tick sent. */
const throughTheQueue = (job: TickJob): unknown => JSON.parse(sqsMessageBody(job));

describe('a tick job on the queue', () => {
  it('brings the reading to the judge unchanged, +Inf bucket included', () => {
    // Act
    const job = parseTickJob(
      throughTheQueue({
        kind: 'tick',
        releaseId: 'r1',
        at: '2026-12-04T10:05:00.000Z',
        reading: readingToWire(reading),
      }),
    );
    // Assess
    const back = job.reading && readingFromWire(job.reading);
    expect(back).toEqual(reading);
    expect(judgeReading(back as typeof reading).verdict).toEqual(judgeReading(reading).verdict);
    expect(
      judgeReading(reading)
        .verdict.reasons.map((r) => r.message)
        .join(' '),
    ).not.toContain('no latency histogram');
  });

  it.each([
    [{ kind: 'tick', releaseId: '', at: '2026-12-04T10:05:00.000Z' }, /releaseId/],
    [{ kind: 'tick', releaseId: 'r1', at: 'yesterday' }, /at/],
    [
      {
        kind: 'tick',
        releaseId: 'r1',
        at: '2026-12-04T10:05:00.000Z',
        reading: { ...readingToWire(reading), canary: { requests: -1, errors: 0 } },
      },
      /reading\.canary\.requests/,
    ],
    [
      {
        kind: 'tick',
        releaseId: 'r1',
        at: '2026-12-04T10:05:00.000Z',
        reading: JSON.parse(JSON.stringify(reading)),
      },
      /reading\.canary\.latency\.4\.le/,
    ],
  ])('refuses %j, naming the field', (body, field) => {
    expect(() => parseTickJob(body)).toThrow(field);
  });
});

describe('a batch from the work queue', () => {
  const record = (id: string, group: string, body: string): SQSEvent['Records'][number] => ({
    messageId: id,
    receiptHandle: id,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:work.fifo',
    awsRegion: 'us-east-1',
  });
  const tickBody = (releaseId: string) =>
    sqsMessageBody({ kind: 'tick', releaseId, at: '2026-12-04T10:05:00.000Z' });

  it('drops bodies that are not jobs and goes on; a failing job fails the rest of its group only', async () => {
    // Prepare
    const ran: string[] = [];
    const run = async (job: WorkerJob) => {
      const id = job.kind === 'tick' ? job.releaseId : job.kind;
      if (id === 'boom') throw new Error('mesh unreachable');
      ran.push(id);
    };
    const event: SQSEvent = {
      Records: [
        record('m1', 'release:a', 'not json'),
        record('m2', 'release:a', sqsMessageBody({ kind: 'reboot' })),
        record('m3', 'release:a', tickBody('a')),
        record('m4', 'release:b', tickBody('boom')),
        record('m5', 'release:b', tickBody('b')),
        record('m6', 'release:c', tickBody('c')),
      ],
    };
    // Act
    const result = await handleBatch(run, silentLogger, event);
    // Assess
    expect(ran.sort()).toEqual(['a', 'c']);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m4', 'm5']);
  });
});
