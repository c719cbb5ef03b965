/**
 * The bed's SQS (ElasticMQ): resolving it, starting it, and moving jobs through it with the job queue and the
 * local event source.
 *
 *   tsx bench/queue/run.ts [--cold] [--starts 5] [--rounds 100] [--jobs 1000] [--consumers 4]
 *                          [--out bench/results/queue.json]
 *
 * `--cold` resolves ElasticMQ into an empty cache with an empty Maven repository (downloads everything from
 * Maven Central); otherwise the shared cache is used. Every ElasticMQ it starts runs in a temporary directory
 * and is stopped at the end; a running bed is not touched.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SQSEvent } from 'aws-lambda';
import { median, ms, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    cold: { type: 'boolean', default: false },
    starts: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '100' },
    jobs: { type: 'string', default: '1000' },
    consumers: { type: 'string', default: '4' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/queue.json'),
    },
  },
});

const scratch = mkdtempSync(join(tmpdir(), 'bench-queue-'));
if (values.cold) {
  // Before the bed's modules read them: an empty cache and an empty Maven repository.
  process.env.CANARY_BOT_CACHE = join(scratch, 'cache');
  process.env.MAVEN_OPTS = `${process.env.MAVEN_OPTS ?? ''} -Dmaven.repo.local=${join(scratch, 'm2')}`.trim();
}
const { elasticMqJars, startElasticMq } = await import('../../local/bed/elasticmq.js');
const { stopProcess } = await import('../../local/bed/processes.js');
const { bedSqsClient, createFifoQueuePair } = await import('../../local/bed/sqs-queues.js');
const { SqsEventSource } = await import('../../local/sqs-event-source.js');
const { SqsJobQueue } = await import('../../src/queue/sqs-job-queue.js');

const say = (line: string) => process.stdout.write(`${line}\n`);
const pids: number[] = [];

try {
  let t0 = performance.now();
  const jars = await elasticMqJars();
  const resolveSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await elasticMqJars();
  const cachedMs = performance.now() - t0;

  const startSeconds: number[] = [];
  for (let i = 0; i < Number(values.starts); i++) {
    const dir = join(scratch, `start-${i}`);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    t0 = performance.now();
    await startElasticMq(dir, jars, (p) => pids.push(p.pid));
    startSeconds.push((performance.now() - t0) / 1000);
    await stopProcess(pids.pop()!);
  }

  const dir = join(scratch, 'throughput');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const sqs = await startElasticMq(dir, jars, (p) => pids.push(p.pid));
  const client = bedSqsClient(sqs);
  const consumers = Number(values.consumers);

  // One job at a time: from send() to the handler's start, consumers long-polling.
  const latency = await createFifoQueuePair(client, { prefix: 'bench-latency' });
  const queue = new SqsJobQueue<{ round: number; sentAt: number }>({ client, queueUrl: latency.queueUrl });
  const waits: number[] = [];
  const sends: number[] = [];
  let arrived: (() => void) | undefined;
  const source = await SqsEventSource.start({
    client,
    queueUrl: latency.queueUrl,
    region: sqs.region,
    consumers,
    handler: async (event: SQSEvent) => {
      for (const record of event.Records) waits.push(performance.now() - JSON.parse(record.body).sentAt);
      arrived?.();
    },
  });
  for (let round = 0; round < Number(values.rounds); round++) {
    const handled = new Promise<void>((done) => {
      arrived = done;
    });
    const sentAt = performance.now();
    await queue.send([
      { group: `release-${round % 10}`, dedupId: `r${round}`, body: { round, sentAt: performance.now() } },
    ]);
    sends.push(performance.now() - sentAt);
    await handled;
  }
  await source.close();

  // Fan-out: one job per release for many releases, as a tick sends them, then consumed by the pollers.
  const fan = await createFifoQueuePair(client, { prefix: 'bench-fanout' });
  const fanQueue = new SqsJobQueue<{ release: number }>({ client, queueUrl: fan.queueUrl });
  const jobs = Number(values.jobs);
  t0 = performance.now();
  await fanQueue.send(
    Array.from({ length: jobs }, (_, release) => ({
      group: `release-${release}`,
      dedupId: `tick:${release}`,
      body: { release },
    })),
  );
  const fanSendMs = performance.now() - t0;
  let handled = 0;
  let allHandled: () => void = () => {};
  const finished = new Promise<void>((done) => {
    allHandled = done;
  });
  t0 = performance.now();
  const fanSource = await SqsEventSource.start({
    client,
    queueUrl: fan.queueUrl,
    region: sqs.region,
    consumers,
    handler: async (event: SQSEvent) => {
      handled += event.Records.length;
      if (handled >= jobs) allHandled();
    },
  });
  await finished;
  const fanConsumeMs = performance.now() - t0;
  await fanSource.close();
  const counts = fanSource.counts();
  client.destroy();

  const result = {
    date: new Date().toISOString(),
    cold: values.cold,
    resolveSeconds,
    cachedResolveMs: cachedMs,
    startSeconds,
    medianStartSeconds: median(startSeconds),
    maxStartSeconds: quantile(startSeconds, 1),
    consumers,
    sendToHandlerMs: { rounds: waits.length, median: median(waits), p99: quantile(waits, 0.99) },
    sendMs: { median: median(sends), p99: quantile(sends, 0.99) },
    fanOut: {
      jobs,
      sendMs: fanSendMs,
      consumeMs: fanConsumeMs,
      invocations: counts.invocations,
      deleted: counts.deleted,
    },
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  say(
    `| resolve ElasticMQ with Maven (${values.cold ? 'empty cache and Maven repository' : 'as found'}) | ${resolveSeconds.toFixed(1)} s |`,
  );
  say(`| resolve again (cached) | ${ms(cachedMs)} ms |`);
  say(
    `| start ElasticMQ until its probe queue answers, median of ${startSeconds.length} | ${result.medianStartSeconds.toFixed(1)} s (max ${result.maxStartSeconds.toFixed(1)} s) |`,
  );
  say(
    `| send() to handler start, one job at a time, ${consumers} consumers | median ${ms(result.sendToHandlerMs.median)} ms, p99 ${ms(result.sendToHandlerMs.p99)} ms |`,
  );
  say(
    `| send() of one job (SendMessageBatch until SQS accepts it) | median ${ms(result.sendMs.median)} ms, p99 ${ms(result.sendMs.p99)} ms |`,
  );
  say(`| send ${jobs} jobs of ${jobs} groups in one send() | ${ms(fanSendMs)} ms |`);
  say(
    `| consume them (${consumers} consumers, batches of up to 10, no-op handler) | ${ms(fanConsumeMs)} ms, ${counts.invocations} invocations |`,
  );
} finally {
  for (const pid of pids) await stopProcess(pid);
  rmSync(scratch, { recursive: true, force: true });
}
