/**
 * A freeze as a release keeps it and people read it: which window (or stop of the line) holds the release,
 * until when, why and who stopped the line. Stored in `Release.freeze` by `decide`, shown on the card, the
 * App Home and in refusals: "frozen until Mon 08:00 Europe/Berlin", "line stopped by <@U1>: incident".
 */
import { wallTimeAt } from '../summary/time-zone.js';
import { type FreezeState, type FreezeWindow, STOP_THE_LINE } from './windows.js';

/** A freeze holding a release, as JSON (the store keeps it with the release). */
export interface FreezeNote {
  /** The window's name, or {@link STOP_THE_LINE}. */
  readonly window: string;
  readonly kind: 'deny' | 'allow' | 'stop';
  /** ISO 8601: the first instant nothing freezes the release any more; left out when not known. */
  readonly until?: string;
  /** The zone `until` is said in (the window's own); UTC when left out. */
  readonly timeZone?: string;
  readonly reason: string;
  /** Slack user id of who stopped the line. */
  readonly by?: string;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/**
 * The time zone a window speaks in: its DTSTART's TZID, its `timeZone`, else UTC.
 *
 * @example zoneOfWindow({ rrule: 'DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY' }) // 'Europe/Berlin'
 */
export function zoneOfWindow(window: Pick<FreezeWindow, 'rrule' | 'timeZone'>): string {
  const tzid = window.rrule ? /DTSTART;TZID=([^:;]+):/.exec(window.rrule)?.[1] : undefined;
  return tzid ?? window.timeZone ?? 'UTC';
}

/**
 * The note of a freeze state, or undefined when nothing freezes. `windows` give the zone `until` is said in.
 *
 * @example
 * freezeNoteOf({ frozen: true, window: 'weekend', kind: 'deny', until: new Date('2026-03-30T06:00:00Z'), reason: '…' }, windows)
 * // { window: 'weekend', kind: 'deny', until: '2026-03-30T06:00:00.000Z', timeZone: 'Europe/Berlin', reason: '…' }
 */
export function freezeNoteOf(
  state: FreezeState,
  windows: readonly FreezeWindow[] = [],
): FreezeNote | undefined {
  if (!state.frozen) return undefined;
  const window = windows.find((w) => w.name === state.window);
  const zone = window ? zoneOfWindow(window) : undefined;
  return {
    window: state.window,
    kind: state.kind,
    ...(state.until ? { until: state.until.toISOString() } : {}),
    ...(zone && zone !== 'UTC' ? { timeZone: zone } : {}),
    reason: state.reason,
    ...(state.by ? { by: state.by } : {}),
  };
}

/**
 * `Mon 08:00 Europe/Berlin`, or `2027-01-04 00:00 Europe/Berlin` when the end is more than six days away.
 *
 * @example untilWords('2026-03-30T06:00:00Z', 'Europe/Berlin', Date.parse('2026-03-27T17:00:00Z')) // 'Mon 08:00 Europe/Berlin'
 */
export function untilWords(until: string, timeZone = 'UTC', fromMs?: number): string {
  const ms = Date.parse(until);
  const wall = wallTimeAt(ms, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(wall.hour)}:${pad(wall.minute)}`;
  const near = fromMs !== undefined && ms - fromMs < 6 * 86_400_000;
  const day = near
    ? WEEKDAYS[new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay()]
    : `${wall.year}-${pad(wall.month)}-${pad(wall.day)}`;
  return `${day} ${time} ${timeZone}`;
}

/**
 * A freeze in one sentence; `who` writes the person who stopped the line (a Slack mention on a card).
 *
 * @example describeFreeze({ window: 'weekend', kind: 'deny', until: '2026-03-30T06:00:00Z', timeZone: 'Europe/Berlin', reason: 'No Friday deploys.' }, Date.parse('2026-03-27T17:00:00Z'))
 * // 'frozen until Mon 08:00 Europe/Berlin by the freeze window "weekend": No Friday deploys.'
 * @example describeFreeze({ window: 'stop the line', kind: 'stop', by: 'U1', reason: 'incident 42' }, undefined, (id) => `<@${id}>`)
 * // 'line stopped by <@U1>: incident 42'
 */
export function describeFreeze(
  note: FreezeNote,
  nowMs?: number,
  who: (userId: string) => string = (id) => id,
): string {
  if (note.kind === 'stop' || note.window === STOP_THE_LINE)
    return `line stopped by ${note.by ? who(note.by) : 'an approver'}: ${note.reason}`;
  const until = note.until
    ? `frozen until ${untilWords(note.until, note.timeZone, nowMs)}`
    : 'frozen with no end in sight';
  const window = note.kind === 'allow' ? 'outside the allow window' : 'by the freeze window';
  return `${until} ${window} "${note.window}": ${note.reason}`;
}

/**
 * Whether two notes say the same (a release's card is redrawn only when its freeze changes).
 *
 * @example sameFreeze(undefined, undefined) // true
 */
export function sameFreeze(a: FreezeNote | undefined, b: FreezeNote | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.window === b.window &&
    a.kind === b.kind &&
    a.until === b.until &&
    a.reason === b.reason &&
    a.by === b.by &&
    a.timeZone === b.timeZone
  );
}
