/**
 * Concurrency between the workers, explored rather than hoped for: pairs of real use cases (a click, a
 * command, a tick's evaluation, a resume, a hand edit, a worker killed mid-job) run concurrently on one
 * release under fast-check's scheduler, over the embedded store and a real VirtualService of the bed, as the
 * least-privilege bot. The queue gives one writer per release; these runs drop that guarantee on purpose
 * (two workers at once, as when one outlives its turn) and check that the release stays safe anyway:
 *
 * - a final release leaves its route exactly as its outcome says, with its tombstone;
 * - no mesh write lands after the release ended;
 * - a steady release's route holds what it last confirmed (no false drift halt, no lost hand edit);
 * - each approval is applied once, and the audit trail agrees with the release.
 *
 * A Flagger-gated release has its own pair: Flagger's calls (a confirm-promotion gate, the rollback hook, its
 * events) racing a person's button on the revision's card. There the bot never writes the mesh (Flagger does,
 * on the bot's answers), so the checks are on what Flagger was told: a gate or rollback it was let through
 * is one a person asked for, recorded once; nothing is decided after the revision ended.
 *
 * Every pair runs INTERLEAVINGS_RUNS schedules (1,000 by default); a failure prints fast-check's seed and the
 * schedule, and INTERLEAVINGS_SEED=<seed> runs the same schedules again.
 */
import * as k8s from '@kubernetes/client-node';
import fc from 'fast-check';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import { actOnFlaggerGate, type FlaggerActionDependencies } from '../../src/app/flagger-actions.js';
import { answerFlaggerHook, type FlaggerHookAnswer } from '../../src/app/flagger-gate.js';
import { silentLogger } from '../../src/app/logger.js';
import type { FlaggerNotifier } from '../../src/app/ports/flagger-notifier.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import type { TrafficRouter } from '../../src/app/ports/traffic-router.js';
import { actOnRelease, type PersonAction } from '../../src/app/release-actions.js';
import { decideAndStore } from '../../src/app/release-runner.js';
import { startRelease } from '../../src/app/start-release.js';
import { runTickJob } from '../../src/app/tick.js';
import { MemoryNotifier } from '../../src/chat/memory-notifier.js';
import type { SurfaceDependencies } from '../../src/chat/slack/slack-worker.js';
import { publishHome, unfurlReleases } from '../../src/chat/slack/surface-jobs.js';
import {
  auditSubjectOf,
  type FlaggerPayload,
  type FlaggerRevision,
  gateIdOf,
  type PersonGateAction,
  REVISION_RECORD_KIND,
  revisionIdOf,
} from '../../src/domain/flagger/index.js';
import { isFinal, type Release } from '../../src/domain/release/index.js';
import type { HttpRoute, VirtualServiceSpec } from '../../src/domain/routing/virtual-service.js';
import { IstioTrafficRouter, OWNER_ANNOTATION } from '../../src/mesh/istio/istio-router.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { gated, Interleaver, KilledError } from './support/interleaver.js';

const RUNS = Number(process.env.INTERLEAVINGS_RUNS ?? 1000);
/** fast-check's seed of a failed run (printed with it), to run the same schedules again. */
const SEED =
  process.env.INTERLEAVINGS_SEED === undefined ? undefined : Number(process.env.INTERLEAVINGS_SEED);
const requester = { userId: 'U0ALICE001', groupIds: [] };
const approver = { userId: 'U0BOB00002', groupIds: [] };
/** A second approver, in the quorum's group (the quorum pair). */
const sre = { userId: 'U0CAROL002', groupIds: ['S0SRE'] };
/** The quorum pair's policy: two distinct approvers per step, one of them from S0SRE. */
const quorumPolicy: ReleaseDependencies['policy'] = {
  default: { starters: ['*'], approvers: ['*'], fourEyes: true, quorum: { approvals: 2, oneFrom: 'S0SRE' } },
};
const original: HttpRoute = { route: [{ destination: { host: 'reviews', subset: 'v1' } }] };
const foreign: HttpRoute = {
  name: 'team-debug',
  match: [{ headers: { 'x-debug': { exact: '1' } } }],
  route: [{ destination: { host: 'reviews', subset: 'v3' } }],
  timeout: '10s',
};

