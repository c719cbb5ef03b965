import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { DriftError, MeshError } from '../../src/app/ports/mesh-errors.js';
import type { RouteRef } from '../../src/app/ports/traffic-router.js';
import type { Fence, MatchRoute, MeshTarget, MirrorTarget } from '../../src/domain/release/index.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';
import type {
  HttpRoute,
  VirtualServiceSpec,
  WeightedDestination,
} from '../../src/domain/routing/virtual-service.js';
import { IstioTrafficRouter, OWNER_ANNOTATION } from '../../src/mesh/istio/istio-router.js';

const bookinfo = uniqueNamespace('mesh-bookinfo');
const weather = uniqueNamespace('mesh-weather');
const apps = uniqueNamespace('mesh-apps');
const home = uniqueNamespace('mesh-bot');

let bed: BedState;
let admin: k8s.KubeConfig;
let custom: k8s.CustomObjectsApi;
let router: IstioTrafficRouter;
let botConfig: k8s.KubeConfig;

const reviews: RouteRef = { namespace: bookinfo, name: 'reviews', route: { kind: 'default' } };
const v = (subset: string, weight: number): WeightedDestination => ({
  destination: { host: 'reviews', subset },
  weight,
});

let version = 0;
/** A write by release r1 at a newer state version each time (unless told otherwise). */
function fence(extra: Partial<Fence> = {}): Fence {
  version += 1;
  return { release: 'r1', stateVersion: version, final: false, ...extra };
}

/** The owned route with these weights (and mirror), these routes of the release in front, r1's fence. */
function weightsTarget(
  weights: readonly WeightedDestination[],
  options: {
    routes?: MatchRoute[];
    mirror?: MirrorTarget;
    expected?: WeightedDestination[];
    fence?: Fence;
    prefix?: string;
  } = {},
): MeshTarget {
  return {
    revision: 1,
    owned: { kind: 'weights', weights, ...(options.mirror ? { mirror: options.mirror } : {}) },
    routes: options.routes ?? [],
    routePrefix: options.prefix ?? 'canary-bot-r1-',
    ...(options.expected ? { expected: options.expected } : {}),
    fence: options.fence ?? fence(),
  };
}

async function readVs(namespace: string, name: string) {
  return (await custom.getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'virtualservices',
    name,
  })) as {
    metadata: k8s.V1ObjectMeta;
    spec: VirtualServiceSpec;
  };
}

async function replaceVsSpec(
  namespace: string,
  name: string,
  edit: (spec: VirtualServiceSpec) => VirtualServiceSpec,
) {
  const vs = await readVs(namespace, name);
  await custom.replaceNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'virtualservices',
    name,
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: vs.metadata,
      spec: edit(vs.spec),
    },
  });
}

/** Routes someone else owns, with every kind of field the bot must never touch. */
const foreignRoutes: HttpRoute[] = [
  {
    name: 'team-debug',
    match: [{ headers: { 'x-debug': { exact: '1' } } }],
    route: [
      {
        destination: { host: 'reviews', subset: 'v3' },
        headers: { request: { set: { 'x-debug-route': 'yes' } } },
      },
    ],
    retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure' },
    timeout: '10s',
    fault: { delay: { fixedDelay: '1s', percentage: { value: 5 } } },
  },
  {
    name: 'team-uri',
    match: [{ uri: { prefix: '/internal' } }],
    route: [{ destination: { host: 'reviews', subset: 'v1' } }],
  },
];

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  await Promise.all([
    deploySample(admin, 'bookinfo', bookinfo),
    deploySample(admin, 'weather', weather),
    deploySample(admin, 'two-host', apps),
  ]);
  botConfig = await botKubeConfig(bed, admin, home, [bookinfo, weather, apps], await botClusterRole());
  router = new IstioTrafficRouter(botConfig);
});

afterAll(async () => {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all(
    [bookinfo, weather, apps, home].map((name) => core.deleteNamespace({ name }).catch(() => undefined)),
  );
});

