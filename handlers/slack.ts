// Lambda: Slack slash commands and interactivity (API Gateway HTTP API).
import type { AwsEvent } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { createSlackIngress } from '../src/chat/slack/slack-ingress.js';
import { LambdaJobQueue } from '../src/chat/slack/slack-job.js';
import { loadConfig } from '../src/config.js';
import { once } from './lazy.js';
import { buildRuntime } from './runtime.js';

const ingress = once(async () => {
  const { config, deps } = await buildRuntime(await loadConfig());
  if (!config.workerFunction)
    throw new Error('CANARY_BOT_WORKER_FUNCTION is required for the Slack ingress in AWS');
  return createSlackIngress({
    signingSecret: config.slack.signingSecret,
    botToken: config.slack.botToken,
    apiUrl: config.slack.apiUrl,
    claims: deps.store,
    queue: new LambdaJobQueue(config.workerFunction),
    policy: config.policy,
    defaultNamespace: config.defaultNamespace,
    clock: deps.clock,
    log: deps.log,
  });
});

export const handler = async (event: AwsEvent, context: unknown) => (await ingress())(event, context);
