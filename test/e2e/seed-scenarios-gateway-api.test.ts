/**
 * The seeds' scenarios on Gateway API HTTPRoutes, through the same path as `npm start`: commands typed into
 * the local Slack page and buttons clicked there, the real Slack handler and worker built from the
 * environment, the bot's least-privilege identity (infra/k8s/rbac.yaml) on the bed's API server, and the
 * traffic simulator obeying the HTTPRoute as Gateway API defines it. Bookinfo runs with a Service per reviews
 * version and an HTTPRoute attached to the reviews Service (infra/samples/bookinfo-gw.yaml); its `health`
 * rule belongs to nobody and must come through every release byte for byte.
 */
import * as k8s from '@kubernetes/client-node';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { silentLogger } from '../../src/app/logger.js';
import type { Release } from '../../src/domain/release/index.js';
import { pageDriver } from './support/page-driver.js';

const alice = 'U0ALICE001';
const bob = 'U0BOB00001';
let stack: LocalStack;
let ns: string;
const clock = { now: Math.floor(Date.now() / 60_000) * 60_000 - 45 * 60_000 };

interface Rule {
  name?: string;
  matches?: { path?: unknown; headers?: { type?: string; name: string; value: string }[] }[];
  filters?: {
    type: string;
    requestMirror?: { backendRef: { name: string }; percent?: number; fraction?: unknown };
  }[];
  backendRefs?: { name: string; port?: number; weight?: number }[];
}
interface Route {
  metadata: k8s.V1ObjectMeta;
  spec: { parentRefs: unknown[]; rules: Rule[] };
}

const drive = pageDriver(() => stack, clock);
const { type, advance } = drive;
const release = (service = 'reviews') => drive.release(ns, service);
const click = (user: string, actionId: string) => drive.click(user, ns, 'reviews', actionId);
const until = (phase: Release['phase'], minutes?: number) => drive.until(ns, 'reviews', phase, minutes);

const custom = () => stack.admin.makeApiClient(k8s.CustomObjectsApi);
const routeRef = () => ({
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  namespace: ns,
  plural: 'httproutes',
  name: 'reviews',
});

async function route(): Promise<Route> {
  return (await custom().getNamespacedCustomObject(routeRef())) as Route;
}

const owned = (r: Route) => r.spec.rules.find((rule) => rule.name?.startsWith('canary-bot-'));
const health = (r: Route) => JSON.stringify(r.spec.rules.find((rule) => rule.name === 'health'));

/** Shares of the owned rule's backends, in percent of their sum (Gateway API weights are relative). */
function shares(r: Route): Record<string, number> {
  const backends = owned(r)?.backendRefs ?? [];
  const total = backends.reduce((sum, b) => sum + (b.weight ?? 1), 0);
  return Object.fromEntries(backends.map((b) => [b.name, Math.round((100 * (b.weight ?? 1)) / total)]));
}

