/**
 * Scheduled RED summaries on the bed: subscriptions made with signed slash commands through the real Slack
 * handler, traffic of the seeds' apps written by the deterministic simulator in compressed time (two periods,
 * so every change is exact), digests posted by the real summary handler (handlers/summary.ts) into a Slack
 * emulator, charts uploaded through its external upload flow; then an active release in a digest and the
 * chart of `/canary metrics`, on the release engine's stack.
 */
import { WebClient } from '@slack/web-api';
import { buildSummaries } from '../../handlers/compose/summary.js';
import { handler as summaryHandler } from '../../handlers/summary.js';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { startHttpFaultProxy } from '../../local/bed/fault-proxy.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { type LocalBot, startLocalBot } from '../../local/bot.js';
import { checkMessageContent } from '../../local/slack/block-kit-limits.js';
import { sendBlockActions, sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { RecordedMessage } from '../../local/slack/message-record.js';
import {
  DEFAULT_WORKSPACE,
  type SlackEmulator,
  startSlackEmulator,
} from '../../local/slack/slack-emulator.js';
import type { DestinationRule, VirtualService } from '../../local/traffic/istio-types.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import type { ServiceProfile } from '../../local/traffic/profile.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { loadSampleApp } from '../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import { silentLogger } from '../../src/app/logger.js';
import { runDueSummaries, type SummaryDependencies } from '../../src/app/summaries.js';
import { pngSize, RED_CHART_SIZE } from '../../src/chat/charts/index.js';
import { SlackSummaryPublisher } from '../../src/chat/slack/slack-summary-publisher.js';
import { relativeChange } from '../../src/chat/views/index.js';
import { loadConfig } from '../../src/config.js';
import { formatMilliseconds } from '../../src/domain/judge/wording.js';
import { ISTIO_QUERIES } from '../../src/metrics/istio-queries.js';
import { PrometheusClient } from '../../src/metrics/prometheus-client.js';
import { renderQuery } from '../../src/metrics/promql-template.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const signingSecret = 'summaries-test-signing-secret-0123456789';
const bob = { id: 'U0BOB00001', name: 'bob' };
const alice = { id: 'U0ALICE001', name: 'alice' };
const DIGEST = 'C0DIGESTNS';
const SERVICE = 'C0DIGESTSV';
const BIG = 'C0DIGESTBIG';
const PERIOD = 900_000;
// The latest 15-minute boundary a little in the past: two periods of traffic end there.
const T = Math.floor((Date.now() - 5_000) / PERIOD) * PERIOD;

const seeds = uniqueNamespace('digest-seeds');
const big = uniqueNamespace('digest-big');

let bed: BedState;
let slack: SlackEmulator;
let bot: LocalBot;
let queue: { drain: () => Promise<void> };
let prometheus: PrometheusClient;
let clockMs = T + 60_000;
const savedEnv = { ...process.env };

/** A signed `/canary …` from a channel, through the front door, the ingress and the worker. */
async function slash(user: { id: string; name: string }, channelId: string, text: string) {
  const response = await sendSlashCommand(
    { url: bot.slackUrl, signingSecret },
    { text, userId: user.id, userName: user.name, channelId, teamId: 'T0CANARYBOT', emulator: slack },
  );
  expect(response.status).toBe(200);
  await queue.drain();
}

const topLevel = (channel: string) =>
  slack.record.select({ channel, inThread: false, ephemeral: false, via: 'chat.postMessage' });
const thread = (channel: string, ts: string) => slack.record.select({ channel, threadTs: ts });
const blockText = (messages: readonly RecordedMessage[]) =>
  messages.map((m) => JSON.stringify(m.blocks)).join('\n');

/** Prometheus' own p99 (histogram_quantile) of a version over the period ending at `at`. */
async function prometheusP99(
  namespace: string,
  service: string,
  version: string,
  at: number,
): Promise<number> {
  const query = renderQuery(ISTIO_QUERIES['service-duration-quantile'], {
    namespace,
    service,
    window: PERIOD / 1000,
    quantile: 0.99,
  });
  const samples = await prometheus.instantQuery(query, at);
  const sample = samples.find((s) => s.labels.destination_version === version);
  if (!sample) throw new Error(`no p99 for ${service} ${version}`);
  return sample.value;
}

/** Seeds' bookinfo and weather in one namespace; reviews at 75/25 (a canary under way). */
async function seedTraffic(): Promise<MeshTrafficSimulator> {
  const bookinfo = await loadSampleApp('bookinfo', { namespace: seeds });
  const weather = await loadSampleApp('weather', { namespace: seeds });
  const reviews = bookinfo.objects.find(
    (o) =>
      (o as VirtualService).kind === 'VirtualService' && (o as VirtualService).metadata.name === 'reviews',
  ) as VirtualService;
  reviews.spec.http![0]!.route = [
    { destination: { host: 'reviews', subset: 'v1' }, weight: 75 },
    { destination: { host: 'reviews', subset: 'v2' }, weight: 25 },
  ];
  const simulator = new MeshTrafficSimulator({
    services: [...bookinfo.profiles, ...weather.profiles],
    reader: new StaticMeshReader([...bookinfo.objects, ...weather.objects]),
    writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
  });
  // Previous period: productpage at 8 req/s, everything healthy.
  simulator.setRate(seeds, 'productpage', 8);
  await simulator.simulate({ from: T - 2 * PERIOD, to: T - PERIOD, stepSeconds: 15 });
  // This period: twice the traffic, a quarter of reviews v2 failing, forecast v2 slow.
  simulator.setRate(seeds, 'productpage', 16);
  simulator.setBehaviour(seeds, 'reviews', 'v2', { errorRate: 0.25 });
  simulator.setBehaviour(seeds, 'forecast', 'v2', {
    latency: { kind: 'lognormal', medianMs: 120, p99Ms: 600 },
  });
  await simulator.simulate({ from: T - PERIOD + 15_000, to: T, stepSeconds: 15 });
  return simulator;
}

/** 300 services of two versions each (v1 90%, v2 10%), 1 req/s each, over two 5-minute periods ending at `end`. */
async function bigTraffic(end: number): Promise<void> {
  const profiles: ServiceProfile[] = [];
  const objects: unknown[] = [];
  for (let i = 0; i < 300; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    profiles.push({
      name,
      namespace: big,
      rps: 1,
      versions: [
        { version: 'v1', workload: `${name}-v1` },
        { version: 'v2', workload: `${name}-v2`, errorRate: i % 10 === 0 ? 0.05 : 0 },
      ],
    });
    const vs: VirtualService = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace: big },
      spec: {
        hosts: [name],
        http: [
          {
            route: [
              { destination: { host: name, subset: 'v1' }, weight: 90 },
              { destination: { host: name, subset: 'v2' }, weight: 10 },
            ],
          },
        ],
      },
    };
    const dr: DestinationRule = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name, namespace: big },
      spec: {
        host: name,
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    };
    objects.push(vs, dr);
  }
  const simulator = new MeshTrafficSimulator({
    services: profiles,
    reader: new StaticMeshReader(objects),
    writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
  });
  await simulator.simulate({ from: end - 600_000, to: end, stepSeconds: 15 });
}

