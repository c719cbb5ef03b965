/** The Flagger webhooks: the store and Slack only (no Kubernetes client, no signing secret). */
import type { Logger } from '../../src/app/logger.js';
import type { FlaggerNotifier } from '../../src/app/ports/flagger-notifier.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import { SlackFlaggerNotifier } from '../../src/chat/slack/flagger-slack-notifier.js';
import { type BotConfig, ConfigError } from '../../src/config.js';
import type { Release } from '../../src/domain/release/index.js';
import { createFlaggerWebhook } from '../../src/flagger/webhook-handler.js';
import { type Overrides, slackWebClient, storeOf } from './parts.js';

/**
 * Builds the Flagger webhook handler from the configuration.
 *
 * @example const webhook = await buildFlaggerWebhook(await loadConfig(), log);
 */
export async function buildFlaggerWebhook(
  config: BotConfig,
  log: Logger,
  overrides: Overrides & { store?: BotStore<Release>; notifier?: FlaggerNotifier } = {},
): Promise<ReturnType<typeof createFlaggerWebhook>> {
  if (!config.flaggerSecret)
    throw new ConfigError('CANARY_BOT_FLAGGER_SECRET: is required for the Flagger webhooks');
  if (!config.slack.channel)
    throw new ConfigError(
      'CANARY_BOT_SLACK_CHANNEL: is required for the Flagger webhooks (their cards go there)',
    );
  // Flagger waits 10 s for an answer and the function 8 s: a Slack hiccup must not use them up.
  const slack = slackWebClient(config, { maxRetryMs: 3000, timeoutMs: 3000, user: 'the flagger function' });
  return createFlaggerWebhook({
    masters: {
      current: config.flaggerSecret,
      ...(config.flaggerSecretPrevious ? { previous: config.flaggerSecretPrevious } : {}),
    },
    store: overrides.store ?? (await storeOf(config, overrides)),
    notifier: overrides.notifier ?? new SlackFlaggerNotifier(slack, { channel: config.slack.channel }),
    clock: overrides.clock ?? (() => new Date()),
    log,
  });
}