let bed: BedState;
let admin: k8s.KubeConfig;
let custom: k8s.CustomObjectsApi;
let bot: k8s.KubeConfig;
const namespace = uniqueNamespace('interleave');
const home = uniqueNamespace('interleave-bot');

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  await deploySample(admin, 'bookinfo', namespace);
  bot = await botKubeConfig(bed, admin, home, [namespace], await botClusterRole());
}, 180_000);

afterAll(async () => {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all([namespace, home].map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

interface VsObject {
  metadata: k8s.V1ObjectMeta;
  spec: VirtualServiceSpec;
}

const vsApi = (name: string) => ({
  group: 'networking.istio.io',
  version: 'v1',
  namespace,
  plural: 'virtualservices',
  name,
});

async function readVs(name: string): Promise<VsObject> {
  return (await custom.getNamespacedCustomObject(vsApi(name))) as VsObject;
}

/** Puts a VirtualService back to its start: a foreign route, then everything to v1, without owner marks. */
async function resetVs(name: string): Promise<void> {
  const spec = { hosts: ['reviews'], http: [foreign, original] };
  const body = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace },
    spec,
  };
  try {
    const live = await readVs(name);
    await custom.replaceNamespacedCustomObject({
      ...vsApi(name),
      body: { ...body, metadata: { ...body.metadata, resourceVersion: live.metadata.resourceVersion } },
    });
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
    await custom.createNamespacedCustomObject({ ...vsApi(name), body });
  }
}

/**
 * A hand edit by an operator (`kubectl edit`): the owned route set to these weights of v1 and v2. Between
 * the read and the write another writer may go; like kubectl, the edit is made again on a conflict.
 */
async function handEdit(name: string, v1: number, v2: number, between?: () => Promise<void>): Promise<void> {
  for (;;) {
    const live = await readVs(name);
    const http = [...(live.spec.http ?? [])];
    http[http.length - 1] = {
      route: [
        { destination: { host: 'reviews', subset: 'v1' }, weight: v1 },
        { destination: { host: 'reviews', subset: 'v2' }, weight: v2 },
      ],
    };
    await between?.();
    try {
      await custom.replaceNamespacedCustomObject({
        ...vsApi(name),
        body: { ...live, spec: { ...live.spec, http } },
      });
      return;
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }
}

function ownedWeights(vs: VsObject): Record<string, number> {
  const route = vs.spec.http?.at(-1)?.route ?? [];
  return Object.fromEntries(
    route.map((r) => [
      r.destination.subset ?? r.destination.host,
      r.weight ?? (route.length === 1 ? 100 : 0),
    ]),
  );
}

function weightsOf(release: Release): Record<string, number> {
  return Object.fromEntries(
    release.confirmedWeights.map((w) => [w.destination.subset ?? w.destination.host, w.weight]),
  );
}

/** What one run recorded: the order of mesh writes and of the release's end. */
interface Trace {
  seq: number;
  writes: { at: number; task: string }[];
  finalAt?: number;
}

/** What the router of a VirtualService does before each write, set by the run in progress. */
const hooks = new Map<string, () => Promise<void>>();
/** Per VirtualService: what a run does once the API server accepted one of its writes. */
const written = new Map<string, () => void>();
const routers = new Map<string, IstioTrafficRouter>();

/** One router per VirtualService for all its runs (it keeps its discovery and its readiness checks). */
function routerFor(vs: string): IstioTrafficRouter {
  let router = routers.get(vs);
  if (!router) {
    router = new IstioTrafficRouter(bot, {
      // The destinations are the same in every run: checked once a minute, not before each of thousands of writes.
      validationCacheMs: 60_000,
      // The read-modify-write inside a convergence is a gate too: two writers can interleave there.
      beforeWrite: async () => await hooks.get(vs)?.(),
      afterWrite: () => written.get(vs)?.(),
    });
    routers.set(vs, router);
  }
  return router;
}

/** The deps of a run: the real use cases on a fresh store, every port call gated, mesh writes traced. */
function runDeps(
  interleaver: Interleaver | undefined,
  store: BotStore<Release>,
  vs: string,
  trace: Trace,
  policy: ReleaseDependencies['policy'] = { default: { starters: ['*'], approvers: ['*'], fourEyes: true } },
): ReleaseDependencies {
  let clock = Date.parse('2026-12-01T10:00:00Z');
  // A convergence writes only once the API server accepts its write (a write refused with 409 is retried
  // from a fresh read, and may find nothing left to write); one that returns after that has written.
  const writing = new Map<string, boolean>();
  const task = () => interleaver?.now() ?? 'setup';
  const router = routerFor(vs);
  hooks.set(vs, async () => {
    if (interleaver) await interleaver.gate(task(), 'router.write');
  });
  written.set(vs, () => writing.set(task(), true));
  const traced: TrafficRouter = new Proxy(router, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      // Kubernetes Events on the route are not what these runs check: a gate, then nothing.
      if (property === 'recordEvent') return async () => {};
      if (property !== 'converge') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        writing.set(task(), false);
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (writing.get(task())) trace.writes.push({ at: trace.seq++, task: task() });
        return result;
      };
    },
  });
  const tracedStore: BotStore<Release> = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'update') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<BotStore<Release>['update']>) => {
        const result = await target.update(...args);
        if (isFinal(result.state) && trace.finalAt === undefined) trace.finalAt = trace.seq++;
        return result;
      };
    },
  });
  return {
    store: interleaver ? gated(interleaver, tracedStore, 'store') : tracedStore,
    routers: async () => (interleaver ? gated(interleaver, traced, 'router') : traced),
    metricsFor: () => {
      throw new Error('not read in these runs');
    },
    notifier: interleaver ? gated(interleaver, new MemoryNotifier(), 'chat') : new MemoryNotifier(),
    policy,
    groupsOf: async () => [],
    clock: () => {
      clock += 1000;
      return new Date(clock);
    },
    newId: () => `r${vs.replace(/[^a-z0-9]/g, '')}`,
    log: silentLogger,
    defaultNamespace: namespace,
    defaultCluster: 'bed',
  };
}

