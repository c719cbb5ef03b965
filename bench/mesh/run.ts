/**
 * Latency of one weight change on the test bed's real kube-apiserver: read, validate (DestinationRule,
 * Service, Deployments), write with resourceVersion, read back. Then 20 writers at once, each on its own
 * route of one VirtualService (so every one but the first meets 409s and retries).
 *
 *   tsx bench/mesh/run.ts [--changes 40] [--rounds 10] [--out bench/results/mesh.json]
 *
 * Uses the running bed, or starts one (and stops it at the end).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { bedDown, bedUp } from '../../local/bed/bed.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import type { MeshTarget } from '../../src/domain/release/index.js';
import type { WeightedDestination } from '../../src/domain/routing/virtual-service.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { median, ms, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    changes: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '10' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/mesh.json'),
    },
  },
});
const changes = Number(values.changes);
const rounds = Number(values.rounds);

const split = (canary: number): WeightedDestination[] => [
  { destination: { host: 'reviews', subset: 'v1' }, weight: 100 - canary },
  { destination: { host: 'reviews', subset: 'v2' }, weight: canary },
];

const { state, started } = await bedUp();
const admin = kubeConfigFrom(state.kube.kubeconfigs.admin);
const namespace = uniqueNamespace('bench-mesh');
try {
  await deploySample(admin, 'bookinfo', namespace);
  const custom = admin.makeApiClient(k8s.CustomObjectsApi);
  const vs = (await custom.getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'virtualservices',
    name: 'reviews',
  })) as { spec: { http: unknown[] } };
  const named = Array.from({ length: 20 }, (_, i) => ({
    name: `route-${i}`,
    match: [{ headers: { 'x-route': { exact: String(i) } } }],
    route: [{ destination: { host: 'reviews', subset: 'v1' } }],
  }));
  await custom.patchNamespacedCustomObject(
    {
      group: 'networking.istio.io',
      version: 'v1',
      namespace,
      plural: 'virtualservices',
      name: 'reviews',
      body: { spec: { http: [...named, ...vs.spec.http] } },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );

  let attempts = 0;
  const router = new IstioTrafficRouter(admin, {
    beforeWrite: async () => {
      attempts++;
    },
  });
  const ref = { namespace, name: 'reviews', route: { kind: 'default' as const } };
  let version = 0;
  /** A convergence on these weights, as one release at its next state version would write it. */
  const target = (
    weights: ReturnType<typeof split>,
    release = 'bench',
    expected?: ReturnType<typeof split>,
  ): MeshTarget => ({
    revision: 1,
    owned: { kind: 'weights', weights },
    routes: [],
    routePrefix: `canary-bot-${release}-`,
    ...(expected ? { expected } : {}),
    fence: { release, stateVersion: ++version, final: false },
  });

  // Warm-up: discovery and connections, not measured.
  await router.converge(ref, target(split(5)));

  const single: number[] = [];
  for (let i = 0; i < changes; i++) {
    const t0 = performance.now();
    await router.converge(
      ref,
      target(split(i % 2 === 0 ? 10 : 20), 'bench', split(i === 0 ? 5 : i % 2 === 0 ? 20 : 10)),
    );
    single.push(performance.now() - t0);
  }

  const roundTimes: number[] = [];
  const perWriter: number[] = [];
  attempts = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await Promise.all(
      named.map(async (route, i) => {
        const s = performance.now();
        await router.converge(
          { namespace, name: 'reviews', route: { kind: 'named', name: route.name } },
          target(split(((r + i) % 9) * 10 + 10), `w${i}`),
        );
        perWriter.push(performance.now() - s);
      }),
    );
    roundTimes.push(performance.now() - t0);
  }
  const writesPerChange = attempts / (rounds * named.length);

  const result = {
    date: new Date().toISOString(),
    machine: '2 cores, bed on loopback',
    single: { changes, medianMs: median(single), p95Ms: quantile(single, 0.95) },
    concurrent20: {
      rounds,
      medianRoundMs: median(roundTimes),
      medianPerChangeMs: median(perWriter),
      p95PerChangeMs: quantile(perWriter, 0.95),
      writeAttemptsPerChange: writesPerChange,
    },
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    [
      '| weight change (read, validate, write, read back) | median | p95 |',
      '|---|---:|---:|',
      `| one at a time (${changes} changes) | ${ms(result.single.medianMs)} ms | ${ms(result.single.p95Ms)} ms |`,
      `| 20 at once on one VirtualService, per change (${rounds} rounds) | ${ms(result.concurrent20.medianPerChangeMs)} ms | ${ms(result.concurrent20.p95PerChangeMs)} ms |`,
      `| 20 at once, whole round | ${ms(result.concurrent20.medianRoundMs)} ms | |`,
      '',
      `write attempts per change when 20 race: ${writesPerChange.toFixed(2)} (409 retries included)`,
      '',
    ].join('\n'),
  );
} finally {
  await admin
    .makeApiClient(k8s.CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
  if (started) await bedDown();
}
