/**
 * Builds the bot's dependencies once per container (Lambda) or process (local), from the configuration.
 * Handlers import `runtime()` and call one use case; nothing here holds a business rule.
 */

import { WebClient } from '@slack/web-api';
import { redFiguresOf } from '../src/app/canary-analysis.js';
import { newReleaseId, type ReleaseDependencies } from '../src/app/dependencies.js';
import { jsonLineLogger, type Logger } from '../src/app/logger.js';
import type { FlaggerNotifier } from '../src/app/ports/flagger-notifier.js';
import type { ReleaseNotifier } from '../src/app/ports/release-notifier.js';
import type { TrafficRouter } from '../src/app/ports/traffic-router.js';
import { SlackFlaggerNotifier } from '../src/chat/slack/flagger-slack-notifier.js';
import { SlackReleaseNotifier } from '../src/chat/slack/slack-notifier.js';
import type { BotConfig } from '../src/config.js';
import type { Release } from '../src/domain/release/index.js';
import { IstioTrafficRouter } from '../src/mesh/istio/istio-router.js';
import { KubeConfigSource } from '../src/mesh/kube-auth.js';
import { defaultAwsCredentials, PrometheusMetricsReader } from '../src/metrics/index.js';
import { openStore } from '../src/store/open-store.js';

/** Everything a handler may need. */
export interface Runtime {
  config: BotConfig;
  deps: ReleaseDependencies;
  slack: WebClient;
  /** Flagger cards: the worker redraws them after a click. */
  flaggerNotifier: FlaggerNotifier;
}

/** Builds the runtime from a configuration; `overrides` let a local run swap the notifier or the logger. */
export async function buildRuntime(
  config: BotConfig,
  overrides: { notifier?: ReleaseNotifier; log?: Logger; clock?: () => Date } = {},
  local: { createTable?: boolean } = {},
): Promise<Runtime> {
  const log = overrides.log ?? jsonLineLogger;
  const store = await openStore<Release>({
    ...config.store,
    ...(config.store.kind === 'dynamodb' && local.createTable ? { createTable: true } : {}),
  });
  const slack = new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    // Retry-After is honoured by the client; bounded so that a worker never outlives its timeout.
    retryConfig: { retries: 3, maxRetryTime: 20_000 },
  });
  const routers = routerCache(config);
  const metrics = PrometheusMetricsReader.fromConfig(config.prometheus);
  const clock = overrides.clock ?? (() => new Date());
  const notifier =
    overrides.notifier ??
    new SlackReleaseNotifier(slack, {
      ...(config.slack.channel ? { defaultChannel: config.slack.channel } : {}),
      // The card's RED table: baseline vs canary over the release's analysis window.
      red: (release) => redFiguresOf({ metrics, clock }, release),
    });
  const deps: ReleaseDependencies = {
    store,
    routers,
    metrics,
    notifier,
    policy: config.policy,
    groupsOf: groupDirectory(slack, config),
    clock,
    newId: () => newReleaseId(),
    log,
    defaultNamespace: config.defaultNamespace,
  };
  const flaggerNotifier = new SlackFlaggerNotifier(slack, {
    ...(config.slack.channel ? { channel: config.slack.channel } : {}),
  });
  return { config, deps, slack, flaggerNotifier };
}

/** One router per cluster, rebuilt when its credentials are renewed (EKS tokens last 15 minutes). */
function routerCache(config: BotConfig): (cluster?: string) => Promise<TrafficRouter> {
  const sources = new Map<string, KubeConfigSource>();
  const routers = new Map<string, { config: unknown; router: TrafficRouter }>();
  return async (cluster = config.defaultCluster) => {
    const settings = config.clusters[cluster];
    if (!settings)
      throw new Error(
        `Unknown cluster "${cluster}"; configured: ${Object.keys(config.clusters).join(', ')}.`,
      );
    let source = sources.get(cluster);
    if (!source) {
      source = new KubeConfigSource(
        settings.kube,
        settings.kube.mode === 'eks' ? defaultAwsCredentials() : undefined,
      );
      sources.set(cluster, source);
    }
    const kubeConfig = await source.get();
    const cached = routers.get(cluster);
    if (cached?.config === kubeConfig) return cached.router;
    const router = new IstioTrafficRouter(kubeConfig);
    routers.set(cluster, { config: kubeConfig, router });
    return router;
  };
}

/** The user groups of the policy that a user belongs to, from `usergroups.users.list`, cached a minute. */
function groupDirectory(slack: WebClient, config: BotConfig): (userId: string) => Promise<readonly string[]> {
  const rules = [config.policy.default, ...Object.values(config.policy.namespaces ?? {})];
  const groups = [
    ...new Set(rules.flatMap((r) => [...r.starters, ...r.approvers]).filter((p) => p.startsWith('S'))),
  ];
  const cache = new Map<string, { members: Set<string>; until: number }>();
  return async (userId) => {
    const mine: string[] = [];
    for (const group of groups) {
      let entry = cache.get(group);
      if (!entry || entry.until < Date.now()) {
        const answer = await slack.usergroups.users.list({ usergroup: group });
        entry = { members: new Set(answer.users ?? []), until: Date.now() + 60_000 };
        cache.set(group, entry);
      }
      if (entry.members.has(userId)) mine.push(group);
    }
    return mine;
  };
}
