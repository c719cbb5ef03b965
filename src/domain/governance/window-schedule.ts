/**
 * When one freeze window is open, as half-open spans `[start, end)` of epoch milliseconds. Recurring windows
 * are expanded by `rrule-temporal` (RFC 5545 on Temporal: the rule's TZID, its daylight saving changes, and
 * RFC 5545's rule that a local time that does not exist that day is no occurrence); the duration is added
 * to each occurrence in its time zone, so days and weeks are calendar days (`P2DT16H` from Friday 16:00 is
 * Monday 08:00 on the wall clock, even across a change) and hours, minutes and seconds are exact.
 */
import type { RRuleTemporal } from 'rrule-temporal';

/** A span a window is open: from `start` (included) to `end` (excluded), epoch milliseconds. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The spans of one window, asked for around an instant. */
export interface WindowSchedule {
  /** The spans that contain `at` (several when occurrences overlap). */
  spansAt(at: number): Span[];
  /** The start of the first span that starts after `at`, or undefined when none does. */
  nextStartAfter(at: number): number | undefined;
}

/** An ISO 8601 duration of weeks, days, hours, minutes and seconds (`PT64H`, `P2DT16H`, `P1W`). */
export interface DurationParts {
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

type Occurrence = NonNullable<ReturnType<RRuleTemporal['next']>>;

const HOUR_MS = 3_600_000;

/**
 * The longest a duration can last in milliseconds: a calendar day is at most 25 hours (and a little slack
 * for zones whose changes are larger than an hour).
 */
function longestMs(d: DurationParts): number {
  return (d.weeks * 7 + d.days) * 26 * HOUR_MS + d.hours * HOUR_MS + d.minutes * 60_000 + d.seconds * 1000;
}

/**
 * The schedule of a recurring window: occurrences of `rule`, each open for `duration`.
 *
 * @example
 * const friday = recurringSchedule(new RRuleTemporal({ rruleString: 'DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=FR' }),
 *   { weeks: 0, days: 2, hours: 16, minutes: 0, seconds: 0 });
 * friday.spansAt(Date.parse('2026-01-03T12:00Z')) // [{ start: Date.parse('2026-01-02T15:00Z'), end: Date.parse('2026-01-05T07:00Z') }]
 */
export function recurringSchedule(rule: RRuleTemporal, duration: DurationParts): WindowSchedule {
  const lookback = longestMs(duration);
  const endOf = (occurrence: Occurrence): number => occurrence.add(duration).epochMilliseconds;
  return {
    spansAt(at) {
      return rule
        .between(new Date(at - lookback), new Date(at), true)
        .map((occurrence) => ({ start: occurrence.epochMilliseconds, end: endOf(occurrence) }))
        .filter((span) => span.start <= at && at < span.end);
    },
    nextStartAfter(at) {
      return rule.next(new Date(at), false)?.epochMilliseconds;
    },
  };
}

/**
 * The schedule of a one-off window.
 *
 * @example oneOffSchedule({ start: 0, end: 10 }).spansAt(10) // []
 */
export function oneOffSchedule(span: Span): WindowSchedule {
  return {
    spansAt: (at) => (span.start <= at && at < span.end ? [span] : []),
    nextStartAfter: (at) => (span.start > at ? span.start : undefined),
  };
}
