import {
  type CustomCheckReading,
  histogramQuantile,
  type JudgeConfig,
  judgeBake,
  judgeCanary,
  type VersionTraffic,
} from '../domain/judge/index.js';
import { type JudgedVerdict, type Release, type ReleaseVersion, trafficOf } from '../domain/release/index.js';
import { describeError, type Logger } from './logger.js';
import type { CheckSide, ChecksOf, CustomCheckReader } from './ports/custom-checks.js';
import { metricsFailureForPeople, NoDataError } from './ports/metrics-errors.js';
import type { MetricsReader } from './ports/metrics-reader.js';
import type { RedReport, VersionRed } from './ports/red-metrics.js';
import type { RedFigures } from './ports/release-notifier.js';

/** Longest look-back of a judgement: an approval that waits for hours is judged on its last hour. */
const maxWindowSeconds = 3600;

/** The metrics reader of a cluster (`undefined`: the default cluster): each release is read from its own. */
export type MetricsByCluster = (cluster?: string) => MetricsReader;

/** Custom checks: which apply to a service, and the reader of each cluster. */
export interface CustomChecks {
  readonly checksOf: ChecksOf;
  readonly readerFor: (cluster?: string) => CustomCheckReader;
}

/** True when the judge has something to say about the release now. */
export function needsJudgement(release: Release): boolean {
  if (!release.analysis) return false;
  return (
    release.phase === 'analysing' ||
    release.phase === 'baking' ||
    (release.phase === 'awaiting-approval' && release.meshChanged)
  );
}

/**
 * The analysis window of a release, rounded up to whole minutes so that releases share windows: the RED
 * read then costs two queries per distinct window and cluster, whatever the number of releases.
 */
export function windowSeconds(release: Release, at: Date): number {
  const started = Date.parse(release.analysis?.startedAt ?? release.phaseSince);
  const elapsed = Math.max(1, (at.getTime() - started) / 1000);
  return Math.min(maxWindowSeconds, Math.ceil(elapsed / 60) * 60);
}

/**
 * What a tick read for one release: the canary's and the baseline's traffic over the analysis window it was
 * read for, or why nothing could be read. The release's writer judges it (if the window is still current).
 */
export type TickReading =
  | {
      readonly kind: 'figures';
      /** The state version and analysis window the figures were read for. */
      readonly stateVersion: number;
      readonly step: number;
      readonly windowStartedAt: string;
      readonly windowSeconds: number;
      readonly canary: VersionTraffic;
      readonly baseline: VersionTraffic;
      /** The release's custom checks, read over the same window. */
      readonly custom?: readonly CustomCheckReading[];
    }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** Readings of many releases, and how many PromQL queries they cost. */
export interface Readings {
  readonly readings: Map<string, TickReading>;
  readonly queries: number;
}

/**
 * Reads the RED of every release that needs judging, batched: releases of one cluster whose windows have the
 * same length share one read (two queries) of every namespace and service involved. Reads of different
 * clusters and windows run at once; a read that fails or outlives `deadline` marks its releases unreadable
 * (never judged on bad data), without holding up the others.
 *
 * @example const { readings } = await readReleases({ metricsFor, log }, releases, new Date(), Date.now() + 40_000);
 */
