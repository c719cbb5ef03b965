import type { WebClient } from '@slack/web-api';
import type { OpenedView, SlackView } from '../views/slack-view.js';

/** Slack refused a views call; `code` is Slack's error (`expired_trigger_id`, `hash_conflict`, …). */
export class ViewsApiError extends Error {
  override name = 'ViewsApiError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What the bot does with views: open a modal on a trigger, change it, stack one, publish a home tab. */
export interface ViewsApi {
  /** Opens a modal; the trigger_id is usable once, within 3 seconds of the click or command. */
  open(triggerId: string, view: SlackView): Promise<OpenedView>;
  /** Replaces an open view; with `hash`, refused (`hash_conflict`) when the view changed since. */
  update(viewId: string, view: SlackView, hash?: string): Promise<OpenedView>;
  /** Pushes a view on top of an open modal (at most 3 in a stack). */
  push(triggerId: string, view: SlackView): Promise<OpenedView>;
  /** Publishes a person's App Home tab. */
  publish(userId: string, view: SlackView): Promise<OpenedView>;
}

/**
 * The views API over Slack's Web API client. Slack's error codes become {@link ViewsApiError}.
 *
 * @example const views = webClientViews(new WebClient(botToken, { slackApiUrl }));
 */
export function webClientViews(client: WebClient): ViewsApi {
  const call = async (method: string, run: () => Promise<{ view?: { id?: string; hash?: string } }>) => {
    try {
      const answer = await run();
      return { id: answer.view?.id ?? '', hash: answer.view?.hash ?? '' };
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error ?? 'request_failed';
      throw new ViewsApiError(code, `${method} failed: ${code}`, { cause: error });
    }
  };
  return {
    open: (triggerId, view) =>
      call('views.open', () => client.views.open({ trigger_id: triggerId, view: view as never })),
    update: (viewId, view, hash) =>
      call('views.update', () =>
        client.views.update({ view_id: viewId, view: view as never, ...(hash ? { hash } : {}) }),
      ),
    push: (triggerId, view) =>
      call('views.push', () => client.views.push({ trigger_id: triggerId, view: view as never })),
    publish: (userId, view) =>
      call('views.publish', () => client.views.publish({ user_id: userId, view: view as never })),
  };
}