/** The state a pair starts from, reached without interleaving. */
type Precondition = 'awaiting-first' | 'awaiting-second' | 'applying-unconfirmed' | 'paused-drift';

async function prepare(deps: ReleaseDependencies, vs: string, state: Precondition): Promise<Release> {
  const started = await startRelease(
    deps,
    {
      kind: 'canary',
      service: 'reviews',
      version: 'v2',
      virtualService: vs,
      namespace,
      steps: [10, 50],
      options: { minAnalysisSeconds: 0 },
    },
    requester,
  );
  if (!started.ok) throw new Error(started.message);
  const id = started.value.id;
  const approveNow = async () => {
    const request = (await deps.store.get(id))?.state.approvalRequest;
    if (!request) throw new Error('not waiting for approval');
    const done = await actOnRelease(
      deps,
      id,
      { action: 'approve', step: request.step, stateVersion: request.stateVersion },
      approver,
    );
    if (!done.ok) throw new Error(done.message);
  };
  if (state === 'awaiting-first') return (await deps.store.get(id))!.state;
  if (state === 'applying-unconfirmed') {
    // A worker recorded the approval and died before the mesh.
    const request = (await deps.store.get(id))!.state.approvalRequest!;
    await decideAndStore(deps, id, () => ({
      type: 'approve',
      actor: approver.userId,
      at: deps.clock().toISOString(),
      step: request.step,
      stateVersion: request.stateVersion,
    }));
    return (await deps.store.get(id))!.state;
  }
  await approveNow(); // step 1 live at 10%, analysing
  if (state === 'paused-drift') {
    await handEdit(vs, 60, 40);
    await runTickJob(deps, { kind: 'tick', releaseId: id, at: deps.clock().toISOString() });
    return (await deps.store.get(id))!.state;
  }
  const analysing = (await deps.store.get(id))!.state;
  await runTickJob(deps, {
    kind: 'tick',
    releaseId: id,
    at: deps.clock().toISOString(),
    reading: healthyReading(analysing),
  });
  return (await deps.store.get(id))!.state; // passed: awaiting approval of step 2
}

