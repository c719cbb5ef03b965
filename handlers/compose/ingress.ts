/** The Slack ingress: verify, parse, authorize what it can without I/O, hand the work to the queue, ack. */
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import type { Logger } from '../../src/app/logger.js';
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import type { ClaimStore } from '../../src/app/ports/release-store.js';
import { createSlackIngress } from '../../src/chat/slack/slack-ingress.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { type BotConfig, requireSetting } from '../../src/config.js';
import { type Overrides, storeOf } from './parts.js';

/**
 * Builds the ingress handler from the configuration. It holds the signing secret only: it answers from the
 * request alone and never calls Slack's Web API.
 *
 * @example const handler = await buildIngress(config, log, queue);
 */
export async function buildIngress(
  config: BotConfig,
  log: Logger,
  queue: JobQueue<SlackJob>,
  overrides: Overrides & { claims?: ClaimStore; now?: () => number } = {},
): Promise<(event: AwsEvent, context: unknown) => Promise<AwsResponse>> {
  return createSlackIngress({
    signingSecret: requireSetting(config, 'signingSecret', 'the slack function'),
    apiUrl: config.slack.apiUrl,
    claims: overrides.claims ?? (await storeOf(config, overrides)),
    queue,
    policy: config.policy,
    defaultNamespace: config.defaultNamespace,
    defaultCluster: config.defaultCluster,
    clock: overrides.clock ?? (() => new Date()),
    log,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
}
