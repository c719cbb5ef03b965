/** Scheduled summaries: the store, each cluster's Prometheus and Slack. No Kubernetes client here. */
import type { Logger } from '../../src/app/logger.js';
import type { SummaryDependencies } from '../../src/app/summaries.js';
import { SlackSummaryPublisher } from '../../src/chat/slack/slack-summary-publisher.js';
import type { BotConfig } from '../../src/config.js';
import { metricsByCluster, type Overrides, slackWebClient, storeOf } from './parts.js';

/**
 * Builds the summaries' dependencies from the configuration.
 *
 * @example const deps = await buildSummaries(await loadConfig(), log);
 */
export async function buildSummaries(
  config: BotConfig,
  log: Logger,
  overrides: Overrides & Partial<Pick<SummaryDependencies, 'store' | 'metricsFor'>> = {},
): Promise<SummaryDependencies> {
  const slack = slackWebClient(config, { maxRetryMs: 20_000, user: 'the summary function' });
  const timeZone = config.summaryTimeZone ?? 'UTC';
  return {
    store: overrides.store ?? (await storeOf(config, overrides)),
    metricsFor: overrides.metricsFor ?? metricsByCluster(config),
    publisher: new SlackSummaryPublisher(slack, { timeZone }),
    clock: overrides.clock ?? (() => new Date()),
    log,
    timeZone,
  };
}
