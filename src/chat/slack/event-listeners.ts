import type { App } from '@slack/bolt';
import { describeError } from '../../app/logger.js';
import type { ClaimStore } from '../../app/ports/release-store.js';
import { releaseIdFromUrl } from '../views/release-unfurl.js';
import { queuedSlackJob, type SlackJob } from './slack-job.js';
import type { ListenerDependencies } from './slack-listeners.js';

/** What the Events API listeners need besides the command's. */
export interface EventListenerDependencies extends ListenerDependencies {
  /** Remembers the events already handed to the worker (Slack retries an event it thinks was missed). */
  claims: ClaimStore;
  /** Base URL of release links (`<publicUrl>/releases/<id>`) that are unfurled; without it, none are. */
  publicUrl?: string;
}

/** How long an event id is remembered: Slack retries up to three times, the last about five minutes later. */
export const EVENT_MEMORY_SECONDS = 3600;
/**
 * How long a retry holds its event: less than the minute Slack waits before its next retry, so a retry the
 * queue refused is never mistaken for one handled. A retry handled after that is dropped by the queue's
 * dedup id (five minutes); one later still is a harmless second redraw or preview.
 */
export const RETRY_HOLD_SECONDS = 30;

/**
 * The Events API: `app_home_opened` (publish the person's home tab) and `link_shared` (unfurl release links).
 * Bolt answers `url_verification` itself. Each event reaches the worker once: its id is the queue's dedup id
 * (five minutes), and a delivered event is remembered for an hour, so Slack's retries (`X-Slack-Retry-Num`,
 * sent when an answer took longer than three seconds or failed) are acknowledged and dropped. A first
 * delivery is remembered only after the queue took it, and a retry only briefly ({@link RETRY_HOLD_SECONDS}):
 * a failure in between is retried by Slack, never lost.
 *
 * @example registerEventListeners(app, { ...listenerDeps, claims: store, publicUrl: 'https://bot.example.com' });
 */
export function registerEventListeners(app: App, deps: EventListenerDependencies): void {
  const defaults = { namespace: deps.defaultNamespace, cluster: deps.defaultCluster };
  const handOver = async (eventId: string, retry: boolean, job: SlackJob) => {
    const key = `slack-event:${eventId}`;
    // A retry of an event already handed over is dropped. A retry holds the event only briefly: should the
    // queue refuse it too, Slack's next retry (a minute later at the soonest) finds it free and tries again.
    if (retry && !(await deps.claims.claim(key, RETRY_HOLD_SECONDS))) {
      deps.log.info('dropped a retried Slack event already handled', { eventId });
      return;
    }
    await deps.queue.send([{ ...queuedSlackJob(job, defaults), dedupId: `slack:event:${eventId}` }]);
    if (!retry) await deps.claims.claim(key, EVENT_MEMORY_SECONDS);
  };

  app.event('app_home_opened', async ({ event, body, context }) => {
    if (event.tab !== 'home' || !isUserId(event.user)) return;
    const eventId = (body as { event_id?: string }).event_id ?? `${event.user}:${event.event_ts}`;
    const team = (body as { team_id?: string }).team_id;
    const enterprise = (body as { enterprise_id?: string }).enterprise_id;
    try {
      await handOver(eventId, context.retryNum !== undefined, {
        kind: 'home',
        id: eventId,
        from: {
          userId: event.user,
          channelId: '',
          ...(team ? { teamId: team } : {}),
          ...(enterprise ? { enterpriseId: enterprise } : {}),
          responseUrl: '',
        },
        receivedAt: deps.clock().toISOString(),
      });
    } catch (error) {
      // Answering 500 makes Slack retry the event later: nothing is lost.
      deps.log.error('could not hand an App Home event to the worker', {
        eventId,
        error: describeError(error),
      });
      throw error;
    }
  });

  app.event('link_shared', async ({ event, body, context }) => {
    const base = deps.publicUrl;
    if (!base || !isUserId(event.user) || !Array.isArray(event.links)) return;
    const shared = event as typeof event & { unfurl_id?: string; source?: string };
    // A link pasted in the message composer has no channel or message yet: Slack names it by unfurl_id.
    const composer =
      shared.source === 'composer' &&
      typeof shared.unfurl_id === 'string' &&
      /^[\w.:-]{1,200}$/.test(shared.unfurl_id);
    const inMessage =
      /^[CGD][A-Z0-9]{2,40}$/.test(String(event.channel)) &&
      /^\d{1,12}\.\d{1,8}$/.test(String(event.message_ts));
    if (!composer && !inMessage) return;
    const releaseIds = event.links.flatMap((link) => {
      const releaseId = typeof link?.url === 'string' ? releaseIdFromUrl(base, link.url) : undefined;
      return releaseId ? [{ url: link.url, releaseId }] : [];
    });
    if (releaseIds.length === 0) return;
    const eventId = (body as { event_id?: string }).event_id ?? `${event.channel}:${event.message_ts}`;
    const team = (body as { team_id?: string }).team_id;
    const enterprise = (body as { enterprise_id?: string }).enterprise_id;
    try {
      await handOver(eventId, context.retryNum !== undefined, {
        kind: 'unfurl',
        id: eventId,
        from: {
          userId: event.user,
          channelId: composer ? '' : event.channel,
          ...(team ? { teamId: team } : {}),
          ...(enterprise ? { enterpriseId: enterprise } : {}),
          responseUrl: '',
        },
        receivedAt: deps.clock().toISOString(),
        messageTs: composer ? '' : event.message_ts,
        ...(shared.unfurl_id ? { unfurlId: shared.unfurl_id } : {}),
        ...(shared.source ? { source: shared.source } : {}),
        ...(composer || (body as { is_ext_shared_channel?: unknown }).is_ext_shared_channel === true
          ? { mayReachExternal: true }
          : {}),
        releaseIds: releaseIds.slice(0, 5),
      });
    } catch (error) {
      deps.log.error('could not hand a link_shared event to the worker', {
        eventId,
        error: describeError(error),
      });
      throw error;
    }
  });
}

/** A Slack user id, as events name people. */
function isUserId(value: unknown): value is string {
  return typeof value === 'string' && /^[UW][A-Z0-9]{2,40}$/.test(value);
}