beforeAll(async () => {
  bed = await requireBed();
  prometheus = new PrometheusClient({ url: bed.prometheus.url, retries: 1 });
  slack = await startSlackEmulator({
    signingSecret,
    workspace: {
      ...DEFAULT_WORKSPACE,
      channels: [
        { id: DIGEST, name: 'digest-namespace' },
        { id: SERVICE, name: 'digest-service' },
        { id: BIG, name: 'digest-big' },
      ],
    },
  });
  bot = await startLocalBot(
    bed,
    {
      CANARY_BOT_SLACK_SIGNING_SECRET: signingSecret,
      CANARY_BOT_SLACK_BOT_TOKEN: slack.botToken,
      CANARY_BOT_SLACK_API_URL: `${slack.url}/api/`,
      CANARY_BOT_PROMETHEUS_URL: bed.prometheus.url,
      CANARY_BOT_DEFAULT_NAMESPACE: seeds,
      CANARY_BOT_SUMMARY_TIME_ZONE: 'UTC',
    },
    { log: silentLogger, overrides: { clock: () => new Date(clockMs) } },
  );
  queue = { drain: () => bot.settled() };
  // The summary handler reads its configuration from the environment, as in Lambda.
  Object.assign(process.env, {
    CANARY_BOT_SLACK_SIGNING_SECRET: signingSecret,
    CANARY_BOT_SLACK_BOT_TOKEN: slack.botToken,
    CANARY_BOT_SLACK_API_URL: `${slack.url}/api/`,
    CANARY_BOT_PROMETHEUS_URL: bed.prometheus.url,
    CANARY_BOT_STORE: 'dynamodb',
    CANARY_BOT_TABLE: bot.env.CANARY_BOT_TABLE,
    CANARY_BOT_DYNAMODB_ENDPOINT: bed.dynamodb.endpoint,
    CANARY_BOT_SUMMARY_TIME_ZONE: 'UTC',
    AWS_REGION: 'local',
  });
  await seedTraffic();
});

