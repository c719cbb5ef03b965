/**
 * One digest run in a process of its own, as a Lambda invocation would have it, so that its memory is its
 * own: reads the subscription's RED from Prometheus, renders, posts into the Slack emulator, prints JSON.
 * Started by bench/summary/run.ts with one JSON argument: { prometheusUrl, slackUrl, botToken, namespace, endMs, periodSeconds }.
 */
import { WebClient } from '@slack/web-api';
import { silentLogger } from '../../src/app/logger.js';
import type { SummaryPublisher } from '../../src/app/ports/summary-publisher.js';
import { runDueSummaries } from '../../src/app/summaries.js';
import { SlackSummaryPublisher } from '../../src/chat/slack/slack-summary-publisher.js';
import type { Release } from '../../src/domain/release/index.js';
import { SUBSCRIPTION_RECORD_KIND, type Subscription } from '../../src/domain/summary/index.js';
import {
  type InstantSample,
  PrometheusClient,
  PrometheusMetricsReader,
  type PromqlRunner,
  type QueryRange,
  type RangeSeries,
} from '../../src/metrics/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';

const input = JSON.parse(process.argv[2] ?? '{}') as {
  prometheusUrl: string;
  slackUrl: string;
  botToken: string;
  namespace: string;
  endMs: number;
  periodSeconds: number;
};

/** Counts the PromQL queries the reader sends, and the time spent waiting for them. */
class CountingRunner implements PromqlRunner {
  queries = 0;
  waitedMs = 0;
  constructor(private readonly inner: PrometheusClient) {}
  instantQuery(query: string, at: Date | number): Promise<InstantSample[]> {
    return this.timed(() => this.inner.instantQuery(query, at));
  }
  rangeQuery(query: string, range: QueryRange): Promise<RangeSeries[]> {
    return this.timed(() => this.inner.rangeQuery(query, range));
  }
  private async timed<T>(work: () => Promise<T>): Promise<T> {
    this.queries++;
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.waitedMs += performance.now() - started;
    }
  }
}

/** Times the two halves of publishing. */
class TimedPublisher implements SummaryPublisher {
  prepareMs = 0;
  publishMs = 0;
  messages = 0;
  pngBytes = 0;
  constructor(private readonly inner: SlackSummaryPublisher) {}
  async prepare(...args: Parameters<SummaryPublisher['prepare']>) {
    const started = performance.now();
    const prepared = await this.inner.prepare(...args);
    this.prepareMs += performance.now() - started;
    this.messages = prepared.messages.length;
    this.pngBytes = prepared.chart?.png.length ?? 0;
    return prepared;
  }
  async publish(...args: Parameters<SummaryPublisher['publish']>) {
    const started = performance.now();
    const published = await this.inner.publish(...args);
    this.publishMs += performance.now() - started;
    return published;
  }
  unavailable(...args: Parameters<SummaryPublisher['unavailable']>) {
    return this.inner.unavailable(...args);
  }
}

const store = new EmbeddedStore<Release>();
const subscription: Subscription = {
  id: `C0RELEASES:${input.namespace}`,
  channelId: 'C0RELEASES',
  subject: { kind: 'namespace', namespace: input.namespace },
  schedule: { kind: 'interval', seconds: input.periodSeconds },
  createdBy: 'U0ALICE001',
  createdAt: new Date().toISOString(),
};
await store.putRecord(SUBSCRIPTION_RECORD_KIND, subscription.id, subscription);
const runner = new CountingRunner(new PrometheusClient({ url: input.prometheusUrl, timeoutMs: 60_000 }));
const client = new WebClient(input.botToken, { slackApiUrl: `${input.slackUrl}/api/` });
const publisher = new TimedPublisher(new SlackSummaryPublisher(client, { timeZone: 'UTC' }));
const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;
const now = new Date(input.endMs + 30_000);
const started = performance.now();
const report = await runDueSummaries(
  {
    store,
    metricsFor: (() => {
      const reader = new PrometheusMetricsReader(runner);
      return () => reader;
    })(),
    publisher,
    clock: () => now,
    log: silentLogger,
    timeZone: 'UTC',
  },
  { now },
);
const totalMs = performance.now() - started;
console.log(
  JSON.stringify({
    totalMs,
    queries: runner.queries,
    reportedQueries: report.queries,
    posted: report.posted,
    queryMs: runner.waitedMs,
    prepareMs: publisher.prepareMs,
    publishMs: publisher.publishMs,
    messages: publisher.messages,
    pngKB: publisher.pngBytes / 1024,
    rssBeforeMB,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    heapUsedAfterMB: process.memoryUsage().heapUsed / 2 ** 20,
  }),
);
