// Lambda: Slack slash commands and interactivity (API Gateway HTTP API): verify, parse, enqueue, ack.
import type { AwsEvent } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import type { SlackJob } from '../src/chat/slack/slack-job.js';
import { loadConfig } from '../src/config.js';
import { powertoolsLogger } from '../src/observability/powertools.js';
import { buildIngress } from './compose/ingress.js';
import { sqsQueueOf } from './compose/queue.js';
import { once } from './lazy.js';

const log = powertoolsLogger('slack');
const ingress = once(async () => {
  const config = await loadConfig();
  return await buildIngress(config, log, sqsQueueOf<SlackJob>(config));
});

export const handler = async (event: AwsEvent, context: unknown) => (await ingress())(event, context);
