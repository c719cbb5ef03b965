/**
 * Redrawing the App Home tabs people opened lately, after releases change. A change only marks the tabs as
 * out of date (one record write); the tick, once a minute, sees the mark and asks a worker to redraw them;
 * that worker queues one redraw per viewer, then marks the change drawn (optimistic concurrency: one worker
 * marks a version; a failure before the mark leaves it for the queue's retry).
 * So no change is ever skipped: a change made while tabs are being redrawn leaves a newer mark, which the
 * next tick sees. And the redraws read the releases a tick after they changed, when the store's index has
 * long caught up with them.
 */
import { describeError, type Logger } from './logger.js';
import type { RecordStore } from './ports/release-store.js';
import { VersionConflictError } from './ports/store-errors.js';

/** Who opened their App Home tab lately (id: the Slack user id). */
export const HOME_VIEWER_RECORD = 'home-viewer';
/** A tab opened longer ago than this is no longer redrawn on changes (it is when opened again). */
export const HOME_VIEWER_SECONDS = 24 * 3600;
/** At most this many tabs are redrawn per change (the most recently opened). */
export const HOME_REFRESH_MAX = 50;
/** The mark of changes (id `changed`, its version counts them) and of the last redraw (id `drawn`). */
export const HOMES_RECORD = 'homes';

/** What the bot remembers of a person who opened their tab. */
export interface HomeViewer {
  openedAt: string;
  teamId?: string;
  enterpriseId?: string;
}

/** The job the tick sends when tabs are out of date: a worker redraws them. */
export interface HomesJob {
  kind: 'homes';
  at: string;
}

interface DrawnMark {
  /** The version of the `changed` mark the last redraw covered. */
  changedVersion: number;
  at: string;
}

/**
 * Marks the home tabs as out of date. Never throws: a failure is logged (the tabs are redrawn at the next
 * change, or when opened).
 *
 * @example await markHomesChanged({ store, clock, log });
 */
export async function markHomesChanged(deps: {
  store: Pick<RecordStore, 'putRecord'>;
  clock: () => Date;
  log: Logger;
}): Promise<void> {
  try {
    await deps.store.putRecord(HOMES_RECORD, 'changed', { at: deps.clock().toISOString() });
  } catch (error) {
    deps.log.warn('could not mark the home tabs as out of date', { error: describeError(error) });
  }
}

/**
 * Whether a change came after the last redraw: what the tick asks (one Query of a two-item partition).
 *
 * @example if (await homesOutOfDate(store)) jobs.push(homesJob(at));
 */
export async function homesOutOfDate(store: Pick<RecordStore, 'listRecords'>): Promise<boolean> {
  const marks = await store.listRecords<unknown>(HOMES_RECORD);
  const changed = marks.find((r) => r.id === 'changed');
  const drawn = marks.find((r) => r.id === 'drawn')?.value as DrawnMark | undefined;
  return changed !== undefined && (drawn === undefined || drawn.changedVersion < changed.version);
}

/**
 * The tabs to redraw for the current mark (opened in the last {@link HOME_VIEWER_SECONDS}, the latest first, at
 * most {@link HOME_REFRESH_MAX}), and how to mark them drawn once their redraws are queued; undefined when no
 * change waits. Marking drawn last means a failure in between leaves the mark for the queue's retry; marking
 * is conditional (one worker marks a version; a second one's redraws are the same jobs, dropped by their ids).
 *
 * @example const pending = await pendingHomeRedraw(deps); if (pending) { await send(pending.viewers); await pending.markDrawn(); }
 */
export async function pendingHomeRedraw(deps: {
  store: Pick<RecordStore, 'getRecord' | 'putRecord' | 'listRecords'>;
  clock: () => Date;
}): Promise<{ viewers: { id: string; value: HomeViewer }[]; markDrawn(): Promise<boolean> } | undefined> {
  const at = deps.clock();
  const [changed, drawn] = await Promise.all([
    deps.store.getRecord<unknown>(HOMES_RECORD, 'changed'),
    deps.store.getRecord<DrawnMark>(HOMES_RECORD, 'drawn'),
  ]);
  if (!changed || (drawn && drawn.value.changedVersion >= changed.version)) return undefined;
  const viewers = (await deps.store.listRecords<HomeViewer>(HOME_VIEWER_RECORD))
    .filter((r) => at.getTime() - Date.parse(r.value.openedAt) <= HOME_VIEWER_SECONDS * 1000)
    .sort((a, b) => b.value.openedAt.localeCompare(a.value.openedAt))
    .slice(0, HOME_REFRESH_MAX)
    .map(({ id, value }) => ({ id, value }));
  const markDrawn = async () => {
    try {
      await deps.store.putRecord<DrawnMark>(
        HOMES_RECORD,
        'drawn',
        { changedVersion: changed.version, at: at.toISOString() },
        { expectedVersion: drawn?.version ?? 0 },
      );
      return true;
    } catch (error) {
      if (error instanceof VersionConflictError) return false;
      throw error;
    }
  };
  return { viewers, markDrawn };
}
