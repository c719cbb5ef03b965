/**
 * One tick over 500 active releases on the bed: list from DynamoDB Local, batched RED reads from
 * Prometheus, one judgement per release, a drift check against the real API server, the decision and its
 * write. Traffic for 500 services x 2 versions is written first by the simulator.
 *
 * With `--workers 4`, the deployment's shape instead: the tick as a process of its own fans one job per
 * release out to the ElasticMQ FIFO queue, and four worker processes (local/bot-processes.ts) judge, check
 * and decide; measured from the tick's start to its end (fan-out) and to every release decided (completion).
 *
 *   tsx bench/tick/run.ts [--releases 500] [--out bench/results/tick.json]
 *   tsx bench/tick/run.ts --releases 1000 --workers 4 [--out bench/results/tick-queue.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as k8s from '@kubernetes/client-node';
import { bedDown, bedUp } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { applyObjects, uniqueNamespace } from '../../local/bed/manifests.js';
import { type BotProcesses, startBotProcesses } from '../../local/bot-processes.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import type { ServiceProfile } from '../../local/traffic/profile.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import { silentLogger } from '../../src/app/logger.js';
import { routeKeyOf } from '../../src/app/ports/release-store.js';
import { runTickJob, tick } from '../../src/app/tick.js';
import { MemoryNotifier } from '../../src/chat/memory-notifier.js';
import {
  DEFAULT_APPROVAL_POLICY,
  decide,
  type Release,
  startRelease,
} from '../../src/domain/release/index.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { PrometheusMetricsReader } from '../../src/metrics/index.js';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store.js';
import { createStoreTable, deleteStoreTable } from '../../src/store/dynamodb/store-table.js';

const { values } = parseArgs({
  options: {
    releases: { type: 'string', default: '500' },
    workers: { type: 'string' },
    out: { type: 'string' },
  },
});
const count = Number(values.releases);
const workers = values.workers === undefined ? undefined : Number(values.workers);
const out =
  values.out ??
  resolve(dirname(fileURLToPath(import.meta.url)), `../results/${workers ? 'tick-queue' : 'tick'}.json`);

const { state, started } = await bedUp();
const admin = kubeConfigFrom(state.kube.kubeconfigs.admin);
const namespace = uniqueNamespace('bench-tick');
const client = new DynamoDBClient({
  endpoint: state.dynamodb.endpoint,
  region: 'local',
  credentials: { accessKeyId: 'bed', secretAccessKey: 'bed' },
});
const tableName = `bench-tick-${Date.now().toString(36)}`;
let bot: BotProcesses | undefined;

/** The tick and `workers` worker processes on the FIFO queue, over the releases stored above. */
async function throughTheQueue(workers: number, names: string[], scheduledAt: number): Promise<void> {
  const identity = await botKubeConfig(state, admin, `${namespace}-bot`, [namespace], await botClusterRole());
  const kubeconfig = join(state.dir, `${namespace}.kubeconfig`);
  await writeFile(kubeconfig, identity.exportConfig(), { mode: 0o600 });
  bot = await startBotProcesses(
    state,
    {
      CANARY_BOT_CLUSTERS: JSON.stringify({
        bench: { kube: { mode: 'kubeconfig', path: kubeconfig }, prometheus: { url: state.prometheus.url } },
      }),
      CANARY_BOT_DEFAULT_CLUSTER: 'bench',
      CANARY_BOT_DEFAULT_NAMESPACE: namespace,
      CANARY_BOT_TABLE: tableName,
      CANARY_BOT_SLACK_CHANNEL: 'C0RELEASES',
      CANARY_BOT_POLICY: JSON.stringify({ default: { starters: ['*'], approvers: ['*'], fourEyes: true } }),
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    { workers, visibilityTimeoutSeconds: 60, logDir: state.dir },
  );
  const store = new DynamoDbStore<Release>({ client, tableName });
  const t0 = performance.now();
  const report = await bot.tick(new Date(scheduledAt));
  const fanOutSeconds = (performance.now() - t0) / 1000;
  await bot.settled(600_000);
  let phases: Record<string, number> = {};
  for (;;) {
    phases = {};
    for (const s of await store.listActive()) phases[s.state.phase] = (phases[s.state.phase] ?? 0) + 1;
    if ((phases.analysing ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const completionSeconds = (performance.now() - t0) / 1000;
  const jobs = bot.workers.reduce((sum, w) => sum + w.invocations().ended, 0);
  const result = {
    date: new Date().toISOString(),
    releases: names.length,
    workers,
    report,
    fanOutSeconds,
    completionSeconds,
    invocations: jobs,
    phases,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    [
      `| tick over ${names.length} active releases, ${workers} worker processes | time |`,
      '|---|---:|',
      `| fan-out: the tick's process from start to end (${report.queries} PromQL queries, ${report.sent} jobs sent) | ${fanOutSeconds.toFixed(2)} s |`,
      `| completion: every release judged, drift-checked and decided (${jobs} worker invocations) | ${completionSeconds.toFixed(2)} s |`,
      `| phases after | ${Object.entries(phases)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ')} |`,
      '',
    ].join('\n'),
  );
}
try {
  const names = Array.from({ length: count }, (_, i) => `svc-${i}`);
  const dest = (name: string, subset: string) => ({ host: name, subset });
  const virtualService = (name: string) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace },
    spec: {
      hosts: [name],
      http: [
        {
          route: [
            { destination: dest(name, 'v1'), weight: 90 },
            { destination: dest(name, 'v2'), weight: 10 },
          ],
        },
      ],
    },
  });
  const rule = (name: string) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: { host: name, subsets: ['v1', 'v2'].map((v) => ({ name: v, labels: { version: v } })) },
  });
  await applyObjects(admin, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
  const objects = names.flatMap((n) => [virtualService(n), rule(n)]);
  for (let i = 0; i < objects.length; i += 50)
    await Promise.all(objects.slice(i, i + 50).map((o) => applyObjects(admin, [o as never])));

  // Ten minutes of traffic for every service, healthy, written in compressed time.
  const to = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const from = to - 12 * 60_000;
  const profiles: ServiceProfile[] = names.map((name) => ({
    name,
    namespace,
    rps: 50,
    versions: ['v1', 'v2'].map((version) => ({
      version,
      workload: `${name}-${version}`,
      labels: { app: name, version },
      errorRate: 0,
    })),
  }));
  const simulator = new MeshTrafficSimulator({
    services: profiles,
    reader: new StaticMeshReader(objects),
    writer: new PrometheusRemoteWriter({ prometheusUrl: state.prometheus.url }),
  });
  await simulator.simulate({ from, to, stepSeconds: 30 });

  // 500 releases analysing their first step (10%), applied 10 minutes before the tick.
  await createStoreTable(client, tableName);
  const store = new DynamoDbStore<Release>({ client, tableName });
  const appliedAt = new Date(to - 10 * 60_000).toISOString();
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(
      names.slice(i, i + 25).map(async (name, j) => {
        const id = `b${i + j}`;
        const { release } = startRelease(
          {
            target: { namespace, service: name, virtualService: name, route: { kind: 'default' } },
            baseline: { version: 'v1', destination: dest(name, 'v1') },
            canary: { version: 'v2', destination: dest(name, 'v2') },
            plan: { kind: 'canary', steps: [10, 50, 100] },
            requestedBy: 'U0ALICE001',
            original: {
              route: { route: [{ destination: dest(name, 'v1') }] },
              weights: [{ destination: dest(name, 'v1'), weight: 100 }],
            },
            options: { minAnalysisSeconds: 300 },
          },
          appliedAt,
          id,
        );
        const request = release.approvalRequest!;
        const approved = decide(release, {
          type: 'approve',
          actor: 'U0BOB00002',
          at: appliedAt,
          step: request.step,
          stateVersion: request.stateVersion,
        }).next;
        const analysing = decide(approved, {
          type: 'applied',
          at: appliedAt,
          revision: approved.desired.revision,
        }).next;
        await store.create({
          id,
          routeKey: routeKeyOf('bench', namespace, name, '(default)'),
          namespace,
          service: name,
          active: true,
          state: analysing,
        });
      }),
    );
  }

  if (workers) await throughTheQueue(workers, names, to);
  else await inProcess(to);
} finally {
  await bot?.close();
  await deleteStoreTable(client, tableName).catch(() => undefined);
  client.destroy();
  await admin
    .makeApiClient(k8s.CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
  if (started) await bedDown();
}

/** The tick and each release's job in this process, eight jobs at a time. */
async function inProcess(to: number): Promise<void> {
  const store = new DynamoDbStore<Release>({ client, tableName });
  let queries = 0;
  const prometheus = PrometheusMetricsReader.fromConfig({ url: state.prometheus.url });
  const deps: ReleaseDependencies = {
    store,
    routers: async () => router,
    metricsFor: () => ({
      red: async (selection, window) => {
        const report = await prometheus.red(selection, window);
        queries += report.queries;
        return report;
      },
      redRange: (selection, options) => prometheus.redRange(selection, options),
      flaggerChecks: (target, options) => prometheus.flaggerChecks(target, options),
    }),
    notifier: new MemoryNotifier(),
    policy: DEFAULT_APPROVAL_POLICY,
    groupsOf: async () => [],
    clock: () => new Date(to),
    newId: () => 'unused',
    log: silentLogger,
    defaultNamespace: namespace,
  };
  const router = new IstioTrafficRouter(admin);

  const rounds: {
    seconds: number;
    queries: number;
    judged: number;
    failed: number;
    phases: Record<string, number>;
  }[] = [];
  for (const at of [to, to + 30_000]) {
    queries = 0;
    const t0 = performance.now();
    let failed = 0;
    const report = await tick(
      {
        ...deps,
        // Each release's job runs here, eight at a time (the queue and its workers have their own benchmark).
        queue: {
          send: async (jobs) => {
            const pending = [...jobs];
            await Promise.all(
              Array.from({ length: 8 }, async () => {
                for (let job = pending.shift(); job; job = pending.shift())
                  if (job.body.kind === 'tick') await runTickJob(deps, job.body).catch(() => failed++);
              }),
            );
          },
        },
      },
      new Date(at),
    );
    const seconds = (performance.now() - t0) / 1000;
    const phases: Record<string, number> = {};
    for (const s of await store.listActive()) phases[s.state.phase] = (phases[s.state.phase] ?? 0) + 1;
    rounds.push({ seconds, queries, judged: report.read, failed, phases });
  }

  const result = { date: new Date().toISOString(), releases: count, rounds };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    [
      `| tick over ${count} active releases | time | PromQL queries | judged | failed | phases after |`,
      '|---|---:|---:|---:|---:|---|',
      ...rounds.map(
        (r, i) =>
          `| ${i === 0 ? 'first (all analysing, all pass)' : 'second (all awaiting approval)'} | ${r.seconds.toFixed(2)} s | ${r.queries} | ${r.judged} | ${r.failed} | ${Object.entries(
            r.phases,
          )
            .map(([p, n]) => `${p} ${n}`)
            .join(', ')} |`,
      ),
      '',
    ].join('\n'),
  );
}
