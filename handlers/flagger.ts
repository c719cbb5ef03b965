// Lambda: Flagger webhooks (API Gateway HTTP API, ANY /flagger/{proxy+}): confirm-* gates answered from Slack
// approvals, the rollback hook from the Roll back button, events relayed into the revision's thread.
import { WebClient } from '@slack/web-api';
import { jsonLineLogger } from '../src/app/logger.js';
import { SlackFlaggerNotifier } from '../src/chat/slack/flagger-slack-notifier.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createFlaggerWebhook } from '../src/flagger/webhook-handler.js';
import type { WebhookHttpRequest } from '../src/flagger/webhook-request.js';
import { openStore } from '../src/store/open-store.js';
import { once } from './lazy.js';

// Not buildRuntime(): the gate needs the store and Slack only, so its bundle leaves out the Kubernetes client.
const webhook = once(async () => {
  const config = await loadConfig();
  if (!config.flaggerSecret)
    throw new ConfigError('CANARY_BOT_FLAGGER_SECRET: is required for the Flagger webhooks');
  if (!config.slack.channel)
    throw new ConfigError(
      'CANARY_BOT_SLACK_CHANNEL: is required for the Flagger webhooks (their cards go there)',
    );
  const slack = new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    // Flagger waits 10 s for an answer and the function 8 s: a Slack hiccup must not use them up.
    retryConfig: { retries: 2, maxRetryTime: 3000 },
    timeout: 3000,
  });
  return createFlaggerWebhook({
    secret: config.flaggerSecret,
    store: await openStore(config.store),
    notifier: new SlackFlaggerNotifier(slack, { channel: config.slack.channel }),
    clock: () => new Date(),
    log: jsonLineLogger,
  });
});

export const handler = async (event: WebhookHttpRequest) => (await webhook())(event);
