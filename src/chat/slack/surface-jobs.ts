/**
 * The worker's half of the Slack surfaces: publish a person's App Home tab, answer a click made there, fill
 * the rollback shortcut's modal, unfurl release links. Each reads what the person may see and do now.
 */
import type { ReleaseDependencies } from '../../app/dependencies.js';
import { homeFor, rollbackChoices } from '../../app/home.js';
import { describeError, type Logger } from '../../app/logger.js';
import type { JobQueue } from '../../app/ports/job-queue.js';
import type { ReleaseNotifier } from '../../app/ports/release-notifier.js';
import type { RecordStore } from '../../app/ports/release-store.js';
import { findRelease } from '../../app/release-queries.js';
import type { Actor } from '../../domain/release/index.js';
import { homeTab } from '../views/home-tab.js';
import type { SlackMessage } from '../views/index.js';
import { releaseUnfurl } from '../views/release-unfurl.js';
import { noRollbackChoices, rollbackModal } from '../views/rollback-modal.js';
import { queuedSlackJob, type SlackJob } from './slack-job.js';
import type { SurfaceDependencies } from './slack-worker.js';

type SurfaceJobDependencies = ReleaseDependencies & { surfaces?: SurfaceDependencies };

/** Who opened their App Home tab lately: their tabs are redrawn when a release changes. */
export const HOME_VIEWER_RECORD = 'home-viewer';
/** A tab opened longer ago than this is no longer redrawn on changes (it is when opened again). */
export const HOME_VIEWER_SECONDS = 24 * 3600;
/** At most this many tabs are redrawn per change (the most recently opened). */
export const HOME_REFRESH_MAX = 50;

interface HomeViewer {
  openedAt: string;
  teamId?: string;
  enterpriseId?: string;
}

/**
 * Publishes the person's home tab: approvals waiting for them, their releases, active releases where they
 * may approve, recent outcomes, with the buttons they may press. Remembers them as a viewer.
 */
export async function publishHome(
  deps: SurfaceJobDependencies,
  job: Extract<SlackJob, { kind: 'home' }>,
  actor: Actor,
): Promise<void> {
  if (!deps.surfaces) return;
  const at = deps.clock();
  const viewer: HomeViewer = {
    openedAt: at.toISOString(),
    ...(job.from.teamId ? { teamId: job.from.teamId } : {}),
    ...(job.from.enterpriseId ? { enterpriseId: job.from.enterpriseId } : {}),
  };
  if (!job.id.startsWith('refresh:')) await deps.store.putRecord(HOME_VIEWER_RECORD, actor.userId, viewer);
  const content = await homeFor(deps, actor);
  await deps.surfaces.views.publish(
    actor.userId,
    homeTab(content, { page: job.page ?? 0, now: at, newReleaseButton: true }),
  );
}

/** A click on the home tab was handled: tell the person privately, then redraw their tab. */
export async function onHomeClick(
  deps: SurfaceJobDependencies,
  job: Extract<SlackJob, { kind: 'action' }>,
  actor: Actor,
  message: SlackMessage,
): Promise<void> {
  if (!deps.surfaces) return;
  try {
    await deps.surfaces.direct(actor.userId, message);
  } catch (error) {
    deps.log.warn('could not answer a click on the home tab', { jobId: job.id, error: describeError(error) });
  }
  await publishHome(
    deps,
    { kind: 'home', id: `refresh:${job.id}`, from: job.from, receivedAt: job.receivedAt },
    actor,
  );
}

/** The rollback shortcut's modal, opened at the ingress as "finding releases", gets the person's choices. */
export async function fillRollbackChoices(
  deps: SurfaceJobDependencies,
  job: Extract<SlackJob, { kind: 'rollback-choices' }>,
  actor: Actor,
): Promise<void> {
  if (!deps.surfaces) return;
  const source = {
    ...job.source,
    ...(job.from.teamId ? { teamId: job.from.teamId } : {}),
    responseUrl: job.from.responseUrl,
  };
  const releases = await rollbackChoices(deps, actor);
  await deps.surfaces.views.update(
    job.viewId,
    releases.length > 0 ? rollbackModal(releases, source) : noRollbackChoices(source),
  );
}

/** Unfurls the release links of a shared message (links to releases that do not exist are left alone). */
export async function unfurlReleases(
  deps: SurfaceJobDependencies,
  job: Extract<SlackJob, { kind: 'unfurl' }>,
  _actor: Actor,
): Promise<void> {
  if (!deps.surfaces) return;
  const at = deps.clock();
  const unfurls: Record<string, { blocks: readonly unknown[] }> = {};
  for (const { url, releaseId } of job.releaseIds) {
    const release = await findRelease(deps, { id: releaseId });
    if (release) unfurls[url] = releaseUnfurl(release, at);
  }
  if (Object.keys(unfurls).length === 0) return;
  await deps.surfaces.unfurl({
    channel: job.from.channelId,
    ts: job.messageTs,
    ...(job.unfurlId ? { unfurlId: job.unfurlId } : {}),
    ...(job.source ? { source: job.source } : {}),
    unfurls,
  });
}

/**
 * A notifier that also redraws the home tabs opened in the last day when a release's card changes: at most
 * once a minute (one claim per minute across all workers), at most {@link HOME_REFRESH_MAX} tabs. A failure
 * here never fails the release's change: it is logged, and the tabs are redrawn at the next change.
 *
 * @example const notifier = refreshingHomes(slackNotifier, { store, queue, clock, log });
 */
export function refreshingHomes(
  inner: ReleaseNotifier,
  deps: {
    store: RecordStore & { claim(key: string, ttlSeconds: number): Promise<boolean> };
    queue: JobQueue<SlackJob>;
    clock: () => Date;
    log: Logger;
    defaults: { namespace: string; cluster: string };
  },
): ReleaseNotifier {
  const refresh = async () => {
    const at = deps.clock();
    const minute = Math.floor(at.getTime() / 60_000);
    try {
      if (!(await deps.store.claim(`home-refresh:${minute}`, 180))) return;
      const viewers = (await deps.store.listRecords<HomeViewer>(HOME_VIEWER_RECORD))
        .filter((r) => at.getTime() - Date.parse(r.value.openedAt) <= HOME_VIEWER_SECONDS * 1000)
        .sort((a, b) => b.value.openedAt.localeCompare(a.value.openedAt))
        .slice(0, HOME_REFRESH_MAX);
      if (viewers.length === 0) return;
      await deps.queue.send(
        viewers.map((viewer) =>
          queuedSlackJob(
            {
              kind: 'home',
              id: `refresh:${viewer.id}:${minute}`,
              from: {
                userId: viewer.id,
                channelId: '',
                ...(viewer.value.teamId ? { teamId: viewer.value.teamId } : {}),
                ...(viewer.value.enterpriseId ? { enterpriseId: viewer.value.enterpriseId } : {}),
                responseUrl: '',
              },
              receivedAt: at.toISOString(),
            },
            deps.defaults,
          ),
        ),
      );
    } catch (error) {
      deps.log.warn('could not queue the redraw of home tabs', { error: describeError(error) });
    }
  };
  return {
    showRelease: async (release) => {
      const kept = await inner.showRelease(release);
      await refresh();
      return kept;
    },
    postEvent: (release, event) => inner.postEvent(release, event),
  };
}
