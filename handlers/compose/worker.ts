/**
 * The worker: the one writer of every release. Each SQS FIFO message is one piece of work on one release
 * (a Slack command or click, a tick's evaluation) or on one Flagger revision; messages of one group arrive
 * one at a time and in order, so no two invocations act on one release at once.
 */
import type { WebClient } from '@slack/web-api';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type CatalogJob, type NamespaceCatalog, refreshCatalog } from '../../src/app/catalog.js';
import { type ChangeEventsJob, queueOutlet } from '../../src/app/change-events.js';
import type { HomesJob } from '../../src/app/home-refresh.js';
import { describeError, type Logger } from '../../src/app/logger.js';
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import { MeshError } from '../../src/app/ports/mesh-errors.js';
import type { ServiceCatalog } from '../../src/app/ports/service-catalog.js';
import { UnknownClusterError } from '../../src/app/ports/traffic-router.js';
import { MalformedJobError, parseTickJob, runTickJob, type TickJob } from '../../src/app/tick.js';
import { uploadFile } from '../../src/chat/slack/slack-file-upload.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { SlackSummaryPublisher } from '../../src/chat/slack/slack-summary-publisher.js';
import {
  runSlackJob,
  type SlackWorkerDependencies,
  type SurfaceDependencies,
} from '../../src/chat/slack/slack-worker.js';
import { redrawHomes, refreshingHomes } from '../../src/chat/slack/surface-jobs.js';
import { webClientViews } from '../../src/chat/slack/views-api.js';
import type { BotConfig } from '../../src/config.js';
import { withCorrelation } from '../../src/observability/powertools.js';
import { WebhookSender } from '../../src/webhook/webhook-sender.js';
import { catalogOf } from './mesh.js';
import { type ReleaseOverrides, releaseRuntime } from './release.js';

/** Everything that goes through the workers' queue. */
export type WorkerJob = SlackJob | TickJob | CatalogJob | HomesJob | ChangeEventsJob;

/** A catalog read older than this is dropped: the ingress asks again when it needs one. */
export const MAX_CATALOG_AGE_SECONDS = 120;

/** A tick older than this is dropped: the next tick (a minute later) reads fresher figures. */
export const MAX_TICK_AGE_SECONDS = 300;

/** What a local run or a test may put in place for the worker. */
export interface WorkerOverrides extends ReleaseOverrides {
  queue?: JobQueue<WorkerJob>;
  /** Where the start form's services and versions are read (default: each cluster's DestinationRules). */
  catalog?: ServiceCatalog | NamespaceCatalog;
  reply?: SlackWorkerDependencies['reply'];
  /** Webhook retries (tests: short pauses); default: 4 attempts from 1 s, capped at 8 s. */
  webhookRetry?: Pick<ConstructorParameters<typeof WebhookSender>[0], 'retry' | 'sleep' | 'random'>;
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
  // Change events go through the queue, in a group per release apart from its own: off the release's path.
  const webhooks = config.webhooks
    ? new WebhookSender({
        setting: config.webhooks,
        ...(config.webhookSecret ? { secret: config.webhookSecret } : {}),
        ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
        log,
        ...(runtime.deps.telemetry ? { telemetry: runtime.deps.telemetry } : {}),
        ...overrides.webhookRetry,
      })
    : undefined;
  const defaults = { namespace: config.defaultNamespace, cluster: config.defaultCluster };
  const deps: SlackWorkerDependencies = {
    ...runtime.deps,
    // A card that changes marks the home tabs opened lately as out of date (the tick has them redrawn).
    notifier: refreshingHomes(runtime.deps.notifier, {
      store: runtime.deps.store,
      clock: runtime.deps.clock,
      log,
    }),
    surfaces: slackSurfaces(runtime.slack, config.publicUrl),
    queue,
    flaggerNotifier: runtime.flaggerNotifier,
    // Charts for /canary metrics live here: the tick's and the ingress' bundles stay without the renderer.
    charts: new SlackSummaryPublisher(runtime.slack, { timeZone: config.summaryTimeZone ?? 'UTC' }),
    summaryTimeZone: config.summaryTimeZone ?? 'UTC',
    ...(webhooks ? { changeEvents: queueOutlet(queue) } : {}),
    fileSharer: {
      shareFile: (channelId, file, { comment }) =>
        uploadFile(runtime.slack, { ...file, channelId, initialComment: comment }),
    },
    ...(overrides.reply ? { reply: overrides.reply } : {}),
  };
  let catalog: ServiceCatalog | NamespaceCatalog | undefined;
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
    if (job.kind === 'change-events') {
      // Never throws: each event is retried with back-off a bounded number of times, then logged and counted.
      const report = await webhooks?.deliver(job.namespace, job.events);
      if (report) jobLog.info('delivered change events', { ...report });
      return;
    }
    if (job.kind === 'homes') {
      const redrawn = await redrawHomes({ ...jobDeps, queue, defaults }, job);
      if (redrawn > 0) jobLog.info('queued the redraw of home tabs', { tabs: redrawn });
      return;
    }
    if (job.kind === 'catalog') {
      catalog ??= overrides.catalog ?? catalogOf(config);
      await runCatalogJob({ ...jobDeps, catalog }, job);
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
    case 'catalog':
      return { jobId: job.id, job: 'catalog' };
    case 'homes':
      return { job: 'homes' };
    case 'change-events':
      return { releaseId: job.releaseId, job: 'change-events' };
    case 'action':
      return { jobId: job.id, releaseId: job.value.r };
    case 'flagger-action':
      return { jobId: job.id, flaggerGate: job.value.g };
    case 'command':
      return { jobId: job.id, command: job.command.kind };
    case 'home':
    case 'unfurl':
    case 'rollback-choices':
      return { jobId: job.id, job: job.kind };
  }
}

