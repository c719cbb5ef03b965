/**
 * The pieces every composition root builds from the one configuration: the Slack Web API client, the store,
 * the metrics reader of each cluster, release options, the policy's user groups, the logger and the
 * operational counters. A setting is read here once, and every handler (and `npm start`) gets it the same way.
 * Nothing here loads the Kubernetes client (see mesh.ts), so bundles that do not need it stay without it.
 */
import { WebClient } from '@slack/web-api';
import type { CustomChecks } from '../../src/app/canary-analysis.js';
import { CustomCheckGate } from '../../src/app/custom-check-gate.js';
import type { Logger } from '../../src/app/logger.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import type { Telemetry } from '../../src/app/ports/telemetry.js';
import { UnknownClusterError } from '../../src/app/ports/traffic-router.js';
import { type BotConfig, requireSetting } from '../../src/config.js';
import { groupsOf, type Release, type ReleaseOptions } from '../../src/domain/release/index.js';
import { customChecksOf, everyCustomCheck } from '../../src/metrics/custom-check-queries.js';
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
export function metricsByCluster(config: BotConfig): (cluster?: string) => PrometheusMetricsReader {
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

/**
 * The custom checks of the configuration (`CANARY_BOT_CHECKS`), read from each release's own cluster.
 *
 * @example const checks = customChecksFrom(config, metricsByCluster(config)); checks.checksOf('shop', 'checkout')
 */
export function customChecksFrom(
  config: BotConfig,
  readerFor: CustomChecks['readerFor'] = metricsByCluster(config),
): CustomChecks {
  return { checksOf: customChecksOf(config.customChecks), readerFor };
}

/** How long a cold start waits for the custom checks' validation before it serves anyway. */
const CHECK_VALIDATION_BUDGET_MS = 5_000;

/**
 * The gate that validates custom checks against Prometheus, with every configured check sent once per
 * cluster at cold start (a refused one is logged as an error; releases that would use it are refused).
 */
export async function customCheckGateOf(
  config: BotConfig,
  checks: CustomChecks,
  log: Logger,
  clock: () => Date,
): Promise<CustomCheckGate | undefined> {
  const configured = everyCustomCheck(config.customChecks);
  if (configured.length === 0) return undefined;
  const gate = new CustomCheckGate({ customChecks: checks, log, clock });
  const entries = Object.keys(config.clusters).flatMap((cluster) =>
    configured.map(({ where, namespace, service, check }) => ({
      cluster,
      where,
      check,
      // A namespace's check is sent for a service name no one uses: Prometheus parses it all the same.
      side: { namespace, service: service ?? 'canary-bot-validation', version: 'canary-bot-validation' },
    })),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    gate.validateConfigured(entries),
    new Promise((resolve) => {
      timer = setTimeout(resolve, CHECK_VALIDATION_BUDGET_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  return gate;
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
