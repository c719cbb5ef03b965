import type { App } from '@slack/bolt';
import { describeError } from '../../app/logger.js';
import { parseButtonValue } from '../views/button-value.js';
import {
  REASON_ACTION_IDS,
  REASON_CALLBACK_ID,
  REASON_INPUT,
  type ReasonedAction,
  type ReasonSource,
  reasonFromSubmission,
  reasonModal,
} from '../views/reason-modal.js';
import { answer } from './response-url.js';
import { queuedSlackJob, type SlackJob } from './slack-job.js';
import type { SurfaceListenerDependencies } from './surface-listeners.js';

const reasonActions = Object.entries(REASON_ACTION_IDS) as [ReasonedAction, string][];

/**
 * The card's buttons that ask for a reason first (the policy's `reasons`): the click opens the reason form
 * here, in the ingress, with the click's trigger (usable once, for three seconds: never through the queue);
 * the form's submission becomes the same job as the plain button's, with the reason, and the worker
 * authorizes it again. An empty reason is refused on the form itself and nothing is queued.
 *
 * @example registerReasonListeners(app, { ...listenerDeps, views: webClientViews(client) });
 */
export function registerReasonListeners(app: App, deps: SurfaceListenerDependencies): void {
  const defaults = { namespace: deps.defaultNamespace, cluster: deps.defaultCluster };

  app.action(/^reason\./, async ({ ack, body, action }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button' || !('action_id' in action)) return;
    const which = reasonActions.find(([, id]) => id === action.action_id)?.[0];
    const value = parseButtonValue(action.value ?? '');
    const label = 'text' in action ? action.text.text : '';
    const responseUrl = body.response_url;
    if (which === undefined || !value.ok) {
      await tell(deps, responseUrl, value.ok ? 'Unknown button.' : value.error);
      return;
    }
    const teamId = body.team?.id ?? body.user.team_id;
    const onHome = (body.container as { type?: string } | undefined)?.type === 'view';
    const source: ReasonSource = {
      action: which,
      value: value.value,
      channelId: body.channel?.id ?? '',
      ...(teamId ? { teamId } : {}),
      ...(body.enterprise?.id ? { enterpriseId: body.enterprise.id } : {}),
      ...(responseUrl ? { responseUrl } : {}),
      ...(onHome ? { home: true } : {}),
    };
    try {
      await deps.views.open(body.trigger_id, reasonModal(source, label));
    } catch (error) {
      deps.log.warn('could not open the reason form', { error: describeError(error) });
      await tell(
        deps,
        responseUrl,
        'The reason form could not be opened in time; nothing was changed. Click the button again.',
      );
    }
  });

  app.view(REASON_CALLBACK_ID, async ({ ack, body, view }) => {
    const parsed = reasonFromSubmission(view.state.values as never, view.private_metadata ?? '');
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors } as never);
      return;
    }
    const { source, reason } = parsed;
    const job: SlackJob = {
      kind: 'action',
      id: (body as { trigger_id?: string }).trigger_id ?? `${view.id}:${view.hash}`,
      action: source.action,
      value: source.value,
      from: {
        userId: body.user.id,
        channelId: source.channelId,
        ...(source.teamId ? { teamId: source.teamId } : {}),
        ...(source.enterpriseId ? { enterpriseId: source.enterpriseId } : {}),
        responseUrl: source.responseUrl ?? '',
      },
      receivedAt: deps.clock().toISOString(),
      reason,
      ...(source.home ? { via: 'home' as const } : {}),
    };
    try {
      await deps.queue.send([queuedSlackJob(job, defaults)]);
    } catch (error) {
      deps.log.error('could not hand a reasoned action to the worker', {
        jobId: job.id,
        error: describeError(error),
      });
      await ack({
        response_action: 'errors',
        errors: {
          [REASON_INPUT.blockId]:
            'The bot could not take this right now; nothing was changed. Try again in a moment.',
        },
      } as never);
      return;
    }
    // The form closes; the answer comes where the button's would (privately, in the card's channel).
    await ack();
  });
}

async function tell(
  deps: SurfaceListenerDependencies,
  responseUrl: string | undefined,
  text: string,
): Promise<void> {
  if (!responseUrl) {
    deps.log.warn('a reason button could not be answered (no response URL)', { text });
    return;
  }
  try {
    await answer(responseUrl, { text: `:warning: ${text}`, blocks: [] });
  } catch (error) {
    deps.log.warn('could not answer through the response URL', { error: describeError(error) });
  }
}