function healthyReading(release: Release) {
  return {
    kind: 'figures' as const,
    stateVersion: release.version,
    step: release.analysis?.step ?? release.currentStep,
    windowStartedAt: release.analysis?.startedAt ?? release.phaseSince,
    windowSeconds: 60,
    canary: { requests: 20_000, errors: 0 },
    baseline: { requests: 180_000, errors: 0 },
  };
}

/** A person's action as the card's button sends it, for the release as the person saw it. */
function click(action: PersonAction['action'], seen: Release): PersonAction {
  if (action === 'approve') {
    const request = seen.approvalRequest;
    if (!request) throw new Error('no approval request on the card');
    return { action, step: request.step, stateVersion: request.stateVersion };
  }
  return { action, stateVersion: seen.version } as PersonAction;
}

/** The checks every run ends with. */
async function checkInvariants(
  store: BotStore<Release>,
  id: string,
  vs: string,
  trace: Trace,
  options: { handEdited: boolean; clickedStep?: number; approved: boolean; quorum?: number },
): Promise<void> {
  const release = (await store.get(id))!.state;
  const live = await readVs(vs);
  const http = live.spec.http ?? [];
  // Routes the bot does not own survive every run, byte for byte, in place.
  expect(http[0]).toEqual(foreign);
  if (isFinal(release)) {
    if (release.phase === 'promoted') expect(ownedWeights(live)).toEqual({ v2: 100 });
    else expect(http.at(-1)).toEqual(original);
    expect(http.filter((r) => r.name?.startsWith('canary-bot-'))).toEqual([]);
    if (release.meshChanged)
      expect(live.metadata.annotations?.[OWNER_ANNOTATION]).toMatch(
        new RegExp(`^${id}/${release.version}/final@[0-9a-f]{16}$`),
      );
    // Nothing written after the end.
    if (trace.finalAt !== undefined)
      expect(trace.writes.filter((w) => w.at > (trace.finalAt as number))).toEqual([]);
  } else if (release.applied && (release.phase === 'analysing' || release.phase === 'awaiting-approval')) {
    expect(ownedWeights(live)).toEqual(weightsOf(release));
  }
  if (!options.handEdited) expect(release.pause?.reason).not.toBe('drift');
  // Each approval applied once (one per person under a quorum); the audit trail says the same as the release.
  const keys = release.approvals.map((a) => `${a.step}/${a.stateVersion}/${options.quorum ? a.actor : ''}`);
  expect(new Set(keys).size).toBe(keys.length);
  const audit = await store.listAudit(id);
  expect(audit.filter((e) => e.action === 'approve')).toHaveLength(release.approvals.length);
  if (options.clickedStep !== undefined) {
    const forStep = release.approvals.filter((a) => a.step === options.clickedStep);
    expect(forStep.length).toBeLessThanOrEqual(options.quorum ?? 1);
    if (options.approved) expect(forStep).toHaveLength(options.quorum ?? 1);
  }
}

interface Pair {
  name: string;
  from: Precondition;
  /** The policy of the run (anyone approves, one approval, when left out). */
  policy?: ReleaseDependencies['policy'];
  /** Both clicks must count: the step needs this many approvals, and advances once they are in. */
  quorum?: number;
  handEdited?: boolean;
  /** Kill a task at its n-th gate (a worker dying mid-job), then let a later tick repair. */
  kill?: { task: string; atGate: fc.Arbitrary<number> };
  /** What runs before that tick: SQS delivering the killed job again, after its visibility timeout. */
  redeliver?: (deps: ReleaseDependencies, seen: Release) => Promise<unknown>;
  tasks: (
    deps: ReleaseDependencies,
    seen: Release,
    vs: string,
    interleaver: Interleaver,
  ) => Record<string, () => Promise<unknown>>;
}