beforeEach(async () => {
  // Each test starts from the sample's reviews route (all to v1), behind two routes the bot does not own,
  // with no owner mark.
  const vs = await readVs(bookinfo, 'reviews');
  const { [OWNER_ANNOTATION]: _mark, ...annotations } = vs.metadata.annotations ?? {};
  await custom.replaceNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: bookinfo,
    plural: 'virtualservices',
    name: 'reviews',
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { ...vs.metadata, annotations },
      spec: {
        ...vs.spec,
        http: [...foreignRoutes, { route: [{ destination: { host: 'reviews', subset: 'v1' } }] }],
      },
    },
  });
});

describe('IstioTrafficRouter on the real API server, as the least-privilege bot', () => {
  it('reads the owned default route and its weights', async () => {
    const snapshot = await router.readRoute(reviews);

    expect(snapshot.apiVersion).toBe('networking.istio.io/v1');
    expect(snapshot.index).toBe(2);
    expect(snapshot.weights).toEqual([v('v1', 100)]);
  });

  it('sets weights on the owned route only, keeping every other route byte for byte and in order', async () => {
    const before = await readVs(bookinfo, 'reviews');

    const after = await router.converge(reviews, weightsTarget([v('v1', 90), v('v2', 10)]));

    const live = await readVs(bookinfo, 'reviews');
    expect(after.weights).toEqual([v('v1', 90), v('v2', 10)]);
    expect(JSON.stringify(live.spec.http?.slice(0, 2))).toBe(JSON.stringify(before.spec.http?.slice(0, 2)));
    expect(live.spec.http?.[2]?.route).toEqual([
      { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
      { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
    ]);
    expect(live.spec.hosts).toEqual(before.spec.hosts);
  });

  it('routes by host when destinations differ by host (no subsets)', async () => {
    const ref: RouteRef = { namespace: apps, name: 'apps-svc-all', route: { kind: 'default' } };

    const after = await router.converge(
      ref,
      weightsTarget([
        { destination: { host: 'apps-svc-v1' }, weight: 90 },
        { destination: { host: 'apps-svc-v2' }, weight: 10 },
      ]),
    );

    expect(after.weights.map((w) => [w.destination.host, w.weight])).toEqual([
      ['apps-svc-v1', 90],
      ['apps-svc-v2', 10],
    ]);
  });

  it('switches blue/green 100% in one write', async () => {
    const before = await readVs(bookinfo, 'reviews');

    await router.converge(reviews, weightsTarget([v('v2', 100)]));

    const live = await readVs(bookinfo, 'reviews');
    expect(live.spec.http?.[2]?.route).toEqual([
      { destination: { host: 'reviews', subset: 'v2' }, weight: 100 },
    ]);
    expect(Number(live.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
  });

  it('adds an A/B header route just in front of the owned route, and removes it again', async () => {
    const ab: MatchRoute = {
      name: 'canary-bot-r1-ab',
      matches: [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }],
      destination: { host: 'reviews', subset: 'v2' },
    };
    await router.converge(reviews, weightsTarget([v('v1', 100)], { routes: [ab] }));
    const withAb = await readVs(bookinfo, 'reviews');
    await router.converge(reviews, weightsTarget([v('v1', 100)]));
    const without = await readVs(bookinfo, 'reviews');

    expect(withAb.spec.http?.map((r) => r.name ?? '(default)')).toEqual([
      'team-debug',
      'team-uri',
      'canary-bot-r1-ab',
      '(default)',
    ]);
    expect(withAb.spec.http?.[2]).toEqual({
      name: 'canary-bot-r1-ab',
      match: [{ headers: { 'end-user': { exact: 'jason' } } }],
      route: [{ destination: { host: 'reviews', subset: 'v2' } }],
    });
    expect(without.spec.http?.map((r) => r.name ?? '(default)')).toEqual([
      'team-debug',
      'team-uri',
      '(default)',
    ]);
  });

  it('adds a cookie route and a user-agent route on the weather frontend', async () => {
    const frontend: RouteRef = { namespace: weather, name: 'frontend', route: { kind: 'default' } };

    const routes: MatchRoute[] = [
      {
        name: 'canary-bot-r2-cookie',
        matches: [{ kind: 'cookie', regex: cookieRegex('user=qa') }],
        destination: { host: 'frontend', subset: 'v2' },
      },
      {
        name: 'canary-bot-r2-ua',
        matches: [{ kind: 'user-agent', regex: '.*Mobile.*' }],
        destination: { host: 'frontend', subset: 'v2' },
      },
    ];
    const live0 = await router.readRoute(frontend);
    await router.converge(
      frontend,
      weightsTarget(live0.weights, { routes, prefix: 'canary-bot-r2-', fence: fence({ release: 'r2' }) }),
    );

    const live = await readVs(weather, 'frontend');
    const added = live.spec.http?.filter((r) => r.name?.startsWith('canary-bot-r2-'));
    expect(added?.map((r) => r.match)).toEqual([
      [{ headers: { cookie: { regex: '^(.*?;\\s*)?(user=qa)(;.*)?$' } } }],
      [{ headers: { 'user-agent': { regex: '.*Mobile.*' } } }],
    ]);
    expect(live.spec.http?.at(-1)?.match).toBeUndefined();
  });

  it('pins a downstream service for callers of a given version (sourceLabels)', async () => {
    const forecast: RouteRef = { namespace: weather, name: 'forecast', route: { kind: 'default' } };

    const pinned: MatchRoute = {
      name: 'canary-bot-r3-pin',
      matches: [{ kind: 'source', labels: { app: 'frontend', version: 'v2' } }],
      destination: { host: 'forecast', subset: 'v2' },
    };
    const live0 = await router.readRoute(forecast);
    await router.converge(
      forecast,
      weightsTarget(live0.weights, {
        routes: [pinned],
        prefix: 'canary-bot-r3-',
        fence: fence({ release: 'r3' }),
      }),
    );

    const live = await readVs(weather, 'forecast');
    const pin = live.spec.http?.find((r) => r.name === 'canary-bot-r3-pin');
    expect(pin?.match).toEqual([{ sourceLabels: { app: 'frontend', version: 'v2' } }]);
    expect(live.spec.http?.indexOf(pin as HttpRoute)).toBe((live.spec.http?.length ?? 0) - 2);
  });

  it('adds and removes mirroring with a percentage', async () => {
    await router.converge(
      reviews,
      weightsTarget([v('v1', 100)], {
        mirror: { destination: { host: 'reviews', subset: 'v2' }, percent: 100 },
      }),
    );
    const mirrored = (await readVs(bookinfo, 'reviews')).spec.http?.[2];
    await router.converge(reviews, weightsTarget([v('v1', 100)]));
    const plain = (await readVs(bookinfo, 'reviews')).spec.http?.[2];

    expect(mirrored?.mirror).toEqual({ host: 'reviews', subset: 'v2' });
    expect(mirrored?.mirrorPercentage).toEqual({ value: 100 });
    expect(plain).toEqual({ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 100 }] });
  });

  it('restores the original route exactly after weights, A/B and mirror changes', async () => {
    const original = await readVs(bookinfo, 'reviews');
    const snapshot = await router.readRoute(reviews);
    await router.converge(
      reviews,
      weightsTarget([v('v1', 50), v('v2', 50)], {
        routes: [
          {
            name: 'canary-bot-r1-ab',
            matches: [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }],
            destination: { host: 'reviews', subset: 'v2' },
          },
        ],
        mirror: { destination: { host: 'reviews', subset: 'v3' }, percent: 20 },
      }),
    );

    await router.converge(reviews, {
      revision: 2,
      owned: { kind: 'original', route: snapshot.route },
      routes: [],
      routePrefix: 'canary-bot-r1-',
      fence: fence(),
    });

    expect(JSON.stringify((await readVs(bookinfo, 'reviews')).spec)).toBe(JSON.stringify(original.spec));
  });

  it.each([
    ['weights that do not add up to 100', [v('v1', 90), v('v2', 5)], 'invalid', /add up to 100, not 95/],
    [
      'a subset missing from the DestinationRule',
      [v('v1', 90), v('v9', 10)],
      'unknown-subset',
      /no subset "v9" \(it has v1, v2, v3\)/,
    ],
    [
      'a host that is not a Service',
      [v('v1', 90), { destination: { host: 'nope' }, weight: 10 }],
      'unknown-host',
      /no Service "nope"/,
    ],
  ])('refuses %s and writes nothing', async (_what, weights, code, message) => {
    const before = await readVs(bookinfo, 'reviews');

    const attempt = router.converge(reviews, weightsTarget(weights as WeightedDestination[]));

    await expect(attempt).rejects.toMatchObject({
      name: 'MeshError',
      code,
      message: expect.stringMatching(message),
    });
    expect((await readVs(bookinfo, 'reviews')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
  });

  it('refuses to send traffic to a version with no ready replicas', async () => {
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeploymentScale(
      { name: 'reviews-v3', namespace: bookinfo, body: { spec: { replicas: 0 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    for (let i = 0; i < 100; i++) {
      const d = await apps.readNamespacedDeployment({ name: 'reviews-v3', namespace: bookinfo });
      if ((d.status?.readyReplicas ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const before = await readVs(bookinfo, 'reviews');

    const attempt = router.converge(reviews, weightsTarget([v('v1', 90), v('v3', 10)]));

    await expect(attempt).rejects.toMatchObject({
      code: 'not-ready',
      message: expect.stringMatching(/reviews\/v3 has no ready replicas: reviews-v3 has 0 of 0 ready/),
    });
    expect((await readVs(bookinfo, 'reviews')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
  });

  it('reports drift instead of overwriting when the route differs from what the bot expects', async () => {
    await replaceVsSpec(bookinfo, 'reviews', (spec) => ({
      ...spec,
      http: [
        ...foreignRoutes,
        {
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 70 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 30 },
          ],
        },
      ],
    }));

    const attempt = router.converge(
      reviews,
      weightsTarget([v('v1', 50), v('v2', 50)], { expected: [v('v1', 90), v('v2', 10)] }),
    );

    await expect(attempt).rejects.toBeInstanceOf(DriftError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(
        /expected reviews\/v1=90, reviews\/v2=10, found reviews\/v1=70, reviews\/v2=30/,
      ),
    });
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 70), v('v2', 30)]);
    expect(await router.checkDrift(reviews, [v('v1', 90), v('v2', 10)])).toMatch(/found reviews\/v1=70/);
  });

  it('reports a hand edit of the owned route made between its read and its write as drift', async () => {
    const racing = new IstioTrafficRouter(botConfig, {
      beforeWrite: async (attempt) => {
        if (attempt === 1) {
          await replaceVsSpec(bookinfo, 'reviews', (spec) => ({
            ...spec,
            http: [...foreignRoutes, { route: [{ destination: { host: 'reviews', subset: 'v3' } }] }],
          }));
        }
      },
    });

    const attempt = racing.converge(reviews, weightsTarget([v('v1', 90), v('v2', 10)]));

    await expect(attempt).rejects.toMatchObject({ code: 'drift' });
    expect((await router.readRoute(reviews)).weights).toEqual([v('v3', 100)]);
  });

  it('calls afterWrite only for a write the API server accepted, not for one refused with 409', async () => {
    const attempts: number[] = [];
    let accepted = 0;
    const racing = new IstioTrafficRouter(botConfig, {
      beforeWrite: async (attempt) => {
        attempts.push(attempt);
        // Another writer changes a route the bot does not own between the bot's read and its write.
        if (attempt === 1)
          await replaceVsSpec(bookinfo, 'reviews', (spec) => ({
            ...spec,
            http: [{ ...(spec.http?.[0] as HttpRoute), timeout: '7s' }, ...(spec.http ?? []).slice(1)],
          }));
      },
      afterWrite: () => {
        accepted += 1;
      },
    });

    await racing.converge(reviews, weightsTarget([v('v1', 90), v('v2', 10)]));

    expect(attempts).toEqual([1, 2]);
    expect(accepted).toBe(1);
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 90), v('v2', 10)]);
  });

  it('loses nothing when 20 writers change 20 different routes of one VirtualService at once', async () => {
    const named = Array.from({ length: 20 }, (_, i) => ({
      name: `route-${i}`,
      match: [{ headers: { 'x-route': { exact: String(i) } } }],
      route: [{ destination: { host: 'reviews', subset: 'v1' } }],
    }));
    await replaceVsSpec(bookinfo, 'reviews', (spec) => ({
      ...spec,
      http: [...named, { route: [{ destination: { host: 'reviews', subset: 'v1' } }] }],
    }));

    await Promise.all(
      named.map((r, i) =>
        router.converge(
          { namespace: bookinfo, name: 'reviews', route: { kind: 'named', name: r.name } },
          weightsTarget([v('v1', 100 - (i + 1)), v('v2', i + 1)], {
            prefix: `canary-bot-w${i}-`,
            fence: { release: `w${i}`, stateVersion: 1, final: false },
          }),
        ),
      ),
    );

    const live = await readVs(bookinfo, 'reviews');
    expect(live.spec.http?.slice(0, 20).map((r) => r.route?.map((d) => d.weight))).toEqual(
      named.map((_, i) => [100 - (i + 1), i + 1]),
    );
  });

  it('records a Flagger-style event on the VirtualService for a change', async () => {
    await router.converge(reviews, weightsTarget([v('v1', 75), v('v2', 25)]), {
      event: { type: 'Normal', reason: 'Synced', message: `Advance reviews.${bookinfo} canary weight 25` },
    });

    const events = await admin.makeApiClient(k8s.CoreV1Api).listNamespacedEvent({
      namespace: bookinfo,
      fieldSelector: 'involvedObject.kind=VirtualService,involvedObject.name=reviews',
    });
    const event = events.items.find((e) => e.message === `Advance reviews.${bookinfo} canary weight 25`);
    expect(event).toMatchObject({
      type: 'Normal',
      reason: 'Synced',
      reportingComponent: 'canary-bot',
      source: { component: 'canary-bot' },
    });
  });

  it('says which VirtualService or route is missing', async () => {
    await expect(
      router.readRoute({ namespace: bookinfo, name: 'nope', route: { kind: 'default' } }),
    ).rejects.toBeInstanceOf(MeshError);
    await expect(
      router.readRoute({ namespace: bookinfo, name: 'nope', route: { kind: 'default' } }),
    ).rejects.toMatchObject({ code: 'not-found' });
    await expect(
      router.readRoute({ ...reviews, route: { kind: 'named', name: 'absent' } }),
    ).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/route named "absent"/) });
  });
});

