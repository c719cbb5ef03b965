/**
 * HttpRouteTrafficRouter on the bed's kube-apiserver (Gateway API CRDs v1.6.3), acting as a bot whose
 * role allows only what the router needs. The team's rules, filters, timeouts, parentRefs and annotations
 * must survive every change byte for byte.
 *
 * The route here has no Gateway API controller (it is labelled for a control-plane revision the bed does not
 * run, so the bed's pilot leaves it alone): its status is what these tests write, for the refusals a real
 * controller cannot be made to produce. The real controller's verdicts are in mesh-http-route-verdict.test.ts.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { noControllerLabels } from '../../local/bed/istiod.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { DriftError } from '../../src/app/ports/mesh-errors.js';
import type { RouteRef } from '../../src/app/ports/traffic-router.js';
import type { Fence, MatchRoute, MeshTarget, MirrorTarget } from '../../src/domain/release/index.js';
import type { HTTPRoute, HTTPRouteRule } from '../../src/domain/routing/http-route.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';
import type { WeightedDestination } from '../../src/domain/routing/virtual-service.js';
import { HttpRouteTrafficRouter, NoVerdictError } from '../../src/mesh/gateway/http-route-router.js';
import { OWNER_ANNOTATION } from '../../src/mesh/istio/istio-router.js';
import { deployVersionServices } from '../support/version-services.js';

const namespace = uniqueNamespace('http-route');
const home = uniqueNamespace('http-route-bot');
const where = { group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'httproutes' };

let bed: BedState;
let admin: k8s.KubeConfig;
let custom: k8s.CustomObjectsApi;
let botConfig: k8s.KubeConfig;
let router: HttpRouteTrafficRouter;

/** What the router needs and nothing more. */

const reviews: RouteRef = { namespace, name: 'reviews', route: { kind: 'default' } };
const v = (version: string, weight: number): WeightedDestination => ({
  destination: { host: `reviews-${version}` },
  weight,
});

let stateVersion = 0;
function fence(extra: Partial<Fence> = {}): Fence {
  stateVersion += 1;
  return { release: 'r1', stateVersion, final: false, ...extra };
}

function weightsTarget(
  weights: readonly WeightedDestination[],
  options: {
    routes?: MatchRoute[];
    mirror?: MirrorTarget;
    expected?: WeightedDestination[];
    fence?: Fence;
  } = {},
): MeshTarget {
  const f = options.fence ?? fence();
  return {
    revision: 1,
    owned: { kind: 'weights', weights, ...(options.mirror ? { mirror: options.mirror } : {}) },
    routes: options.routes ?? [],
    routePrefix: `canary-bot-${f.release}-`,
    ...(options.expected ? { expected: options.expected } : {}),
    fence: f,
  };
}

/** The team's rules: a debug rule with a filter and a timeout, and the catch-all with its own timeout. */
const teamRules: HTTPRouteRule[] = [
  {
    name: 'team-debug',
    matches: [{ path: { type: 'PathPrefix', value: '/debug' }, headers: [{ name: 'x-debug', value: '1' }] }],
    filters: [
      {
        type: 'RequestHeaderModifier',
        requestHeaderModifier: { set: [{ name: 'x-route', value: 'debug' }] },
      },
    ],
    backendRefs: [{ name: 'reviews-v3', port: 9080 }],
    timeouts: { request: '10s' },
  },
  { name: 'main', backendRefs: [{ name: 'reviews-v1', port: 9080 }], timeouts: { request: '5s' } },
];

async function readRoute(): Promise<HTTPRoute & { metadata: k8s.V1ObjectMeta }> {
  return (await custom.getNamespacedCustomObject({ ...where, name: 'reviews' })) as HTTPRoute & {
    metadata: k8s.V1ObjectMeta;
  };
}

async function editRoute(edit: (route: HTTPRoute) => HTTPRoute): Promise<void> {
  await custom.replaceNamespacedCustomObject({ ...where, name: 'reviews', body: edit(await readRoute()) });
}

const owned = (route: HTTPRoute, release = 'r1') =>
  route.spec.rules?.find((r) => r.name === `canary-bot-${release}`);
