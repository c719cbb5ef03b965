/**
 * A channel's subscription to scheduled RED summaries of a namespace or of one service, as stored in the
 * store's generic records (kind {@link SUBSCRIPTION_RECORD_KIND}, one record per channel and subject).
 */
import type { Schedule } from '../command/command.js';

/** What a summary is about: every service of a namespace, or one service. */
export type SummarySubject =
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'service'; readonly namespace: string; readonly service: string };

/** One channel's subscription to one subject. */
export interface Subscription {
  /** `<channel>:<namespace>` or `<channel>:<namespace>/<service>`: one per channel and subject. */
  readonly id: string;
  readonly channelId: string;
  readonly subject: SummarySubject;
  /** The cluster of the subject (`--cluster`); undefined: the default cluster. */
  readonly cluster?: string;
  readonly schedule: Schedule;
  /** Slack user id of whoever subscribed (or last changed the schedule). */
  readonly createdBy: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** The record kind of subscriptions in the store. */
export const SUBSCRIPTION_RECORD_KIND = 'subscription';

/** A channel holds at most this many subscriptions: every one of them posts on its own schedule. */
export const MAX_SUBSCRIPTIONS_PER_CHANNEL = 20;

/**
 * The subject as a key: `bookinfo` or `bookinfo/reviews`.
 *
 * @example subjectKey({ kind: 'service', namespace: 'bookinfo', service: 'reviews' }) // 'bookinfo/reviews'
 */
export function subjectKey(subject: SummarySubject): string {
  return subject.kind === 'namespace' ? subject.namespace : `${subject.namespace}/${subject.service}`;
}

/**
 * The id of a channel's subscription to a subject (of a named cluster, when one was given).
 *
 * @example subscriptionId('C0123', { kind: 'namespace', namespace: 'bookinfo' }) // 'C0123:bookinfo'
 */
export function subscriptionId(channelId: string, subject: SummarySubject, cluster?: string): string {
  return `${channelId}:${cluster ? `${cluster}:` : ''}${subjectKey(subject)}`;
}

/**
 * The subject as people name it: a namespace, or Flagger's `name.namespace` for a service.
 *
 * @example subjectName({ kind: 'service', namespace: 'bookinfo', service: 'reviews' }) // 'reviews.bookinfo'
 */
export function subjectName(subject: SummarySubject): string {
  return subject.kind === 'namespace' ? subject.namespace : `${subject.service}.${subject.namespace}`;
}

/** True when a version of `namespace`/`service` belongs to the subject. */
export function inSubject(subject: SummarySubject, namespace: string, service: string): boolean {
  return subject.namespace === namespace && (subject.kind === 'namespace' || subject.service === service);
}

/**
 * How often, in words; daily times are in `timeZone`.
 *
 * @example describeSchedule({ kind: 'interval', seconds: 900 }, 'UTC') // 'every 15 min'
 * @example describeSchedule({ kind: 'daily', hour: 9, minute: 0 }, 'Europe/Paris') // 'daily at 09:00 (Europe/Paris)'
 */
export function describeSchedule(schedule: Schedule, timeZone: string): string {
  if (schedule.kind === 'daily') {
    const hh = String(schedule.hour).padStart(2, '0');
    const mm = String(schedule.minute).padStart(2, '0');
    return `daily at ${hh}:${mm} (${timeZone})`;
  }
  return `every ${describePeriod(schedule.seconds)}`;
}

/**
 * A period in words: `15 min`, `hour`, `2 h`, `1 h 30 min`, `day`.
 *
 * @example describePeriod(3600) // 'hour'
 */
export function describePeriod(seconds: number): string {
  if (seconds === 3600) return 'hour';
  if (seconds === 86_400) return 'day';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  const hours = Math.floor(minutes / 60);
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
