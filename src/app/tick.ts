import { z } from 'zod';
import type { CustomCheckReading, VersionTraffic } from '../domain/judge/index.js';
import { BOT_ACTOR, isFinal, type Observation, type Release } from '../domain/release/index.js';
import {
  type CustomChecks,
  judgeBakeReading,
  judgedAsBake,
  judgeReading,
  type MetricsByCluster,
  needsJudgement,
  readReleases,
  type TickReading,
} from './canary-analysis.js';
import type { ReleaseDependencies } from './dependencies.js';
import { type HomesJob, homesOutOfDate } from './home-refresh.js';
import { describeError, type Logger } from './logger.js';
import { type JobQueue, type QueuedJob, releaseGroup } from './ports/job-queue.js';
import { MeshError } from './ports/mesh-errors.js';
import type { RecordStore, ReleaseStore } from './ports/release-store.js';
import type { Telemetry } from './ports/telemetry.js';
import { CHAT_OUTBOX_KIND, type ChatOutbox, observe, type RunResult, routeOf } from './release-runner.js';

/**
 * A tick job as the queue carries it: JSON, which has no Infinity, so the +Inf latency bucket travels with
 * `le: '+Inf'`. The worker checks every field before it judges anything.
 */
const bucketOnTheWire = z.object({
  le: z.union([z.number().nonnegative(), z.literal('+Inf')]),
  count: z.number().nonnegative(),
});
const trafficOnTheWire = z.object({
  requests: z.number().nonnegative(),
  errors: z.number().nonnegative(),
  latency: z.array(bucketOnTheWire).optional(),
});
const better = z.enum(['lower', 'higher']);
const countOnTheWire = z.object({ events: z.number().nonnegative(), total: z.number().nonnegative() });
/** A custom check's reading: its definition (the judge checks it again) and counts or minute pairs. */
const customOnTheWire = z.union([
  z.object({
    check: z.object({
      kind: z.literal('ratio'),
      name: z.string().min(1),
      better,
      floor: z.number(),
      ratio: z.number(),
    }),
    canary: countOnTheWire,
    baseline: countOnTheWire,
  }),
  z.object({
    check: z.object({
      kind: z.literal('bounded'),
      name: z.string().min(1),
      better,
      min: z.number(),
      max: z.number(),
      absolute: z.number(),
      relative: z.number(),
    }),
    minutes: z.array(z.object({ canary: z.number(), baseline: z.number() })),
  }),
]);
const readingOnTheWire = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('figures'),
    stateVersion: z.number().int().nonnegative(),
    step: z.number().int().nonnegative(),
    windowStartedAt: z.string(),
    windowSeconds: z.number().positive(),
    canary: trafficOnTheWire,
    baseline: trafficOnTheWire,
    custom: z.array(customOnTheWire).optional(),
  }),
  z.object({ kind: z.literal('unreadable'), reason: z.string() }),
]);
const tickJobOnTheWire = z.object({
  kind: z.literal('tick'),
  releaseId: z.string().min(1),
  at: z.iso.datetime(),
  reading: readingOnTheWire.optional(),
});

/** One release's share of a tick: what was read for it, to be judged by the release's own writer. */
export type TickJob = z.infer<typeof tickJobOnTheWire>;

/** A job body that is not a valid job: retrying it cannot help, so the worker drops it and says so. */
export class MalformedJobError extends Error {
  override name = 'MalformedJobError';
}

/**
 * Checks a tick job read from the queue.
 * @throws MalformedJobError naming the first field that is wrong
 */
export function parseTickJob(body: unknown): TickJob {
  const parsed = tickJobOnTheWire.safeParse(body);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw new MalformedJobError(
    `not a tick job: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid'}`,
  );
}

type TrafficOnTheWire = z.infer<typeof trafficOnTheWire>;

function trafficToWire(traffic: VersionTraffic): TrafficOnTheWire {
  return {
    requests: traffic.requests,
    errors: traffic.errors,
    ...(traffic.latency
      ? {
          latency: traffic.latency.map((b) => ({
            le: Number.isFinite(b.le) ? b.le : ('+Inf' as const),
            count: b.count,
          })),
        }
      : {}),
  };
}

