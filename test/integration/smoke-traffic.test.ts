/**
 * Smoke traffic on the bed, configured as the README documents `CANARY_BOT_SMOKE`: the real handlers (worker
 * on the SQS FIFO queue, tick), the real kube-apiserver and Prometheus, and a quiet service: reviews with no
 * users at all. Its only requests are the worker's real HTTP smoke requests, sent to the traffic simulator's
 * gateway, which routes each by the live VirtualService, answers with the version's status and latency and
 * writes Istio's metrics for exactly those requests.
 *
 * - healthy: the step's canary passes on smoke traffic alone and the release asks for the next approval;
 * - the canary answers 500 to smoke requests: it fails and is rolled back, and the smoke stops with it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { type LocalBot, startLocalBot } from '../../local/bot.js';
import { connectSlackEmulator } from '../../local/slack/emulator-control.js';
import { type MeshGateway, startMeshGateway } from '../../local/traffic/gateway.js';
import { KubernetesMeshReader } from '../../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { loadSampleProfiles } from '../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import type { Logger } from '../../src/app/logger.js';
import { actOnRelease } from '../../src/app/release-actions.js';
import { startRelease } from '../../src/app/start-release.js';
import type { Release } from '../../src/domain/release/index.js';
import type { RequestMatch } from '../../src/domain/routing/route-math.js';
import { SMOKE_HEADER } from '../../src/smoke/http-smoke-sender.js';

const alice = { userId: 'U0ALICE001', groupIds: [] };
const bob = { userId: 'U0BOB00001', groupIds: [] };
const CHANNEL = 'C0RELEASES';
const RATE = 10;

let bed: BedState;
let admin: k8s.KubeConfig;
let bot: LocalBot;
let work: string;
let simulator: MeshTrafficSimulator;
let gateway: MeshGateway;
const healthy = uniqueNamespace('smoke-ok');
const broken = uniqueNamespace('smoke-bad');
const abTest = uniqueNamespace('smoke-ab');
const home = uniqueNamespace('smoke-bot');
let clock = Math.floor(Date.now() / 60_000) * 60_000 - 40 * 60_000;
let simulated = clock;
const logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
const log: Logger = {
  info: (message, fields) => logged.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
  warn: (message, fields) => logged.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
  error: (message, fields) => logged.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
};

/** One simulated minute: the mesh's metrics (smoke requests only) into Prometheus, then a tick and its jobs. */
async function advance(): Promise<void> {
  clock += 60_000;
  await simulator.simulate({ from: simulated + 15_000, to: clock, stepSeconds: 15 });
  simulated = clock;
  await bot.tick(new Date(clock));
  await bot.settled(120_000);
}

async function release(id: string): Promise<Release> {
  const stored = await bot.worker.deps.store.get(id);
  if (!stored) throw new Error(`no release ${id}`);
  return stored.state;
}

/** The release's card, as the Slack emulator holds it. */
async function card(id: string): Promise<string> {
  const { meta } = await release(id);
  const found = await connectSlackEmulator(bed.slack.url).messages({ channel: CHANNEL, ts: meta.ts });
  return JSON.stringify(found.map((m) => m.blocks));
}

/** The log lines of a release's smoke rounds. */
function smokeLines(releaseId: string) {
  return logged.filter((l) => l.message === 'smoke traffic sent' && l.fields?.releaseId === releaseId);
}

