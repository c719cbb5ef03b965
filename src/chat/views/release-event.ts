/** A release event as a line in the release's thread, the way Flagger reports events. */
import type { ReleaseEvent } from '../../domain/release/index.js';
import {
  clip,
  context,
  escaped,
  escapeMrkdwn,
  fitMessage,
  type SlackMessage,
  section,
  slackDate,
} from './block-kit.js';

const EVENT_MARKERS: Readonly<Record<ReleaseEvent['type'], string>> = {
  Normal: ':large_blue_circle:',
  Warning: ':warning:',
};

/**
 * `:warning: *Warning* Rolling back reviews.bookinfo failed checks: ...`, with the time when given.
 *
 * @example releaseEventLine({ type: 'Normal', reason: 'Synced', message: 'Advance reviews.bookinfo canary weight 25' })
 * // { text: 'Normal Synced: Advance reviews.bookinfo canary weight 25', blocks: [section] }
 */
export function releaseEventLine(event: ReleaseEvent, at?: string): SlackMessage {
  const message = clip(event.message, 2500);
  const blocks = [section(`${EVENT_MARKERS[event.type]} *${event.type}* ${escapeMrkdwn(message)}`)];
  if (at !== undefined) blocks.push(context(`${escaped(event.reason, 100)} · ${slackDate(at)}`));
  return fitMessage(`${event.type} ${event.reason}: ${message}`, blocks);
}