const team = (route: HTTPRoute) =>
  JSON.stringify(route.spec.rules?.filter((r) => !r.name?.startsWith('canary-bot-')));

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  await deployVersionServices(admin, namespace, [
    'reviews',
    'reviews-v1',
    'reviews-v2',
    'reviews-v3',
    { name: 'reviews-multi', ports: [9080, 9090] },
  ]);
  await custom.createNamespacedCustomObject({
    ...where,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: {
        name: 'reviews',
        namespace,
        labels: { ...noControllerLabels },
        annotations: { 'team.example.com/owner': 'reviews' },
      },
      spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }], rules: teamRules },
    },
  });
  botConfig = await botKubeConfig(bed, admin, home, [namespace], await botClusterRole());
  router = new HttpRouteTrafficRouter(botConfig);
});

afterAll(async () => {
  const core = admin?.makeApiClient(k8s.CoreV1Api);
  await Promise.all([namespace, home].map((name) => core?.deleteNamespace({ name }).catch(() => undefined)));
});

beforeEach(async () => {
  // Each test starts from the team's rules alone, no owner mark, no status.
  await editRoute((route) => {
    const { [OWNER_ANNOTATION]: _mark, ...annotations } = (route.metadata.annotations ?? {}) as Record<
      string,
      string
    >;
    return {
      ...route,
      metadata: { ...route.metadata, annotations },
      spec: { ...route.spec, rules: teamRules },
    };
  });
  const live = await readRoute();
  await custom.replaceNamespacedCustomObjectStatus({
    ...where,
    name: 'reviews',
    body: { ...live, status: { parents: [] } },
  });
});

