/**
 * RFC 5545 recurrences of freeze windows, checked before `rrule-temporal` expands them: the library reads
 * leniently (an unknown part or `BYHOUR=25` goes through), and a freeze window that silently means
 * something else is worse than one refused at start. Every problem is a sentence naming the part.
 */
import { RRuleTemporal } from 'rrule-temporal';
import { isTimeZone } from '../summary/time-zone.js';
import { type DurationParts, recurringSchedule, type WindowSchedule } from './window-schedule.js';

const WEEKDAY = '(MO|TU|WE|TH|FR|SA|SU)';
const FREQS = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY'];
const TOO_FINE = ['MINUTELY', 'SECONDLY'];
/** Numeric list parts: lowest, highest, and whether negative values (from the end) are allowed. */
const NUMBER_LISTS: Readonly<Record<string, readonly [number, number, boolean]>> = {
  BYSECOND: [0, 60, false],
  BYMINUTE: [0, 59, false],
  BYHOUR: [0, 23, false],
  BYMONTHDAY: [1, 31, true],
  BYYEARDAY: [1, 366, true],
  BYWEEKNO: [1, 53, true],
  BYMONTH: [1, 12, false],
  BYSETPOS: [1, 366, true],
};
const PARTS = ['FREQ', 'UNTIL', 'COUNT', 'INTERVAL', 'BYDAY', 'WKST', ...Object.keys(NUMBER_LISTS)];

/**
 * Reads an ISO 8601 duration of weeks, days, hours, minutes and seconds, or says what is wrong with it.
 *
 * @example parseDuration('P2DT16H') // { weeks: 0, days: 2, hours: 16, minutes: 0, seconds: 0 }
 * @example parseDuration('-PT4H') // 'duration "-PT4H" is negative; a window lasts a positive time such as PT64H'
 */