const pairs: Pair[] = [
  {
    name: 'approve vs cancel',
    from: 'awaiting-first',
    tasks: (deps, seen) => ({
      approve: () => actOnRelease(deps, seen.id, click('approve', seen), approver),
      cancel: () => actOnRelease(deps, seen.id, click('cancel', seen), requester),
    }),
  },
  {
    // Two approvers click at once under a quorum of two: both count, the step advances exactly once.
    name: 'two approvers at once under a quorum of two',
    from: 'awaiting-first',
    policy: quorumPolicy,
    quorum: 2,
    tasks: (deps, seen) => ({
      approve: () => actOnRelease(deps, seen.id, click('approve', seen), approver),
      approve2: () => actOnRelease(deps, seen.id, click('approve', seen), sre),
    }),
  },
  {
    name: 'approve vs rollback',
    from: 'awaiting-second',
    tasks: (deps, seen) => ({
      approve: () => actOnRelease(deps, seen.id, click('approve', seen), approver),
      rollback: () => actOnRelease(deps, seen.id, click('rollback', seen), approver),
    }),
  },
  {
    name: 'click during a tick',
    from: 'awaiting-second',
    tasks: (deps, seen) => ({
      approve: () => actOnRelease(deps, seen.id, click('approve', seen), approver),
      tick: () =>
        runTickJob(deps, {
          kind: 'tick',
          releaseId: seen.id,
          at: deps.clock().toISOString(),
          reading: healthyReading(seen),
        }),
    }),
  },
  {
    name: 'two ticks converging one state',
    from: 'applying-unconfirmed',
    tasks: (deps, seen) => ({
      tick1: () => runTickJob(deps, { kind: 'tick', releaseId: seen.id, at: deps.clock().toISOString() }),
      tick2: () => runTickJob(deps, { kind: 'tick', releaseId: seen.id, at: deps.clock().toISOString() }),
    }),
  },
  {
    name: 'resume vs a hand edit',
    from: 'paused-drift',
    handEdited: true,
    tasks: (deps, seen, vs, interleaver) => ({
      resume: () => actOnRelease(deps, seen.id, click('resume', seen), approver),
      operator: () => handEdit(vs, 70, 30, () => interleaver.gate('operator', 'kubectl edit')),
    }),
  },
  {
    name: 'worker killed between the store and the mesh vs a tick',
    from: 'awaiting-first',
    kill: { task: 'approve', atGate: fc.integer({ min: 2, max: 12 }) },
    tasks: (deps, seen) => ({
      approve: () => actOnRelease(deps, seen.id, click('approve', seen), approver),
      tick: () => runTickJob(deps, { kind: 'tick', releaseId: seen.id, at: deps.clock().toISOString() }),
    }),
  },
  {
    // The Slack surfaces read what the writers write: a Home tab drawn and a link previewed while an approval
    // and a tick move the release. They must never fail on a release caught mid-change, nor write it or
    // the mesh (the checks: no failed task, every mesh write by the approval or the tick, the usual end).
    name: 'App Home and a link preview vs an approval and a tick',
    from: 'awaiting-first',
    tasks: (deps, seen) => {
      const surfaced = { ...deps, surfaces: recordingSurfaces() };
      const from = { userId: approver.userId, channelId: '', teamId: 'T0BED', responseUrl: '' };
      const receivedAt = deps.clock().toISOString();
      return {
        approve: () => actOnRelease(deps, seen.id, click('approve', seen), approver),
        tick: () => runTickJob(deps, { kind: 'tick', releaseId: seen.id, at: deps.clock().toISOString() }),
        home: () => publishHome(surfaced, { kind: 'home', id: 'home-1', from, receivedAt }, approver),
        unfurl: () =>
          unfurlReleases(
            surfaced,
            {
              kind: 'unfurl',
              id: 'unfurl-1',
              from: { ...from, channelId: 'C0RELEASES' },
              receivedAt,
              messageTs: '1.000100',
              releaseIds: [{ url: `https://bot.example/releases/${seen.id}`, releaseId: seen.id }],
            },
            approver,
          ),
      };
    },
  },
  {
    // An ended release gets no more ticks: the killed job's own redelivery must leave what it did not.
    name: 'worker killed on the way to the end of a cancel vs its redelivery',
    from: 'awaiting-second',
    kill: { task: 'cancel', atGate: fc.integer({ min: 2, max: 16 }) },
    redeliver: (deps, seen) => actOnRelease(deps, seen.id, click('cancel', seen), requester),
    tasks: (deps, seen) => ({
      cancel: () => actOnRelease(deps, seen.id, click('cancel', seen), requester),
      tick: () => runTickJob(deps, { kind: 'tick', releaseId: seen.id, at: deps.clock().toISOString() }),
    }),
  },
];

