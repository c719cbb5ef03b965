/**
 * The worker: the one writer of every release. Each SQS FIFO message is one piece of work on one release
 * (a Slack command or click, a tick's evaluation) or on one Flagger revision; messages of one group arrive
 * one at a time and in order, so no two invocations act on one release at once.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeError, type Logger } from '../../src/app/logger.js';
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import { MalformedJobError, parseTickJob, runTickJob, type TickJob } from '../../src/app/tick.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { SlackSummaryPublisher } from '../../src/chat/slack/slack-summary-publisher.js';
import { runSlackJob, type SlackWorkerDependencies } from '../../src/chat/slack/slack-worker.js';
import type { BotConfig } from '../../src/config.js';
import { withCorrelation } from '../../src/observability/powertools.js';
import { type ReleaseOverrides, releaseRuntime } from './release.js';

/** Everything that goes through the workers' queue. */
export type WorkerJob = SlackJob | TickJob;

/** A tick older than this is dropped: the next tick (a minute later) reads fresher figures. */
export const MAX_TICK_AGE_SECONDS = 300;

/** What a local run or a test may put in place for the worker. */
export interface WorkerOverrides extends ReleaseOverrides {
  queue?: JobQueue<WorkerJob>;
  reply?: SlackWorkerDependencies['reply'];
}

/** The worker, built once per container. */
export interface Worker {
  /** Runs one job; throws when it failed (the queue retries it, then dead-letters it). */
  run(job: WorkerJob): Promise<void>;
  /** A batch from the SQS event source, with partial batch failure reporting (FIFO order kept). */
  handleSqs(event: SQSEvent): Promise<SQSBatchResponse>;
  deps: SlackWorkerDependencies;
}

/**
 * Builds the worker from the configuration.
 *
 * @example const worker = await buildWorker(await loadConfig(), { log }); await worker.run(job);
 */
export async function buildWorker(
  config: BotConfig,
  log: Logger,
  queue: JobQueue<WorkerJob>,
  overrides: WorkerOverrides = {},
): Promise<Worker> {
  const runtime = await releaseRuntime(config, log, overrides);
  const deps: SlackWorkerDependencies = {
    ...runtime.deps,
    queue,
    flaggerNotifier: runtime.flaggerNotifier,
    // Charts for /canary metrics live here: the tick's and the ingress' bundles stay without the renderer.
    charts: new SlackSummaryPublisher(runtime.slack, { timeZone: config.summaryTimeZone ?? 'UTC' }),
    summaryTimeZone: config.summaryTimeZone ?? 'UTC',
    ...(overrides.reply ? { reply: overrides.reply } : {}),
  };
  const run = async (job: WorkerJob): Promise<void> => {
    const jobLog = withCorrelation(deps.log, correlationOf(job));
    const jobDeps = { ...deps, log: jobLog };
    if (job.kind === 'tick') {
      const age = (deps.clock().getTime() - Date.parse(job.at)) / 1000;
      if (age > MAX_TICK_AGE_SECONDS) {
        jobLog.warn('dropped a tick that waited too long', { ageSeconds: age });
        deps.telemetry?.count('JobTooOld');
        return;
      }
      await runTickJob(jobDeps, parseTickJob(job));
      return;
    }
    await runSlackJob(jobDeps, job);
  };
  return { run, handleSqs: (event) => handleBatch(run, log, event), deps };
}

/** The ids a log line of a job carries: the job (Slack's trigger id), the release, the Flagger gate. */
function correlationOf(job: WorkerJob): Record<string, string | undefined> {
  switch (job.kind) {
    case 'tick':
      return { releaseId: job.releaseId, job: 'tick' };
    case 'action':
      return { jobId: job.id, releaseId: job.value.r };
    case 'flagger-action':
      return { jobId: job.id, flaggerGate: job.value.g };
    case 'command':
      return { jobId: job.id, command: job.command.kind };
  }
}

/**
 * Runs a batch: groups in parallel, each group's records in order; a failed record fails the rest of its
 * group in this batch too (so their order is kept when SQS brings them back).
 */
export async function handleBatch(
  run: (job: WorkerJob) => Promise<void>,
  log: Logger,
  event: SQSEvent,
): Promise<SQSBatchResponse> {
  const groups = new Map<string, SQSEvent['Records']>();
  for (const record of event.Records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  const failed: string[] = [];
  await Promise.all(
    [...groups.values()].map(async (records) => {
      for (const [i, record] of records.entries()) {
        try {
          await run(jobOf(record.body));
        } catch (error) {
          if (error instanceof MalformedJobError) {
            // Retrying cannot mend a body: drop it, loudly, and go on with the group.
            log.error('dropped a malformed job', {
              messageId: record.messageId,
              error: describeError(error),
            });
            continue;
          }
          log.error('a job failed; it will be retried, then dead-lettered', {
            messageId: record.messageId,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: describeError(error),
          });
          failed.push(...records.slice(i).map((r) => r.messageId));
          return;
        }
      }
    }),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

function jobOf(body: string): WorkerJob {
  let job: unknown;
  try {
    job = JSON.parse(body);
  } catch {
    throw new MalformedJobError('the body is not JSON');
  }
  const kind = (job as { kind?: unknown } | null)?.kind;
  if (!['tick', 'action', 'flagger-action', 'command'].includes(String(kind)))
    throw new MalformedJobError(`no job of kind ${JSON.stringify(kind)}`);
  return job as WorkerJob;
}