afterAll(async () => {
  await queue?.drain();
  await bot?.close();
  await slack?.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

describe('scheduled summaries through the real handlers', () => {
  it('subscribes channels with /canary subscribe, announced in the channel, and lists them', async () => {
    // Act
    await slash(bob, DIGEST, `subscribe ${seeds} --every 15m`);
    await slash(bob, SERVICE, `subscribe reviews --ns ${seeds} --every 15m`);
    await slash(bob, SERVICE, 'subscriptions');
    // Assess
    const announced = slack.record.select({ channel: DIGEST, via: 'response_url', ephemeral: false });
    expect(announced.map((m) => m.text)).toEqual([
      `U0BOB00001 subscribed this channel to RED summaries of ${seeds}, every 15 min`,
    ]);
    const [list] = slack.record.select({ channel: SERVICE, via: 'response_url', ephemeral: true });
    expect(list?.text).toBe('1 scheduled summary in this channel');
    expect(JSON.stringify(list?.blocks)).toContain(`*reviews.${seeds}* (service) · every 15 min`);
  });

  it('refuses a name with no traffic, privately', async () => {
    await slash(bob, DIGEST, 'subscribe nowhere-at-all --every 1h');
    const [refusal] = slack.record
      .select({ channel: DIGEST, via: 'response_url', ephemeral: true })
      .slice(-1);
    expect(refusal?.text).toContain('No Istio traffic in the last hour for a namespace named nowhere-at-all');
  });

  it('posts a digest of the seeds with the exact numbers, the worse services first, for 6 queries in all', async () => {
    // Act: the scheduled run 30 s after the slot, as EventBridge would invoke it.
    const report = await summaryHandler({ time: new Date(T + 30_000).toISOString() });

    // Assess: both subscriptions share one read: 2 + 2 instant queries and 2 range queries for the charts.
    expect(report).toMatchObject({
      subscriptions: 2,
      due: 2,
      posted: 2,
      alreadyPosted: 0,
      failed: [],
      queries: 6,
    });
    const [digest] = topLevel(DIGEST);
    expect(digest?.text).toBe(`RED summary of ${seeds}: 2 of 7 services got worse`);
    const text = blockText([digest!]);
    const p99 = async (service: string, version: string) => ({
      now: await prometheusP99(seeds, service, version, T),
      before: await prometheusP99(seeds, service, version, T - PERIOD),
    });
    const line = (version: string, rate: string, errors: string, latency: { now: number; before: number }) =>
      `• *${version}* ${rate} · ${errors} · p99 ${formatMilliseconds(latency.now)} (${relativeChange(latency.now / latency.before - 1)})`;
    const forecastV2 = await p99('forecast', 'v2');
    const expected = [
      ':warning: *reviews* — errors of v2 0% → 25%',
      line('v1', '12/s (+100%)', 'errors 0% (=)', await p99('reviews', 'v1')),
      line('v2', '4/s (+100%)', 'errors 25% (+25 pp)', await p99('reviews', 'v2')),
      `:warning: *forecast* — p99 of v2 ${formatMilliseconds(forecastV2.before)} → ${formatMilliseconds(forecastV2.now)}`,
      line('v1', '9/s (=)', 'errors 0% (=)', await p99('forecast', 'v1')),
      line('v2', '1/s (=)', 'errors 0% (=)', forecastV2),
    ].join('\\n');
    expect(text).toContain(expected);
    const compact = async (service: string, version: string, rate: string) => {
      const latency = await p99(service, version);
      return `${version} ${rate}, 0% (=), p99 ${formatMilliseconds(latency.now)} (${relativeChange(latency.now / latency.before - 1)})`;
    };
    const others = [
      `:large_green_circle: *details* ${await compact('details', 'v1', '16/s (+100%)')}`,
      `:large_green_circle: *frontend* ${await compact('frontend', 'v1', '9/s (=)')} · ${await compact('frontend', 'v2', '1/s (=)')}`,
      `:large_green_circle: *productpage* ${await compact('productpage', 'v1', '16/s (+100%)')}`,
      `:large_green_circle: *ratings* ${await compact('ratings', 'v1', '4/s (+100%)')}`,
      `:large_green_circle: *recommendation* ${await compact('recommendation', 'v1', '10/s (=)')}`,
    ].join('\\n');
    expect(text).toContain(others);
    expect(checkMessageContent(digest!)).toBeUndefined();

    // The service subscription got its own digest, from the same read.
    const [service] = topLevel(SERVICE);
    expect(service?.text).toBe(`RED summary of reviews.${seeds}: 1 of 1 service got worse`);
  });

  it('uploads the chart through the external upload flow into the digest thread: a PNG of the chart size', async () => {
    // Prepare
    const [digest] = topLevel(DIGEST);
    // Act
    const shared = thread(DIGEST, digest!.ts).filter((m) => m.via === 'files.completeUploadExternal');
    // Assess
    expect(shared).toHaveLength(1);
    const [summary] = shared[0]!.files!;
    const file = slack.record.files.find((f) => f.id === summary!.id)!;
    expect(file).toMatchObject({ uploaded: true, completed: true, mimetype: 'image/png' });
    expect(file.shares).toEqual([{ channel: DIGEST, ts: shared[0]!.ts }]);
    expect(file.altText).toContain('one line per version: reviews v1, reviews v2, forecast v1, forecast v2');
    const png = (await slack.fileContent(file.id))!;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(pngSize(png)).toEqual(RED_CHART_SIZE);
    expect(file.size).toBe(file.declaredLength);
    const methods = slack.record.calls.map((c) => c.method);
    expect(methods).toEqual(
      expect.arrayContaining(['files.getUploadURLExternal', 'files.completeUploadExternal']),
    );
  });

  it('posts a slot once: a retried invocation and an overlapping one post nothing more', async () => {
    // Prepare
    const before = slack.record.messages.length;
    const event = { time: new Date(T + 30_000).toISOString() };
    // Act
    const [retry, overlap] = await Promise.all([summaryHandler(event), summaryHandler(event)]);
    const late = await summaryHandler({ time: new Date(T + 240_000).toISOString() });
    // Assess
    for (const report of [retry, overlap, late])
      expect(report).toMatchObject({ due: 2, posted: 0, alreadyPosted: 2 });
    expect(slack.record.messages.length).toBe(before);
    expect(topLevel(DIGEST)).toHaveLength(1);
  });

  it('fits a digest of 300 services into messages Slack accepts, every service named', async () => {
    // Prepare: 5-minute periods ending at the latest 5-minute boundary.
    const end = Math.floor((Date.now() - 5_000) / 300_000) * 300_000;
    await bigTraffic(end);
    clockMs = end + 30_000;
    await slash(alice, BIG, `subscribe ${big} --every 5m`);
    // Act
    const report = await summaryHandler({ time: new Date(end + 30_000).toISOString() });
    // Assess
    expect(report.failed).toEqual([]);
    const [first] = topLevel(BIG);
    expect(first?.text).toBe(`RED summary of ${big}: 30 of 300 services got worse`);
    const pages = [first!, ...thread(BIG, first!.ts).filter((m) => m.via === 'chat.postMessage')];
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.length).toBeLessThanOrEqual(5);
    for (const page of pages) expect(checkMessageContent(page)).toBeUndefined();
    const names = new Set(blockText(pages).match(/\*svc-\d{3}\*/g));
    expect(names.size).toBe(300);
    expect(thread(BIG, first!.ts).filter((m) => m.via === 'files.completeUploadExternal')).toHaveLength(1);
  });

  it("says so in the channel, once, when a slot's metrics cannot be read before its last run", async () => {
    // Prepare: the summary function of the README, its Prometheus answering 503 to everything.
    const proxy = await startHttpFaultProxy(bed.prometheus.url);
    proxy.set(() => ({ status: 503, body: 'unavailable' }));
    try {
      const config = await loadConfig({
        ...process.env,
        CANARY_BOT_PROMETHEUS_URL: proxy.url,
      });
      const summaries = await buildSummaries(config, silentLogger);
      const slot = T + PERIOD;
      const before = topLevel(DIGEST).length;
      // Act: the first run after the slot (a later one may still read), the last one that sees it, a retry.
      const early = await runDueSummaries(summaries, { now: new Date(slot + 30_000), lookbackSeconds: 600 });
      const afterEarly = topLevel(DIGEST).length;
      const last = await runDueSummaries(summaries, { now: new Date(slot + 330_000), lookbackSeconds: 600 });
      const again = await runDueSummaries(summaries, { now: new Date(slot + 330_000), lookbackSeconds: 600 });
      // Assess
      expect(early.failed.every((f) => !f.claimed)).toBe(true);
      expect(early.failed.length).toBeGreaterThan(0);
      expect(afterEarly).toBe(before);
      // Both 15-minute subscriptions are told (the 5-minute one's slot at +5 min still has a run to come).
      expect(last.unavailable).toBe(2);
      expect(topLevel(SERVICE).at(-1)?.text).toMatch(/could not be made: Prometheus is unavailable/);
      const notices = topLevel(DIGEST).slice(before);
      expect(notices).toHaveLength(1);
      expect(notices[0]?.text).toMatch(
        /^The RED summary of .+ for \d\d:\d\d–\d\d:\d\d could not be made: Prometheus is unavailable: it answered HTTP 503/,
      );
      expect(notices[0]?.text).not.toContain(new URL(proxy.url).host);
      expect(again.posted).toBe(0);
      expect(topLevel(DIGEST).slice(before)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('summaries on the release engine', () => {
  let stack: SlackStack;
  let client: WebClient;
  const channel = 'C0RELEASES';

  beforeAll(async () => {
    stack = await startSlackStack();
    client = new WebClient(stack.engine.bed.slack.botToken, {
      slackApiUrl: `${stack.engine.bed.slack.url}/api/`,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const target = () => ({ url: stack.slackUrl, signingSecret: stack.engine.bed.slack.signingSecret });
  const send = async (user: { id: string; name: string }, text: string) => {
    await sendSlashCommand(target(), {
      text,
      userId: user.id,
      userName: user.name,
      channelId: channel,
      teamId: 'T0CANARYBOT',
      emulator: stack.emulator,
    });
    await stack.queue.drain();
  };

  it('lists the active release with its step and latest verdict in the digest', async () => {
    // Prepare: a canary approved at 50% and judged for a few minutes, and a subscription to its service.
    const ns = stack.engine.namespace;
    await send(bob, `start reviews v2 --ns ${ns} --steps 50,100`);
    const [release] = await stack.deps.store.history(ns, 'reviews', 1);
    const [card] = await stack.emulator.messages({ channel, ts: release!.state.meta.ts! });
    const approve = (card!.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.action_id === 'release.approve')!;
    await sendBlockActions(target(), {
      user: { id: alice.id, username: alice.name },
      channel: { id: channel },
      messageTs: card!.ts,
      actions: [{ action_id: approve.action_id, value: approve.value }],
      teamId: 'T0CANARYBOT',
      emulator: stack.emulator,
    });
    await stack.queue.drain();
    for (let i = 0; i < 3; i++) await stack.engine.advance(1);
    await send(bob, `subscribe reviews --ns ${ns} --every 5m`);
    const deps: SummaryDependencies = {
      store: stack.deps.store,
      metricsFor: stack.deps.metricsFor,
      publisher: new SlackSummaryPublisher(client, { timeZone: 'UTC' }),
      clock: stack.deps.clock,
      log: silentLogger,
      timeZone: 'UTC',
    };
    // Act
    const report = await runDueSummaries(deps, { now: stack.engine.now(), lookbackSeconds: 300 });
    // Assess
    expect(report).toMatchObject({ due: 1, posted: 1, failed: [] });
    const state = (await stack.deps.store.get(release!.id))!.state;
    const digests = (await stack.emulator.messages({ channel, inThread: false })).filter((m) =>
      m.text.startsWith(`RED summary of reviews.${ns}`),
    );
    expect(digests).toHaveLength(1);
    const text = JSON.stringify(digests[0]!.blocks);
    expect(text).toContain(`*reviews.${ns}* v1 → v2 canary · analysing step 1/2: canary weight 50`);
    expect(state.lastVerdict).toBeDefined();
    expect(text).toContain(
      `verdict ${{ pass: ':large_green_circle: pass', fail: ':red_circle: fail', inconclusive: ':large_yellow_circle: inconclusive', 'no-data': ':white_circle: no data' }[state.lastVerdict!.verdict]}`,
    );
  });

  it('shares the chart of /canary metrics in the channel', async () => {
    // Act
    await send(bob, `metrics reviews --ns ${stack.engine.namespace} --window 10m`);
    // Assess
    const shared = (
      await stack.emulator.messages({ channel, via: 'files.completeUploadExternal', inThread: false })
    ).filter((m) => m.text.includes(`RED of reviews.${stack.engine.namespace}`));
    expect(shared).toHaveLength(1);
    expect(shared[0]!.text).toBe(
      `<@${bob.id}> asked for the RED of reviews.${stack.engine.namespace}, last 10 min.`,
    );
    const png = (await stack.emulator.fileContent(shared[0]!.files![0]!.id))!;
    expect(pngSize(png)).toEqual(RED_CHART_SIZE);
  });
});
