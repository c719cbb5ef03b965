/**
 * The bot's Kubernetes role is minimal: with it every mesh flow works (VirtualServices and HTTPRoutes), and
 * without any single verb of it some flow fails with 403.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { MeshError } from '../../src/app/ports/mesh-errors.js';
import type { RouteRef } from '../../src/app/ports/traffic-router.js';
import { HttpRouteTrafficRouter } from '../../src/mesh/gateway/http-route-router.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { RouterByApi } from '../../src/mesh/router-by-api.js';
import { restoreRoute, setWeights } from '../support/mesh-writes.js';

let bed: BedState;
let admin: k8s.KubeConfig;
let role: k8s.V1ClusterRole;
const bookinfo = uniqueNamespace('rbac-bookinfo');
const bookinfoGw = uniqueNamespace('rbac-bookinfo-gw');
const homes: string[] = [];

/**
 * Every mesh flow of the bot, in turn, through the router the handlers build (VirtualServices and
 * HTTPRoutes): finding the route API, reading, writing and restoring weights, an event. Returns the codes
 * of the failures.
 */
async function runFlows(kubeConfig: k8s.KubeConfig): Promise<string[]> {
  const router = new RouterByApi({
    VirtualService: new IstioTrafficRouter(kubeConfig),
    HTTPRoute: new HttpRouteTrafficRouter(kubeConfig),
  });
  const failures: string[] = [];
  const attempt = async (flow: () => Promise<unknown>) => {
    try {
      await flow();
    } catch (error) {
      failures.push(error instanceof MeshError ? error.code : String(error));
    }
  };
  const flows: [RouteRef, (v: string) => { host: string; subset?: string }][] = [
    [
      { namespace: bookinfo, name: 'reviews', route: { kind: 'default' } },
      (v) => ({ host: 'reviews', subset: v }),
    ],
    [
      { namespace: bookinfoGw, name: 'reviews', route: { kind: 'default' }, api: 'HTTPRoute' },
      (v) => ({ host: `reviews-${v}` }),
    ],
  ];
  for (const [ref, destination] of flows) {
    // Finding which API routes the service (an HTTPRoute the bot may not read counts as none: then the
    // flows below fail with 403).
    await attempt(async () => {
      const apis = await router.routeApisOf(ref.namespace, ref.name);
      if (!apis.includes(ref.api ?? 'VirtualService')) throw new Error(`not detected: ${apis.join(',')}`);
    });
    await attempt(() => router.readRoute(ref));
    await attempt(async () => {
      const before = await router.readRoute(ref);
      await setWeights(router, ref, [
        { destination: destination('v1'), weight: 80 },
        { destination: destination('v2'), weight: 20 },
      ]);
      await restoreRoute(router, ref, before.route);
    });
    await attempt(() => router.recordEvent(ref, { type: 'Normal', reason: 'Synced', message: 'rbac probe' }));
  }
  return failures;
}

async function identity(variant: k8s.V1ClusterRole): Promise<k8s.KubeConfig> {
  const home = uniqueNamespace('rbac-bot');
  homes.push(home);
  return await botKubeConfig(bed, admin, home, [bookinfo, bookinfoGw], variant);
}

/** The role with one verb of one rule taken away (the rule goes when it has no verb left). */
function without(ruleIndex: number, verb: string): k8s.V1ClusterRole {
  const rules = (role.rules ?? [])
    .map((rule, i) => (i === ruleIndex ? { ...rule, verbs: rule.verbs.filter((v) => v !== verb) } : rule))
    .filter((rule) => rule.verbs.length > 0);
  return { ...role, rules };
}

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  role = await botClusterRole();
  await deploySample(admin, 'bookinfo', bookinfo);
  await deploySample(admin, 'bookinfo-gw', bookinfoGw);
});

afterAll(async () => {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all(
    [bookinfo, bookinfoGw, ...homes].map((name) => core.deleteNamespace({ name }).catch(() => undefined)),
  );
});

describe('the RBAC role of infra/k8s/rbac.yaml', () => {
  it('lets every mesh flow of the bot pass', async () => {
    expect(await runFlows(await identity(role))).toEqual([]);
  });

  it('lets a bot that may not read HTTPRoutes still find the VirtualService, and take the HTTPRoute for none', async () => {
    const index = (role.rules ?? []).findIndex((rule) => rule.resources?.includes('httproutes'));
    expect(index).toBeGreaterThanOrEqual(0);
    const kubeConfig = await identity(without(index, 'get'));
    const router = new RouterByApi({
      VirtualService: new IstioTrafficRouter(kubeConfig),
      HTTPRoute: new HttpRouteTrafficRouter(kubeConfig),
    });
    expect(await router.routeApisOf(bookinfo, 'reviews')).toEqual(['VirtualService']);
    expect(await router.routeApisOf(bookinfoGw, 'reviews')).toEqual([]);
  });

  it('is minimal: without any single verb some flow fails with 403', async () => {
    const pairs = (role.rules ?? []).flatMap((rule, i) => rule.verbs.map((verb) => ({ i, verb, rule })));
    expect(pairs.length).toBeGreaterThanOrEqual(5);

    const outcomes: string[] = [];
    for (const { i, verb, rule } of pairs) {
      const failures = await runFlows(await identity(without(i, verb)));
      outcomes.push(
        `${verb} ${rule.resources?.join(',')}: ${failures.includes('forbidden') ? 'needed' : 'NOT NEEDED'}`,
      );
    }

    expect(outcomes.filter((o) => o.endsWith('NOT NEEDED'))).toEqual([]);
  });
});