/** A reading in the form a job carries. */
export function readingToWire(reading: TickReading): NonNullable<TickJob['reading']> {
  if (reading.kind === 'unreadable') return reading;
  const { custom, ...rest } = reading;
  return {
    ...rest,
    canary: trafficToWire(reading.canary),
    baseline: trafficToWire(reading.baseline),
    ...(custom ? { custom: custom.map(customToWire) } : {}),
  };
}

function customToWire(reading: CustomCheckReading): z.infer<typeof customOnTheWire> {
  return 'minutes' in reading
    ? { check: { ...reading.check }, minutes: reading.minutes.map((m) => ({ ...m })) }
    : { check: { ...reading.check }, canary: { ...reading.canary }, baseline: { ...reading.baseline } };
}

/** A job's reading back in the judge's form. */
export function readingFromWire(reading: NonNullable<TickJob['reading']>): TickReading {
  if (reading.kind === 'unreadable') return reading;
  const traffic = (t: TrafficOnTheWire): VersionTraffic => ({
    requests: t.requests,
    errors: t.errors,
    ...(t.latency
      ? {
          latency: t.latency.map((b) => ({
            le: b.le === '+Inf' ? Number.POSITIVE_INFINITY : b.le,
            count: b.count,
          })),
        }
      : {}),
  });
  return { ...reading, canary: traffic(reading.canary), baseline: traffic(reading.baseline) };
}

/** What the tick needs: it reads and fans out, and does no release work itself. */
export interface TickDependencies {
  store: Pick<ReleaseStore<Release>, 'listActive'> & Pick<RecordStore, 'listRecords'>;
  metricsFor: MetricsByCluster;
  /** Custom checks and where to read them; none when left out. */
  customChecks?: CustomChecks;
  queue: JobQueue<TickJob | HomesJob>;
  clock: () => Date;
  log: Logger;
  telemetry?: Telemetry;
  /** Where the home tabs' out-of-date mark is read (it is not, when left out: no Slack surfaces). */
  homes?: Pick<RecordStore, 'listRecords'>;
}

/** What one tick did. */
export interface TickReport {
  at: string;
  releases: number;
  /** Releases whose metrics were read (figures) and could not be read (unreadable). */
  read: number;
  unreadable: number;
  /** PromQL queries the tick issued. */
  queries: number;
  /** Jobs handed to the workers (one per active release, and one per ended release that still owes chat). */
  sent: number;
}

/**
 * Every minute: reads the RED of every release that needs judging in batched queries (two per cluster and
 * window length), then hands one job per active release to the release's own writer, with its figures and
 * the state version they were read for. Reads run at once and end at `deadlineMs`; jobs go out in a new
 * random order each tick, so no release is always last.
 *
 * @example await tick(deps); // from EventBridge, every minute
 */
export async function tick(
  deps: TickDependencies,
  at: Date = deps.clock(),
  options: { deadlineMs?: number } = {},
): Promise<TickReport> {
  const active = (await deps.store.listActive()).map((s) => s.state).filter((r) => !isFinal(r));
  const deadline = Date.now() + (options.deadlineMs ?? 40_000);
  const { readings, queries } = await readReleases(deps, active, at, deadline);
  const jobs: QueuedJob<TickJob>[] = shuffled(active).map((release) => {
    const reading = readings.get(release.id);
    return {
      group: releaseGroup(release.id),
      dedupId: `tick:${release.id}:${at.toISOString()}`,
      body: {
        kind: 'tick',
        releaseId: release.id,
        at: at.toISOString(),
        ...(reading ? { reading: readingToWire(reading) } : {}),
      },
    };
  });
  // Releases that ended while Slack could not take their last words: their writer posts them now.
  const owing = (await owingChat(deps)).filter((id) => !active.some((r) => r.id === id));
  for (const releaseId of owing)
    jobs.push({
      group: releaseGroup(releaseId),
      dedupId: `tick:${releaseId}:${at.toISOString()}`,
      body: { kind: 'tick', releaseId, at: at.toISOString() },
    });
  const queued: QueuedJob<TickJob | HomesJob>[] = jobs;
  if (deps.homes && (await homesPending(deps, deps.homes)))
    queued.push({
      group: 'homes',
      dedupId: `homes:${at.toISOString()}`,
      body: { kind: 'homes', at: at.toISOString() },
    });
  await deps.queue.send(queued);
  const unreadable = [...readings.values()].filter((r) => r.kind === 'unreadable').length;
  if (unreadable > 0) deps.telemetry?.count('UnjudgedTick', unreadable);
  deps.telemetry?.count('TickFanOut', jobs.length);
  return {
    at: at.toISOString(),
    releases: active.length,
    read: readings.size - unreadable,
    unreadable,
    queries,
    sent: jobs.length,
  };
}