describe('HttpRouteTrafficRouter on the real API server, as a least-privilege bot', () => {
  it('reads the catch-all rule and its weights', async () => {
    const snapshot = await router.readRoute(reviews);

    expect(snapshot.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(snapshot.index).toBe(1);
    expect(snapshot.weights).toEqual([v('v1', 100)]);
    expect(snapshot.owner).toBeUndefined();
  });

  it('runs a canary 10, 50, 100 in its own rule and restores the route exactly, the team rules untouched throughout', async () => {
    const before = await readRoute();
    const original = await router.readRoute(reviews);
    const seen: string[] = [];

    for (const [stable, canary] of [
      [90, 10],
      [50, 50],
      [0, 100],
    ] as const) {
      const after = await router.converge(reviews, weightsTarget([v('v1', stable), v('v2', canary)]));
      const live = await readRoute();
      expect(after.weights).toEqual([v('v1', stable), v('v2', canary)]);
      expect(owned(live)).toEqual({
        timeouts: { request: '5s' },
        name: 'canary-bot-r1',
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { group: '', kind: 'Service', name: 'reviews-v1', port: 9080, weight: stable * 10_000 },
          { group: '', kind: 'Service', name: 'reviews-v2', port: 9080, weight: canary * 10_000 },
        ],
      });
      seen.push(team(live));
    }
    await router.converge(reviews, {
      revision: 9,
      owned: { kind: 'original', route: original.route },
      routes: [],
      routePrefix: 'canary-bot-r1-',
      fence: fence(),
    });

    const after = await readRoute();
    expect(seen).toEqual([team(before), team(before), team(before)]);
    expect(JSON.stringify(after.spec)).toBe(JSON.stringify(before.spec));
    expect(after.metadata.annotations?.['team.example.com/owner']).toBe('reviews');
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 100)]);
  });

  it('switches blue/green in one write, the idle Service staying referenced at weight 0', async () => {
    await router.converge(reviews, weightsTarget([v('v1', 0), v('v2', 100)]));

    const live = await readRoute();
    expect(owned(live)?.backendRefs).toEqual([
      { group: '', kind: 'Service', name: 'reviews-v1', port: 9080, weight: 0 },
      { group: '', kind: 'Service', name: 'reviews-v2', port: 9080, weight: 1_000_000 },
    ]);
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 0), v('v2', 100)]);
  });

  it('routes A/B by header: only the matching requests go to the canary, the rest keep the catch-all', async () => {
    const ab: MatchRoute = {
      name: 'canary-bot-r1-ab',
      matches: [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }],
      destination: { host: 'reviews-v2' },
    };

    await router.converge(reviews, weightsTarget([v('v1', 100)], { routes: [ab] }));

    const live = await readRoute();
    expect(live.spec.rules?.map((r) => r.name)).toEqual(['canary-bot-r1', 'team-debug', 'main']);
    expect(owned(live)).toMatchObject({
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ type: 'Exact', name: 'end-user', value: 'jason' }],
        },
      ],
      backendRefs: [{ name: 'reviews-v2', port: 9080, weight: 1_000_000 }],
    });
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 100)]);
  });

  it('routes A/B by cookie, and by cookie or user agent as two matches of one rule', async () => {
    const ab: MatchRoute = {
      name: 'canary-bot-r1-ab',
      matches: [
        { kind: 'cookie', regex: cookieRegex('user=tester') },
        { kind: 'user-agent', regex: '.*Mobile.*' },
      ],
      destination: { host: 'reviews-v2' },
    };

    await router.converge(reviews, weightsTarget([v('v1', 100)], { routes: [ab] }));

    expect(owned(await readRoute())?.matches?.map((m) => m.headers)).toEqual([
      [{ type: 'RegularExpression', name: 'Cookie', value: '^(.*?;\\s*)?(user=tester)(;.*)?$' }],
      [{ type: 'RegularExpression', name: 'User-Agent', value: '.*Mobile.*' }],
    ]);
  });

  it('refuses an A/B rule that a more specific team rule would shadow, names the rule, and writes nothing', async () => {
    await editRoute((route) => ({
      ...route,
      spec: {
        ...route.spec,
        rules: [
          ...teamRules,
          {
            name: 'testers',
            matches: [{ method: 'GET', headers: [{ name: 'Cookie', value: 'user=tester' }] }],
            backendRefs: [{ name: 'reviews-v3', port: 9080 }],
          },
        ],
      },
    }));
    const before = await readRoute();
    const ab: MatchRoute = {
      name: 'canary-bot-r1-ab',
      matches: [{ kind: 'cookie', regex: cookieRegex('user=tester') }],
      destination: { host: 'reviews-v2' },
    };

    const attempt = router.converge(reviews, weightsTarget([v('v1', 100)], { routes: [ab] }));

    await expect(attempt).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(
        /with Cookie: user=tester go to rule "testers" of HTTPRoute .*, which Gateway API prefers/,
      ),
    });
    expect((await readRoute()).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('mirrors 20% of the traffic with a RequestMirror filter on the owned rule', async () => {
    await router.converge(
      reviews,
      weightsTarget([v('v1', 100)], { mirror: { destination: { host: 'reviews-v2' }, percent: 20 } }),
    );

    expect(owned(await readRoute())?.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: 'reviews-v2', port: 9080 },
          percent: 20,
        },
      },
    ]);
  });

  it('records a Flagger-style event on the HTTPRoute', async () => {
    const message = `Advance reviews.${namespace} canary weight 25`;
    await router.converge(reviews, weightsTarget([v('v1', 75), v('v2', 25)]), {
      event: { type: 'Normal', reason: 'Synced', message },
    });

    const events = await admin.makeApiClient(k8s.CoreV1Api).listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.kind=HTTPRoute,involvedObject.name=reviews',
    });
    expect(events.items.find((e) => e.message === message)).toMatchObject({
      type: 'Normal',
      reason: 'Synced',
      reportingComponent: 'canary-bot',
    });
  });

  it.each([
    [
      'a per-version Service that does not exist',
      [v('v1', 90), v('v9', 10)],
      'unknown-host',
      /there is no Service "reviews-v9" in namespace .*; an HTTPRoute sends each version to its own Service/,
    ],
    [
      'a DestinationRule subset',
      [v('v1', 90), { destination: { host: 'reviews', subset: 'v2' }, weight: 10 }],
      'unknown-subset',
      /reviews\/v2: an HTTPRoute sends each version to its own Service, not to a DestinationRule subset/,
    ],
    [
      'a Service with two ports and none named',
      [v('v1', 90), { destination: { host: 'reviews-multi' }, weight: 10 }],
      'invalid',
      /Service .*\/reviews-multi has ports 9080, 9090; an HTTPRoute backend needs one port/,
    ],
    [
      'weights that do not add up to 100',
      [v('v1', 90), v('v2', 5)],
      'invalid',
      /Shares must add up to 100, not 95/,
    ],
  ])('refuses %s with a sentence and writes nothing', async (_what, weights, code, message) => {
    const before = await readRoute();

    const attempt = router.converge(reviews, weightsTarget(weights as WeightedDestination[]));

    await expect(attempt).rejects.toMatchObject({
      name: 'MeshError',
      code,
      message: expect.stringMatching(message),
    });
    expect((await readRoute()).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('refuses a sourceLabels pin with a sentence instead of dropping it', async () => {
    const before = await readRoute();
    const pin: MatchRoute = {
      name: 'canary-bot-r1-pin-frontend',
      matches: [{ kind: 'source', labels: { app: 'frontend', version: 'v2' } }],
      destination: { host: 'reviews-v2' },
    };

    const attempt = router.converge(reviews, weightsTarget([v('v1', 100)], { routes: [pin] }));

    await expect(attempt).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(
        /pins callers by their labels \(sourceLabels\), which an HTTPRoute cannot express.*refused rather than dropped/,
      ),
    });
    expect((await readRoute()).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('reports a hand edit of the owned rule as drift and leaves it alone', async () => {
    await router.converge(reviews, weightsTarget([v('v1', 90), v('v2', 10)]));
    await editRoute((route) => ({
      ...route,
      spec: {
        ...route.spec,
        rules: (route.spec.rules ?? []).map((r) =>
          r.name === 'canary-bot-r1'
            ? {
                ...r,
                backendRefs: r.backendRefs?.map((b, i) => ({ ...b, weight: i === 0 ? 700_000 : 300_000 })),
              }
            : r,
        ),
      },
    }));

    const attempt = router.converge(
      reviews,
      weightsTarget([v('v1', 50), v('v2', 50)], { expected: [v('v1', 90), v('v2', 10)] }),
    );

    await expect(attempt).rejects.toBeInstanceOf(DriftError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(
        /was changed outside the bot: expected reviews-v1=90, reviews-v2=10, found reviews-v1=70, reviews-v2=30/,
      ),
    });
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 70), v('v2', 30)]);
    expect(await router.checkDrift(reviews, [v('v1', 90), v('v2', 10)])).toMatch(
      /found reviews-v1=70, reviews-v2=30/,
    );
  });

  it("retries from a fresh read when another writer wins the race (409), keeping that writer's change", async () => {
    const attempts: number[] = [];
    const racing = new HttpRouteTrafficRouter(botConfig, {
      beforeWrite: async (attempt) => {
        attempts.push(attempt);
        if (attempt === 1)
          await editRoute((route) => ({
            ...route,
            spec: {
              ...route.spec,
              rules: (route.spec.rules ?? []).map((r) =>
                r.name === 'team-debug' ? { ...r, timeouts: { request: '7s' } } : r,
              ),
            },
          }));
      },
    });

    await racing.converge(reviews, weightsTarget([v('v1', 90), v('v2', 10)]));

    const live = await readRoute();
    expect(attempts).toEqual([1, 2]);
    expect(live.spec.rules?.find((r) => r.name === 'team-debug')?.timeouts).toEqual({ request: '7s' });
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 90), v('v2', 10)]);
  });

  it("halts with the controller's reason when the status refuses the generation written", async () => {
    const live = await readRoute();
    const next = (live.metadata.generation ?? 0) + 1;
    const condition = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      observedGeneration: next,
      lastTransitionTime: new Date().toISOString(),
    });
    await custom.replaceNamespacedCustomObjectStatus({
      ...where,
      name: 'reviews',
      body: {
        ...live,
        status: {
          parents: [
            {
              parentRef: { group: '', kind: 'Service', name: 'reviews', port: 9080 },
              controllerName: 'istio.io/gateway-controller',
              conditions: [
                condition('Accepted', 'True', 'Accepted', 'Route was valid'),
                condition('ResolvedRefs', 'False', 'BackendNotFound', 'backend(reviews-v2.x.svc) not found'),
              ],
            },
          ],
        },
      },
    });

    const attempt = router.converge(reviews, weightsTarget([v('v1', 90), v('v2', 10)]));

    await expect(attempt).rejects.toMatchObject({
      code: 'rejected',
      message: expect.stringMatching(
        /was written but does not route: istio.io\/gateway-controller could not resolve its backends on Service reviews \(BackendNotFound: backend\(reviews-v2.x.svc\) not found\)\. The route was put back as it was before this change\./,
      ),
    });
    // The refused change is undone: the rules and the owner mark are those read before it.
    const after = await readRoute();
    expect(after.spec.rules).toEqual(live.spec.rules);
    expect(after.metadata.annotations).toEqual(live.metadata.annotations);
  });

  it('does not wait on a route no controller has ever written status to (a cluster without a controller)', async () => {
    const started = Date.now();
    const after = await router.converge(reviews, weightsTarget([v('v1', 80), v('v2', 20)]));

    expect((await readRoute()).status?.parents ?? []).toEqual([]);
    expect(after.weights).toEqual([v('v1', 80), v('v2', 20)]);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('reports a verdict that never comes as its own error when told a controller serves the route', async () => {
    const expecting = new HttpRouteTrafficRouter(botConfig, {
      expectController: true,
      verdictTimeoutMs: 400,
    });

    const attempt = expecting.converge(reviews, weightsTarget([v('v1', 70), v('v2', 30)]));

    await expect(attempt).rejects.toBeInstanceOf(NoVerdictError);
    await expect(attempt).rejects.toMatchObject({
      code: 'verify-failed',
      message: expect.stringMatching(
        /^HTTPRoute .+\/reviews was written \(generation \d+\) but got no verdict from its Gateway API controller within 0.4 s \(no controller has written its status; is a Gateway API controller running\?\); the change is not confirmed to route yet\.$/,
      ),
    });
    expect(owned(await readRoute())?.backendRefs?.map((b) => b.weight)).toEqual([700_000, 300_000]);
  });
});