export async function readReleases(
  deps: { metricsFor: MetricsByCluster; log: Logger; customChecks?: CustomChecks },
  releases: readonly Release[],
  at: Date,
  deadline: number = Number.POSITIVE_INFINITY,
): Promise<Readings> {
  const readings = new Map<string, TickReading>();
  let queries = 0;
  const groups = new Map<string, { cluster: string | undefined; seconds: number; releases: Release[] }>();
  for (const release of releases.filter(needsJudgement)) {
    const seconds = windowSeconds(release, at);
    const cluster = release.meta.cluster;
    const key = `${cluster ?? ''}/${seconds}`;
    const group = groups.get(key) ?? { cluster, seconds, releases: [] };
    group.releases.push(release);
    groups.set(key, group);
  }
  await Promise.all(
    [...groups.values()].map(async ({ cluster, seconds, releases: group }) => {
      let report: RedReport | undefined;
      try {
        report = await withDeadline(
          deps.metricsFor(cluster).red(
            {
              namespaces: [...new Set(group.map((r) => r.target.namespace))],
              services: [...new Set(group.flatMap((r) => [r.target.service, ...serviceNames(r)]))],
            },
            { at, windowSeconds: seconds },
          ),
          deadline,
        );
        queries += report.queries;
      } catch (error) {
        if (!(error instanceof NoDataError)) {
          const reason = metricsFailureForPeople(error, 'the metrics could not be read in time');
          deps.log.warn('could not read RED metrics', {
            cluster: cluster ?? '(default)',
            windowSeconds: seconds,
            error: describeError(error),
          });
          for (const release of group) readings.set(release.id, { kind: 'unreadable', reason });
          return;
        }
        queries += 2;
      }
      await Promise.all(
        group.map(async (release) => {
          let custom: CustomCheckReading[] | undefined;
          try {
            const read = await withDeadline(
              readCustomChecks(deps.customChecks, release, at, seconds),
              deadline,
            );
            custom = read.readings;
            queries += read.queries;
          } catch (error) {
            const reason = metricsFailureForPeople(error, 'the custom checks could not be read in time');
            deps.log.warn('could not read custom checks', {
              releaseId: release.id,
              cluster: cluster ?? '(default)',
              error: describeError(error),
            });
            readings.set(release.id, { kind: 'unreadable', reason });
            return;
          }
          readings.set(release.id, {
            kind: 'figures',
            stateVersion: release.version,
            step: release.analysis?.step ?? release.currentStep,
            windowStartedAt: release.analysis?.startedAt ?? release.phaseSince,
            windowSeconds: seconds,
            canary: traffic(report?.versions ?? [], release, release.canary),
            baseline: traffic(report?.versions ?? [], release, release.baseline),
            ...(custom.length > 0 ? { custom } : {}),
          });
        }),
      );
    }),
  );
  return { readings, queries };
}

/** The values a release's custom checks are rendered with for one side. */
export function checkSideOf(release: Release, side: ReleaseVersion): CheckSide {
  return {
    namespace: release.target.namespace,
    service: shortHost(side.destination.host),
    version: side.version,
  };
}

/** Every custom check of a release over its window, at once; a refused query fails them all (named). */
async function readCustomChecks(
  customChecks: CustomChecks | undefined,
  release: Release,
  at: Date,
  seconds: number,
): Promise<{ readings: CustomCheckReading[]; queries: number }> {
  const checks = customChecks?.checksOf(release.target.namespace, release.target.service) ?? [];
  if (!customChecks || checks.length === 0) return { readings: [], queries: 0 };
  const reader = customChecks.readerFor(release.meta.cluster);
  const sides = {
    canary: checkSideOf(release, release.canary),
    baseline: checkSideOf(release, release.baseline),
  };
  const readings = await Promise.all(
    checks.map((check) => reader.customCheck(check, sides, { at, windowSeconds: seconds })),
  );
  return { readings, queries: checks.reduce((n, c) => n + (c.kind === 'ratio' ? 4 : 2), 0) };
}

/**
 * The judge's verdict on a reading, naming the analysis it was computed for.
 *
 * @example judgeReading(reading) // { verdict: { verdict: 'pass', ... }, stateVersion: 7, step: 1, windowStartedAt }
 */
export function judgeReading(
  reading: Extract<TickReading, { kind: 'figures' }>,
  config?: JudgeConfig,
): JudgedVerdict {
  const { canary, baseline, windowSeconds: seconds } = reading;
  return {
    verdict: judgeCanary(
      {
        canary,
        baseline,
        elapsedSeconds: seconds,
        canaryIdleSeconds: canary.requests > 0 ? 0 : seconds,
        ...(reading.custom ? { custom: reading.custom } : {}),
      },
      config,
    ),
    stateVersion: reading.stateVersion,
    step: reading.step,
    windowStartedAt: reading.windowStartedAt,
    baseline,
  };
}