/** Whether home tabs wait for a redraw (best effort: a failed read waits for the next tick). */
async function homesPending(
  deps: TickDependencies,
  store: Pick<RecordStore, 'listRecords'>,
): Promise<boolean> {
  try {
    return await homesOutOfDate(store);
  } catch (error) {
    deps.log.warn('could not read whether home tabs are out of date', { error: describeError(error) });
    return false;
  }
}

/** Ids of releases with chat kept for later (best effort: a failed listing waits for the next tick). */
async function owingChat(deps: TickDependencies): Promise<string[]> {
  try {
    return (await deps.store.listRecords<ChatOutbox>(CHAT_OUTBOX_KIND)).map((record) => record.id);
  } catch (error) {
    deps.log.warn('could not list the chat releases owe', { error: describeError(error) });
    return [];
  }
}

/**
 * One release's tick, run by its writer: judges the figures (when they were read for the analysis that is
 * still current), checks the live route for drift where the mesh should hold what the release last
 * confirmed, and feeds the release one `tick` (which also converges a pending mesh state again, renews an
 * expired approval request once, and escalates a judge that cannot judge).
 *
 * @example await runTickJob(deps, { kind: 'tick', releaseId, at });
 */
export async function runTickJob(deps: ReleaseDependencies, job: TickJob): Promise<RunResult> {
  let before: Release | undefined;
  const result = await observe(deps, job.releaseId, async (release) => {
    before = release;
    const observation: Observation = { type: 'tick', at: job.at };
    const reading = job.reading && readingFromWire(job.reading);
    const drift = await driftOf(deps, release);
    const verdict =
      reading?.kind === 'figures' && needsJudgement(release)
        ? judgedAsBake(release)
          ? judgeBakeReading(reading, release, deps.judge)
          : judgeReading(reading, deps.judge)
        : undefined;
    // A bake that fails restores the route the release started from: first make sure it can take traffic.
    const previous =
      verdict?.verdict.verdict === 'fail' && judgedAsBake(release)
        ? await previousVersionCheck(deps, release)
        : undefined;
    if (previous?.kind === 'unknown') {
      return { ...observation, unreadable: previous.reason, ...(drift ? { drift } : {}) };
    }
    return {
      ...observation,
      ...(verdict ? { verdict } : {}),
      ...(reading?.kind === 'unreadable' ? { unreadable: reading.reason } : {}),
      ...(previous?.kind === 'unavailable' ? { previousUnavailable: previous.reason } : {}),
      ...(drift ? { drift } : {}),
    };
  });
  countOutcome(deps, before, result.release);
  await sendSmoke(deps, result.release, job.at);
  return result;
}

/** A tick's job that waited longer than one tick interval sends no smoke: a newer tick's job is due. */
export const SMOKE_MAX_TICK_AGE_SECONDS = 60;

/**
 * Whether a release gets smoke requests now: while it is judged with its step live in the mesh.
 *
 * @example getsSmoke(release) // true while a live step is analysed or awaits the next approval
 */
export function getsSmoke(release: Release): boolean {
  return needsJudgement(release) && release.applied;
}

/**
 * A release judged on a quiet service gets its tick's smoke requests, after the decision: a release that this
 * tick paused, rolled back or ended gets none, and no other job of the release runs meanwhile (one writer).
 * The sender's failures are logged and counted, never thrown: the job's decision is already stored.
 *
 * @example await sendSmoke(deps, result.release, job.at);
 */