/** Requests the gateway served for a namespace, by version and status. */
function served(namespace: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of gateway.records())
    if (record.namespace === namespace && record.answer.kind === 'served') {
      const key = `${record.answer.version} ${record.answer.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  return counts;
}

/** `sum(increase(istio_requests_total{…}[window]))` by version and code, from the bed's Prometheus. */
async function prometheusCounts(namespace: string): Promise<Record<string, number>> {
  const query = `sum by (destination_version, response_code) (max_over_time(istio_requests_total{reporter="destination", destination_service_namespace="${namespace}"}[1h]))`;
  const url = `${bed.prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${simulated / 1000}`;
  const answer = (await (await fetch(url)).json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return Object.fromEntries(
    answer.data.result.map((r) => [
      `${r.metric.destination_version} ${r.metric.response_code}`,
      Number(r.value[1]),
    ]),
  );
}

async function startAndApprove(
  namespace: string,
  plan: { kind: 'canary'; steps: number[] } | { kind: 'ab'; matches: RequestMatch[] } = {
    kind: 'canary',
    steps: [50, 100],
  },
): Promise<string> {
  const started = await startRelease(
    bot.worker.deps,
    { ...plan, service: 'reviews', version: 'v2', namespace },
    alice,
  );
  if (!started.ok) throw new Error(started.message);
  const id = started.value.id;
  const request = (await release(id)).approvalRequest;
  const approved = await actOnRelease(
    bot.worker.deps,
    id,
    { action: 'approve', step: request?.step ?? 0, stateVersion: request?.stateVersion ?? 0 },
    bob,
  );
  if (!approved.ok) throw new Error(approved.message);
  await bot.settled();
  return id;
}

/** The README's example, pointed at the bed's gateway. */
const SMOKE = (gatewayUrl: string) => ({
  maxRate: RATE,
  namespaces: {
    [healthy]: {
      url: `${gatewayUrl}/reviews/health`,
      headers: { host: '{{ service }}.{{ namespace }}.svc.cluster.local' },
      rate: RATE,
      concurrency: 8,
      spreadSeconds: 3,
    },
  },
  services: {
    // An A/B release sends only requests that carry its match to the canary: the template carries it.
    [`${abTest}/reviews`]: {
      url: `${gatewayUrl}/reviews/health`,
      headers: { host: '{{ service }}.{{ namespace }}.svc.cluster.local', 'end-user': 'smoke-tester' },
      rate: RATE,
      concurrency: 8,
      spreadSeconds: 3,
    },
    [`${broken}/reviews`]: {
      url: `${gatewayUrl}/reviews/health?token=not-for-logs`,
      headers: { host: '{{ service }}.{{ namespace }}.svc.cluster.local' },
      rate: RATE,
      concurrency: 8,
      spreadSeconds: 3,
    },
  },
});

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  await Promise.all([healthy, broken, abTest].map((namespace) => deploySample(admin, 'bookinfo', namespace)));
  work = await mkdtemp(join(tmpdir(), 'canary-bot-smoke-'));
  const identity = await botKubeConfig(bed, admin, home, [healthy, broken, abTest], await botClusterRole());
  const kubeconfig = join(work, 'bot.kubeconfig');
  await writeFile(kubeconfig, identity.exportConfig(), { mode: 0o600 });
  // Quiet services: reviews in both namespaces, no users (rps 0), both versions healthy and alike.
  const profiles = (
    await Promise.all(
      [healthy, broken, abTest].map((namespace) => loadSampleProfiles(['bookinfo'], { bookinfo: namespace })),
    )
  )
    .flat()
    .filter((p) => p.name === 'reviews')
    .map((p) => ({
      ...p,
      rps: 0,
      calls: [],
      versions: p.versions.map((v) => ({
        ...v,
        calls: [],
        errorRate: 0,
        latency: { kind: 'lognormal' as const, medianMs: 8, p99Ms: 30 },
      })),
    }));
  simulator = new MeshTrafficSimulator({
    services: profiles,
    reader: KubernetesMeshReader.fromKubeConfig(admin),
    writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
  });
  await simulator.simulate({ from: clock - 120_000, to: clock, stepSeconds: 15 });
  gateway = await startMeshGateway(simulator);
  bot = await startLocalBot(
    bed,
    {
      CANARY_BOT_KUBECONFIG: kubeconfig,
      CANARY_BOT_PROMETHEUS_URL: bed.prometheus.url,
      CANARY_BOT_DEFAULT_NAMESPACE: healthy,
      CANARY_BOT_SLACK_CHANNEL: CHANNEL,
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: [alice.userId], approvers: [bob.userId], fourEyes: true },
      }),
      CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({ minAnalysisSeconds: 60 }),
      CANARY_BOT_SMOKE: JSON.stringify(SMOKE(gateway.url)),
    },
    { log, overrides: { clock: () => new Date(clock) } },
  );
}, 240_000);

afterAll(async () => {
  await bot?.close();
  await gateway?.close();
  if (work) await rm(work, { recursive: true, force: true });
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all(
    [healthy, broken, abTest, home].map((name) => core.deleteNamespace({ name }).catch(() => undefined)),
  );
});

describe('smoke traffic from CANARY_BOT_SMOKE', () => {
  it('brings a service with no users to a pass on smoke requests alone, split by the live route', async () => {
    // Prepare
    const id = await startAndApprove(healthy);
    expect(await prometheusCounts(healthy)).toEqual({});
    // Act
    let current = await release(id);
    let minutes = 0;
    for (; minutes < 10 && current.phase === 'analysing'; minutes++) {
      await advance();
      current = await release(id);
    }
    // Assess: the 50% step passed, and the release asks for the next approval.
    expect(current.phase).toBe('awaiting-approval');
    expect(current.lastVerdict?.verdict).toBe('pass');
    expect(current.currentStep).toBe(1);
    const sent = smokeLines(id);
    expect(sent.length).toBeGreaterThanOrEqual(minutes - 1);
    for (const line of sent)
      expect(line.fields).toMatchObject({ planned: RATE * 60, sent: RATE * 60, ok: RATE * 60, failed: 0 });
    // The card says so while the step is judged.
    expect(await card(id)).toContain('Smoke traffic: 600 requests a minute through the mesh');
    // Every request came through the gateway from the worker, marked, and split about 50/50.
    const counts = served(healthy);
    const total = (counts['v1 200'] ?? 0) + (counts['v2 200'] ?? 0);
    expect(total).toBe(sent.reduce((n, l) => n + Number(l.fields?.sent), 0));
    expect(counts['v2 200']! / total).toBeGreaterThan(0.4);
    expect(counts['v2 200']! / total).toBeLessThan(0.6);
    const marked = gateway.records().filter((r) => r.namespace === healthy);
    expect(new Set(marked.map((r) => r.headers[SMOKE_HEADER]))).toEqual(new Set([id]));
    expect(marked[0]?.headers['user-agent']).toBe(`canary-bot-smoke (release ${id})`);
    // Prometheus holds exactly those requests: nothing else reached this service.
    await simulator.simulate({ from: simulated + 15_000, to: simulated + 15_000, stepSeconds: 15 });
    simulated += 15_000;
    expect(await prometheusCounts(healthy)).toEqual(counts);
    console.log(
      `smoke: ${healthy} passed after ${minutes} simulated minutes, ${total} smoke requests (${JSON.stringify(counts)}); per tick ${JSON.stringify(sent.map((l) => ({ sent: l.fields?.sent, ms: l.fields?.elapsedMs })))}`,
    );
  }, 600_000);

  it('rolls back a canary that answers 500 to smoke requests, and stops sending with the release', async () => {
    // Prepare
    simulator.setBehaviour(broken, 'reviews', 'v2', { errorRate: 1 });
    const id = await startAndApprove(broken);
    // Act
    let current = await release(id);
    let minutes = 0;
    for (; minutes < 6 && current.phase !== 'rolled-back'; minutes++) {
      await advance();
      current = await release(id);
    }
    // Assess
    expect(current.phase).toBe('rolled-back');
    expect(minutes).toBeLessThanOrEqual(3);
    expect(current.rollback?.reason).toMatch(/error rate 100(\.0)?%/);
    const counts = served(broken);
    expect(counts['v2 500']).toBeGreaterThan(0);
    expect(counts['v2 200']).toBeUndefined();
    expect(counts['v1 200']).toBeGreaterThan(0);
    // Answers of 500 are what smoke is for: counted, not a failure of the sender.
    const sent = smokeLines(id);
    expect(sent.length).toBeGreaterThanOrEqual(1);
    for (const line of sent)
      expect(line).toMatchObject({ level: 'info', fields: { sent: RATE * 60, failed: 0 } });
    expect(sent.every((l) => Number(l.fields?.serverErrors) > 0)).toBe(true);
    // The URL's query string (a token, say) never reaches the log.
    expect(JSON.stringify(logged)).not.toContain('not-for-logs');
    expect(await card(id)).not.toContain('Smoke traffic');
    // Rolled back: no more smoke requests for it.
    const before = gateway.records().filter((r) => r.namespace === broken).length;
    await advance();
    await advance();
    expect(gateway.records().filter((r) => r.namespace === broken).length).toBe(before);
    console.log(
      `smoke: ${broken} rolled back after ${minutes} simulated minutes (${JSON.stringify(counts)})`,
    );
  }, 600_000);

  it('passes an A/B canary on smoke requests that carry its match, all of which reach the canary', async () => {
    // Prepare
    const id = await startAndApprove(abTest, {
      kind: 'ab',
      matches: [{ kind: 'header', name: 'end-user', match: { exact: 'smoke-tester' } }],
    });
    // Act
    let current = await release(id);
    let minutes = 0;
    for (; minutes < 8 && current.phase === 'analysing'; minutes++) {
      await advance();
      current = await release(id);
    }
    // Assess: judged on the canary alone (the baseline got none), against the success-rate and p99 limits.
    expect(current.phase).toBe('awaiting-approval');
    expect(current.lastVerdict?.verdict).toBe('pass');
    const counts = served(abTest);
    expect(Object.keys(counts)).toEqual(['v2 200']);
    expect(current.lastVerdict?.reasons.find((r) => r.check === 'success-rate')?.status).toBe('pass');
    console.log(`smoke: A/B ${abTest} passed after ${minutes} simulated minutes (${JSON.stringify(counts)})`);
  }, 600_000);
});
