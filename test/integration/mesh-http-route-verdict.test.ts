/**
 * The bed's pilot as the Gateway API controller: the verdict it writes in `status.parents` of GAMMA
 * HTTPRoutes (parentRef to a Service), and HttpRouteTrafficRouter, as a least-privilege bot, waiting for
 * that verdict on the generation it wrote: accepted, refused with pilot's reason, or never coming.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { istioGatewayController } from '../../local/bed/istiod.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import type { RouteRef } from '../../src/app/ports/traffic-router.js';
import type { Fence, MeshTarget } from '../../src/domain/release/index.js';
import type { HTTPRoute, HTTPRouteRule, RouteParentStatus } from '../../src/domain/routing/http-route.js';
import type { WeightedDestination } from '../../src/domain/routing/virtual-service.js';
import { HttpRouteTrafficRouter, NoVerdictError } from '../../src/mesh/gateway/http-route-router.js';
import { deployVersionServices } from '../support/version-services.js';

const namespace = uniqueNamespace('route-verdict');
const home = uniqueNamespace('route-verdict-bot');
const where = { group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'httproutes' };
const otherController = 'example.com/mesh-controller';

type LiveRoute = HTTPRoute & { metadata: k8s.V1ObjectMeta };

let bed: BedState;
let admin: k8s.KubeConfig;
let custom: k8s.CustomObjectsApi;
let botConfig: k8s.KubeConfig;
let router: HttpRouteTrafficRouter;

/** What the router needs and nothing more (as in mesh-http-route-router.test.ts). */

const teamRules: HTTPRouteRule[] = [
  {
    name: 'team-debug',
    matches: [{ path: { type: 'PathPrefix', value: '/debug' } }],
    backendRefs: [{ name: 'reviews-v3', port: 9080 }],
  },
  { name: 'main', backendRefs: [{ name: 'reviews-v1', port: 9080 }] },
];

const v = (version: string, weight: number): WeightedDestination => ({
  destination: { host: `reviews-${version}` },
  weight,
});

let stateVersion = 0;
function target(weights: readonly WeightedDestination[], release = 'r1'): MeshTarget {
  stateVersion += 1;
  const fence: Fence = { release, stateVersion, final: false };
  return {
    revision: 1,
    owned: { kind: 'weights', weights },
    routes: [],
    routePrefix: `canary-bot-${release}-`,
    fence,
  };
}

const ref = (name: string): RouteRef => ({ namespace, name, route: { kind: 'default' } });

async function readRoute(name: string): Promise<LiveRoute> {
  return (await custom.getNamespacedCustomObject({ ...where, name })) as LiveRoute;
}

async function createRoute(name: string, rules: HTTPRouteRule[], parent = 'reviews'): Promise<LiveRoute> {
  return (await custom.createNamespacedCustomObject({
    ...where,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace },
      spec: { parentRefs: [{ group: '', kind: 'Service', name: parent, port: 9080 }], rules },
    },
  })) as LiveRoute;
}

const parentOf = (route: HTTPRoute, controller = istioGatewayController): RouteParentStatus | undefined =>
  route.status?.parents?.find((p) => p.controllerName === controller);
const conditionOf = (route: HTTPRoute, type: string, controller = istioGatewayController) =>
  parentOf(route, controller)?.conditions?.find((c) => c.type === type);

/** Pilot's Accepted and ResolvedRefs both observed for the route's current generation. */
function pilotDecided(route: LiveRoute): boolean {
  return ['Accepted', 'ResolvedRefs'].every(
    (type) => (conditionOf(route, type)?.observedGeneration ?? -1) >= (route.metadata.generation ?? 0),
  );
}

