/**
 * A release engine on the bed: the real API server (as the least-privilege bot), the bed's Prometheus fed by
 * the traffic simulator in compressed time, DynamoDB Local, and a memory notifier (Slack is not under test
 * here). Time is simulated: it starts 45 minutes in the past and moves one tick at a time, never past now.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../../local/bed/manifests.js';
import { KubernetesMeshReader } from '../../../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from '../../../local/traffic/remote-write.js';
import { loadSampleProfiles } from '../../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../../local/traffic/simulator.js';
import type { ReleaseDependencies } from '../../../src/app/dependencies.js';
import { silentLogger } from '../../../src/app/logger.js';
import { runTickJob, type TickJob, type TickReport, tick } from '../../../src/app/tick.js';
import { MemoryNotifier } from '../../../src/chat/memory-notifier.js';
import { DEFAULT_APPROVAL_POLICY, decide, isFinal, type Release } from '../../../src/domain/release/index.js';
import { type IstioRouterOptions, IstioTrafficRouter } from '../../../src/mesh/istio/istio-router.js';
import { PrometheusMetricsReader } from '../../../src/metrics/index.js';
import { DynamoDbStore } from '../../../src/store/dynamodb/dynamodb-store.js';
import { createStoreTable, deleteStoreTable } from '../../../src/store/dynamodb/store-table.js';

export interface EngineHarness {
  bed: BedState;
  admin: k8s.KubeConfig;
  /** The least-privilege bot's identity (what its router and catalog read with). */
  bot: k8s.KubeConfig;
  namespace: string;
  /** More copies of Bookinfo the bot may release in (`extraNamespaces`); no traffic is simulated there. */
  extraNamespaces: readonly string[];
  deps: ReleaseDependencies;
  notifier: MemoryNotifier;
  simulator: MeshTrafficSimulator;
  /** Counts write attempts on the VirtualService (409 retries included). */
  writes: () => number;
  now: () => Date;
  /** Moves simulated time on by `minutes`, writing the traffic of that time, then ticks once. */
  advance: (minutes?: number) => Promise<void>;
  /** One tick at the simulated time, each release's job run in turn. */
  tick: () => Promise<TickReport>;
  /** Runs ticks another way from now on (through a running bot's queue and workers). */
  tickWith: (run: (at: Date) => Promise<TickReport>) => void;
  /** Reads the live reviews VirtualService. */
  reviews: () => Promise<{
    metadata: k8s.V1ObjectMeta;
    spec: { http: { route?: { destination: { subset?: string }; weight?: number }[] }[] };
  }>;
  release: (id: string) => Promise<Release>;
  /**
   * What a worker does up to a crash: decides an approval of the current step and writes it to the store,
   * carrying out none of its effects. Returns the release as recorded.
   */
  recordApprovalOnly: (id: string, actor: string) => Promise<Release>;
  close: () => Promise<void>;
}

/** The same identity, reaching the API server at another address (a fault proxy in front of it). */
function throughServer(kc: k8s.KubeConfig, server: string): k8s.KubeConfig {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user) throw new Error('kubeconfig without cluster or user');
  const moved = new k8s.KubeConfig();
  moved.loadFromOptions({
    clusters: [{ ...cluster, server }],
    users: [user],
    contexts: [{ name: 'bot', cluster: cluster.name, user: user.name }],
    currentContext: 'bot',
  });
  return moved;
}