describe('fencing: the owner mark on the HTTPRoute', () => {
  it('writes the owner mark with the rule in one update, and does not write a converged route again', async () => {
    const target = weightsTarget([v('v1', 90), v('v2', 10)], {
      fence: { release: 'r1', stateVersion: 4, final: false },
    });

    await router.converge(reviews, target);
    const written = await readRoute();
    await router.converge(reviews, target);
    const again = await readRoute();

    expect(written.metadata.annotations?.[OWNER_ANNOTATION]).toMatch(/^r1\/4@[0-9a-f]{16}$/);
    expect(again.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
  });

  it('after a seal, refuses every later write of that release; a new release that saw the tombstone takes over the rule', async () => {
    await router.converge(
      reviews,
      weightsTarget([v('v1', 0), v('v2', 100)], { fence: { release: 'r1', stateVersion: 3, final: false } }),
    );
    await router.seal(reviews, { release: 'r1', stateVersion: 5, final: true });
    const sealed = await readRoute();

    const zombie = router.converge(
      reviews,
      weightsTarget([v('v1', 90), v('v2', 10)], { fence: { release: 'r1', stateVersion: 6, final: false } }),
    );
    await expect(zombie).rejects.toMatchObject({
      code: 'superseded',
      message: expect.stringMatching(/is over/),
    });
    expect((await readRoute()).metadata.resourceVersion).toBe(sealed.metadata.resourceVersion);

    const seen = await router.readRoute(reviews);
    const r7 = { release: 'r7', stateVersion: 2, final: false, predecessor: seen.owner ?? '' };
    await router.converge(reviews, weightsTarget([v('v2', 80), v('v3', 20)], { fence: r7 }));
    const taken = await readRoute();
    await router.converge(reviews, {
      revision: 3,
      owned: { kind: 'original', route: seen.route },
      routes: [],
      routePrefix: 'canary-bot-r7-',
      fence: { ...r7, stateVersion: 3 },
    });
    const back = await readRoute();

    expect(sealed.metadata.annotations?.[OWNER_ANNOTATION]).toMatch(/^r1\/5\/final@[0-9a-f]{16}$/);
    expect(seen.weights).toEqual([v('v1', 0), v('v2', 100)]);
    expect(taken.spec.rules?.map((r) => r.name)).toEqual(['canary-bot-r7', 'team-debug', 'main']);
    expect(JSON.stringify(back.spec.rules)).toBe(JSON.stringify(sealed.spec.rules));
  });

  it('refuses a write from an older state of the owning release', async () => {
    await router.converge(
      reviews,
      weightsTarget([v('v1', 75), v('v2', 25)], { fence: { release: 'r1', stateVersion: 9, final: false } }),
    );

    const late = router.converge(
      reviews,
      weightsTarget([v('v1', 90), v('v2', 10)], { fence: { release: 'r1', stateVersion: 7, final: false } }),
    );

    await expect(late).rejects.toMatchObject({
      code: 'superseded',
      message: expect.stringMatching(/already wrote version 9; this write is for version 7/),
    });
  });
});
