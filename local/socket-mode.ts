import bolt from '@slack/bolt';
import { describeError } from '../src/app/logger.js';
import type { SlackJob } from '../src/chat/slack/slack-job.js';
import { registerListeners } from '../src/chat/slack/slack-listeners.js';
import { runSlackJob, type SlackWorkerDependencies } from '../src/chat/slack/slack-worker.js';
import { InProcessJobQueue } from './in-process-queue.js';

const { App, LogLevel } = bolt;

/**
 * Real Slack for local development: Socket Mode (an `xapp-` token with `connections:write`), the same
 * listeners as the Lambda ingress, and the worker in this process behind a queue with the same semantics as
 * SQS FIFO (one job at a time per group). No public URL is needed.
 *
 * @example const app = await startSocketMode(workerDeps, { botToken, appToken, apiUrl, defaultCluster });
 */
export async function startSocketMode(
  deps: Omit<SlackWorkerDependencies, 'queue'>,
  slack: { botToken: string; appToken: string; apiUrl: string; defaultCluster: string },
): Promise<{ stop: () => Promise<void> }> {
  const app = new App({
    token: slack.botToken,
    appToken: slack.appToken,
    socketMode: true,
    logLevel: LogLevel.WARN,
    clientOptions: { slackApiUrl: slack.apiUrl },
  });
  const queue: InProcessJobQueue<SlackJob> = new InProcessJobQueue<SlackJob>(
    (job) => runSlackJob({ ...deps, queue }, job),
    (error, job) => deps.log.error('a Slack job failed', { kind: job.kind, error: describeError(error) }),
  );
  registerListeners(app, {
    queue,
    policy: deps.policy,
    defaultNamespace: deps.defaultNamespace,
    defaultCluster: slack.defaultCluster,
    clock: deps.clock,
    log: deps.log,
  });
  await app.start();
  return {
    stop: async () => {
      await app.stop();
      await queue.drain();
    },
  };
}