/** Starts an engine around a private copy of Bookinfo; reviews gets `rps` requests a second. */
export async function startEngine(
  options: {
    rps?: number;
    router?: IstioRouterOptions;
    /** Where the bot reaches its components (fault proxies); the bed's own endpoints by default. */
    via?: { kubeServer?: string; prometheusUrl?: string; dynamodbEndpoint?: string };
    /** Who reports reviews' requests: its sidecars (default), or a waypoint (Istio's ambient mode). */
    reporter?: 'destination' | 'waypoint';
    /** How many more copies of Bookinfo, each in its own namespace, the bot may release in. */
    extraNamespaces?: number;
  } = {},
): Promise<EngineHarness> {
  const bed = await requireBed();
  const admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  const namespace = uniqueNamespace('engine');
  const home = uniqueNamespace('engine-bot');
  await deploySample(admin, 'bookinfo', namespace);
  const extraNamespaces = Array.from({ length: options.extraNamespaces ?? 0 }, () =>
    uniqueNamespace('engine'),
  );
  for (const extra of extraNamespaces) await deploySample(admin, 'bookinfo', extra);
  const identity = await botKubeConfig(
    bed,
    admin,
    home,
    [namespace, ...extraNamespaces],
    await botClusterRole(),
  );
  const bot = options.via?.kubeServer ? throughServer(identity, options.via.kubeServer) : identity;
  let writes = 0;
  const router = new IstioTrafficRouter(bot, {
    ...options.router,
    beforeWrite: async (attempt) => {
      writes++;
      await options.router?.beforeWrite?.(attempt);
    },
  });

  const credentials = { accessKeyId: 'bed', secretAccessKey: 'bed' };
  const client = new DynamoDBClient({ endpoint: bed.dynamodb.endpoint, region: 'local', credentials });
  const tableName = `engine-${Date.now().toString(36)}`;
  await createStoreTable(client, tableName);
  const storeClient = options.via?.dynamodbEndpoint
    ? new DynamoDBClient({
        endpoint: options.via.dynamodbEndpoint,
        region: 'local',
        credentials,
        maxAttempts: 2,
      })
    : client;
  const store = new DynamoDbStore<Release>({ client: storeClient, tableName });

  let clock = Math.floor(Date.now() / 60_000) * 60_000 - 45 * 60_000;
  const notifier = new MemoryNotifier();
  let ids = 0;
  const metrics = PrometheusMetricsReader.fromConfig({
    url: options.via?.prometheusUrl ?? bed.prometheus.url,
    retries: 1,
    retryBaseDelayMs: 50,
  });
  const deps: ReleaseDependencies = {
    store,
    routers: async () => router,
    metricsFor: () => metrics,
    notifier,
    policy: DEFAULT_APPROVAL_POLICY,
    groupsOf: async () => [],
    clock: () => new Date(clock),
    newId: () => `e${Date.now().toString(36)}${ids++}`,
    log: silentLogger,
    defaultNamespace: namespace,
  };

  const profiles = (await loadSampleProfiles(['bookinfo'], { bookinfo: namespace }))
    .filter((p) => p.name === 'reviews')
    .map((p) => ({
      ...p,
      rps: options.rps ?? 400,
      ...(options.reporter ? { reporter: options.reporter } : {}),
      calls: [],
      versions: p.versions.map((v) => ({
        ...v,
        calls: [],
        errorRate: 0,
        latency: { kind: 'lognormal' as const, medianMs: 20, p99Ms: 80 },
      })),
    }));
  const simulator = new MeshTrafficSimulator({
    services: profiles,
    reader: KubernetesMeshReader.fromKubeConfig(admin),
    writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
  });
  let simulated = clock;
  await simulator.simulate({ from: simulated - 60_000, to: simulated, stepSeconds: 15 });

  // Each release's share of a tick runs here, one after the other: the engine is under test, not the
  // queue (the queue has its own tests on ElasticMQ).
  let ticker: ((at: Date) => Promise<TickReport>) | undefined;
  const runTick = (at: Date) =>
    ticker?.(at) ??
    tick(
      {
        ...deps,
        queue: {
          send: async (jobs) => {
            for (const job of jobs) await runTickJob(deps, job.body as TickJob);
          },
        },
      },
      at,
    );
  const custom = admin.makeApiClient(k8s.CustomObjectsApi);
  return {
    bed,
    admin,
    bot,
    namespace,
    extraNamespaces,
    deps,
    notifier,
    simulator,
    writes: () => writes,
    now: () => new Date(clock),
    advance: async (minutes = 1) => {
      clock += minutes * 60_000;
      if (clock > Date.now())
        throw new Error('simulated time caught up with the wall clock: the scenario is too long');
      await simulator.simulate({ from: simulated + 15_000, to: clock, stepSeconds: 15 });
      simulated = clock;
      await runTick(new Date(clock));
    },
    tick: () => runTick(new Date(clock)),
    tickWith: (run) => {
      ticker = run;
    },
    reviews: async () =>
      (await custom.getNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace,
        plural: 'virtualservices',
        name: 'reviews',
      })) as never,
    recordApprovalOnly: async (id, actor) => {
      const stored = await store.get(id);
      const request = stored?.state.approvalRequest;
      if (!stored || !request) throw new Error(`release ${id} is not waiting for approval`);
      const { next } = decide(stored.state, {
        type: 'approve',
        actor,
        at: new Date(clock).toISOString(),
        step: request.step,
        stateVersion: request.stateVersion,
      });
      await store.update({ id, active: !isFinal(next), state: next }, stored.rowVersion);
      return next;
    },
    release: async (id) => {
      const stored = await store.get(id);
      if (!stored) throw new Error(`no release ${id}`);
      return stored.state;
    },
    close: async () => {
      await deleteStoreTable(client, tableName).catch(() => undefined);
      client.destroy();
      const core = admin.makeApiClient(k8s.CoreV1Api);
      await Promise.all(
        [namespace, home, ...extraNamespaces].map((name) =>
          core.deleteNamespace({ name }).catch(() => undefined),
        ),
      );
    },
  };
}

/** Ticks until the release reaches one of `phases`, at most `maxMinutes` simulated minutes. */
export async function untilPhase(
  engine: EngineHarness,
  id: string,
  phases: Release['phase'][],
  maxMinutes: number,
): Promise<Release> {
  for (let i = 0; i < maxMinutes; i++) {
    await engine.advance(1);
    const release = await engine.release(id);
    if (phases.includes(release.phase)) return release;
  }
  const release = await engine.release(id);
  throw new Error(
    `release still ${release.phase} after ${maxMinutes} minutes: ${release.lastVerdict?.reasons.map((r) => r.message).join('; ')}`,
  );
}