/**
 * The judge's verdict on a reading during a bake: the canary's traffic since the bake started against the
 * baseline figures the release recorded before 100% (the live baseline serves nothing any more).
 *
 * @example judgeBakeReading(reading, release) // { verdict: { verdict: 'fail', ... }, stateVersion, step, windowStartedAt }
 */
export function judgeBakeReading(
  reading: Extract<TickReading, { kind: 'figures' }>,
  release: Pick<Release, 'bakeReference'>,
  config?: JudgeConfig,
): JudgedVerdict {
  const { canary, windowSeconds: seconds } = reading;
  const reference = release.bakeReference && trafficOf(release.bakeReference.baseline);
  return {
    verdict: judgeBake(
      {
        canary,
        ...(reference ? { reference } : {}),
        elapsedSeconds: seconds,
        canaryIdleSeconds: canary.requests > 0 ? 0 : seconds,
      },
      config,
    ),
    stateVersion: reading.stateVersion,
    step: reading.step,
    windowStartedAt: reading.windowStartedAt,
  };
}

/** True when a release's live step is judged as a bake (all traffic on the canary, after the last step). */
export function judgedAsBake(release: Release): boolean {
  return release.phase === 'baking' || (release.bake !== undefined && release.phase === 'awaiting-approval');
}

class DeadlineError extends Error {
  override name = 'DeadlineError';
}

async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  if (!Number.isFinite(deadline)) return await work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError('deadline')), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Istio's `destination_service_name` of each side: the host's service (subset-based: the same one). */
function serviceNames(release: Release): string[] {
  return [release.baseline, release.canary].map((v) => shortHost(v.destination.host));
}

function shortHost(host: string): string {
  return host.split('.')[0] ?? host;
}

/** Adds up the versions (all workloads) that carry one side of the release. */
function traffic(versions: readonly VersionRed[], release: Release, side: ReleaseVersion): VersionTraffic {
  const service = shortHost(side.destination.host);
  const mine = versions.filter(
    (v) =>
      v.namespace === release.target.namespace &&
      v.service === service &&
      (side.destination.subset ? v.version === side.version : true),
  );
  const buckets = new Map<number, number>();
  for (const v of mine) for (const b of v.buckets) buckets.set(b.le, (buckets.get(b.le) ?? 0) + b.count);
  return {
    requests: mine.reduce((sum, v) => sum + v.requests, 0),
    errors: mine.reduce((sum, v) => sum + v.errors, 0),
    ...(buckets.size > 0
      ? { latency: [...buckets.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count })) }
      : {}),
  };
}

/**
 * RED of baseline and canary over the release's analysis window (or the last ten minutes), for its card,
 * from the release's own cluster. Undefined when Prometheus has nothing or cannot be read: the card then
 * shows no table, never zeros.
 */
export async function redFiguresOf(
  deps: { metricsFor: MetricsByCluster; clock: () => Date },
  release: Release,
): Promise<RedFigures | undefined> {
  const at = deps.clock();
  const seconds = release.analysis ? windowSeconds(release, at) : 600;
  try {
    const report = await deps.metricsFor(release.meta.cluster).red(
      {
        namespaces: [release.target.namespace],
        services: [...new Set([release.target.service, ...serviceNames(release)])],
      },
      { at, windowSeconds: seconds },
    );
    const figures = (side: ReleaseVersion) => {
      const t = traffic(report.versions, release, side);
      return {
        requests: t.requests,
        requestRate: t.requests / seconds,
        errorRate: t.requests > 0 ? t.errors / t.requests : undefined,
        latencyMs: t.latency && t.requests > 0 ? { p99: histogramQuantile(0.99, t.latency) } : undefined,
      };
    };
    return { baseline: figures(release.baseline), canary: figures(release.canary), windowSeconds: seconds };
  } catch {
    return undefined;
  }
}
