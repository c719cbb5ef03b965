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
