/**
 * The bot's Slack side as `npm start` runs it: the real handlers built by the composition root from an
 * environment (local/bot.ts), the ingress behind the local API Gateway front door, workers fed by ElasticMQ,
 * the Slack emulator, the release engine on the bed (its simulated clock, store and least-privilege router),
 * and the local Slack page in front of it all.
 */
import { type LocalBot, startLocalBot } from '../../../local/bot.js';
import { connectSlackEmulator, type SlackEmulatorControl } from '../../../local/slack/emulator-control.js';
import { startSlackPage } from '../../../local/slack/page/slack-page.js';
import type { Logger } from '../../../src/app/logger.js';
import { silentLogger } from '../../../src/app/logger.js';
import { UnknownClusterError } from '../../../src/app/ports/traffic-router.js';
import type { SlackWorkerDependencies } from '../../../src/chat/slack/slack-worker.js';
import { KubeServiceCatalog } from '../../../src/mesh/istio/service-catalog.js';
import { type EngineHarness, startEngine } from './engine-harness.js';

/** Where the emulator is and how the bot talks to it (the bed's `slack` entry has this shape). */
export interface SlackEndpoint {
  url: string;
  botToken: string;
  signingSecret: string;
}

export interface SlackStack {
  engine: EngineHarness;
  bot: LocalBot;
  /** The worker's dependencies; `log` can be swapped after the stack is built (every handler follows it). */
  deps: SlackWorkerDependencies;
  emulator: SlackEmulatorControl;
  /** `drain()` waits until every job sent so far (and those they sent) is done. */
  queue: { drain: () => Promise<void> };
  /** The local Slack page's address. */
  pageUrl: string;
  /** The Slack handler (`…/slack/events`) behind the front door. */
  slackUrl: string;
  /** Failures of worker jobs (as the worker logged them); a test expects none. */
  jobErrors: unknown[];
  close: () => Promise<void>;
}

/**
 * Starts the stack on the bed; `slack` defaults to the bed's emulator. Approvers are the S0APPROVERS group
 * (alice), anyone may start. `clusters` configures several clusters by name (the first is the default); the
 * bed has one API server, so they all reach it, and any other name is an unknown cluster.
 *
 * @example const stack = await startSlackStack(); // open stack.pageUrl in a browser
 * @example const stack = await startSlackStack({ clusters: ['east', 'west'] });
 */
export async function startSlackStack(
  options: {
    slack?: SlackEndpoint;
    env?: Record<string, string>;
    clusters?: readonly string[];
    /** More Bookinfo namespaces the bot may release in (`engine.extraNamespaces`). */
    extraNamespaces?: number;
  } = {},
): Promise<SlackStack> {
  const engine = await startEngine({ extraNamespaces: options.extraNamespaces ?? 0 });
  const clusters = options.clusters ?? ['bed'];
  const slack = options.slack ?? engine.bed.slack;
  const jobErrors: unknown[] = [];
  const holder: { log: Logger } = { log: silentLogger };
  const log: Logger = {
    info: (m, f) => holder.log.info(m, f),
    warn: (m, f) => holder.log.warn(m, f),
    error: (m, f) => {
      if (/job failed/.test(m)) jobErrors.push(f?.error ?? m);
      holder.log.error(m, f);
    },
  };
  const bot = await startLocalBot(
    engine.bed,
    {
      CANARY_BOT_SLACK_SIGNING_SECRET: slack.signingSecret,
      CANARY_BOT_SLACK_BOT_TOKEN: slack.botToken,
      CANARY_BOT_SLACK_API_URL: `${slack.url}/api/`,
      CANARY_BOT_CLUSTERS: JSON.stringify(
        Object.fromEntries(
          clusters.map((name) => [
            name,
            { kube: { mode: 'kubeconfig' }, prometheus: { url: engine.bed.prometheus.url } },
          ]),
        ),
      ),
      CANARY_BOT_DEFAULT_CLUSTER: clusters[0] ?? 'bed',
      CANARY_BOT_DEFAULT_NAMESPACE: engine.namespace,
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: ['*'], approvers: ['S0APPROVERS'], fourEyes: true },
      }),
      ...options.env,
    },
    {
      log,
      // The engine's simulated clock, its store and its router (as the least-privilege bot, writes counted).
      overrides: {
        clock: engine.deps.clock,
        store: engine.deps.store,
        routers: async (cluster = clusters[0]) => {
          if (cluster === undefined || !clusters.includes(cluster))
            throw new UnknownClusterError(cluster ?? '', clusters);
          return await engine.deps.routers(cluster);
        },
        metricsFor: engine.deps.metricsFor,
        // The start form's catalog, read as the least-privilege bot (what the worker reads in AWS).
        catalog: new KubeServiceCatalog(async () => engine.bot),
      },
    },
  );
  engine.tickWith(async (at) => {
    const report = await bot.tick(at);
    await bot.settled();
    return report;
  });
  const deps = bot.worker.deps;
  Object.defineProperty(deps, 'log', {
    get: () => holder.log,
    set: (next: Logger) => {
      holder.log = next;
    },
  });
  const page = await startSlackPage({
    emulatorUrl: slack.url,
    botUrl: bot.slackUrl,
    signingSecret: slack.signingSecret,
  });
  return {
    engine,
    bot,
    deps,
    emulator: connectSlackEmulator(slack.url),
    queue: { drain: () => bot.settled() },
    pageUrl: page.url,
    slackUrl: bot.slackUrl,
    jobErrors,
    close: async () => {
      await page.close();
      await bot.settled().catch(() => undefined);
      await bot.close();
      await engine.close();
    },
  };
}
