import type { App } from '@slack/bolt';
import { describeError } from '../../app/logger.js';
import { rollbackFromSubmission, rollbackModalLoading } from '../views/rollback-modal.js';
import type { ModalView } from '../views/slack-view.js';
import { answer } from './response-url.js';
import { homeTabRequester, queuedSlackJob, type SlackJob, type SlackRequester } from './slack-job.js';
import type { ListenerDependencies } from './slack-listeners.js';
import type { ViewsApi } from './views-api.js';

/** What the App Home and shortcut listeners need besides the command's: the views API (bot token). */
export interface SurfaceListenerDependencies extends ListenerDependencies {
  views: ViewsApi;
}

/** The message shortcut "Roll back a release" (its callback id in the app manifest). */
export const ROLLBACK_SHORTCUT = 'canary.rollback_shortcut';
/** The rollback modal's callback id. */
export const ROLLBACK_VIEW = 'canary.rollback';
/** The home tab's paging buttons. */
export const HOME_PAGE_ACTION = 'home.page';

/** Where a shortcut was used, carried through the modal's private metadata. */
export interface ShortcutSource {
  channelId: string;
  messageTs: string;
  teamId?: string;
  /** Slack's permalink form, `https://<domain>.slack.com/archives/<channel>/p<ts without the dot>`. */
  permalink?: string;
  /** The shortcut's response URL: the person's answers go there (ephemeral, in the message's channel). */
  responseUrl?: string;
}

/**
 * The message shortcut "Roll back a release" and its modal, and the home tab's paging. The shortcut opens a
 * modal at once (Slack's trigger is usable for three seconds, once), saying it is finding releases; the
 * worker fills it in with the releases the person may roll back (`views.update`). The modal's submission
 * becomes the same rollback job as the card's button, with the reason and the message it came from.
 *
 * @example registerSurfaceListeners(app, { ...listenerDeps, views: webClientViews(client) });
 */
export function registerSurfaceListeners(app: App, deps: SurfaceListenerDependencies): void {
  const defaults = { namespace: deps.defaultNamespace, cluster: deps.defaultCluster };

  app.shortcut(ROLLBACK_SHORTCUT, async ({ shortcut, ack }) => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    const teamId = shortcut.team?.id ?? shortcut.user.team_id;
    const source: ShortcutSource = {
      channelId: shortcut.channel.id,
      messageTs: shortcut.message.ts,
      ...(teamId ? { teamId } : {}),
      ...(shortcut.team?.domain
        ? { permalink: permalinkOf(shortcut.team.domain, shortcut.channel.id, shortcut.message.ts) }
        : {}),
      responseUrl: shortcut.response_url,
    };
    let viewId: string;
    try {
      viewId = (await deps.views.open(shortcut.trigger_id, rollbackModalLoading(source))).id;
    } catch (error) {
      deps.log.warn('could not open the rollback modal', { error: describeError(error) });
      await tryAnswer(
        deps,
        shortcut.response_url,
        'The rollback form could not be opened in time; nothing was changed. Try the shortcut again.',
      );
      return;
    }
    const job: SlackJob = {
      kind: 'rollback-choices',
      id: shortcut.trigger_id,
      from: requesterOf(shortcut.user.id, source, shortcut.enterprise?.id, shortcut.response_url),
      receivedAt: deps.clock().toISOString(),
      viewId,
      source: messageOf(source),
    };
    try {
      await deps.queue.send([queuedSlackJob(job, defaults)]);
    } catch (error) {
      deps.log.error('could not hand a shortcut to the worker', {
        jobId: job.id,
        error: describeError(error),
      });
      try {
        await deps.views.update(
          viewId,
          notice('The bot could not take this right now; nothing was changed. Try again in a moment.'),
        );
      } catch {
        // The modal keeps saying it is finding releases; the person closes it.
      }
    }
  });

  app.view(ROLLBACK_VIEW, async ({ ack, body, view }) => {
    const parsed = rollbackFromSubmission(view.state.values as never, view.private_metadata ?? '');
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors } as never);
      return;
    }
    const source = parsed.source as ShortcutSource;
    const teamId = body.team?.id ?? body.user.team_id ?? source.teamId;
    const job: SlackJob = {
      kind: 'action',
      id: (body as { trigger_id?: string }).trigger_id ?? `${view.id}:${view.hash}`,
      action: 'rollback',
      value: { r: parsed.releaseId, s: 0, v: parsed.stateVersion },
      from: requesterOf(
        body.user.id,
        { ...source, ...(teamId ? { teamId } : {}) },
        body.enterprise?.id,
        source.responseUrl ?? '',
      ),
      receivedAt: deps.clock().toISOString(),
      reason: parsed.reason,
      via: 'shortcut',
      source: messageOf(source),
    };
    try {
      await deps.queue.send([queuedSlackJob(job, defaults)]);
    } catch (error) {
      deps.log.error('could not hand a rollback to the worker', {
        jobId: job.id,
        error: describeError(error),
      });
      await ack({
        response_action: 'errors',
        errors: {
          release: 'The bot could not take this right now; nothing was changed. Try again in a moment.',
        },
      } as never);
      return;
    }
    await ack({
      response_action: 'update',
      view: notice("Rolling back. The release's thread says when it is done; so will a private note here."),
    } as never);
  });

  app.action(HOME_PAGE_ACTION, async ({ ack, body, action }) => {
    await ack();
    const page = Number('value' in action ? action.value : 0);
    if (body.type !== 'block_actions' || !Number.isInteger(page) || page < 0 || page > 1000) return;
    const job: SlackJob = {
      kind: 'home',
      id: body.trigger_id,
      from: homeTabRequester(body),
      receivedAt: deps.clock().toISOString(),
      page,
    };
    try {
      await deps.queue.send([queuedSlackJob(job, defaults)]);
    } catch (error) {
      deps.log.warn('could not hand a home page turn to the worker', { error: describeError(error) });
    }
  });
}

/**
 * Slack's permalink of a message, in Slack's own form (what `chat.getPermalink` answers for a workspace).
 *
 * @example permalinkOf('acme', 'C0INCIDENT', '1733400000.000100') // 'https://acme.slack.com/archives/C0INCIDENT/p1733400000000100'
 */
export function permalinkOf(domain: string, channelId: string, ts: string): string {
  return `https://${domain}.slack.com/archives/${channelId}/p${ts.replace('.', '')}`;
}

/** The person who used the shortcut, answered in the message's channel. */
function requesterOf(
  userId: string,
  source: ShortcutSource,
  enterpriseId: string | undefined,
  responseUrl: string,
): SlackRequester {
  return {
    userId,
    channelId: source.channelId,
    ...(source.teamId ? { teamId: source.teamId } : {}),
    ...(enterpriseId ? { enterpriseId } : {}),
    responseUrl,
  };
}

/** The message the shortcut was used on, as the job carries it. */
function messageOf(source: ShortcutSource): { channelId: string; messageTs: string; permalink?: string } {
  return {
    channelId: source.channelId,
    messageTs: source.messageTs,
    ...(source.permalink ? { permalink: source.permalink } : {}),
  };
}

function notice(text: string): ModalView {
  return {
    type: 'modal',
    callback_id: ROLLBACK_VIEW,
    title: { type: 'plain_text', text: 'Roll back a release' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

async function tryAnswer(deps: ListenerDependencies, responseUrl: string, text: string): Promise<void> {
  try {
    await answer(responseUrl, { text: `:warning: ${text}`, blocks: [] });
  } catch (error) {
    deps.log.warn('could not answer through the response URL', { error: describeError(error) });
  }
}
