/** The Slack ingress: verify, parse, authorize what it can without I/O, hand the work to the queue, ack. */
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { WebClient } from '@slack/web-api';
import { storedCatalog } from '../../src/app/catalog.js';
import type { Logger } from '../../src/app/logger.js';
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import type { ClaimStore, RecordStore } from '../../src/app/ports/release-store.js';
import { createSlackIngress } from '../../src/chat/slack/slack-ingress.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { type ViewsApi, webClientViews } from '../../src/chat/slack/views-api.js';
import { type BotConfig, requireSetting } from '../../src/config.js';
import { type Overrides, storeOf } from './parts.js';

/** A modal must be open within Slack's three-second trigger window: one try, a short timeout. */
const VIEWS_TIMEOUT_MS = 2500;

/**
 * Builds the ingress handler from the configuration. It answers from the request alone; its one Web API
 * call is `views.open` (the start form, the rollback shortcut's form), which must happen within Slack's
 * three-second trigger window, so it holds the bot token when it is given one. Without it, those forms
 * are not served.
 *
 * @example const handler = await buildIngress(config, log, queue);
 */
export async function buildIngress(
  config: BotConfig,
  log: Logger,
  queue: JobQueue<SlackJob>,
  overrides: Overrides & {
    claims?: ClaimStore & Pick<RecordStore, 'getRecord'>;
    now?: () => number;
    views?: ViewsApi;
  } = {},
): Promise<(event: AwsEvent, context: unknown) => Promise<AwsResponse>> {
  const views = overrides.views ?? ingressViews(config);
  const store = overrides.claims ?? (await storeOf(config, overrides));
  const clock = overrides.clock ?? (() => new Date());
  return createSlackIngress({
    signingSecret: requireSetting(config, 'signingSecret', 'the slack function'),
    apiUrl: config.slack.apiUrl,
    claims: store,
    // The start form's menus: the worker's record of each namespace's services (no cluster access here).
    catalog: storedCatalog({ store, queue: queue as JobQueue<unknown>, clock, log }),
    clusters: Object.keys(config.clusters),
    queue,
    policy: config.policy,
    defaultNamespace: config.defaultNamespace,
    defaultCluster: config.defaultCluster,
    clock,
    log,
    ...(views ? { views } : {}),
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
}

/** The ingress' views API: no retries (a trigger is usable once, for three seconds), a short timeout. */
function ingressViews(config: BotConfig): ViewsApi | undefined {
  if (!config.slack.botToken) return undefined;
  return webClientViews(
    new WebClient(config.slack.botToken, {
      slackApiUrl: config.slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: VIEWS_TIMEOUT_MS,
    }),
  );
}