/** Reads a namespace's services and versions for the start form; a job that waited too long is dropped. */
async function runCatalogJob(
  deps: SlackWorkerDependencies & { catalog: ServiceCatalog | NamespaceCatalog },
  job: CatalogJob,
): Promise<void> {
  const age = (deps.clock().getTime() - Date.parse(job.receivedAt)) / 1000;
  if (!(age <= MAX_CATALOG_AGE_SECONDS)) {
    deps.log.warn('dropped a catalog read that waited too long', { ageSeconds: age });
    return;
  }
  try {
    const record = await refreshCatalog(deps, job.cluster, job.namespace);
    deps.log.info('read a service catalog', {
      cluster: job.cluster,
      namespace: job.namespace,
      services: Object.keys(record.services).length,
    });
  } catch (error) {
    // An unknown cluster, or a namespace the bot may not read: nothing to retry; the form offers nothing.
    if (error instanceof UnknownClusterError || (error instanceof MeshError && error.code === 'forbidden')) {
      deps.log.warn('could not read a service catalog', {
        cluster: job.cluster,
        namespace: job.namespace,
        error: describeError(error),
      });
      return;
    }
    throw error;
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
  const kinds = [
    'tick',
    'catalog',
    'homes',
    'action',
    'flagger-action',
    'command',
    'home',
    'unfurl',
    'rollback-choices',
    'change-events',
  ];
  if (!kinds.includes(String(kind))) throw new MalformedJobError(`no job of kind ${JSON.stringify(kind)}`);
  return job as WorkerJob;
}

/**
 * The App Home tab, the rollback shortcut's modal and link previews over the worker's Web API client.
 *
 * @example const surfaces = slackSurfaces(runtime.slack, config.publicUrl);
 */
export function slackSurfaces(slack: WebClient, publicUrl: string | undefined): SurfaceDependencies {
  return {
    views: webClientViews(slack),
    unfurl: async ({ channel, ts, unfurlId, source, unfurls }) => {
      await slack.chat.unfurl({
        ...(unfurlId && source ? { unfurl_id: unfurlId, source: source as never } : { channel, ts }),
        unfurls: unfurls as never,
      } as never);
    },
    direct: async (userId, message) => {
      await slack.chat.postMessage({ channel: userId, text: message.text, blocks: message.blocks as never });
    },
    ...(publicUrl ? { publicUrl } : {}),
  };
}