/** The route once `holds` is true of it; fails with its last status after `timeoutMs`. */
async function routeWhen(name: string, holds: (r: LiveRoute) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const route = await readRoute(name);
    if (holds(route)) return route;
    if (Date.now() > deadline)
      throw new Error(`HTTPRoute ${name} never got there; status: ${JSON.stringify(route.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Writes, as admin, the verdict of a second controller of the route at its generation: both conditions True,
 * or `ResolvedRefs` False with `refusal` as its reason.
 */
async function otherControllerDecides(name: string, refusal?: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeOtherVerdict(await readRoute(name), refusal);
    } catch (error) {
      // Pilot wrote its own status in between: write ours again on the fresh read, as a controller does.
      if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error;
    }
  }
}

async function writeOtherVerdict(live: LiveRoute, refusal?: string): Promise<void> {
  const name = live.metadata.name ?? '';
  const generation = live.metadata.generation ?? 0;
  const condition = (type: string) => ({
    type,
    status: refusal && type === 'ResolvedRefs' ? 'False' : 'True',
    reason: refusal && type === 'ResolvedRefs' ? refusal : type,
    message: refusal && type === 'ResolvedRefs' ? 'not programmed' : 'programmed by the mesh controller',
    observedGeneration: generation,
    lastTransitionTime: new Date().toISOString(),
  });
  const others = (live.status?.parents ?? []).filter((p) => p.controllerName !== otherController);
  await custom.replaceNamespacedCustomObjectStatus({
    ...where,
    name,
    body: {
      ...live,
      status: {
        parents: [
          ...others,
          {
            parentRef: { group: '', kind: 'Service', name: 'reviews', port: 9080 },
            controllerName: otherController,
            conditions: [condition('Accepted'), condition('ResolvedRefs')],
          },
        ],
      },
    },
  });
}

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  await deployVersionServices(admin, namespace, ['reviews', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
  botConfig = await botKubeConfig(bed, admin, home, [namespace], await botClusterRole());
  router = new HttpRouteTrafficRouter(botConfig);
});

afterAll(async () => {
  const core = admin?.makeApiClient(k8s.CoreV1Api);
  await Promise.all([namespace, home].map((name) => core?.deleteNamespace({ name }).catch(() => undefined)));
});

describe("pilot's verdict on a GAMMA HTTPRoute (parentRef to a Service)", () => {
  it('accepts a route to per-version Services for the generation written, and again for the next one', async () => {
    const created = await createRoute('accepted', teamRules);

    const first = await routeWhen('accepted', pilotDecided);

    expect(first.metadata.generation).toBe(created.metadata.generation);
    expect(parentOf(first)?.parentRef).toEqual({ group: '', kind: 'Service', name: 'reviews', port: 9080 });
    expect(conditionOf(first, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: created.metadata.generation,
    });
    expect(conditionOf(first, 'ResolvedRefs')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
      observedGeneration: created.metadata.generation,
    });

    const edited = (await custom.replaceNamespacedCustomObject({
      ...where,
      name: 'accepted',
      body: {
        ...first,
        spec: { ...first.spec, rules: [{ backendRefs: [{ name: 'reviews-v2', port: 9080 }] }] },
      },
    })) as LiveRoute;
    const second = await routeWhen('accepted', pilotDecided);

    expect(edited.metadata.generation).toBe((created.metadata.generation ?? 0) + 1);
    expect(conditionOf(second, 'Accepted')).toMatchObject({
      status: 'True',
      observedGeneration: edited.metadata.generation,
    });
    expect(conditionOf(second, 'ResolvedRefs')).toMatchObject({
      status: 'True',
      observedGeneration: edited.metadata.generation,
    });
  });

  it('does not resolve a backendRef to a Service that does not exist: ResolvedRefs False, BackendNotFound', async () => {
    const created = await createRoute('missing-backend', [
      { backendRefs: [{ name: 'reviews-v9', port: 9080 }] },
    ]);

    const route = await routeWhen('missing-backend', pilotDecided);

    expect(conditionOf(route, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
      message: `backend(reviews-v9.${namespace}.svc.cluster.local) not found`,
      observedGeneration: created.metadata.generation,
    });
    expect(conditionOf(route, 'Accepted')?.status).toBe('True');
  });

  it('does not accept a route whose parent Service does not exist: Accepted False, NoMatchingParent', async () => {
    const created = await createRoute('orphan-parent', teamRules, 'ghost');

    const route = await routeWhen('orphan-parent', pilotDecided);

    expect(conditionOf(route, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingParent',
      message: 'parent service: "ghost" not found',
      observedGeneration: created.metadata.generation,
    });
  });
});

describe("HttpRouteTrafficRouter waits for pilot's verdict on the generation it wrote", () => {
  it("returns with pilot's verdict on the generation written in hand", async () => {
    await createRoute('canary', teamRules);
    await routeWhen('canary', pilotDecided);

    const after = await router.converge(ref('canary'), target([v('v1', 90), v('v2', 10)]));
    const live = await readRoute('canary');

    expect(after.weights).toEqual([v('v1', 90), v('v2', 10)]);
    // The snapshot is of a read that already held pilot's verdict on the write: nothing came after it.
    expect(after.resourceVersion).toBe(live.metadata.resourceVersion);
    expect(pilotDecided(live)).toBe(true);
    expect(conditionOf(live, 'Accepted')?.status).toBe('True');
    expect(conditionOf(live, 'ResolvedRefs')?.status).toBe('True');
  });

  it("halts with pilot's reason when pilot does not accept the generation written", async () => {
    await createRoute('orphan', teamRules, 'ghost');
    await routeWhen('orphan', pilotDecided);

    const attempt = router.converge(ref('orphan'), target([v('v1', 90), v('v2', 10)]));

    await expect(attempt).rejects.toMatchObject({
      code: 'rejected',
      message: `HTTPRoute ${namespace}/orphan was written but does not route: istio.io/gateway-controller did not accept the route on Service ghost (NoMatchingParent: parent service: "ghost" not found). The route was put back as it was before this change.`,
    });
    const live = await routeWhen('orphan', pilotDecided);
    expect(conditionOf(live, 'Accepted')).toMatchObject({
      status: 'False',
      observedGeneration: live.metadata.generation,
    });
    // The refused change is undone: the team's rules alone, as before the write.
    expect(live.spec.rules?.some((r) => r.name === 'canary-bot-r1')).toBe(false);
  });

  it('waits for a verdict that comes late, and halts on a refusal that comes late', async () => {
    await createRoute('late', teamRules);
    await routeWhen('late', pilotDecided);
    await otherControllerDecides('late');
    await routeWhen(
      'late',
      (r) => pilotDecided(r) && conditionOf(r, 'Accepted', otherController) !== undefined,
    );
    /** The second controller answers 800 ms after it sees the next generation. */
    const answerLate = async (from: number, refusal?: string) => {
      await routeWhen('late', (r) => (r.metadata.generation ?? 0) > from);
      await new Promise((resolve) => setTimeout(resolve, 800));
      await otherControllerDecides('late', refusal);
    };

    let from = (await readRoute('late')).metadata.generation ?? 0;
    let started = Date.now();
    const [after] = await Promise.all([
      router.converge(ref('late'), target([v('v1', 70), v('v2', 30)])),
      answerLate(from),
    ]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(after.weights).toEqual([v('v1', 70), v('v2', 30)]);

    from = (await readRoute('late')).metadata.generation ?? 0;
    started = Date.now();
    const [refused] = await Promise.allSettled([
      router.converge(ref('late'), target([v('v1', 40), v('v2', 60)])),
      answerLate(from, 'BackendNotProgrammed'),
    ]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(refused).toMatchObject({
      status: 'rejected',
      reason: {
        code: 'rejected',
        message: `HTTPRoute ${namespace}/late was written but does not route: ${otherController} could not resolve its backends on Service reviews (BackendNotProgrammed: not programmed). The route was put back as it was before this change.`,
      },
    });
  });

  it('reports a verdict that never comes (a second controller of the route is silent), and a retry does not take it as a success', async () => {
    await createRoute('shared', teamRules);
    await routeWhen('shared', pilotDecided);
    await otherControllerDecides('shared');
    // Pilot keeps the status entries of other controllers: both verdicts stand for the generation as is.
    await routeWhen(
      'shared',
      (r) => pilotDecided(r) && conditionOf(r, 'Accepted', otherController) !== undefined,
    );
    const impatient = new HttpRouteTrafficRouter(botConfig, { verdictTimeoutMs: 1500 });
    const wanted = target([v('v1', 80), v('v2', 20)]);

    const attempt = impatient.converge(ref('shared'), wanted);

    await expect(attempt).rejects.toBeInstanceOf(NoVerdictError);
    await expect(attempt).rejects.toMatchObject({
      code: 'verify-failed',
      awaited: [`${otherController} on Service reviews`],
      message: expect.stringMatching(
        /^HTTPRoute .+\/shared was written \(generation \d+\) but got no verdict from its Gateway API controller within 1.5 s \(still waiting for example.com\/mesh-controller on Service reviews\); the change is not confirmed to route yet\.$/,
      ),
    });
    // Pilot answered for the generation written; only the other controller did not.
    const written = await routeWhen('shared', pilotDecided);
    expect(conditionOf(written, 'Accepted')?.status).toBe('True');

    // The route already holds the change: the retry writes nothing, and still does not call it done.
    await expect(impatient.converge(ref('shared'), wanted)).rejects.toBeInstanceOf(NoVerdictError);
    expect((await readRoute('shared')).metadata.generation).toBe(written.metadata.generation);

    await otherControllerDecides('shared');
    const after = await impatient.converge(ref('shared'), wanted);

    expect(after.weights).toEqual([v('v1', 80), v('v2', 20)]);
  });
});
