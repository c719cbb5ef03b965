// Lambda: Slack slash commands and interactivity (API Gateway HTTP API).
import type { AwsEvent } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { jsonLineLogger } from '../src/app/logger.js';
import { createSlackIngress } from '../src/chat/slack/slack-ingress.js';
import { LambdaJobQueue } from '../src/chat/slack/slack-job.js';
import { loadConfig } from '../src/config.js';
import type { Release } from '../src/domain/release/index.js';
import { openStore } from '../src/store/open-store.js';
import { once } from './lazy.js';

// Not buildRuntime(): the ingress needs only the claims store, so its bundle leaves out the Kubernetes client.
const ingress = once(async () => {
  const config = await loadConfig();
  if (!config.workerFunction)
    throw new Error('CANARY_BOT_WORKER_FUNCTION is required for the Slack ingress in AWS');
  return createSlackIngress({
    signingSecret: config.slack.signingSecret,
    botToken: config.slack.botToken,
    apiUrl: config.slack.apiUrl,
    claims: await openStore<Release>(config.store),
    queue: new LambdaJobQueue(config.workerFunction),
    policy: config.policy,
    defaultNamespace: config.defaultNamespace,
    clock: () => new Date(),
    log: jsonLineLogger,
  });
});

export const handler = async (event: AwsEvent, context: unknown) => (await ingress())(event, context);
