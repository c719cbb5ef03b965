/**
 * Wall-clock times in an IANA time zone, with the runtime's time zone database (Intl): what a daily
 * summary at `09:00` means in `Europe/Paris` on a given day, across daylight saving changes.
 */

/** A date and time of day on a wall clock. */
export interface WallTime {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** A time zone name the runtime does not know. */
export class UnknownTimeZoneError extends Error {
  override readonly name = 'UnknownTimeZoneError';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (cause) {
      throw new UnknownTimeZoneError(
        `Unknown time zone "${timeZone}"; use an IANA name such as Europe/Paris.`,
        {
          cause,
        },
      );
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * True for a time zone name the runtime knows (`UTC`, `Europe/Paris`...).
 *
 * @example isTimeZone('Mars/Olympus') // false
 */
export function isTimeZone(name: string): boolean {
  try {
    formatterOf(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The wall clock of `timeZone` at an instant (seconds dropped).
 *
 * @example wallTimeAt(Date.UTC(2025, 0, 1, 8, 0), 'Europe/Paris') // { year: 2025, month: 1, day: 1, hour: 9, minute: 0 }
 */
export function wallTimeAt(instantMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
  };
}

function wallMs(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
}

/** Offset of the zone from UTC at an instant, in ms (Paris in winter: +3,600,000). */
function offsetMs(instantMs: number, timeZone: string): number {
  const whole = Math.floor(instantMs / 60_000) * 60_000;
  return wallMs(wallTimeAt(whole, timeZone)) - whole;
}

/**
 * The instant a wall-clock time happens in `timeZone`. A time that happens twice (clocks go back) is
 * its first occurrence; a time that does not exist (clocks go forward) is read with the offset before
 * the change, so `02:30` on the day Paris moves to summer time is `03:30` summer time.
 *
 * @example instantOf({ year: 2025, month: 1, day: 1, hour: 9, minute: 0 }, 'Europe/Paris') // Date.UTC(2025, 0, 1, 8, 0)
 */
export function instantOf(wall: WallTime, timeZone: string): number {
  const local = wallMs(wall);
  // Offsets half a day either side cover any single change of the zone's offset near this time.
  const before = local - offsetMs(local - 43_200_000, timeZone);
  const after = local - offsetMs(local + 43_200_000, timeZone);
  const matching = [before, after]
    .filter((candidate) => wallMs(wallTimeAt(candidate, timeZone)) === local)
    .sort((a, b) => a - b);
  return matching[0] ?? before;
}

/**
 * The wall-clock date `days` after `wall` (negative: before), same time of day.
 *
 * @example addDays({ year: 2025, month: 3, day: 1, hour: 9, minute: 0 }, -1).day // 28
 */
export function addDays(wall: WallTime, days: number): WallTime {
  const shifted = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: wall.hour,
    minute: wall.minute,
  };
}
