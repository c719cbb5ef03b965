import bolt from '@slack/bolt';
import type { ReleaseDependencies } from '../src/app/dependencies.js';
import { describeError } from '../src/app/logger.js';
import { InProcessJobQueue } from '../src/chat/slack/slack-job.js';
import { registerListeners } from '../src/chat/slack/slack-listeners.js';
import { runSlackJob } from '../src/chat/slack/slack-worker.js';

const { App, LogLevel } = bolt;

/**
 * Real Slack for local development: Socket Mode (an `xapp-` token with `connections:write`), the same
 * listeners as the Lambda ingress, and the worker in this process. No public URL is needed.
 *
 * @example const app = await startSocketMode(deps, { botToken, appToken, apiUrl });
 */
export async function startSocketMode(
  deps: ReleaseDependencies,
  slack: { botToken: string; appToken: string; apiUrl: string },
): Promise<{ stop: () => Promise<void> }> {
  const app = new App({
    token: slack.botToken,
    appToken: slack.appToken,
    socketMode: true,
    logLevel: LogLevel.WARN,
    clientOptions: { slackApiUrl: slack.apiUrl },
  });
  const queue = new InProcessJobQueue(
    (job) => runSlackJob(deps, job),
    (error, job) => deps.log.error('a Slack job failed', { kind: job.kind, error: describeError(error) }),
  );
  registerListeners(app, {
    queue,
    policy: deps.policy,
    defaultNamespace: deps.defaultNamespace,
    clock: deps.clock,
    log: deps.log,
  });
  await app.start();
  return {
    stop: async () => {
      await app.stop();
    },
  };
}
