/**
 * The pieces every composition root builds from the one configuration: the Slack Web API client, the store,
 * the metrics reader of each cluster, release options, the policy's user groups, the logger and the
 * operational counters. A setting is read here once, and every handler (and `npm start`) gets it the same way.
 * Nothing here loads the Kubernetes client (see mesh.ts), so bundles that do not need it stay without it.
 */
import { WebClient } from '@slack/web-api';
import type { MetricsByCluster } from '../../src/app/canary-analysis.js';
import type { Logger } from '../../src/app/logger.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import type { Telemetry } from '../../src/app/ports/telemetry.js';
import { UnknownClusterError } from '../../src/app/ports/traffic-router.js';
import { type BotConfig, requireSetting } from '../../src/config.js';
import { groupsOf, type Release, type ReleaseOptions } from '../../src/domain/release/index.js';
import { PrometheusMetricsReader } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/open-store.js';

/** What a local run or a test may put in place of what the configuration builds. */
export interface Overrides {
  log?: Logger;
  clock?: () => Date;
  telemetry?: Telemetry;
  /** DynamoDB Local: create the table on first use. */
  createTable?: boolean;
}

/**
 * The Slack Web API client. Retry-After is honoured (unless `rejectRateLimitedCalls`: a 429 is then an error at
 * once); the retries end before the function's own timeout.
 *
 * @example const slack = slackWebClient(config, { maxRetryMs: 20_000 });
 */
export function slackWebClient(
  config: BotConfig,
  budget: { maxRetryMs: number; timeoutMs?: number; user: string; rejectRateLimitedCalls?: boolean },
): WebClient {
  return new WebClient(requireSetting(config, 'botToken', budget.user), {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 3, maxRetryTime: budget.maxRetryMs },
    ...(budget.rejectRateLimitedCalls ? { rejectRateLimitedCalls: true } : {}),
    ...(budget.timeoutMs ? { timeout: budget.timeoutMs } : {}),
  });
}

/** The store of the configuration. */
export async function storeOf(config: BotConfig, overrides: Overrides = {}): Promise<BotStore<Release>> {
  return await openStore<Release>({
    ...config.store,
    ...(config.store.kind === 'dynamodb' && overrides.createTable ? { createTable: true } : {}),
  });
}

/**
 * The metrics reader of each configured cluster, each from its own Prometheus (the cluster's, or the
 * top-level one). An unknown cluster name is an error naming the configured ones.
 */
export function metricsByCluster(config: BotConfig): MetricsByCluster {
  const readers = new Map<string, PrometheusMetricsReader>();
  return (cluster = config.defaultCluster) => {
    const settings = Object.hasOwn(config.clusters, cluster) ? config.clusters[cluster] : undefined;
    if (!settings) throw new UnknownClusterError(cluster, Object.keys(config.clusters));
    let reader = readers.get(cluster);
    if (!reader) {
      reader = PrometheusMetricsReader.fromConfig(settings.prometheus);
      readers.set(cluster, reader);
    }
    return reader;
  };
}

/** Options of new releases in a namespace: the configured defaults with the namespace's own on top. */
export function releaseOptionsOf(config: BotConfig): (namespace: string) => Partial<ReleaseOptions> {
  const { namespaces, ...defaults } = config.releaseOptions;
  return (namespace) => ({
    ...defaults,
    ...(namespaces && Object.hasOwn(namespaces, namespace) ? namespaces[namespace] : {}),
  });
}

/** The user groups of the policy that a user belongs to, from `usergroups.users.list`, cached a minute. */
export function groupDirectory(
  slack: WebClient,
  config: BotConfig,
): (userId: string) => Promise<readonly string[]> {
  const groups = groupsOf(config.policy);
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
