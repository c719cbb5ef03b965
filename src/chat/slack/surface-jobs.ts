/**
 * The worker's half of the Slack surfaces: publish a person's App Home tab, answer a click made there, fill
 * the rollback shortcut's modal, unfurl release links. Each reads what the person may see and do now.
 */
import type { ReleaseDependencies } from '../../app/dependencies.js';
import { homeFor, maySee, rollbackChoices } from '../../app/home.js';
import {
  HOME_VIEWER_RECORD,
  type HomesJob,
  type HomeViewer,
  markHomesChanged,
  pendingHomeRedraw,
} from '../../app/home-refresh.js';
import { describeError, type Logger } from '../../app/logger.js';
import type { JobQueue } from '../../app/ports/job-queue.js';
import type { ReleaseNotifier } from '../../app/ports/release-notifier.js';
import type { RecordStore } from '../../app/ports/release-store.js';
import { findRelease } from '../../app/release-queries.js';
import { type Actor, ruleFor } from '../../domain/release/index.js';
import { homeTab } from '../views/home-tab.js';
import type { SlackMessage } from '../views/index.js';
import { releaseUnfurl } from '../views/release-unfurl.js';
import { noRollbackChoices, rollbackModal } from '../views/rollback-modal.js';
import { queuedSlackJob, type SlackJob } from './slack-job.js';
import type { SurfaceDependencies } from './slack-worker.js';
import { ViewsApiError } from './views-api.js';

type SurfaceJobDependencies = ReleaseDependencies & { surfaces?: SurfaceDependencies };

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
  const surfaces = deps.surfaces;
  await unlessRefusedForGood(deps, job, 'views.publish', () =>
    surfaces.views.publish(
      actor.userId,
      homeTab(content, { page: job.page ?? 0, now: at, newReleaseButton: true }),
    ),
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
  const surfaces = deps.surfaces;
  // The person may have closed the form meanwhile: Slack answers not_found, and there is no one to tell.
  await unlessRefusedForGood(deps, job, 'views.update', () =>
    surfaces.views.update(
      job.viewId,
      releases.length > 0 ? rollbackModal(releases, source) : noRollbackChoices(source),
    ),
  );
}

/**
 * Unfurls the release links of a shared message. A link is left alone when its release does not exist, when
 * the person who shared it may not see it ({@link maySee}), and when the preview may reach people of other
 * organisations (a Slack Connect channel, the composer) unless the release's rule lets them act.
 */
export async function unfurlReleases(
  deps: SurfaceJobDependencies,
  job: Extract<SlackJob, { kind: 'unfurl' }>,
  actor: Actor,
): Promise<void> {
  if (!deps.surfaces) return;
  const at = deps.clock();
  const unfurls: Record<string, { blocks: readonly unknown[] }> = {};
  for (const { url, releaseId } of job.releaseIds) {
    const release = await findRelease(deps, { id: releaseId });
    if (!release || !maySee(release, actor, deps.policy)) continue;
    const { rule } = ruleFor(deps.policy, release.target.namespace, release.meta.cluster);
    if (job.mayReachExternal && !rule.allowExternal) continue;
    unfurls[url] = releaseUnfurl(release, at);
  }
  if (Object.keys(unfurls).length === 0) return;
  const surfaces = deps.surfaces;
  // The message may be gone, or the link no longer in it: nothing to preview then.
  await unlessRefusedForGood(deps, job, 'chat.unfurl', () =>
    surfaces.unfurl({
      channel: job.from.channelId,
      ts: job.messageTs,
      ...(job.unfurlId ? { unfurlId: job.unfurlId } : {}),
      ...(job.source ? { source: job.source } : {}),
      unfurls,
    }),
  );
}

/**
 * Slack's answers that no retry can change: the form was closed, the message or the person is gone, the
 * link was not announced, the view was refused as written. Retrying them would only end in the dead-letter
 * queue and page someone; they are logged and counted instead. Anything else (rate limits, Slack's own
 * failures, the network) fails the job, which the queue retries.
 */
export const FINAL_SLACK_ERRORS: ReadonlySet<string> = new Set([
  'not_found',
  'cannot_find_message',
  'cannot_unfurl_url',
  'cannot_unfurl_message',
  'cannot_find_channel',
  'channel_not_found',
  'is_archived',
  'user_not_found',
  'user_not_visible',
  'account_inactive',
  'not_enabled',
  'hash_conflict',
  'invalid_arguments',
  'invalid_blocks',
  'view_too_large',
]);

/** Runs a Slack call of a surface job; a refusal in {@link FINAL_SLACK_ERRORS} ends the job quietly. */
async function unlessRefusedForGood(
  deps: SurfaceJobDependencies,
  job: SlackJob,
  method: string,
  call: () => Promise<unknown>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    const code = slackErrorCode(error);
    if (code === undefined || !FINAL_SLACK_ERRORS.has(code)) throw error;
    deps.telemetry?.count('SlackError', 1, { code });
    const ours = code.startsWith('invalid_') || code === 'view_too_large';
    deps.log[ours ? 'error' : 'info'](`Slack refused ${method} for good; the job ends here`, {
      jobId: job.id,
      kind: job.kind,
      code,
    });
  }
}

/** Slack's error code of a failed Web API call (the client's platform error, or a views API error). */
function slackErrorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; data?: { error?: unknown } } | undefined;
  if (typeof e?.data?.error === 'string') return e.data.error;
  return error instanceof ViewsApiError ? (e?.code as string) : undefined;
}

/**
 * A notifier that also marks the home tabs as out of date when a release's card changes; the tick sees the
 * mark within a minute and a worker redraws the tabs ({@link redrawHomes}). A failure to mark never fails
 * the release's change: it is logged.
 *
 * @example const notifier = refreshingHomes(slackNotifier, { store, clock, log });
 */
export function refreshingHomes(
  inner: ReleaseNotifier,
  deps: { store: Pick<RecordStore, 'putRecord'>; clock: () => Date; log: Logger },
): ReleaseNotifier {
  return {
    showRelease: async (release) => {
      const kept = await inner.showRelease(release);
      await markHomesChanged(deps);
      return kept;
    },
    postEvent: (release, event) => inner.postEvent(release, event),
  };
}

/**
 * The tick found the home tabs out of date: queue one redraw per tab opened lately, each in its person's
 * group, then mark the change drawn. Returns the redraws this worker marked (0 when another worker did).
 *
 * @example await redrawHomes({ store, queue, clock, defaults }, { kind: 'homes', at });
 */
export async function redrawHomes(
  deps: {
    store: Pick<RecordStore, 'getRecord' | 'putRecord' | 'listRecords'>;
    queue: JobQueue<SlackJob>;
    clock: () => Date;
    defaults: { namespace: string; cluster: string };
  },
  job: HomesJob,
): Promise<number> {
  const pending = await pendingHomeRedraw(deps);
  if (!pending) return 0;
  const { viewers } = pending;
  const minute = Math.floor(Date.parse(job.at) / 60_000);
  if (viewers.length > 0)
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
            receivedAt: job.at,
          },
          deps.defaults,
        ),
      ),
    );
  // Drawn only once the redraws are queued; a worker that lost the race queued the same jobs (same ids).
  return (await pending.markDrawn()) ? viewers.length : 0;
}
