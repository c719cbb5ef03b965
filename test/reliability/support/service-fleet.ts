/**
 * A fleet of services in one namespace for the load and soak runs: every service served by the same two
 * Deployments, a least-privilege bot allowed into the namespace, and the environment that bot runs with.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { BedState } from '../../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../../local/bed/bot-identity.js';
import { deployServiceFleet } from '../../../local/bed/manifests.js';

/**
 * Deploys the services `names` into `namespace` and returns the bot's environment as the README writes it:
 * one cluster (the bed, its kubeconfig written into the bed's folder), the namespace as the default, cards in
 * C0RELEASES, anyone starts and approves but not their own release.
 *
 * @example const env = await deployFleetForBot(bed, admin, namespace, ['svc-0', 'svc-1']);
 */
export async function deployFleetForBot(
  bed: BedState,
  admin: k8s.KubeConfig,
  namespace: string,
  names: readonly string[],
): Promise<Record<string, string>> {
  // Two Deployments serve every service (its selector is app=load; subsets pick the version).
  await deployServiceFleet(admin, namespace, [...names]);
  const identity = await botKubeConfig(bed, admin, `${namespace}-bot`, [namespace], await botClusterRole());
  const kubeconfig = join(bed.dir, `${namespace}.kubeconfig`);
  await writeFile(kubeconfig, identity.exportConfig(), { mode: 0o600 });
  return {
    CANARY_BOT_CLUSTERS: JSON.stringify({
      bed: { kube: { mode: 'kubeconfig', path: kubeconfig }, prometheus: { url: bed.prometheus.url } },
    }),
    CANARY_BOT_DEFAULT_NAMESPACE: namespace,
    CANARY_BOT_SLACK_CHANNEL: 'C0RELEASES',
    CANARY_BOT_POLICY: JSON.stringify({ default: { starters: ['*'], approvers: ['*'], fourEyes: true } }),
  };
}

/**
 * The live VirtualService `name` of the fleet's namespace, as the API server holds it.
 *
 * @example const vs = await fleetVirtualService<{ spec: { http: unknown[] } }>(admin, namespace, 'svc-0');
 */
export async function fleetVirtualService<T>(
  admin: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<T> {
  return (await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'virtualservices',
    name,
  })) as T;
}

/**
 * Deletes the fleet's namespace and the bot's (errors ignored: a cleanup).
 *
 * @example await deleteFleet(admin, namespace);
 */
export async function deleteFleet(admin: k8s.KubeConfig, namespace: string): Promise<void> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all(
    [namespace, `${namespace}-bot`].map((name) => core.deleteNamespace({ name }).catch(() => undefined)),
  );
}
