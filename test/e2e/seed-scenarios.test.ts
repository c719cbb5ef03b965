/**
 * The seeds' scenarios end to end, as a newcomer runs them with `npm start`: commands typed into the local
 * Slack page and buttons clicked there (the page's own request path), through the local API Gateway front
 * door to the real Slack handler, the worker, the bed's API server and Prometheus. Time is compressed: the
 * traffic simulator writes each simulated minute of traffic, then the bot ticks.
 */
import * as k8s from '@kubernetes/client-node';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { silentLogger } from '../../src/app/logger.js';
import { pageDriver } from './support/page-driver.js';

const alice = 'U0ALICE001';
const bob = 'U0BOB00001';
let stack: LocalStack;
const clock = { now: Math.floor(Date.now() / 60_000) * 60_000 - 45 * 60_000 };

type Vs = {
  spec: {
    http: {
      name?: string;
      match?: unknown[];
      route?: { destination: { host: string; subset?: string }; weight?: number }[];
      mirror?: unknown;
      mirrorPercentage?: unknown;
    }[];
  };
};

const drive = pageDriver(() => stack, clock);
const { type, advance } = drive;
const release = drive.release;
const click = drive.click;
const until = drive.until;

/** Where a sample app of the stack runs. */
function namespaceOf(app: 'weather' | 'two-host'): string {
  const namespace = stack.namespaces[app];
  if (!namespace) throw new Error(`the stack runs no ${app}`);
  return namespace;
}

async function vs(namespace: string, name: string): Promise<Vs> {
  return (await stack.admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'virtualservices',
    name,
  })) as Vs;
}

const weights = (v: Vs) =>
  Object.fromEntries(
    (v.spec.http.at(-1)?.route ?? []).map((r) => [
      r.destination.subset ?? r.destination.host,
      r.weight ?? 100,
    ]),
  );