async function requestsByWorkload(minutes: number): Promise<Record<string, number>> {
  const query = `sum by (destination_workload)(increase(istio_requests_total{reporter="destination",destination_workload_namespace="${ns}",destination_app="reviews"}[${minutes}m]))`;
  const url = `${stack.bed.prometheus.url}/api/v1/query?${new URLSearchParams({ query, time: String(clock.now / 1000) })}`;
  const body = (await (await fetch(url)).json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return Object.fromEntries(
    body.data.result.map((r) => [r.metric.destination_workload ?? '', Math.round(Number(r.value[1]))]),
  );
}

let original: Route;

beforeAll(async () => {
  ns = uniqueNamespace('e2e-bookinfo-gw');
  stack = await startLocalStack({
    mode: 'manual',
    apps: ['bookinfo', 'bookinfo-gw'],
    namespaces: { bookinfo: uniqueNamespace('e2e-bookinfo'), 'bookinfo-gw': ns },
    clock: () => new Date(clock.now),
    log: silentLogger,
  });
  for (const version of ['v2', 'v3'])
    stack.simulator.setBehaviour(ns, 'reviews', version, {
      latency: { kind: 'lognormal', medianMs: 20, p99Ms: 100 },
    });
  stack.simulator.setRate(ns, 'productpage', 40);
  await stack.simulate(new Date(clock.now));
  original = await route();
});

afterAll(async () => {
  await stack?.close();
});

afterEach(async () => {
  // Whatever a scenario did, the rule nobody owns is as it was.
  expect(health(await route())).toBe(health(original));
});

describe('seed scenarios on an HTTPRoute, through the local Slack page', () => {
  it('canary 10/50/100 with approvals: the bot finds the HTTPRoute, splits by relative weights, traffic follows', async () => {
    await type(bob, `/canary start reviews v2 --ns ${ns} --steps 10,50`);
    expect((await release()).target).toMatchObject({ api: 'HTTPRoute', virtualService: 'reviews' });
    await click(alice, 'release.approve');
    expect(shares(await route())).toEqual({ 'reviews-v1': 90, 'reviews-v2': 10 });

    await advance(2);
    const served = await requestsByWorkload(1);
    expect(served['reviews-v2']! / (served['reviews-v1']! + served['reviews-v2']!)).toBeCloseTo(0.1, 1);

    await until('awaiting-approval');
    await click(alice, 'release.approve');
    expect(shares(await route())).toEqual({ 'reviews-v1': 50, 'reviews-v2': 50 });
    await until('awaiting-approval');
    await click(alice, 'release.approve');
    const done = await until('promoted');
    expect(done.confirmedWeights.find((w) => w.destination.host === 'reviews-v2')?.weight).toBe(100);
    expect(shares(await route())).toMatchObject({ 'reviews-v2': 100 });
  });

  it('A/B by header: end-user jason goes to v3, everyone else stays; cancel removes the rule', async () => {
    const before = await route();
    await type(bob, `/canary ab reviews v3 --ns ${ns} --header end-user=jason --from v2`);
    await click(alice, 'release.approve');
    await advance(3);

    expect(owned(await route())?.matches?.[0]?.headers).toEqual([
      { type: 'Exact', name: 'end-user', value: 'jason' },
    ]);
    // productpage sends 10% of its requests as jason; they reach v3 although the catch-all rule is first.
    const served = await requestsByWorkload(2);
    expect(served['reviews-v3']! / (served['reviews-v2']! + served['reviews-v3']!)).toBeCloseTo(0.1, 2);

    await click(bob, 'release.cancel');
    expect((await release()).phase).toBe('cancelled');
    expect((await route()).spec).toEqual(before.spec);
  });

  it('A/B by cookie: a regex on the Cookie header, cancelled back to the route as it was', async () => {
    const before = await route();
    await type(bob, `/canary ab reviews v3 --ns ${ns} --cookie 'user=tester' --from v2`);
    await click(alice, 'release.approve');
    expect(owned(await route())?.matches?.[0]?.headers).toEqual([
      { type: 'RegularExpression', name: 'Cookie', value: '^(.*?;\\s*)?(user=tester)(;.*)?$' },
    ]);
    await click(bob, 'release.cancel');
    expect((await route()).spec).toEqual(before.spec);
  });

  it('mirror at 20%: v3 gets a copy of a fifth of the requests, then the mirror ends', async () => {
    const before = await route();
    await type(bob, `/canary mirror reviews v3 --ns ${ns} --percent 20 --from v2`);
    await click(alice, 'release.approve');
    await advance(2);

    const mirror = owned(await route())?.filters?.find((f) => f.type === 'RequestMirror');
    expect(mirror?.requestMirror?.backendRef.name).toBe('reviews-v3');
    const served = await requestsByWorkload(1);
    expect(served['reviews-v3']! / served['reviews-v2']!).toBeCloseTo(0.2, 1);

    await click(bob, 'release.cancel');
    expect((await route()).spec).toEqual(before.spec);
  });

  it('blue/green: everything switches to v3 at once after one approval', async () => {
    await type(bob, `/canary switch reviews v3 --ns ${ns} --from v2`);
    await click(alice, 'release.approve');
    expect(shares(await route())).toMatchObject({ 'reviews-v3': 100 });
    await advance(2);
    const served = await requestsByWorkload(1);
    expect(served['reviews-v2'] ?? 0).toBe(0);
    expect(served['reviews-v3']).toBeGreaterThan(0);
    await until('promoted');
  });

  it('rolls a bad canary back by itself and restores the HTTPRoute exactly', async () => {
    const before = await route();
    stack.simulator.setBehaviour(ns, 'reviews', 'v1', { errorRate: 0.05 });
    await type(bob, `/canary start reviews v1 --ns ${ns} --steps 50,100 --from v3`);
    await click(alice, 'release.approve');

    const ended = await until('rolled-back', 6);

    expect(ended.lastVerdict?.verdict).toBe('fail');
    expect((await route()).spec).toEqual(before.spec);
    stack.simulator.setBehaviour(ns, 'reviews', 'v1', { errorRate: 0 });
  });

  it('reports a hand edit of the owned rule as drift and leaves it alone', async () => {
    await type(bob, `/canary start reviews v2 --ns ${ns} --steps 10,100 --from v3`);
    await click(alice, 'release.approve');
    const live = await route();
    const rule = owned(live);
    if (!rule?.backendRefs) throw new Error('no owned rule');
    for (const backend of rule.backendRefs) backend.weight = 1; // someone "fixes" it to 50/50 by hand
    await custom().replaceNamespacedCustomObject({ ...routeRef(), body: live });

    await advance(1);

    const halted = await release();
    expect(halted.phase).toBe('paused');
    expect(halted.pause?.reason).toBe('drift');
    expect(shares(await route())).toEqual({ 'reviews-v3': 50, 'reviews-v2': 50 });
    await click(bob, 'release.cancel');
  });

  it('refuses a service routed by both a VirtualService and an HTTPRoute, unless --via says which', async () => {
    const vsRef = { group: 'networking.istio.io', version: 'v1', namespace: ns, plural: 'virtualservices' };
    await custom().createNamespacedCustomObject({
      ...vsRef,
      body: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'reviews', namespace: ns },
        spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews-v3' } }] }] },
      },
    });
    const before = await release();
    const routeBefore = await route();

    await type(bob, `/canary start reviews v1 --ns ${ns} --from v3`);

    const answers = await stack.emulator.messages({ channel: 'C0RELEASES', ephemeral: true, visibleTo: bob });
    expect(answers.at(-1)?.text).toContain(
      'Both a VirtualService and an HTTPRoute named "reviews" exist in namespace',
    );
    expect((await release()).id).toBe(before.id);
    expect((await route()).spec).toEqual(routeBefore.spec);

    await type(bob, `/canary start reviews v1 --ns ${ns} --from v3 --via httproute`);
    const chosen = await release();
    expect(chosen.id).not.toBe(before.id);
    expect(chosen.target.api).toBe('HTTPRoute');
    // The other API cannot take the same service meanwhile.
    await type(bob, `/canary start reviews v1 --ns ${ns} --from v3 --via virtualservice`);
    expect(
      (await stack.emulator.messages({ channel: 'C0RELEASES', ephemeral: true, visibleTo: bob })).at(-1)
        ?.text,
    ).toContain(`already has an active release (${chosen.id}) through its HTTPRoute`);
    expect((await release()).id).toBe(chosen.id);
    await click(bob, 'release.cancel');
    await custom().deleteNamespacedCustomObject({ ...vsRef, name: 'reviews' });
  });

  it('a --with pin is refused with a sentence on an HTTPRoute and on a VirtualService behind a waypoint', async () => {
    const ephemeral = async () =>
      (await stack.emulator.messages({ channel: 'C0RELEASES', ephemeral: true, visibleTo: bob })).at(-1)
        ?.text;
    const before = await release();
    await type(bob, `/canary start reviews v1 --ns ${ns} --from v3 --with productpage=v1`);
    expect(await ephemeral()).toContain(
      "--with productpage=v1 pins callers by their pods' labels, which an HTTPRoute cannot express",
    );
    expect((await release()).id).toBe(before.id);

    // The sidecar Bookinfo: the same pin is accepted there, until its reviews Service uses a waypoint.
    const sidecars = stack.namespaces.bookinfo;
    const core = stack.admin.makeApiClient(k8s.CoreV1Api);
    const label = (value: string | null) =>
      core.patchNamespacedService(
        {
          name: 'reviews',
          namespace: sidecars,
          body: { metadata: { labels: { 'istio.io/use-waypoint': value } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await label('reviews-waypoint');
    await type(bob, `/canary start reviews v2 --ns ${sidecars} --with productpage=v1`);
    expect(await ephemeral()).toContain(
      'which the waypoint reviews-waypoint in front of this service ignores',
    );
    expect(await stack.bot.worker.deps.store.history(sidecars, 'reviews', 1)).toEqual([]);
    await label(null);
  });
});
