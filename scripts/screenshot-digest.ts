/**
 * Takes the README's pictures of a scheduled summary: the digest of the seeds' apps (bookinfo and weather in
 * one namespace; traffic doubled, reviews v2 failing a quarter of its requests, forecast v2 slow) as the
 * local Slack page shows it in the channel, and the chart in its thread. Needs a running test bed
 * (`npm run bed -- up`) for Prometheus; its own Slack emulator keeps the channel clean.
 *
 *   tsx scripts/screenshot-digest.ts [docs/images/digest.png] [docs/images/digest-chart.png]
 */
import { writeFileSync } from 'node:fs';
import { WebClient } from '@slack/web-api';
import { requireBed } from '../local/bed/bed.js';
import { startSlackPage } from '../local/slack/page/slack-page.js';
import { startSlackEmulator } from '../local/slack/slack-emulator.js';
import type { VirtualService } from '../local/traffic/istio-types.js';
import { StaticMeshReader } from '../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from '../local/traffic/remote-write.js';
import { loadSampleApp } from '../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../local/traffic/simulator.js';
import { silentLogger } from '../src/app/logger.js';
import type { SummaryPublisher } from '../src/app/ports/summary-publisher.js';
import { runDueSummaries } from '../src/app/summaries.js';
import { SlackSummaryPublisher } from '../src/chat/slack/slack-summary-publisher.js';
import type { Release } from '../src/domain/release/index.js';
import { SUBSCRIPTION_RECORD_KIND, type Subscription } from '../src/domain/summary/index.js';
import { PrometheusMetricsReader } from '../src/metrics/index.js';
import { EmbeddedStore } from '../src/store/embedded/embedded-store.js';
import { launchChromium } from '../test/integration/support/chromium.js';

const out = process.argv[2] ?? 'docs/images/digest.png';
const chartOut = process.argv[3] ?? 'docs/images/digest-chart.png';
const PERIOD = 900_000;
const T = Math.floor((Date.now() - 5_000) / PERIOD) * PERIOD;
const namespace = `shop-${Date.now().toString(36)}`;

const bed = await requireBed();
const bookinfo = await loadSampleApp('bookinfo', { namespace });
const weather = await loadSampleApp('weather', { namespace });
const reviews = bookinfo.objects.find(
  (o) => (o as VirtualService).kind === 'VirtualService' && (o as VirtualService).metadata.name === 'reviews',
) as VirtualService;
reviews.spec.http![0]!.route = [
  { destination: { host: 'reviews', subset: 'v1' }, weight: 75 },
  { destination: { host: 'reviews', subset: 'v2' }, weight: 25 },
];
const simulator = new MeshTrafficSimulator({
  services: [...bookinfo.profiles, ...weather.profiles],
  reader: new StaticMeshReader([...bookinfo.objects, ...weather.objects]),
  writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
  mode: { kind: 'poisson', seed: 7 },
});
simulator.setRate(namespace, 'productpage', 8);
await simulator.simulate({ from: T - 2 * PERIOD, to: T - PERIOD, stepSeconds: 15 });
simulator.setRate(namespace, 'productpage', 16);
await simulator.simulate({ from: T - PERIOD + 15_000, to: T - PERIOD / 2, stepSeconds: 15 });
simulator.setBehaviour(namespace, 'reviews', 'v2', { errorRate: 0.25 });
simulator.setBehaviour(namespace, 'forecast', 'v2', {
  latency: { kind: 'lognormal', medianMs: 120, p99Ms: 600 },
});
await simulator.simulate({ from: T - PERIOD / 2 + 15_000, to: T, stepSeconds: 15 });

const slack = await startSlackEmulator({ signingSecret: 'screenshot-signing-secret-0123456789' });
const page = await startSlackPage({
  emulatorUrl: slack.url,
  botUrl: 'http://127.0.0.1:9/slack/events',
  signingSecret: 'screenshot-signing-secret-0123456789',
});
const browser = await launchChromium({ width: 1180, height: 640 });
try {
  const store = new EmbeddedStore<Release>();
  const subscription: Subscription = {
    id: `C0RELEASES:${namespace}`,
    channelId: 'C0RELEASES',
    subject: { kind: 'namespace', namespace },
    schedule: { kind: 'interval', seconds: PERIOD / 1000 },
    createdBy: 'U0ALICE001',
    createdAt: new Date(T - 2 * PERIOD).toISOString(),
  };
  await store.putRecord(SUBSCRIPTION_RECORD_KIND, subscription.id, subscription);
  const inner = new SlackSummaryPublisher(
    new WebClient(slack.botToken, { slackApiUrl: `${slack.url}/api/` }),
    {
      timeZone: 'UTC',
    },
  );
  const publisher: SummaryPublisher = {
    unavailable: (...args) => inner.unavailable(...args),
    prepare: async (...args) => {
      const prepared = await inner.prepare(...args);
      if (prepared.chart) writeFileSync(chartOut, prepared.chart.png);
      return prepared;
    },
    publish: (prepared) => inner.publish(prepared),
  };
  const report = await runDueSummaries(
    {
      store,
      metricsFor: (() => {
        const reader = PrometheusMetricsReader.fromConfig({ url: bed.prometheus.url });
        return () => reader;
      })(),
      publisher,
      clock: () => new Date(T + 30_000),
      log: silentLogger,
      timeZone: 'UTC',
    },
    { now: new Date(T + 30_000) },
  );
  if (report.posted !== 1) throw new Error(`no digest posted: ${JSON.stringify(report)}`);
  console.log(`wrote ${chartOut}`);

  const view = await browser.context.newPage();
  await view.goto(page.url);
  // The channel as people see it: the digest, its chart one click away in the thread (the second picture).
  await view.locator('#messages .replies').first().waitFor({ timeout: 20_000 });
  await view.waitForTimeout(300);
  await view.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await page.close();
  await slack.close();
}
