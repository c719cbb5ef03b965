import { histogramQuantile, judgeCanary, type Verdict, type VersionTraffic } from '../domain/judge/index.js';
import type { Release, ReleaseVersion } from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import { describeError } from './logger.js';
import { MetricsError, NoDataError } from './ports/metrics-errors.js';
import type { RedReport, VersionRed } from './ports/red-metrics.js';
import type { RedFigures } from './ports/release-notifier.js';

/** Longest look-back of a judgement: an approval that waits for hours is judged on its last hour. */
const maxWindowSeconds = 3600;

/** True when the judge has something to say about the release now. */
export function needsJudgement(release: Release): boolean {
  if (!release.analysis) return false;
  return release.phase === 'analysing' || (release.phase === 'awaiting-approval' && release.meshChanged);
}

/**
 * The analysis window of a release, rounded up to whole minutes so that releases share windows: the RED
 * read then costs two queries per distinct window (at most 60), whatever the number of releases.
 */
export function windowSeconds(release: Release, at: Date): number {
  const started = Date.parse(release.analysis?.startedAt ?? release.phaseSince);
  const elapsed = Math.max(1, (at.getTime() - started) / 1000);
  return Math.min(maxWindowSeconds, Math.ceil(elapsed / 60) * 60);
}

/** Result of judging many releases at once. */
export interface Judgements {
  verdicts: Map<string, Verdict>;
  /** PromQL queries issued. */
  queries: number;
  /** Releases that could not be judged this time (Prometheus down or refusing), with the reason. */
  unjudged: Map<string, string>;
}

/**
 * Judges every release that needs it, canary against baseline on the same window, batching the RED reads:
 * releases with the same window share one read of every namespace and service involved.
 */
export async function judgeReleases(
  deps: ReleaseDependencies,
  releases: readonly Release[],
  at: Date,
): Promise<Judgements> {
  const result: Judgements = { verdicts: new Map(), queries: 0, unjudged: new Map() };
  const groups = new Map<number, Release[]>();
  for (const release of releases.filter(needsJudgement)) {
    const seconds = windowSeconds(release, at);
    groups.set(seconds, [...(groups.get(seconds) ?? []), release]);
  }
  for (const [seconds, group] of groups) {
    let report: RedReport | undefined;
    try {
      report = await deps.metrics.red(
        {
          namespaces: [...new Set(group.map((r) => r.target.namespace))],
          services: [...new Set(group.flatMap((r) => [r.target.service, ...serviceNames(r)]))],
        },
        { at, windowSeconds: seconds },
      );
      result.queries += report.queries;
    } catch (error) {
      if (!(error instanceof NoDataError)) {
        const reason = error instanceof MetricsError ? error.message : describeError(error);
        deps.log.warn('could not read RED metrics', { windowSeconds: seconds, error: describeError(error) });
        for (const release of group) result.unjudged.set(release.id, reason);
        continue;
      }
      result.queries += 2;
    }
    for (const release of group) {
      const canary = traffic(report?.versions ?? [], release, release.canary);
      const baseline = traffic(report?.versions ?? [], release, release.baseline);
      result.verdicts.set(
        release.id,
        judgeCanary(
          { canary, baseline, elapsedSeconds: seconds, canaryIdleSeconds: canary.requests > 0 ? 0 : seconds },
          deps.judge,
        ),
      );
    }
  }
  return result;
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
 * RED of baseline and canary over the release's analysis window (or the last ten minutes), for its card.
 * Undefined when Prometheus has nothing or cannot be read: the card then shows no table, never zeros.
 */
export async function redFiguresOf(
  deps: Pick<ReleaseDependencies, 'metrics' | 'clock'>,
  release: Release,
): Promise<RedFigures | undefined> {
  const at = deps.clock();
  const seconds = release.analysis ? windowSeconds(release, at) : 600;
  try {
    const report = await deps.metrics.red(
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
