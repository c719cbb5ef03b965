// Lambda: the slow half of a Slack request (invoked asynchronously by the ingress).
import type { SlackJob } from '../src/chat/slack/slack-job.js';
import { runSlackJob } from '../src/chat/slack/slack-worker.js';
import { loadConfig } from '../src/config.js';
import { once } from './lazy.js';
import { buildRuntime } from './runtime.js';

const runtime = once(async () => buildRuntime(await loadConfig()));

export const handler = async (job: SlackJob): Promise<void> => runSlackJob((await runtime()).deps, job);