export async function sendSmoke(
  deps: Pick<ReleaseDependencies, 'smoke' | 'log' | 'telemetry' | 'clock'>,
  release: Release,
  tickAt: string,
): Promise<void> {
  if (!deps.smoke || !getsSmoke(release)) return;
  // Jobs of one release that waited (a retry holding its group back) run one after the other: only a tick's
  // job from within the last interval sends, so a backlog never sends several rounds back to back.
  const waitedSeconds = (deps.clock().getTime() - Date.parse(tickAt)) / 1000;
  if (waitedSeconds > SMOKE_MAX_TICK_AGE_SECONDS) {
    deps.log.info('no smoke traffic for a tick that waited', { waitedSeconds });
    return;
  }
  try {
    const report = await deps.smoke.send({
      releaseId: release.id,
      namespace: release.target.namespace,
      service: release.target.service,
      version: release.canary.version,
      baseline: release.baseline.version,
    });
    if (!report) return;
    deps.telemetry?.count('SmokeRequests', report.sent);
    const unanswered = report.failed + (report.planned - report.sent);
    if (unanswered > 0) deps.telemetry?.count('SmokeFailures', unanswered);
    (unanswered > 0 ? deps.log.warn : deps.log.info)('smoke traffic sent', { ...report });
  } catch (error) {
    deps.telemetry?.count('SmokeFailures');
    deps.log.warn('smoke traffic could not be sent', { error: describeError(error) });
  }
}

/** The operational counters of a tick's decision: automatic rollbacks, and releases left without a verdict. */
function countOutcome(deps: ReleaseDependencies, before: Release | undefined, after: Release): void {
  if (!before || before === after) return;
  const rolledBackByBot =
    after.rollback?.actor === BOT_ACTOR &&
    before.rollback === undefined &&
    after.rollback.endAs !== 'cancelled';
  if (rolledBackByBot) deps.telemetry?.count('AutomaticRollback');
  if (after.approvalRequest?.unjudged && !before.approvalRequest?.unjudged)
    deps.telemetry?.count('UnjudgedRelease');
}

/**
 * Whether the destinations of the route a release started from exist and have ready replicas: `unavailable`
 * (the mesh's validation refused them, and why), `unknown` (the check itself could not run: nothing is
 * decided on it this tick), or undefined when they can take traffic.
 */
async function previousVersionCheck(
  deps: ReleaseDependencies,
  release: Release,
): Promise<{ kind: 'unavailable' | 'unknown'; reason: string } | undefined> {
  const destinations = release.original.weights.filter((w) => w.weight > 0).map((w) => w.destination);
  try {
    const router = await deps.routers(release.meta.cluster);
    await router.validateDestinations(release.target.namespace, destinations, release.target.api);
    return undefined;
  } catch (error) {
    if (error instanceof MeshError && PREVIOUS_GONE.has(error.code))
      return { kind: 'unavailable', reason: error.message };
    deps.log.warn('could not check the previous version before a bake rollback', {
      releaseId: release.id,
      error: describeError(error),
    });
    return {
      kind: 'unknown',
      reason: `the bake failed, but whether ${release.baseline.version} can take its traffic back could not be checked; checking again on the next tick`,
    };
  }
}

/** Mesh refusals that mean the previous version cannot take traffic (gone, or nothing ready). */
const PREVIOUS_GONE: ReadonlySet<string> = new Set([
  'unknown-host',
  'unknown-subset',
  'not-ready',
  'not-found',
]);

/** Drift is only meaningful where the mesh should hold the weights the bot last confirmed. */
async function driftOf(deps: ReleaseDependencies, release: Release): Promise<string | undefined> {
  const steady =
    release.phase === 'analysing' || release.phase === 'baking' || release.phase === 'awaiting-approval';
  if (!steady || !release.applied || !release.meshChanged) return undefined;
  const router = await deps.routers(release.meta.cluster);
  return await router.checkDrift(routeOf(release), release.confirmedWeights);
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