describe('fencing: the owner mark on the route', () => {
  it('writes the owner mark in the same update as the route, and a converged route is not written again', async () => {
    const before = await readVs(bookinfo, 'reviews');
    const target = weightsTarget([v('v1', 90), v('v2', 10)], {
      fence: { release: 'r1', stateVersion: 4, final: false },
    });

    await router.converge(reviews, target);
    const written = await readVs(bookinfo, 'reviews');
    await router.converge(reviews, target);
    const again = await readVs(bookinfo, 'reviews');

    expect(Number(written.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    expect(written.metadata.annotations?.[OWNER_ANNOTATION]).toMatch(/^r1\/4@[0-9a-f]{16}$/);
    expect(again.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
  });

  it('refuses a write from an older state of the owning release, and writes nothing', async () => {
    await router.converge(
      reviews,
      weightsTarget([v('v1', 75), v('v2', 25)], { fence: { release: 'r1', stateVersion: 9, final: false } }),
    );
    const before = await readVs(bookinfo, 'reviews');

    const late = router.converge(
      reviews,
      weightsTarget([v('v1', 90), v('v2', 10)], { fence: { release: 'r1', stateVersion: 7, final: false } }),
    );

    await expect(late).rejects.toMatchObject({
      code: 'superseded',
      message: expect.stringMatching(/already wrote version 9; this write is for version 7/),
    });
    expect((await readVs(bookinfo, 'reviews')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
  });

  it('after a tombstone, refuses every write of that release; a new release that saw the tombstone takes over', async () => {
    await router.converge(
      reviews,
      weightsTarget([v('v1', 50), v('v2', 50)], { fence: { release: 'r1', stateVersion: 3, final: false } }),
    );
    await router.seal(reviews, { release: 'r1', stateVersion: 5, final: true });
    const sealed = await readVs(bookinfo, 'reviews');

    const zombie = router.converge(
      reviews,
      weightsTarget([v('v1', 90), v('v2', 10)], { fence: { release: 'r1', stateVersion: 6, final: false } }),
    );
    await expect(zombie).rejects.toMatchObject({
      code: 'superseded',
      message: expect.stringMatching(/is over/),
    });
    const seen = (await router.readRoute(reviews)).owner;
    await router.converge(
      reviews,
      weightsTarget([v('v1', 80), v('v2', 20)], {
        prefix: 'canary-bot-r7-',
        fence: { release: 'r7', stateVersion: 2, final: false, ...(seen ? { predecessor: seen } : {}) },
      }),
    );
    const lateOld = router.converge(
      reviews,
      weightsTarget([v('v1', 90), v('v2', 10)], {
        fence: { release: 'r1', stateVersion: 6, final: false, predecessor: 'x/1' },
      }),
    );

    expect(sealed.metadata.annotations?.[OWNER_ANNOTATION]).toMatch(/^r1\/5\/final@[0-9a-f]{16}$/);
    expect(seen).toBe(sealed.metadata.annotations?.[OWNER_ANNOTATION]);
    await expect(lateOld).rejects.toMatchObject({
      code: 'superseded',
      message: expect.stringMatching(/belongs to release r7/),
    });
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 80), v('v2', 20)]);
  });

  it("lets a new release take over when its predecessor's tombstone lands after it looked, routes untouched", async () => {
    await router.converge(
      reviews,
      weightsTarget([v('v1', 100)], { fence: { release: 'r1', stateVersion: 4, final: false } }),
    );
    // r1 ended in the store, its worker died before the tombstone; r7 starts and sees r1's last mark.
    const seen = (await router.readRoute(reviews)).owner;
    await router.seal(reviews, { release: 'r1', stateVersion: 5, final: true });

    await router.converge(
      reviews,
      weightsTarget([v('v1', 90), v('v2', 10)], {
        prefix: 'canary-bot-r7-',
        fence: { release: 'r7', stateVersion: 2, final: false, ...(seen ? { predecessor: seen } : {}) },
      }),
    );

    expect(seen).toMatch(/^r1\/4@[0-9a-f]{16}$/);
    expect((await router.readRoute(reviews)).weights).toEqual([v('v1', 90), v('v2', 10)]);
    expect((await readVs(bookinfo, 'reviews')).metadata.annotations?.[OWNER_ANNOTATION]).toMatch(/^r7\/2@/);
  });

  it('keeps one owner mark per owned route, so releases of two named routes of one VirtualService both write', async () => {
    await replaceVsSpec(bookinfo, 'reviews', (spec) => ({
      ...spec,
      http: [
        {
          name: 'alpha',
          match: [{ headers: { 'x-a': { exact: '1' } } }],
          route: [{ destination: { host: 'reviews', subset: 'v1' } }],
        },
        {
          name: 'beta',
          match: [{ headers: { 'x-b': { exact: '1' } } }],
          route: [{ destination: { host: 'reviews', subset: 'v1' } }],
        },
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    }));
    const alpha: RouteRef = { ...reviews, route: { kind: 'named', name: 'alpha' } };
    const beta: RouteRef = { ...reviews, route: { kind: 'named', name: 'beta' } };

    await router.converge(
      alpha,
      weightsTarget([v('v1', 90), v('v2', 10)], {
        prefix: 'canary-bot-ra-',
        fence: { release: 'ra', stateVersion: 2, final: false },
      }),
    );
    await router.converge(
      beta,
      weightsTarget([v('v1', 80), v('v2', 20)], {
        prefix: 'canary-bot-rb-',
        fence: { release: 'rb', stateVersion: 2, final: false },
      }),
    );

    const live = await readVs(bookinfo, 'reviews');
    expect(live.metadata.annotations).toMatchObject({
      [`${OWNER_ANNOTATION}.alpha`]: expect.stringMatching(/^ra\/2@/),
      [`${OWNER_ANNOTATION}.beta`]: expect.stringMatching(/^rb\/2@/),
    });
    expect((await router.readRoute(alpha)).weights).toEqual([v('v1', 90), v('v2', 10)]);
    expect((await router.readRoute(beta)).weights).toEqual([v('v1', 80), v('v2', 20)]);
  });
});
