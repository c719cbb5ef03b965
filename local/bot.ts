/**
 * The bot as it runs in AWS, on this machine: the real handlers, built by the same composition root as the
 * Lambdas (handlers/compose) from an environment written as the README documents it, behind the local API
 * Gateway front door, with workers fed by a real SQS FIFO queue (ElasticMQ) through a local event source
 * mapping. `npm start` and the tests run the bot this way.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildFlaggerWebhook } from '../handlers/compose/flagger.js';
import { buildIngress } from '../handlers/compose/ingress.js';
import { sqsQueueOf } from '../handlers/compose/queue.js';
import type { ReleaseOverrides } from '../handlers/compose/release.js';
import { buildSummaries } from '../handlers/compose/summary.js';
import { buildTick } from '../handlers/compose/tick.js';
import {
  buildWorker,
  type Worker,
  type WorkerJob,
  type WorkerOverrides,
} from '../handlers/compose/worker.js';
import type { Logger } from '../src/app/logger.js';
import type { JobQueue } from '../src/app/ports/job-queue.js';
import { runDueSummaries, type SummaryDependencies, type SummaryRunReport } from '../src/app/summaries.js';
import type { TickReport } from '../src/app/tick.js';
import { type BotConfig, loadConfig } from '../src/config.js';
import type { WebhookHttpRequest } from '../src/flagger/webhook-request.js';
import type { BedState } from './bed/bed.js';
import { freePort } from './bed/processes.js';
import { bedSqsClient, createFifoQueuePair, type FifoQueuePair } from './bed/sqs-queues.js';
import { type HttpApiHandler, startFrontDoor } from './front-door.js';
import { SqsEventSource } from './sqs-event-source.js';

/** What the local bot runs with besides its environment. */
export interface LocalBotOptions {
  log: Logger;
  /** Worker consumers polling the queue (Lambda runs several); default 4. */
  consumers?: number;
  /** What tests and `npm start` put in place of what the environment builds (a simulated clock…). */
  overrides?: WorkerOverrides;
  /** The front door's port; a free one by default. */
  port?: number;
  /** The worker's visibility timeout on the queue, seconds; default 60. */
  visibilityTimeoutSeconds?: number;
}

