/**
 * The dependencies of the summary function, built once per container. Not buildRuntime(): summaries need
 * the store, Prometheus and Slack only, so this bundle leaves out the Kubernetes client.
 */
import { WebClient } from '@slack/web-api';
import { jsonLineLogger, type Logger } from '../src/app/logger.js';
import type { SummaryDependencies } from '../src/app/summaries.js';
import { SlackSummaryPublisher } from '../src/chat/slack/slack-summary-publisher.js';
import type { BotConfig } from '../src/config.js';
import type { Release } from '../src/domain/release/index.js';
import { PrometheusMetricsReader } from '../src/metrics/index.js';
import { openStore } from '../src/store/open-store.js';

/**
 * Builds the summaries' dependencies from a configuration.
 *
 * @example const deps = await buildSummaryRuntime(await loadConfig());
 */
export async function buildSummaryRuntime(
  config: BotConfig,
  overrides: { log?: Logger; clock?: () => Date } = {},
): Promise<SummaryDependencies> {
  const slack = new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    // Retry-After is honoured by the client; bounded so that a run never outlives its timeout.
    retryConfig: { retries: 3, maxRetryTime: 20_000 },
  });
  const timeZone = config.summaryTimeZone ?? 'UTC';
  return {
    store: await openStore<Release>(config.store),
    metrics: PrometheusMetricsReader.fromConfig(config.prometheus),
    publisher: new SlackSummaryPublisher(slack, { timeZone }),
    clock: overrides.clock ?? (() => new Date()),
    log: overrides.log ?? jsonLineLogger,
    timeZone,
  };
}
