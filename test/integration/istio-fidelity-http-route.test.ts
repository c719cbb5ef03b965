/**
 * The differential check for HTTPRoutes: after HttpRouteTrafficRouter writes a GAMMA route (and pilot has
 * accepted it), the VirtualService the bed's pilot derived from it (its `/debug/configz`) is turned into
 * Envoy routes by pilot's own config generation (`istio-oracle`): those routes send the shares the bot
 * intended, relative weights included, and the team's rule still goes where the team said.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { istioGatewayController } from '../../local/bed/istiod.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { type EnvoyRoute, istioRoutes } from '../../local/fidelity/istio-oracle.js';
import type { RouteRef } from '../../src/app/ports/traffic-router.js';
import type { MatchRoute, MeshTarget, MirrorTarget } from '../../src/domain/release/index.js';
import type { HTTPRoute, HTTPRouteRule } from '../../src/domain/routing/http-route.js';
import type { WeightedDestination } from '../../src/domain/routing/virtual-service.js';
import { HttpRouteTrafficRouter } from '../../src/mesh/gateway/http-route-router.js';
import { deployVersionServices } from '../support/version-services.js';

const namespace = uniqueNamespace('route-envoy');
const where = { group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'httproutes' };
const host = `reviews.${namespace}.svc.cluster.local`;
const cluster = (service: string) => `outbound|9080||${service}.${namespace}.svc.cluster.local`;

let bed: BedState;
let admin: k8s.KubeConfig;
let custom: k8s.CustomObjectsApi;
let router: HttpRouteTrafficRouter;

const reviews: RouteRef = { namespace, name: 'reviews', route: { kind: 'default' } };
const teamRules: HTTPRouteRule[] = [
  {
    name: 'team-debug',
    matches: [{ path: { type: 'PathPrefix', value: '/debug' } }],
    backendRefs: [{ name: 'reviews-v3', port: 9080 }],
  },
  { name: 'main', backendRefs: [{ name: 'reviews-v1', port: 9080 }] },
];

/** The Services pilot's route generation is given alongside the derived VirtualService. */
const services = ['reviews', 'reviews-v1', 'reviews-v2', 'reviews-v3'].map((name) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { selector: { app: name }, ports: [{ name: 'http-9080', port: 9080 }] },
}));

const v = (version: string, weight: number): WeightedDestination => ({
  destination: { host: `reviews-${version}` },
  weight,
});

let stateVersion = 0;
function target(
  weights: readonly WeightedDestination[],
  extra: { routes?: MatchRoute[]; mirror?: MirrorTarget } = {},
): MeshTarget {
  stateVersion += 1;
  return {
    revision: 1,
    owned: { kind: 'weights', weights, ...(extra.mirror ? { mirror: extra.mirror } : {}) },
    routes: extra.routes ?? [],
    routePrefix: 'canary-bot-r1-',
    fence: { release: 'r1', stateVersion, final: false },
  };
}

/** The VirtualService pilot derived from the route, as the debug endpoint shows it. */
async function derivedVirtualService(): Promise<{ metadata: { annotations?: Record<string, string> } }> {
  const configs = (await (await fetch(`${bed.istiod.http}/debug/configz`)).json()) as {
    kind: string;
    metadata: { namespace?: string; annotations?: Record<string, string> };
  }[];
  const derived = configs.filter(
    (c) =>
      c.kind === 'VirtualService' &&
      c.metadata.annotations?.['internal.istio.io/parents'] === `HTTPRoute/reviews.${namespace}`,
  );
  if (derived.length !== 1) throw new Error(`pilot derived ${derived.length} VirtualServices from the route`);
  return derived[0] as { metadata: { annotations?: Record<string, string> } };
}

/** The Envoy routes pilot's config generation makes of it for a caller in the namespace, by route name. */
async function envoyRoutes(): Promise<Map<string, EnvoyRoute>> {
  const vs = await derivedVirtualService();
  // Pilot's bookkeeping annotation, which its admission refuses from users; the route semantics stay.
  const { 'internal.istio.io/parents': _parents, ...annotations } = vs.metadata.annotations ?? {};
  const [answer] = await istioRoutes([
    {
      id: 'http-route',
      objects: [...services, { ...vs, metadata: { ...vs.metadata, annotations } }],
      caller: { namespace, labels: { app: 'productpage' } },
    },
  ]);
  if (!answer || answer.error || answer.verdicts.some((x) => x.error))
    throw new Error(`istio-oracle: ${JSON.stringify(answer)}`);
  const virtualHost = answer.routes
    .flatMap((rc) => rc.virtualHosts ?? [])
    .find((vh) => vh.name === `${host}:9080`);
  return new Map((virtualHost?.routes ?? []).map((r) => [r.name ?? '', r]));
}

