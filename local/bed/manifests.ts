import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { loadSampleApp, type SampleAppName } from '../traffic/samples.js';

/** Applies objects with server-side apply (idempotent), Namespaces first. */
export async function applyObjects(kc: k8s.KubeConfig, objects: k8s.KubernetesObject[]): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  const ordered = [...objects].sort(
    (a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'),
  );
  for (const object of ordered) {
    await client.patch(
      object,
      undefined,
      undefined,
      'canary-bot-bed',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  }
}

/** Waits until every Deployment of the namespace has all its replicas ready. */
export async function waitForDeployments(
  kc: k8s.KubeConfig,
  namespace: string,
  timeoutMs = 60_000,
): Promise<void> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { items } = await apps.listNamespacedDeployment({ namespace });
    const waiting = items.filter((d) => (d.status?.readyReplicas ?? 0) < (d.spec?.replicas ?? 1));
    if (items.length > 0 && waiting.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `Deployments not ready in ${namespace} after ${timeoutMs} ms: ${waiting.map((d) => d.metadata?.name).join(', ')}`,
      );
    }
    await sleep(250);
  }
}

/** Applies a sample app into its own namespace and waits for its Deployments. */
export async function deploySample(kc: k8s.KubeConfig, app: SampleAppName, namespace: string): Promise<void> {
  await applyObjects(kc, (await loadSampleApp(app, { namespace })).objects as k8s.KubernetesObject[]);
  await waitForDeployments(kc, namespace);
}

/** A namespace name unique to one test run. */
export function uniqueNamespace(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/**
 * Many services at little cost: two Deployments (`load-v1`, `load-v2`, labelled `app=load`) serve every one
 * of `names`, each a Service, a DestinationRule with subsets v1 and v2 and a VirtualService sending
 * everything to v1. Objects are applied `width` at a time.
 *
 * @example await deployServiceFleet(admin, 'soak-x', ['svc-0', 'svc-1']);
 */
export async function deployServiceFleet(
  kc: k8s.KubeConfig,
  namespace: string,
  names: readonly string[],
  width = 50,
): Promise<void> {
  const deployment = (version: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `load-${version}`, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'load', version } },
      template: {
        metadata: { labels: { app: 'load', version } },
        spec: { containers: [{ name: 'app', image: 'example.com/load:1' }] },
      },
    },
  });
  await applyObjects(kc, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    deployment('v1'),
    deployment('v2'),
  ] as k8s.KubernetesObject[]);
  const perService = names.flatMap((name) => [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { selector: { app: 'load' }, ports: [{ port: 80 }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name, namespace },
      spec: { host: name, subsets: ['v1', 'v2'].map((v) => ({ name: v, labels: { version: v } })) },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace },
      spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset: 'v1' } }] }] },
    },
  ]);
  for (let i = 0; i < perService.length; i += width)
    await Promise.all(
      perService.slice(i, i + width).map((o) => applyObjects(kc, [o as k8s.KubernetesObject])),
    );
  await waitForDeployments(kc, namespace);
}
