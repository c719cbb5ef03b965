/** Answers about subscriptions: the channel's list, and the notes that announce a change in the channel. */
import { SLASH_COMMAND } from '../../domain/command/index.js';
import { describeSchedule, nextSlotAt, type Subscription, subjectName } from '../../domain/summary/index.js';
import {
  code,
  context,
  escapeMrkdwn,
  fitMessage,
  mention,
  type SlackMessage,
  section,
  slackDate,
} from './block-kit.js';
import { packLines } from './line-list.js';

function subjectWords(subscription: Subscription): string {
  const kind = subscription.subject.kind === 'namespace' ? 'namespace' : 'service';
  return `*${escapeMrkdwn(subjectName(subscription.subject))}* (${kind})`;
}

function stopCommand(subscription: Subscription): string {
  const { subject } = subscription;
  return code(
    `${SLASH_COMMAND} unsubscribe ${subject.kind === 'service' ? `${subject.service} --ns ${subject.namespace}` : subject.namespace}`,
  );
}

/**
 * `/canary subscriptions`: the channel's subscriptions, one line each.
 *
 * @example subscriptionList([sub], 'UTC', new Date()).text // '1 scheduled summary in this channel'
 */
export function subscriptionList(
  subscriptions: readonly Subscription[],
  timeZone: string,
  now: Date,
): SlackMessage {
  const count = subscriptions.length;
  const title = `${count} scheduled summar${count === 1 ? 'y' : 'ies'} in this channel`;
  if (count === 0)
    return fitMessage(title, [
      section('No scheduled summaries in this channel.'),
      context(`Start one with ${code(`${SLASH_COMMAND} subscribe bookinfo --every 1h`)}.`),
    ]);
  const lines = subscriptions.map(
    (s) =>
      `• ${subjectWords(s)} · ${escapeMrkdwn(describeSchedule(s.schedule, timeZone))} · next ${slackDate(nextSlotAt(s.schedule, now, timeZone).toISOString())} · by ${mention(s.createdBy)} · stop: ${stopCommand(s)}`,
  );
  return fitMessage(title, [section(`*${title}*`), ...packLines(lines)]);
}

/**
 * Announced in the channel: who subscribed it to what, how often, and when the first summary comes.
 *
 * @example subscribedNote(sub, undefined, 'UTC', new Date()).text // 'U123 subscribed this channel to RED summaries of bookinfo, every hour'
 */
export function subscribedNote(
  subscription: Subscription,
  replaced: Subscription | undefined,
  timeZone: string,
  now: Date,
): SlackMessage {
  const schedule = describeSchedule(subscription.schedule, timeZone);
  const name = subjectName(subscription.subject);
  const plain = replaced
    ? `changed the RED summaries of ${name} in this channel from ${describeSchedule(replaced.schedule, timeZone)} to ${schedule}`
    : `subscribed this channel to RED summaries of ${name}, ${schedule}`;
  const verb = replaced
    ? `changed the RED summaries of ${subjectWords(subscription)} in this channel from ${escapeMrkdwn(describeSchedule(replaced.schedule, timeZone))} to ${escapeMrkdwn(schedule)}`
    : `subscribed this channel to RED summaries of ${subjectWords(subscription)}, ${escapeMrkdwn(schedule)}`;
  const text = `:calendar: ${mention(subscription.createdBy)} ${verb}.`;
  return fitMessage(`${subscription.createdBy} ${plain}`, [
    section(text),
    context(
      `The next one is due ${slackDate(nextSlotAt(subscription.schedule, now, timeZone).toISOString())}. ${stopCommand(subscription)} stops it.`,
    ),
  ]);
}

/**
 * Announced in the channel: who stopped which summaries.
 *
 * @example unsubscribedNote(sub, 'U0ALICE001').text
 */
export function unsubscribedNote(subscription: Subscription, by: string): SlackMessage {
  const text = `:calendar: ${mention(by)} stopped the RED summaries of ${subjectWords(subscription)} in this channel.`;
  return fitMessage(
    `${by} stopped the RED summaries of ${subjectName(subscription.subject)} in this channel`,
    [section(text)],
  );
}
