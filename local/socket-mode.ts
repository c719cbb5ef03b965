import bolt from '@slack/bolt';
import { storedCatalog } from '../src/app/catalog.js';
import { registerSlackListeners } from '../src/chat/slack/slack-ingress.js';
import type { SlackWorkerDependencies } from '../src/chat/slack/slack-worker.js';
import { webClientViews } from '../src/chat/slack/views-api.js';

const { App, LogLevel } = bolt;

/**
 * Real Slack for local development: Socket Mode (an `xapp-` token with `connections:write`), the same
 * listeners as the Lambda ingress, and the worker in this process behind the worker's queue (`deps.queue`, with
 * the same semantics as SQS FIFO: one job at a time per group, the tick's jobs included). No public URL is
 * needed.
 *
 * @example const app = await startSocketMode(workerDeps, { botToken, appToken, apiUrl, defaultCluster });
 */
export async function startSocketMode(
  deps: SlackWorkerDependencies,
  slack: {
    botToken: string;
    appToken: string;
    apiUrl: string;
    defaultCluster: string;
    clusters: readonly string[];
  },
): Promise<{ stop: () => Promise<void> }> {
  const app = new App({
    token: slack.botToken,
    appToken: slack.appToken,
    socketMode: true,
    logLevel: LogLevel.WARN,
    clientOptions: { slackApiUrl: slack.apiUrl },
  });
  registerSlackListeners(app, {
    claims: deps.store,
    views: webClientViews(app.client),
    catalog: storedCatalog({
      store: deps.store,
      queue: deps.queue as never,
      clock: deps.clock,
      log: deps.log,
    }),
    clusters: slack.clusters,
    ...(deps.surfaces?.publicUrl ? { publicUrl: deps.surfaces.publicUrl } : {}),
    queue: deps.queue,
    policy: deps.policy,
    defaultNamespace: deps.defaultNamespace,
    defaultCluster: slack.defaultCluster,
    clock: deps.clock,
    log: deps.log,
  });
  await app.start();
  return {
    // The caller drains the queue, which also carries the tick's jobs.
    stop: async () => {
      await app.stop();
    },
  };
}
