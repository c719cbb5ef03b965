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
import { uniqueNamespace } from '../../local/bed/manifests.js';
import type { LocalBot } from '../../local/bot.js';
import { type MeshGateway, startMeshGateway } from '../../local/traffic/gateway.js';
import type { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import type { RequestMatch } from '../../src/domain/routing/route-math.js';
import { SMOKE_HEADER } from '../../src/smoke/http-smoke-sender.js';
import {
  prepareReviewsBed,
  type ReviewsBed,
  recordingLogger,
  SimulatedMinutes,
} from './support/reviews-bed.js';

const RATE = 10;

let setup: ReviewsBed;
let bot: LocalBot;
let simulator: MeshTrafficSimulator;
let gateway: MeshGateway;
const healthy = uniqueNamespace('smoke-ok');
const broken = uniqueNamespace('smoke-bad');
const abTest = uniqueNamespace('smoke-ab');
const home = uniqueNamespace('smoke-bot');
const time = new SimulatedMinutes(40);
const { log, logged } = recordingLogger(['info', 'warn', 'error']);

/** One simulated minute: the mesh's metrics (smoke requests only) into Prometheus, then a tick and its jobs. */
function advance(): Promise<void> {
  return time.advance(bot, [simulator], { settleMs: 120_000 });
}

/** The release's card, as the Slack emulator holds it. */
async function card(id: string): Promise<string> {
  const found = await setup.messages(id, 'card');
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
  const url = `${setup.bed.prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${time.simulated / 1000}`;
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
  const { id } = await setup.start({ ...plan, namespace });
  await setup.approve(id);
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
  setup = await prepareReviewsBed('smoke', [healthy, broken, abTest], home);
  // Quiet services: reviews in both namespaces, no users (rps 0), both versions healthy and alike.
  simulator = await setup.simulator([healthy, broken, abTest], setup.bed.prometheus.url, {
    rps: 0,
    medianMs: 8,
    p99Ms: 30,
  });
  await time.backfill([simulator]);
  gateway = await startMeshGateway(simulator);
  bot = await setup.startBot(
    {
      CANARY_BOT_KUBECONFIG: setup.kubeconfig,
      CANARY_BOT_PROMETHEUS_URL: setup.bed.prometheus.url,
      CANARY_BOT_DEFAULT_NAMESPACE: healthy,
      CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({ minAnalysisSeconds: 60 }),
      CANARY_BOT_SMOKE: JSON.stringify(SMOKE(gateway.url)),
    },
    log,
    time,
  );
}, 240_000);

afterAll(async () => {
  await bot?.close();
  await gateway?.close();
  await setup?.close();
});

describe('smoke traffic from CANARY_BOT_SMOKE', () => {
  it('brings a service with no users to a pass on smoke requests alone, split by the live route', async () => {
    // Prepare
    const id = await startAndApprove(healthy);
    expect(await prometheusCounts(healthy)).toEqual({});
    // Act
    const { current, minutes } = await setup.advanceWhile(id, advance, (r) => r.phase === 'analysing', 10);
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
    await simulator.simulate({ from: time.simulated + 15_000, to: time.simulated + 15_000, stepSeconds: 15 });
    time.simulated += 15_000;
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
    const { current, minutes } = await setup.advanceWhile(id, advance, (r) => r.phase !== 'rolled-back', 6);
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
    const { current, minutes } = await setup.advanceWhile(id, advance, (r) => r.phase === 'analysing', 8);
    // Assess: judged on the canary alone (the baseline got none), against the success-rate and p99 limits.
    expect(current.phase).toBe('awaiting-approval');
    expect(current.lastVerdict?.verdict).toBe('pass');
    const counts = served(abTest);
    expect(Object.keys(counts)).toEqual(['v2 200']);
    expect(current.lastVerdict?.reasons.find((r) => r.check === 'success-rate')?.status).toBe('pass');
    console.log(`smoke: A/B ${abTest} passed after ${minutes} simulated minutes (${JSON.stringify(counts)})`);
  }, 600_000);
});