/** Percent of requests per cluster of an Envoy route (weighted clusters, or one cluster). */
function shares(route: EnvoyRoute | undefined): Record<string, number> {
  const weighted = route?.route?.weightedClusters?.clusters;
  if (!weighted) return route?.route?.cluster ? { [route.route.cluster]: 100 } : {};
  const total = weighted.reduce((sum, c) => sum + (c.weight ?? 0), 0);
  return Object.fromEntries(weighted.map((c) => [c.name, ((c.weight ?? 0) * 100) / total]));
}

/** Envoy's routes once they hold `expected` (pilot derives the VirtualService as it writes the status). */
async function routesWhen(expected: (routes: Map<string, EnvoyRoute>) => boolean) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const routes = await envoyRoutes();
    if (expected(routes) || Date.now() > deadline) return routes;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  await deployVersionServices(admin, namespace, ['reviews', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
  await custom.createNamespacedCustomObject({
    ...where,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'reviews', namespace },
      spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }], rules: teamRules },
    },
  });
  // Pilot serves the route (its first verdict), so the router waits for its verdict on every write.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const route = (await custom.getNamespacedCustomObject({ ...where, name: 'reviews' })) as HTTPRoute;
    if (route.status?.parents?.some((p) => p.controllerName === istioGatewayController)) break;
    if (Date.now() > deadline) throw new Error('pilot wrote no status on the route');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  router = new HttpRouteTrafficRouter(admin);
});

afterAll(async () => {
  await admin
    ?.makeApiClient(k8s.CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
});

describe("Envoy's routes, as pilot generates them from the HTTPRoute the router wrote", () => {
  it.each([
    [90, 10],
    [50, 50],
    [99, 1],
    [0, 100],
  ])(
    'send %i%% to the stable version and %i%% to the canary; the team rule is unchanged',
    async (stable, canary) => {
      await router.converge(reviews, target([v('v1', stable), v('v2', canary)]));
      // A backend at weight 0 gets no cluster in Envoy's route: the same 0%.
      const wanted = Object.fromEntries(
        [
          [cluster('reviews-v1'), stable],
          [cluster('reviews-v2'), canary],
        ].filter(([, percent]) => percent !== 0),
      );

      const routes = await routesWhen(
        (r) => JSON.stringify(shares(r.get('canary-bot-r1'))) === JSON.stringify(wanted),
      );

      expect(shares(routes.get('canary-bot-r1'))).toEqual(wanted);
      expect(shares(routes.get('team-debug'))).toEqual({ [cluster('reviews-v3')]: 100 });
      expect(routes.get('canary-bot-r1')?.match).toMatchObject({ prefix: '/' });
    },
  );

  it('send the header-matched requests to the canary (the rest to the team rule), then mirror 20% to it', async () => {
    const ab: MatchRoute = {
      name: 'canary-bot-r1-ab',
      matches: [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }],
      destination: { host: 'reviews-v2' },
    };
    await router.converge(reviews, target([v('v1', 100)], { routes: [ab] }));

    const matched = await routesWhen(
      (r) => (r.get('canary-bot-r1')?.match as { headers?: unknown } | undefined)?.headers !== undefined,
    );

    expect(shares(matched.get('canary-bot-r1'))).toEqual({ [cluster('reviews-v2')]: 100 });
    expect(matched.get('canary-bot-r1')?.match).toMatchObject({
      headers: [{ name: 'end-user', stringMatch: { exact: 'jason' } }],
    });
    expect(shares(matched.get('main'))).toEqual({ [cluster('reviews-v1')]: 100 });

    await router.converge(
      reviews,
      target([v('v1', 100)], { mirror: { destination: { host: 'reviews-v2' }, percent: 20 } }),
    );
    const mirrored = await routesWhen(
      (r) => r.get('canary-bot-r1')?.route?.requestMirrorPolicies !== undefined,
    );
    const mirror = mirrored.get('canary-bot-r1')?.route?.requestMirrorPolicies?.[0];

    expect(shares(mirrored.get('canary-bot-r1'))).toEqual({ [cluster('reviews-v1')]: 100 });
    expect(mirror?.cluster).toBe(cluster('reviews-v2'));
    const fraction = mirror?.runtimeFraction?.defaultValue;
    const scale = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[
      (fraction?.denominator ?? 'HUNDRED') as 'HUNDRED'
    ];
    expect(((fraction?.numerator ?? 0) * 100) / scale).toBe(20);
  });
});