/** A running local bot. */
export interface LocalBot {
  config: BotConfig;
  /** The environment it was built from (the README's variables). */
  env: Record<string, string>;
  /** `…/slack/events` and `…/flagger` behind the front door. */
  slackUrl: string;
  flaggerUrl: string;
  queue: FifoQueuePair;
  /** The producers' view of the queue (ingress, tick, worker all send here). */
  jobs: JobQueue<WorkerJob>;
  worker: Worker;
  /** One tick: reads and fans out; the workers do the rest (see `settled`). */
  tick: (at?: Date) => Promise<TickReport>;
  /** One run of the scheduled summaries. */
  summaries: (at?: Date) => Promise<SummaryRunReport>;
  summaryDeps: SummaryDependencies;
  /** Resolves once the queue is empty and no worker is busy (bounded). */
  settled: (timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

/**
 * The environment of the bot's handlers on the bed, as the README documents it: variables the caller leaves
 * out are filled from the bed (Slack emulator, a fresh store table, the queue); a caller's own always win.
 *
 * @example const env = localBotEnv(bed, queue, { CANARY_BOT_DEFAULT_NAMESPACE: 'shop' });
 */
export function localBotEnv(
  bed: BedState,
  queue: Pick<FifoQueuePair, 'queueUrl'>,
  given: Record<string, string | undefined>,
): Record<string, string> {
  // DynamoDB Local and ElasticMQ accept any credentials; the SDK only needs some.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  return Object.fromEntries(
    Object.entries({
      CANARY_BOT_SLACK_SIGNING_SECRET: bed.slack.signingSecret,
      CANARY_BOT_SLACK_BOT_TOKEN: bed.slack.botToken,
      CANARY_BOT_SLACK_API_URL: `${bed.slack.url}/api/`,
      CANARY_BOT_STORE: 'dynamodb',
      CANARY_BOT_TABLE: `canary-bot-local-${Date.now().toString(36)}`,
      CANARY_BOT_DYNAMODB_ENDPOINT: bed.dynamodb.endpoint,
      CANARY_BOT_QUEUE_URL: queue.queueUrl,
      CANARY_BOT_SQS_ENDPOINT: bed.sqs.endpoint,
      AWS_REGION: bed.sqs.region,
      ...given,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/**
 * Starts the bot on the bed from an environment. Variables the caller leaves out are filled from the bed
 * (Slack emulator, store table, queue); a caller's own variables always win.
 *
 * @example const bot = await startLocalBot(bed, { CANARY_BOT_CLUSTERS: JSON.stringify(clusters) }, { log });
 */
export async function startLocalBot(
  bed: BedState,
  given: Record<string, string | undefined>,
  options: LocalBotOptions,
): Promise<LocalBot> {
  const client = bedSqsClient(bed.sqs);
  const queue = await createFifoQueuePair(client, {
    prefix: 'canary-bot-local',
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 60,
    maxReceiveCount: 2,
  });
  // The front door's port is chosen first: release links (CANARY_BOT_PUBLIC_URL) point at it.
  const port = options.port ?? (await freePort());
  const env = localBotEnv(bed, queue, { CANARY_BOT_PUBLIC_URL: `http://127.0.0.1:${port}`, ...given });
  const config = await loadConfig(env, async (reference) => {
    throw new Error(`no SSM here: ${reference}`);
  });
  const overrides: ReleaseOverrides = { ...options.overrides, createTable: true };
  const jobs = sqsQueueOf<WorkerJob>(config);
  const worker = await buildWorker(config, options.log, jobs, overrides);
  // The other functions share the worker's store (one DynamoDB table, as in AWS).
  const shared = { ...overrides, store: worker.deps.store };
  const ingress = await buildIngress(config, options.log, jobs, { ...shared, claims: worker.deps.store });
  const tick = await buildTick(config, options.log, jobs, shared);
  const summaryDeps = await buildSummaries(config, options.log, {
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    store: worker.deps.store,
  });
  const flagger = config.flaggerSecret
    ? await buildFlaggerWebhook(config, options.log, {
        ...(overrides.clock ? { clock: overrides.clock } : {}),
        store: worker.deps.store,
      })
    : undefined;
  const source = await SqsEventSource.start({
    client,
    queueUrl: queue.queueUrl,
    queueArn: queue.queueArn,
    region: bed.sqs.region,
    handler: (event) => worker.handleSqs(event),
    consumers: options.consumers ?? 4,
    waitTimeSeconds: 1,
    functionTimeoutMs: (options.visibilityTimeoutSeconds ?? 60) * 1000 - 5000,
    functionName: 'worker',
  });
  const routes: Record<string, HttpApiHandler> = {
    'POST /slack/events': ingress as never,
    // The page a release link points at (what Slack unfurls), answered by the same function as in AWS.
    'GET /releases/{proxy+}': ingress as never,
  };
  if (flagger) routes['ANY /flagger/{proxy+}'] = ((event: WebhookHttpRequest) => flagger(event)) as never;
  const door = await startFrontDoor(routes, { port });
  const settled = (timeoutMs = 60_000) => queueSettled(client, queue.queueUrl, timeoutMs);
  return {
    config,
    env,
    slackUrl: `${door.url}/slack/events`,
    flaggerUrl: `${door.url}/flagger`,
    queue,
    jobs,
    worker,
    tick: (at) => tick(at),
    summaries: (at) => runDueSummaries(summaryDeps, { ...(at ? { now: at } : {}), lookbackSeconds: 300 }),
    summaryDeps,
    settled,
    close: async () => {
      await door.close();
      await source.close();
      await queue.delete().catch(() => undefined);
      client.destroy();
    },
  };
}

/**
 * Resolves once the queue holds no message, visible or in flight, twice a poll apart (bounded): every job
 * sent so far has been handled, and none is on its way from a worker that just finished another.
 *
 * @example await queueSettled(bedSqsClient(bed.sqs), queue.queueUrl, 60_000);
 */
export async function queueSettled(client: SQSClient, queueUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  for (;;) {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const waiting =
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (waiting === 0) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince > 150) return;
    } else quietSince = undefined;
    if (Date.now() > deadline) throw new Error(`the queue still holds ${waiting} jobs after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