export function parseDuration(text: string): DurationParts | string {
  if (/^-/.test(text)) return `duration "${text}" is negative; a window lasts a positive time such as PT64H`;
  if (/^\+?P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T.*)?$/.test(text) && /^\+?P[^T]*(\d+Y|\d+M)/.test(text))
    return `duration "${text}" counts years or months, whose length varies; use weeks, days, hours and minutes (P14D)`;
  const match = /^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!match || text.replace(/^\+/, '') === 'P')
    return `duration "${text}" is not an ISO 8601 duration such as PT64H, P2DT16H or P1W`;
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((n) => Number(n ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (weeks + days + hours + minutes + seconds === 0)
    return `duration "${text}" is zero; a window lasts a positive time such as PT64H`;
  return { weeks, days, hours, minutes, seconds };
}

function validDate(yyyymmdd: string): boolean {
  const [y, m, d] = [yyyymmdd.slice(0, 4), yyyymmdd.slice(4, 6), yyyymmdd.slice(6, 8)].map(Number) as [
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function dtstartProblem(line: string): string | undefined {
  const match = /^DTSTART(?:;TZID=([^:;]+))?:(\d{8})T(\d{2})(\d{2})(\d{2})(Z?)$/.exec(line);
  if (!match)
    return `DTSTART "${line}" is not a date and time such as DTSTART;TZID=Europe/Berlin:20260102T160000`;
  const [, zone, date, hour, minute, second, utc] = match;
  if (zone === undefined && !utc)
    return `DTSTART "${line}" has no time zone; write DTSTART;TZID=Europe/Berlin:${date}T${hour}${minute}${second} (or a UTC time ending in Z)`;
  if (zone !== undefined && utc) return `DTSTART "${line}" has both a TZID and a UTC time (Z); give one`;
  if (zone !== undefined && !isTimeZone(zone))
    return `time zone "${zone}" is unknown; use an IANA name such as Europe/Berlin or America/New_York`;
  if (!validDate(date ?? '') || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)
    return `DTSTART "${line}" is not a real date and time`;
  return undefined;
}

function partProblem(key: string, value: string): string | undefined {
  const range = NUMBER_LISTS[key];
  if (range) {
    const [low, high, signed] = range;
    const bad = value.split(',').find((v) => {
      if (!/^[+-]?\d{1,3}$/.test(v)) return true;
      const n = Math.abs(Number(v));
      return (!signed && /^-/.test(v)) || n < low || n > high || (signed && n === 0);
    });
    return bad === undefined
      ? undefined
      : `RRULE part ${key}=${value} has "${bad}", outside ${signed ? `±${low}..${high}` : `${low}..${high}`}`;
  }
  switch (key) {
    case 'FREQ':
      if (TOO_FINE.includes(value))
        return `FREQ=${value} is finer than a freeze window needs; use HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY`;
      return FREQS.includes(value)
        ? undefined
        : `FREQ=${value} is not a frequency; use HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY`;
    case 'COUNT':
    case 'INTERVAL':
      return /^[1-9]\d{0,4}$/.test(value)
        ? undefined
        : `RRULE part ${key}=${value} is not a positive integer`;
    case 'UNTIL':
      return /^\d{8}(T\d{6}Z?)?$/.test(value) && validDate(value.slice(0, 8))
        ? undefined
        : `RRULE part UNTIL=${value} is not a date (20271231) or UTC date and time (20271231T230000Z)`;
    case 'BYDAY': {
      const bad = value
        .split(',')
        .find((d) => !new RegExp(`^([+-]?([1-9]|[1-4]\\d|5[0-3]))?${WEEKDAY}$`).test(d));
      return bad === undefined
        ? undefined
        : `RRULE part BYDAY=${value} has "${bad}", which is not a weekday such as FR or -1SU`;
    }
    case 'WKST':
      return new RegExp(`^${WEEKDAY}$`).test(value) ? undefined : `RRULE part WKST=${value} is not a weekday`;
    default:
      return `RRULE part "${key}" is not an RFC 5545 rule part`;
  }
}

function rruleProblem(line: string): string | undefined {
  const body = line.slice('RRULE:'.length);
  const seen = new Set<string>();
  for (const part of body.split(';')) {
    const [key = '', value, ...rest] = part.split('=');
    if (value === undefined || value === '' || rest.length > 0)
      return `RRULE part "${part}" is not KEY=VALUE (FREQ=WEEKLY;BYDAY=FR)`;
    if (!PARTS.includes(key)) return `RRULE part "${key}" is not an RFC 5545 rule part`;
    if (seen.has(key)) return `RRULE gives ${key} twice`;
    seen.add(key);
    const problem = partProblem(key, value);
    if (problem) return problem;
  }
  if (!seen.has('FREQ')) return 'RRULE has no FREQ (FREQ=WEEKLY;BYDAY=FR)';
  if (seen.has('COUNT') && seen.has('UNTIL')) return 'RRULE gives both COUNT and UNTIL; RFC 5545 allows one';
  return undefined;
}

/**
 * Checks the text of a recurring window (DTSTART and RRULE lines, optionally EXDATE) and makes its schedule,
 * or says what is wrong in a sentence.
 *
 * @example
 * compileRecurrence('DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=FR', parseDuration('P2DT16H') as DurationParts)
 * // { schedule: … } (open Fridays 16:00 to Mondays 08:00, Berlin time)
 */
export function compileRecurrence(
  text: string,
  duration: DurationParts,
): { schedule: WindowSchedule } | { problem: string } {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const named = (name: string) => lines.filter((l) => new RegExp(`^${name}[;:]`).test(l));
  const other = lines.find((l) => !/^(DTSTART|RRULE|EXDATE)[;:]/.test(l));
  if (other !== undefined)
    return {
      problem: `rrule has a line "${other}"; give a DTSTART line, an RRULE line and EXDATE lines only`,
    };
  const [dtstart, ...moreStarts] = named('DTSTART');
  const [rrule, ...moreRules] = named('RRULE');
  if (dtstart === undefined)
    return { problem: 'rrule has no DTSTART line (DTSTART;TZID=Europe/Berlin:20260102T160000)' };
  if (rrule === undefined) return { problem: 'rrule has no RRULE line (RRULE:FREQ=WEEKLY;BYDAY=FR)' };
  if (moreStarts.length > 0 || moreRules.length > 0)
    return { problem: 'rrule has more than one DTSTART or RRULE line' };
  const problem = dtstartProblem(dtstart) ?? rruleProblem(rrule);
  if (problem) return { problem };
  let rule: RRuleTemporal;
  try {
    rule = new RRuleTemporal({ rruleString: lines.join('\n') });
    const start = rule.options().dtstart.epochMilliseconds;
    if (!rule.next(new Date(start - 1), true)) return { problem: 'rrule never produces an occurrence' };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      problem: /Maximum iterations/.test(why)
        ? 'rrule never produces an occurrence (no date matches all its parts)'
        : `rrule is refused by the recurrence library: ${why}`,
    };
  }
  return { schedule: recurringSchedule(rule, duration) };
}
