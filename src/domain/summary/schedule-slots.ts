/**
 * When summaries are due. A schedule cuts time into slots; a summary is posted at the end of a slot and
 * reports that slot against the slot before it. Intervals are aligned to the Unix epoch (so every 15 min is
 * :00, :15, :30 and :45 UTC, every hour is on the hour UTC); daily times are wall-clock times of the
 * configured time zone. A slot is identified by its end, which makes retried runs find the same slot.
 */
import type { Schedule } from '../command/command.js';
import type { Subscription } from './subscription.js';
import { addDays, instantOf, wallTimeAt } from './time-zone.js';

/** One summary: the period `[periodStart, at]`, compared with `[previousStart, periodStart]`. */
export interface ScheduleSlot {
  /** When the summary is due, and the end of the period it reports. */
  readonly at: Date;
  readonly periodStart: Date;
  readonly previousStart: Date;
}

/** A subscription whose slot is due now. */
export interface DueSummary {
  readonly subscription: Subscription;
  readonly slot: ScheduleSlot;
}

/**
 * The latest slot of a schedule that has ended at `now` (its `at` is at or before `now`).
 *
 * @example latestSlot({ kind: 'interval', seconds: 900 }, new Date('2025-05-01T10:07:00Z'), 'UTC').at // 2025-05-01T10:00:00Z
 */
export function latestSlot(schedule: Schedule, now: Date, timeZone: string): ScheduleSlot {
  const nowMs = now.getTime();
  if (schedule.kind === 'interval') {
    const ms = schedule.seconds * 1000;
    const at = Math.floor(nowMs / ms) * ms;
    return { at: new Date(at), periodStart: new Date(at - ms), previousStart: new Date(at - 2 * ms) };
  }
  const today = wallTimeAt(nowMs, timeZone);
  let day = { ...today, hour: schedule.hour, minute: schedule.minute };
  if (instantOf(day, timeZone) > nowMs) day = addDays(day, -1);
  // Days on which clocks change last 23 or 25 hours: each period is its own wall-clock day.
  return {
    at: new Date(instantOf(day, timeZone)),
    periodStart: new Date(instantOf(addDays(day, -1), timeZone)),
    previousStart: new Date(instantOf(addDays(day, -2), timeZone)),
  };
}

/**
 * The subscriptions whose latest slot ended within the last `lookbackSeconds` (at or before `now`),
 * each with that slot. A run posts at most one summary per subscription (the latest slot), so a missed
 * run is caught up by the next one as long as the lookback covers it, and older slots are never posted.
 *
 * @example dueSummaries(subscriptions, new Date(), { lookbackSeconds: 600, timeZone: 'UTC' })
 */
export function dueSummaries(
  subscriptions: readonly Subscription[],
  now: Date,
  options: { lookbackSeconds: number; timeZone: string },
): DueSummary[] {
  const since = now.getTime() - options.lookbackSeconds * 1000;
  return subscriptions.flatMap((subscription) => {
    const slot = latestSlot(subscription.schedule, now, options.timeZone);
    return slot.at.getTime() > since ? [{ subscription, slot }] : [];
  });
}

/**
 * The idempotency key of one summary: one subscription, one slot. A retried or overlapping run that
 * finds this key claimed does not post again.
 *
 * @example slotClaimKey(subscription, slot) // 'summary:C0123:bookinfo:2025-05-01T10:00:00.000Z'
 */
export function slotClaimKey(subscription: Pick<Subscription, 'id'>, slot: ScheduleSlot): string {
  return `summary:${subscription.id}:${slot.at.toISOString()}`;
}

/** Seconds of the period a slot reports. */
export function periodSeconds(slot: ScheduleSlot): number {
  return (slot.at.getTime() - slot.periodStart.getTime()) / 1000;
}

/** Seconds of the period a slot is compared with (differs from {@link periodSeconds} across clock changes). */
export function previousPeriodSeconds(slot: ScheduleSlot): number {
  return (slot.periodStart.getTime() - slot.previousStart.getTime()) / 1000;
}

/**
 * When the next summary of a schedule is due after `now`.
 *
 * @example nextSlotAt({ kind: 'daily', hour: 9, minute: 0 }, new Date('2025-05-01T10:00:00Z'), 'UTC') // 2025-05-02T09:00:00Z
 */
export function nextSlotAt(schedule: Schedule, now: Date, timeZone: string): Date {
  if (schedule.kind === 'interval') {
    const ms = schedule.seconds * 1000;
    return new Date(Math.floor(now.getTime() / ms) * ms + ms);
  }
  const today = { ...wallTimeAt(now.getTime(), timeZone), hour: schedule.hour, minute: schedule.minute };
  const at = instantOf(today, timeZone);
  return new Date(at > now.getTime() ? at : instantOf(addDays(today, 1), timeZone));
}