/** Slack's side of the surfaces, in memory: what was published and previewed. */
function recordingSurfaces(): SurfaceDependencies {
  const drawn = async () => ({ id: 'V1', hash: 'h1' });
  return {
    views: { open: drawn, update: drawn, push: drawn, publish: drawn },
    unfurl: async () => {},
    direct: async () => {},
  };
}

/** The state a pair starts from, captured once: the release, its audit trail, the VirtualService. */
interface Start {
  release: Release;
  audit: Awaited<ReturnType<BotStore<Release>['listAudit']>>;
  vs: VsObject;
}

/** Puts the VirtualService and a fresh store back to the captured start (2 writes instead of a whole run). */
async function restore(start: Start, vsName: string): Promise<EmbeddedStore<Release>> {
  const live = await readVs(vsName);
  await custom.replaceNamespacedCustomObject({
    ...vsApi(vsName),
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: {
        name: vsName,
        namespace,
        resourceVersion: live.metadata.resourceVersion,
        annotations: start.vs.metadata.annotations ?? {},
      },
      spec: start.vs.spec,
    },
  });
  const store = new EmbeddedStore<Release>();
  const { release } = start;
  await store.create(
    {
      id: release.id,
      routeKey: `bed/${namespace}/${vsName}/(default)`,
      namespace,
      service: release.target.service,
      active: !isFinal(release),
      state: release,
    },
    { audit: start.audit.map(({ key: _key, ...entry }) => entry) },
  );
  return store;
}

async function explore(pair: Pair, index: number): Promise<void> {
  const vs = `reviews-i${index}`;
  await resetVs(vs);
  const prepared = new EmbeddedStore<Release>();
  const seen = await prepare(runDeps(undefined, prepared, vs, { seq: 0, writes: [] }), vs, pair.from);
  const start: Start = { release: seen, audit: await prepared.listAudit(seen.id), vs: await readVs(vs) };
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), pair.kill ? pair.kill.atGate : fc.constant(0), async (s, killAt) => {
      const store = await restore(start, vs);
      const trace: Trace = { seq: 0, writes: [] };
      const kills = pair.kill ? new Map([[pair.kill.task, killAt]]) : new Map<string, number>();
      const interleaver = new Interleaver(s, kills);
      const deps = runDeps(interleaver, store, vs, trace, pair.policy);
      const outcomes = await interleaver.run(pair.tasks(deps, seen, vs, interleaver));
      for (const [task, outcome] of Object.entries(outcomes))
        if (outcome.status === 'rejected' && !(outcome.reason instanceof KilledError))
          throw new Error(`${task} failed: ${String(outcome.reason)}`);
      if (pair.kill || pair.handEdited) {
        // The next tick (a minute later, by the one writer) repairs what a killed worker left, or sees a
        // hand edit that landed after the bot's last write.
        const later = runDeps(undefined, store, vs, trace);
        await pair.redeliver?.(later, seen);
        await runTickJob(later, {
          kind: 'tick',
          releaseId: seen.id,
          at: new Date().toISOString(),
        });
      }
      const approval = outcomes.approve;
      const ok = (o: typeof approval) =>
        o?.status === 'fulfilled' && (o.value as { ok?: boolean } | undefined)?.ok === true;
      await checkInvariants(store, seen.id, vs, trace, {
        handEdited: pair.handEdited ?? false,
        ...(approval ? { clickedStep: seen.approvalRequest?.step } : {}),
        approved: ok(approval) && (pair.quorum === undefined || ok(outcomes.approve2)),
        ...(pair.quorum ? { quorum: pair.quorum } : {}),
      });
      if (pair.quorum) {
        // Both clicks counted, whatever the order: the step advanced, once, with both approvers.
        expect(ok(approval) && ok(outcomes.approve2)).toBe(true);
        const release = (await store.get(seen.id))!.state;
        expect(release.currentStep).toBe(seen.approvalRequest?.step ?? 0);
        expect(release.phase).not.toBe('awaiting-approval');
        expect(new Set(release.approvals.map((a) => a.actor))).toEqual(
          new Set([approver.userId, sre.userId]),
        );
        // One mesh state requested for the step: it advanced once.
        expect(release.desired.revision).toBe(seen.desired.revision + 1);
      }
    }),
    { numRuns: RUNS, endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
}

