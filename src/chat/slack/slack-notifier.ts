import { ErrorCode, type WebClient } from '@slack/web-api';
import { ChatUnavailableError, type ReleaseNotifier } from '../../app/ports/release-notifier.js';
import {
  type ApprovalRule,
  RELEASE_CHANNEL_META,
  type Release,
  type ReleaseEvent,
} from '../../domain/release/index.js';
import { type RedFigures, releaseCard, releaseEventLine, type SmokeOnCard } from '../views/index.js';

/** Where a release's card lives, kept in `release.meta`. */
export const CARD_CHANNEL = RELEASE_CHANNEL_META;
export const CARD_TS = 'ts';

/**
 * Shows releases in Slack: one card per release in its channel, updated in place with `chat.update`, and
 * its events in the card's thread. A 429, a 5xx or an unreachable Slack is a `ChatUnavailableError` (the
 * caller keeps the message for later, so that a worker never waits out Slack's Retry-After); give it a client
 * built with `rejectRateLimitedCalls`.
 *
 * @example new SlackReleaseNotifier(new WebClient(token, { slackApiUrl }), { defaultChannel: 'C0RELEASES' });
 */
export class SlackReleaseNotifier implements ReleaseNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly options: {
      /** Channel of releases started without one (Flagger, API). */
      defaultChannel?: string;
      /** Latest RED of baseline and canary for the card, when available. */
      red?: (release: Release) => Promise<RedFigures | undefined>;
      /** The smoke traffic a release gets now, if any. */
      smoke?: (release: Release) => SmokeOnCard | undefined;
      /** What the policy asks of the release's approvals (quorum, reasons): the card's quorum line and buttons. */
      rule?: (release: Release) => ApprovalRule;
    } = {},
  ) {}

  async showRelease(release: Release): Promise<Record<string, string> | undefined> {
    return await transient(() => this.draw(release));
  }

  async postEvent(release: Release, event: ReleaseEvent): Promise<void> {
    await transient(() => this.post(release, event));
  }

  private async draw(release: Release): Promise<Record<string, string> | undefined> {
    const channel = release.meta[CARD_CHANNEL] ?? this.options.defaultChannel;
    if (!channel) throw new Error(`release ${release.id} has no channel to post its card in`);
    const red = await this.options.red?.(release).catch(() => undefined);
    const smoke = this.options.smoke?.(release);
    const rule = this.options.rule?.(release);
    const { text, blocks } = releaseCard(release, {
      ...(red ? { red } : {}),
      ...(smoke ? { smoke } : {}),
      ...(rule ? { rule } : {}),
    });
    const ts = release.meta[CARD_TS];
    if (ts) {
      await this.client.chat.update({ channel, ts, text, blocks: blocks as never });
      return undefined;
    }
    const posted = await this.client.chat.postMessage({
      channel,
      text,
      blocks: blocks as never,
      unfurl_links: false,
    });
    if (!posted.ts) throw new Error('Slack returned no ts for the release card');
    return { [CARD_CHANNEL]: posted.channel ?? channel, [CARD_TS]: posted.ts };
  }

  private async post(release: Release, event: ReleaseEvent): Promise<void> {
    const channel = release.meta[CARD_CHANNEL] ?? this.options.defaultChannel;
    const thread = release.meta[CARD_TS];
    if (!channel) return;
    const { text, blocks } = releaseEventLine(event);
    await this.client.chat.postMessage({
      channel,
      text,
      blocks: blocks as never,
      ...(thread ? { thread_ts: thread } : {}),
    });
  }
}

/** Runs a Slack call, turning what may succeed later (429, 5xx, no answer) into a `ChatUnavailableError`. */
async function transient<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const { code, retryAfter, statusCode } = (error ?? {}) as {
      code?: string;
      retryAfter?: number;
      statusCode?: number;
    };
    if (code === ErrorCode.RateLimitedError)
      throw new ChatUnavailableError('Slack is rate limiting', retryAfter, { cause: error });
    if (code === ErrorCode.RequestError || (code === ErrorCode.HTTPError && (statusCode ?? 500) >= 500))
      throw new ChatUnavailableError('Slack is unavailable', undefined, { cause: error });
    throw error;
  }
}
