import type { WebClient } from '@slack/web-api';
import type { FlaggerNotifier, FlaggerThreadLine } from '../../app/ports/flagger-notifier.js';
import type { CardRef, FlaggerRevision } from '../../domain/flagger/index.js';
import {
  flaggerCard,
  flaggerDecisionLine,
  flaggerEventLine,
  flaggerWaitingLine,
  type SlackMessage,
} from '../views/index.js';

/**
 * Shows Flagger canary revisions in Slack: the card in the configured channel, updated with `chat.update`,
 * events and decisions in its thread. A gate starting to wait is also shown in the channel
 * (`reply_broadcast`), so that approvers notice it.
 *
 * @example new SlackFlaggerNotifier(new WebClient(token, { slackApiUrl }), { channel: 'C0RELEASES' });
 */
export class SlackFlaggerNotifier implements FlaggerNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly options: {
      /** Channel of new cards; cards already posted stay where they are. */
      channel?: string;
    } = {},
  ) {}

  async postCard(revision: FlaggerRevision, version: number): Promise<CardRef> {
    const channel = this.options.channel;
    if (!channel)
      throw new Error('no Slack channel is configured for Flagger cards (CANARY_BOT_SLACK_CHANNEL)');
    const { text, blocks } = flaggerCard(revision, version);
    const posted = await this.client.chat.postMessage({
      channel,
      text,
      blocks: blocks as never,
      unfurl_links: false,
    });
    if (!posted.ts) throw new Error('Slack returned no ts for the Flagger card');
    return { channel: posted.channel ?? channel, ts: posted.ts };
  }

  async updateCard(card: CardRef, revision: FlaggerRevision, version: number): Promise<void> {
    const { text, blocks } = flaggerCard(revision, version);
    await this.client.chat.update({ channel: card.channel, ts: card.ts, text, blocks: blocks as never });
  }

  async postLine(
    card: CardRef | undefined,
    revision: FlaggerRevision,
    line: FlaggerThreadLine,
  ): Promise<void> {
    const channel = card?.channel ?? this.options.channel;
    if (!channel) return;
    const { text, blocks } = lineMessage(revision, line);
    const base = { channel, text, blocks: blocks as never, unfurl_links: false };
    if (!card) await this.client.chat.postMessage(base);
    else
      await this.client.chat.postMessage({
        ...base,
        thread_ts: card.ts,
        reply_broadcast: line.kind === 'gate-waiting',
      });
  }
}

function lineMessage(revision: FlaggerRevision, line: FlaggerThreadLine): SlackMessage {
  switch (line.kind) {
    case 'event':
      return flaggerEventLine(line.event);
    case 'gate-waiting':
      return flaggerWaitingLine(revision, line.hook);
    case 'decision':
      return flaggerDecisionLine(revision, line.target, line.action, line.actor);
    default:
      return line satisfies never;
  }
}