describe('interleavings of workers on one release', () => {
  it.concurrent.each(pairs.map((pair, i) => [pair.name, pair, i] as const))(
    '%s: every schedule keeps the release safe',
    async (_name, pair, index) => await explore(pair, index),
    3_600_000,
  );
});

/** Slack for a Flagger revision, in memory: one card, its redraws and thread lines. */
class RecordingFlaggerNotifier implements FlaggerNotifier {
  cards = 0;
  async postCard() {
    this.cards += 1;
    return { channel: 'C0RELEASES', ts: `1.${this.cards}` };
  }
  async updateCard() {}
  async postLine() {}
}

/** What Flagger does next depends on what the bot answered it, as its analysis loop does. */
type FlaggerScript = 'asks' | 'fails';
const flaggerPayload: FlaggerPayload = {
  name: 'podinfo',
  namespace: 'flagger-pair',
  phase: 'Progressing',
  checksum: '7845487b68',
  metadata: {},
};
const flaggerSubject = auditSubjectOf(flaggerPayload);
const flaggerRevisionId = revisionIdOf(flaggerPayload);

function flaggerDeps(
  interleaver: Interleaver | undefined,
  store: EmbeddedStore<Release>,
  written: FlaggerRevision[],
): FlaggerActionDependencies {
  let clock = Date.parse('2026-12-01T10:00:00Z');
  // Every revision written, in order: what "after the end" means for a Flagger revision.
  const traced = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'putRecord') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<EmbeddedStore<Release>['putRecord']>) => {
        const result = await target.putRecord(...args);
        if (args[0] === REVISION_RECORD_KIND) written.push(args[2] as FlaggerRevision);
        return result;
      };
    },
  });
  const notifier = new RecordingFlaggerNotifier();
  return {
    store: interleaver ? gated(interleaver, traced, 'store') : traced,
    notifier: interleaver ? gated(interleaver, notifier, 'chat') : notifier,
    clock: () => {
      clock += 1000;
      return new Date(clock);
    },
    log: silentLogger,
    policy: { default: { starters: ['*'], approvers: ['*'], fourEyes: true } },
  };
}

/** Flagger's side of one run: its calls, each decided by the previous answer. */
async function flaggerRuns(
  deps: FlaggerActionDependencies,
  script: FlaggerScript,
  answers: Record<string, FlaggerHookAnswer>,
): Promise<void> {
  let sent = 0;
  const event = (message: string, phase: string, type: 'Normal' | 'Warning' = 'Normal') =>
    answerFlaggerHook(deps, {
      hook: 'event',
      payload: { ...flaggerPayload, phase },
      event: { type, message, timestampMs: Date.parse('2026-12-01T10:05:00Z') + sent++ },
    });
  if (script === 'fails') {
    // The analysis fails by itself (metrics): Flagger rolls back without asking and says so.
    await event('Halt podinfo.test advancement error rate 12% > 1%', 'Progressing', 'Warning');
    await event('Canary failed! Scaling down podinfo.test', 'Failed', 'Warning');
    return;
  }
  answers.promotion = await answerFlaggerHook(deps, { hook: 'confirm-promotion', payload: flaggerPayload });
  if (answers.promotion.status === 200) {
    await event('Promotion completed! Scaling down podinfo.test', 'Succeeded');
    return;
  }
  answers.rollback = await answerFlaggerHook(deps, { hook: 'rollback', payload: flaggerPayload });
  if (answers.rollback.status === 200) {
    await event('Rolling back podinfo.test failed checks threshold reached', 'Progressing', 'Warning');
    await event('Canary failed! Scaling down podinfo.test', 'Failed', 'Warning');
  } else await event('Halt advancement podinfo.test waiting for promotion approval', 'WaitingPromotion');
}