/** Requests per version in Prometheus over the last `minutes` of simulated time. */
async function requestsByVersion(
  namespace: string,
  service: string,
  minutes: number,
): Promise<Record<string, number>> {
  const query = `sum by (destination_version)(increase(istio_requests_total{reporter="destination",destination_workload_namespace="${namespace}",destination_service_name="${service}"}[${minutes}m]))`;
  const url = `${stack.bed.prometheus.url}/api/v1/query?${new URLSearchParams({ query, time: String(clock.now / 1000) })}`;
  const body = (await (await fetch(url)).json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return Object.fromEntries(
    body.data.result.map((r) => [r.metric.destination_version ?? '', Math.round(Number(r.value[1]))]),
  );
}

beforeAll(async () => {
  stack = await startLocalStack({
    mode: 'manual',
    namespaces: {
      bookinfo: uniqueNamespace('e2e-bookinfo'),
      weather: uniqueNamespace('e2e-weather'),
      'two-host': uniqueNamespace('e2e-apps'),
    },
    clock: () => new Date(clock.now),
    log: silentLogger,
  });
  // The seed's reviews v2 and v3 are a little slower than v1; a healthy canary here is one that is not.
  for (const version of ['v2', 'v3']) {
    stack.simulator.setBehaviour(stack.namespaces.bookinfo, 'reviews', version, {
      latency: { kind: 'lognormal', medianMs: 20, p99Ms: 100 },
    });
  }
  // 40 req/s into Bookinfo, so that a 50% canary step has enough requests to pass in minutes.
  stack.simulator.setRate(stack.namespaces.bookinfo, 'productpage', 40);
  await stack.simulate(new Date(clock.now));
});

afterAll(async () => {
  await stack?.close();
});

describe('seed scenarios through the local Slack page', () => {
  it('A/B: requests of end-user jason go to reviews v2, everyone else stays on v1', async () => {
    const ns = stack.namespaces.bookinfo;
    await type(bob, `/canary ab reviews v2 --ns ${ns} --header end-user=jason`);
    await click(alice, ns, 'reviews', 'release.approve');
    await advance(3);

    const route = (await vs(ns, 'reviews')).spec.http.find((r) => r.name?.startsWith('canary-bot-'));
    expect(route?.match).toEqual([{ headers: { 'end-user': { exact: 'jason' } } }]);
    // productpage sends 10% of its requests as jason; reviews v2 gets exactly those.
    const served = await requestsByVersion(ns, 'reviews', 2);
    expect(served.v2! / (served.v1! + served.v2!)).toBeCloseTo(0.1, 2);

    await click(bob, ns, 'reviews', 'release.cancel');
    expect((await release(ns, 'reviews')).phase).toBe('cancelled');
    expect((await vs(ns, 'reviews')).spec.http.some((r) => r.name?.startsWith('canary-bot-'))).toBe(false);
  });

  it('mirror: reviews v2 gets a shadow copy of every request, then the mirror ends', async () => {
    const ns = stack.namespaces.bookinfo;
    await type(bob, `/canary mirror reviews v2 --ns ${ns} --percent 100`);
    await click(alice, ns, 'reviews', 'release.approve');
    await advance(2);

    expect((await vs(ns, 'reviews')).spec.http.at(-1)).toMatchObject({
      mirror: { host: 'reviews', subset: 'v2' },
      mirrorPercentage: { value: 100 },
    });
    const served = await requestsByVersion(ns, 'reviews', 1);
    expect(served.v2).toBe(served.v1);

    // Ending the shadow test early: cancel restores the route as it was, without the mirror.
    await click(bob, ns, 'reviews', 'release.cancel');
    expect((await release(ns, 'reviews')).phase).toBe('cancelled');
    expect((await vs(ns, 'reviews')).spec.http.at(-1)?.mirror).toBeUndefined();
  });

  it('canary: reviews v1 -> v3 at 50/50, then 100, after two approvals', async () => {
    const ns = stack.namespaces.bookinfo;
    await type(bob, `/canary start reviews v3 --ns ${ns} --steps 50,100`);
    await click(alice, ns, 'reviews', 'release.approve');
    expect(weights(await vs(ns, 'reviews'))).toEqual({ v1: 50, v3: 50 });

    await until(ns, 'reviews', 'awaiting-approval');
    await click(alice, ns, 'reviews', 'release.approve');
    await until(ns, 'reviews', 'promoted');

    expect(weights(await vs(ns, 'reviews'))).toEqual({ v1: 0, v3: 100 });
  });

  it('rolls a bad canary back by itself and restores the route exactly', async () => {
    const ns = stack.namespaces.bookinfo;
    const before = await vs(ns, 'reviews');
    stack.simulator.setBehaviour(ns, 'reviews', 'v2', { errorRate: 0.05 });
    await type(bob, `/canary start reviews v2 --ns ${ns} --steps 50,100`);
    await click(alice, ns, 'reviews', 'release.approve');

    const ended = await until(ns, 'reviews', 'rolled-back', 6);

    expect(ended.lastVerdict?.verdict).toBe('fail');
    expect(JSON.stringify((await vs(ns, 'reviews')).spec)).toBe(JSON.stringify(before.spec));
  });

  it("weather: a user=tester cookie route to frontend v2, and forecast v2 pinned for frontend v2's calls", async () => {
    const ns = namespaceOf('weather');
    await type(bob, `/canary ab frontend v2 --ns ${ns} --cookie 'user=tester'`);
    await click(alice, ns, 'frontend', 'release.approve');
    await type(bob, `/canary start forecast v2 --ns ${ns} --with frontend=v2 --steps 50,100`);
    await click(alice, ns, 'forecast', 'release.approve');

    const frontend = (await vs(ns, 'frontend')).spec.http.find((r) => r.name?.startsWith('canary-bot-'));
    expect(frontend?.match).toEqual([{ headers: { cookie: { regex: '^(.*?;\\s*)?(user=tester)(;.*)?$' } } }]);
    const pin = (await vs(ns, 'forecast')).spec.http.find((r) => r.name?.startsWith('canary-bot-'));
    expect(pin).toMatchObject({
      match: [{ sourceLabels: { app: 'frontend', version: 'v2' } }],
      route: [{ destination: { host: 'forecast', subset: 'v2' } }],
    });
    expect(weights(await vs(ns, 'forecast'))).toEqual({ v1: 50, v2: 50 });
  });

  it('two hosts: apps-svc-v1 / apps-svc-v2 at 90/10, and the traffic follows', async () => {
    const ns = namespaceOf('two-host');
    await type(bob, `/canary start apps-svc-all v2 --ns ${ns} --steps 10,100`);
    await click(alice, ns, 'apps-svc-all', 'release.approve');
    await advance(2);

    expect(weights(await vs(ns, 'apps-svc-all'))).toEqual({ 'apps-svc-v1': 90, 'apps-svc-v2': 10 });
    const served = await requestsByVersion(ns, 'apps-svc-v2', 1);
    const all = await requestsByVersion(ns, 'apps-svc-v1', 1);
    expect(served.v2! / (served.v2! + all.v1!)).toBeCloseTo(0.1, 2);
  });
});
