/** The Slack ingress: verify, parse, authorize what it can without I/O, hand the work to the queue, ack. */
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { WebClient } from '@slack/web-api';
import { storedCatalog } from '../../src/app/catalog.js';
import type { Logger } from '../../src/app/logger.js';
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import type { ClaimStore, RecordStore } from '../../src/app/ports/release-store.js';
import { createSlackIngress } from '../../src/chat/slack/slack-ingress.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { userDirectory } from '../../src/chat/slack/slack-users.js';
import { type ViewsApi, webClientViews } from '../../src/chat/slack/views-api.js';
import { type BotConfig, requireSetting } from '../../src/config.js';
import { type Overrides, storeOf } from './parts.js';

/** A modal must be open within Slack's three-second trigger window: one try, a short timeout. */
const VIEWS_TIMEOUT_MS = 2500;

/**
 * Builds the ingress handler from the configuration. It answers from the request alone, except for what
 * Slack gives it three seconds for: `views.open` (the start form, the rollback shortcut's form), and
 * `users.info` for the start form's menus (whether the person is a guest); so it holds the bot token when
 * it is given one. Without it, those forms are not served.
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
  const client = ingressClient(config);
  const views = overrides.views ?? (client ? webClientViews(client) : undefined);
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
    // The start form's menus are shown to whom the policy lets in: guests and external people are asked of
    // Slack (users.info, cached five minutes per container).
    ...(client ? { userKindOf: userDirectory(client) } : {}),
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
}

/** The ingress' Web API client: no retries (a trigger is usable once, for three seconds), a short timeout. */
function ingressClient(config: BotConfig): WebClient | undefined {
  if (!config.slack.botToken) return undefined;
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: VIEWS_TIMEOUT_MS,
  });
}
