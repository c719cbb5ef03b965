/**
 * What Istio's validating webhook costs a VirtualService write on the bed: the same replace, timed with
 * the webhook registered and with it briefly removed (then registered again, as it was).
 *
 *   tsx bench/bed/webhook.ts [--writes 100]
 *
 * Needs a running bed (`npm run bed -- up`); uses a namespace of its own and deletes it at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { requireBed } from '../../local/bed/bed.js';
import { istioWebhookName } from '../../local/bed/istiod.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { median, quantile } from '../stats.js';

const { values } = parseArgs({ options: { writes: { type: 'string', default: '100' } } });
const writes = Number(values.writes);
const bed = await requireBed();
const admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
const core = admin.makeApiClient(k8s.CoreV1Api);
const custom = admin.makeApiClient(k8s.CustomObjectsApi);
const hooks = admin.makeApiClient(k8s.AdmissionregistrationV1Api);
const namespace = uniqueNamespace('bench-webhook');
const vs = { group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices' };
const spec = (w: number) => ({
  hosts: ['reviews'],
  http: [
    {
      route: [
        { destination: { host: 'reviews', subset: 'v1' }, weight: 100 - w },
        { destination: { host: 'reviews', subset: 'v2' }, weight: w },
      ],
    },
  ],
});

async function timedWrites(): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < writes; i++) {
    const live = (await custom.getNamespacedCustomObject({ ...vs, name: 'reviews' })) as { metadata: object };
    const t0 = performance.now();
    await custom.replaceNamespacedCustomObject({
      ...vs,
      name: 'reviews',
      body: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: live.metadata,
        spec: spec(i % 100),
      },
    });
    ms.push(performance.now() - t0);
  }
  return ms;
}

async function webhookAnswers(): Promise<boolean> {
  try {
    await custom.createNamespacedCustomObject({
      ...vs,
      dryRun: 'All',
      body: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'probe' },
        spec: { hosts: ['x'], http: [{ match: [{ headers: { x: { regex: '(' } } }], route: [] }] },
      },
    });
    return false;
  } catch {
    return true;
  }
}

async function until(condition: () => Promise<boolean>) {
  for (let i = 0; i < 200 && !(await condition()); i++) await sleep(50);
}

await core.createNamespace({ body: { metadata: { name: namespace } } });
await custom.createNamespacedCustomObject({
  ...vs,
  body: {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews' },
    spec: spec(0),
  },
});
const config = await hooks.readValidatingWebhookConfiguration({ name: istioWebhookName });
let without: number[] = [];
const withWebhook = await timedWrites();
try {
  await hooks.deleteValidatingWebhookConfiguration({ name: istioWebhookName });
  await until(async () => !(await webhookAnswers()));
  without = await timedWrites();
} finally {
  const {
    resourceVersion: _rv,
    uid: _uid,
    creationTimestamp: _ct,
    managedFields: _mf,
    ...metadata
  } = config.metadata ?? {};
  await hooks.createValidatingWebhookConfiguration({ body: { ...config, metadata } });
  await until(webhookAnswers);
  await core.deleteNamespace({ name: namespace });
}
const row = (label: string, ms: number[]) =>
  `| ${label} | ${median(ms).toFixed(1)} ms | ${quantile(ms, 0.95).toFixed(1)} ms |`;
process.stdout.write(
  `| VirtualService replace (${writes} writes) | median | p95 |\n|---|---:|---:|\n${row("with Istio's webhook", withWebhook)}\n${row('without it', without)}\n`,
);
