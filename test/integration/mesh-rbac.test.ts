/**
 * The bot's Kubernetes role is minimal: with it every mesh flow works, and without any single verb of it
 * some flow fails with 403.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { MeshError } from '../../src/app/ports/mesh-errors.js';
import type { RouteRef } from '../../src/app/ports/traffic-router.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { restoreRoute, setWeights } from '../support/mesh-writes.js';

let bed: BedState;
let admin: k8s.KubeConfig;
let role: k8s.V1ClusterRole;
const bookinfo = uniqueNamespace('rbac-bookinfo');
const homes: string[] = [];

/** Every mesh flow of the bot, in turn; returns the codes of the failures. */
async function runFlows(kubeConfig: k8s.KubeConfig): Promise<string[]> {
  const router = new IstioTrafficRouter(kubeConfig);
  const ref: RouteRef = { namespace: bookinfo, name: 'reviews', route: { kind: 'default' } };
  const failures: string[] = [];
  const attempt = async (flow: () => Promise<unknown>) => {
    try {
      await flow();
    } catch (error) {
      failures.push(error instanceof MeshError ? error.code : String(error));
    }
  };
  await attempt(() => router.readRoute(ref));
  await attempt(async () => {
    const before = await router.readRoute(ref);
    await setWeights(router, ref, [
      { destination: { host: 'reviews', subset: 'v1' }, weight: 80 },
      { destination: { host: 'reviews', subset: 'v2' }, weight: 20 },
    ]);
    await restoreRoute(router, ref, before.route);
  });
  await attempt(() => router.recordEvent(ref, { type: 'Normal', reason: 'Synced', message: 'rbac probe' }));
  return failures;
}

async function identity(variant: k8s.V1ClusterRole): Promise<k8s.KubeConfig> {
  const home = uniqueNamespace('rbac-bot');
  homes.push(home);
  return await botKubeConfig(bed, admin, home, [bookinfo], variant);
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
});

afterAll(async () => {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all(
    [bookinfo, ...homes].map((name) => core.deleteNamespace({ name }).catch(() => undefined)),
  );
});

describe('the RBAC role of infra/k8s/rbac.yaml', () => {
  it('lets every mesh flow of the bot pass', async () => {
    expect(await runFlows(await identity(role))).toEqual([]);
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
