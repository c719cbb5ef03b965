import { isFinal, type Observation, type Release } from '../domain/release/index.js';
import {
  judgeReading,
  type MetricsByCluster,
  needsJudgement,
  readReleases,
  type TickReading,
} from './canary-analysis.js';
import type { ReleaseDependencies } from './dependencies.js';
import type { Logger } from './logger.js';
import { type JobQueue, type QueuedJob, releaseGroup } from './ports/job-queue.js';
import type { ReleaseStore } from './ports/release-store.js';
import type { Telemetry } from './ports/telemetry.js';
import { observe, type RunResult, routeOf } from './release-runner.js';

/** One release's share of a tick: what was read for it, to be judged by the release's own writer. */
export interface TickJob {
  readonly kind: 'tick';
  readonly releaseId: string;
  /** The tick's time: the observation's time, so that a retried job decides the same. */
  readonly at: string;
  readonly reading?: TickReading;
}

/** What the tick needs: it reads and fans out, and does no release work itself. */
export interface TickDependencies {
  store: Pick<ReleaseStore<Release>, 'listActive'>;
  metricsFor: MetricsByCluster;
  queue: JobQueue<TickJob>;
  clock: () => Date;
  log: Logger;
  telemetry?: Telemetry;
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
  /** Jobs handed to the workers (one per active release). */
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
      body: { kind: 'tick', releaseId: release.id, at: at.toISOString(), ...(reading ? { reading } : {}) },
    };
  });
  await deps.queue.send(jobs);
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

/**
 * One release's tick, run by its writer: judges the figures (when they were read for the analysis that is
 * still current), checks the live route for drift where the mesh should hold what the release last
 * confirmed, and feeds the release one `tick` (which also converges a pending mesh state again, renews an
 * expired approval request once, and escalates a judge that cannot judge).
 *
 * @example await runTickJob(deps, { kind: 'tick', releaseId, at });
 */
export async function runTickJob(deps: ReleaseDependencies, job: TickJob): Promise<RunResult> {
  return await observe(deps, job.releaseId, async (release) => {
    const observation: Observation = { type: 'tick', at: job.at };
    const reading = job.reading;
    const drift = await driftOf(deps, release);
    return {
      ...observation,
      ...(reading?.kind === 'figures' && needsJudgement(release)
        ? { verdict: judgeReading(reading, deps.judge) }
        : {}),
      ...(reading?.kind === 'unreadable' ? { unreadable: reading.reason } : {}),
      ...(drift ? { drift } : {}),
    };
  });
}

/** Drift is only meaningful where the mesh should hold the weights the bot last confirmed. */
async function driftOf(deps: ReleaseDependencies, release: Release): Promise<string | undefined> {
  const steady = release.phase === 'analysing' || release.phase === 'awaiting-approval';
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
