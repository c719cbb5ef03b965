// Lambda: the slow half of a Slack request (invoked asynchronously by the ingress).
import type { SlackJob } from '../src/chat/slack/slack-job.js';
import { SlackSummaryPublisher } from '../src/chat/slack/slack-summary-publisher.js';
import { runSlackJob } from '../src/chat/slack/slack-worker.js';
import { loadConfig } from '../src/config.js';
import { once } from './lazy.js';
import { buildRuntime } from './runtime.js';

const deps = once(async () => {
  const runtime = await buildRuntime(await loadConfig());
  return {
    ...runtime.deps,
    flaggerNotifier: runtime.flaggerNotifier,
    // Charts for /canary metrics live here, not in buildRuntime: the tick's bundle stays without the renderer.
    charts: new SlackSummaryPublisher(runtime.slack, { timeZone: runtime.config.summaryTimeZone ?? 'UTC' }),
    summaryTimeZone: runtime.config.summaryTimeZone ?? 'UTC',
  };
});

export const handler = async (job: SlackJob): Promise<void> => runSlackJob(await deps(), job);