/** Checks of one Flagger run: Flagger's answers, the stored revision and the audit trail agree. */
async function checkFlaggerInvariants(
  store: EmbeddedStore<Release>,
  written: readonly FlaggerRevision[],
  answers: Record<string, FlaggerHookAnswer>,
  button: { action: PersonGateAction; ok: boolean },
): Promise<void> {
  const revision = (await store.getRecord<FlaggerRevision>(REVISION_RECORD_KIND, flaggerRevisionId))!.value;
  const audit = await store.listAudit(flaggerSubject);
  const count = (action: string) => audit.filter((e) => e.action === action).length;
  const gate = revision.gates['confirm-promotion'];
  // Each decision is recorded once, and the record says the same as the audit trail.
  expect(count('approve')).toBe(gate?.status === 'approved' ? 1 : 0);
  expect(count('reject')).toBe(gate?.status === 'rejected' ? 1 : 0);
  expect(count('rollback')).toBe(revision.rollback?.status === 'requested' ? 1 : 0);
  // The button acted iff its decision is in the record (a refused click changes nothing).
  const decided =
    button.action === 'rollback'
      ? revision.rollback?.status === 'requested'
      : gate?.status === (button.action === 'approve' ? 'approved' : 'rejected');
  expect(decided).toBe(button.ok);
  if (gate?.status === 'approved' || gate?.status === 'rejected')
    expect(audit.find((e) => e.action === button.action)?.actor).toBe(gate.by);
  // Flagger went on only where a person let it, and that was recorded once.
  const promoted = answers.promotion?.status === 200;
  expect(promoted).toBe(gate?.status === 'approved' && gate.usedAt !== undefined);
  expect(count('flagger-proceed')).toBe(promoted ? 1 : 0);
  const rolledBack = answers.rollback?.status === 200;
  expect(rolledBack).toBe(
    revision.rollback?.status === 'requested' && revision.rollback.usedAt !== undefined,
  );
  expect(count('flagger-rollback')).toBe(rolledBack ? 1 : 0);
  if (revision.outcome === 'succeeded') expect(promoted).toBe(true);
  if (rolledBack) expect(revision.outcome).toBe('failed');
  // Nothing decided after the revision ended: every write after the first final one keeps its decisions.
  const end = written.findIndex((r) => r.outcome !== undefined);
  if (end >= 0) {
    const decisions = (r: FlaggerRevision) => JSON.stringify([r.gates, r.rollback ?? null]);
    const atEnd = decisions(written[end] as FlaggerRevision);
    expect(written.slice(end).map(decisions)).toEqual(written.slice(end).map(() => atEnd));
    expect(decisions(revision)).toBe(atEnd);
  }
  // One card per revision (posted before the race).
  expect(revision.card).toEqual({ channel: 'C0RELEASES', ts: '1.1' });
}

describe('interleavings of a Flagger call and a button', () => {
  it('Flagger call vs button: every schedule keeps the revision safe', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.constantFrom<FlaggerScript>('asks', 'fails'),
        fc.constantFrom<PersonGateAction>('approve', 'reject', 'rollback'),
        async (s, script, action) => {
          // Before the race: Flagger asked for confirm-promotion and offered its rollback hook; the card is up.
          const store = new EmbeddedStore<Release>();
          const setup = flaggerDeps(undefined, store, []);
          await answerFlaggerHook(setup, { hook: 'confirm-promotion', payload: flaggerPayload });
          await answerFlaggerHook(setup, { hook: 'rollback', payload: flaggerPayload });
          const seen = (await store.getRecord<FlaggerRevision>(REVISION_RECORD_KIND, flaggerRevisionId))!;
          const written: FlaggerRevision[] = [];
          const interleaver = new Interleaver(s);
          const deps = flaggerDeps(interleaver, store, written);
          const answers: Record<string, FlaggerHookAnswer> = {};
          const target = action === 'rollback' ? 'rollback' : 'confirm-promotion';
          const outcomes = await interleaver.run({
            flagger: () => flaggerRuns(deps, script, answers),
            button: () =>
              actOnFlaggerGate(
                deps,
                { gateId: gateIdOf(flaggerPayload, target), seenVersion: seen.version, action },
                approver,
              ),
          });
          for (const [task, outcome] of Object.entries(outcomes))
            if (outcome.status === 'rejected') throw new Error(`${task} failed: ${String(outcome.reason)}`);
          const clicked = outcomes.button as PromiseFulfilledResult<{ ok: boolean }>;
          await checkFlaggerInvariants(store, written, answers, { action, ok: clicked.value.ok });
        },
      ),
      { numRuns: RUNS, endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  }, 3_600_000);
});
