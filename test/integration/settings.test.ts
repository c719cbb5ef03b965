/**
 * The deployment as the README documents it: the real handlers built from an environment written exactly as
 * the configuration table and "Deploy to AWS" write it (a clusters JSON with one Prometheus per cluster and
 * no top-level one, a policy, release options with a per-namespace override), then each setting's effect on
 * the bed:
 *
 * - two clusters with two Prometheus servers: each release is judged from its own cluster's;
 * - `onFailure: pause` for one namespace: its bad canary halts instead of rolling back;
 * - a short `approvalExpirySeconds`: an unanswered approval request expires and the tick posts it again, once;
 * - one cluster's Prometheus unreachable mid-analysis: a Warning in the thread, "unjudged since" on the card,
 *   approvers asked to decide; and back to the analysis once Prometheus answers again.
 */
import { type HttpFaultProxy, startHttpFaultProxy } from '../../local/bed/fault-proxy.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { type BedProcess, stopProcess } from '../../local/bed/processes.js';
import { startPrometheus } from '../../local/bed/prometheus.js';
import type { LocalBot } from '../../local/bot.js';
import type { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import { silentLogger } from '../../src/app/logger.js';
import { actOnRelease } from '../../src/app/release-actions.js';
import type { Release } from '../../src/domain/release/index.js';
import { alice, prepareReviewsBed, type ReviewsBed, SimulatedMinutes } from './support/reviews-bed.js';

let setup: ReviewsBed;
let bot: LocalBot;
let proxy: HttpFaultProxy;
let secondPrometheus: BedProcess | undefined;
const prod = uniqueNamespace('set-prod');
const staging = uniqueNamespace('set-staging');
const home = uniqueNamespace('set-bot');
const time = new SimulatedMinutes(50);
const simulators: MeshTrafficSimulator[] = [];

/** Traffic of one namespace's reviews written into one Prometheus, following the live VirtualService. */
function traffic(namespace: string, prometheusUrl: string, canaryErrorRate: number) {
  return setup.simulator([namespace], prometheusUrl, {
    rps: 40,
    medianMs: 20,
    p99Ms: 80,
    errorRate: (version) => (version === 'v2' ? canaryErrorRate : 0),
  });
}

/** Simulated minutes: traffic into both Prometheus servers, then a tick and the workers' jobs, each. */
async function advance(minutes = 1): Promise<void> {
  for (let i = 0; i < minutes; i++) await time.advance(bot, simulators);
}

const release = (id: string) => setup.release(id);

async function until(id: string, done: (r: Release) => boolean, minutes = 12): Promise<Release> {
  await setup.advanceWhile(id, advance, (r) => !done(r), minutes);
  const current = await release(id);
  if (!done(current))
    throw new Error(
      `release ${id} is ${current.phase}: ${current.lastVerdict?.reasons.map((r) => r.message).join('; ')}`,
    );
  return current;
}

function start(namespace: string, cluster?: string): Promise<Release> {
  return setup.start({ kind: 'canary', namespace, steps: [10, 100], ...(cluster ? { cluster } : {}) });
}

/** The messages of a release's thread in the Slack emulator. */
async function thread(id: string): Promise<string[]> {
  return (await setup.messages(id, 'thread')).map((m) => m.text);
}

async function card(id: string): Promise<string> {
  const [message] = await setup.messages(id, 'card');
  return JSON.stringify(message?.blocks ?? []);
}

beforeAll(async () => {
  setup = await prepareReviewsBed('settings', [prod, staging], home);
  const { bed, work, kubeconfig } = setup;
  // The staging cluster's own Prometheus, reached through a proxy that can make it unreachable.
  const second = await startPrometheus(work, (p) => {
    secondPrometheus = p;
  });
  proxy = await startHttpFaultProxy(second.url);
  simulators.push(await traffic(prod, bed.prometheus.url, 0), await traffic(staging, second.url, 0.3));
  await time.backfill(simulators);
  // The README's settings, as the deployment writes them: clusters.json with one Prometheus per cluster
  // (none at the top level), the default cluster, a policy, and release options with a namespace's own.
  const clusters = {
    prod: { kube: { mode: 'kubeconfig', path: kubeconfig }, prometheus: { url: bed.prometheus.url } },
    staging: { kube: { mode: 'kubeconfig', path: kubeconfig }, prometheus: { url: proxy.url, retries: 0 } },
  };
  bot = await setup.startBot(
    {
      CANARY_BOT_CLUSTERS: JSON.stringify(clusters),
      CANARY_BOT_DEFAULT_CLUSTER: 'prod',
      CANARY_BOT_DEFAULT_NAMESPACE: prod,
      CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({
        minAnalysisSeconds: 120,
        maxAnalysisSeconds: 1200,
        approvalExpirySeconds: 180,
        namespaces: { [staging]: { onFailure: 'pause' } },
      }),
    },
    silentLogger,
    time,
  );
}, 240_000);

afterAll(async () => {
  await bot?.close();
  await proxy?.close();
  if (secondPrometheus) await stopProcess(secondPrometheus.pid);
  await setup?.close();
});

describe('the deployment built from the README settings', () => {
  let prodRelease: string;
  let stagingRelease: string;

  it("judges each release from its own cluster's Prometheus, and applies a namespace's own onFailure", async () => {
    // Prepare: the same canary in both clusters; only staging's Prometheus sees v2 failing.
    prodRelease = (await start(prod)).id;
    stagingRelease = (await start(staging, 'staging')).id;
    await setup.approve(prodRelease);
    await setup.approve(stagingRelease);
    // Act
    const healthy = await until(prodRelease, (r) => r.phase === 'awaiting-approval' && r.currentStep === 1);
    const bad = await until(stagingRelease, (r) => r.phase === 'paused');
    // Assess
    expect(healthy.lastVerdict?.verdict).toBe('pass');
    expect(healthy.meta.cluster).toBe('prod');
    expect(bad).toMatchObject({
      phase: 'paused',
      pause: { reason: 'failed-analysis' },
      meta: { cluster: 'staging' },
    });
    expect(bad.options.onFailure).toBe('pause');
    expect(healthy.options).toMatchObject({
      onFailure: 'rollback',
      minAnalysisSeconds: 120,
      approvalExpirySeconds: 180,
    });
    // Paused, not rolled back: the canary still has its 10%.
    expect(bad.confirmedWeights.map((w) => w.weight)).toEqual([90, 10]);
  });

  it('posts an expired approval request again, once, with the card updated', async () => {
    // Prepare
    const waiting = await release(prodRelease);
    const first = waiting.approvalRequest;
    // Act: past the 180 s expiry, then past the renewed request's own.
    await advance(4);
    const renewed = await release(prodRelease);
    await advance(4);
    const later = await release(prodRelease);
    // Assess
    expect(renewed.approvalRequest).toMatchObject({ step: 1, renewed: true });
    expect(renewed.approvalRequest?.stateVersion).toBeGreaterThan(first?.stateVersion ?? 0);
    expect(later.approvalRequest).toEqual(renewed.approvalRequest);
    const expired = (await thread(prodRelease)).filter((t) => t.includes('approval request expired'));
    expect(expired).toHaveLength(1);
    expect(await card(prodRelease)).toContain('posted again');
  });

  it("says loudly when a cluster's Prometheus cannot be read, asks approvers, and resumes judging when it is back", async () => {
    // Prepare: a healthy canary in staging, analysing.
    await actOnRelease(
      bot.worker.deps,
      stagingRelease,
      { action: 'cancel', stateVersion: (await release(stagingRelease)).version },
      alice,
    );
    await bot.settled();
    simulators[1]?.setBehaviour(staging, 'reviews', 'v2', { errorRate: 0 });
    const id = (await start(staging, 'staging')).id;
    await setup.approve(id);
    await advance(1);
    expect((await release(id)).phase).toBe('analysing');
    // Act: Prometheus of staging refuses every query for three ticks.
    proxy.set(() => ({ status: 503, body: 'unavailable' }));
    await advance(3);
    const unjudged = await release(id);
    const cardWhileDown = await card(id);
    proxy.set(() => undefined);
    await advance(1);
    const back = await release(id);
    // Assess
    expect(unjudged).toMatchObject({
      phase: 'awaiting-approval',
      approvalRequest: { unjudged: 'unreadable' },
    });
    expect(unjudged.analysis?.unreadableTicks).toBe(3);
    const lines = await thread(id);
    expect(
      lines.some((t) =>
        /unjudged since \d\d:\d\d UTC: Prometheus is unavailable: it answered HTTP 503/i.test(t),
      ),
    ).toBe(true);
    // Where Prometheus lives stays in the logs.
    expect([...lines, cardWhileDown].join('\n')).not.toContain(new URL(proxy.url).host);
    expect(cardWhileDown).toContain('Unjudged since');
    expect(cardWhileDown).toContain('the metrics could not be read');
    expect(back.phase).toBe('analysing');
    expect(back.analysis?.unreadableSince).toBeUndefined();
    expect(lines.length).toBeGreaterThan(0);
    expect((await thread(id)).some((t) => t.includes('the metrics can be read again'))).toBe(true);
  });
});
