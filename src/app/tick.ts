import type { Observation, Release } from '../domain/release/index.js';
import { judgeReleases } from './canary-analysis.js';
import type { ReleaseDependencies } from './dependencies.js';
import { describeError } from './logger.js';
import type { StoredRelease } from './ports/release-store.js';
import { observe, routeOf } from './release-runner.js';

/** What one tick did. */
export interface TickReport {
  at: string;
  releases: number;
  judged: number;
  /** PromQL queries the tick issued. */
  queries: number;
  drifted: string[];
  failed: { releaseId: string; error: string }[];
}

/** How many releases are advanced at once. */
const concurrency = 8;

/**
 * Advances every active release: judges the canaries on batched RED reads, checks for drift where the
 * mesh should hold what the bot last confirmed, and feeds each release one `tick` (which also re-sends any
 * unconfirmed mesh change: the crash repair). One release failing never stops the others.
 *
 * @example await tick(deps); // from EventBridge, every minute
 */
export async function tick(deps: ReleaseDependencies, at: Date = deps.clock()): Promise<TickReport> {
  const active = await deps.store.listActive();
  const judgements = await judgeReleases(
    deps,
    active.map((s) => s.state),
    at,
  );
  const report: TickReport = {
    at: at.toISOString(),
    releases: active.length,
    judged: judgements.verdicts.size,
    queries: judgements.queries,
    drifted: [],
    failed: [],
  };
  const queue = [...active];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        const drift = await driftOf(deps, next);
        if (drift) report.drifted.push(next.id);
        const verdict = judgements.verdicts.get(next.id);
        const observation: Observation = {
          type: 'tick',
          at: at.toISOString(),
          ...(verdict ? { verdict } : {}),
          ...(drift ? { drift } : {}),
        };
        await observe(deps, next.id, () => observation);
      } catch (error) {
        deps.log.error('tick failed for a release', { releaseId: next.id, error: describeError(error) });
        report.failed.push({ releaseId: next.id, error: describeError(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return report;
}

/** Drift is only meaningful where the mesh should hold the weights the bot last confirmed. */
async function driftOf(
  deps: ReleaseDependencies,
  stored: StoredRelease<Release>,
): Promise<string | undefined> {
  const release = stored.state;
  const steady = release.phase === 'analysing' || release.phase === 'awaiting-approval';
  if (!steady || !release.applied || !release.meshChanged) return undefined;
  const router = await deps.routers(release.meta.cluster);
  return await router.checkDrift(routeOf(release), release.confirmedWeights);
}
