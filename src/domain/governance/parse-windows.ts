/**
 * Freeze windows from configuration (JSON): checked with zod, each problem a sentence naming the window and
 * the field, nothing thrown. A list of windows:
 *
 * ```json
 * [
 *   { "name": "weekend", "scope": { "namespace": "payments" }, "kind": "deny",
 *     "rrule": "DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=FR", "duration": "P2DT16H" },
 *   { "name": "year-end", "scope": { "cluster": "prod" }, "kind": "deny",
 *     "start": "2026-12-20", "end": "2027-01-04", "timeZone": "Europe/Berlin", "reason": "Year-end freeze" }
 * ]
 * ```
 */
import { z } from 'zod';
import { instantOf, isTimeZone } from '../summary/time-zone.js';
import { isDnsLabel } from '../validation/names.js';
import { compileRecurrence, parseDuration } from './recurrence.js';
import { oneOffSchedule, type WindowSchedule } from './window-schedule.js';
import type { FreezeWindow, FreezeWindowDefinition } from './windows.js';

/** The answer of `parseFreezeWindows`: the windows, or every problem found. */
export type ParsedFreezeWindows =
  | { readonly ok: true; readonly windows: readonly FreezeWindow[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** A text field, whose refusal says whether it is missing or of the wrong type. */
const text = (field: string, what: string) =>
  z.string({
    error: (issue) => (issue.input === undefined ? `${field} is missing` : `${field} must be ${what}`),
  });

const scopeSchema = z
  .strictObject(
    {
      cluster: text('scope.cluster', 'a cluster name').min(1, 'scope.cluster is empty'),
      namespace: text('scope.namespace', 'a text').refine(
        isDnsLabel,
        'scope.namespace must be a Kubernetes namespace name',
      ),
      service: text('scope.service', 'a text').refine(
        isDnsLabel,
        'scope.service must be a Kubernetes service name',
      ),
    },
    {
      error: (issue) =>
        issue.input === undefined
          ? 'scope is missing'
          : 'scope must be an object such as {"namespace": "payments"}',
    },
  )
  .partial()
  .refine(
    (s) => s.cluster !== undefined || s.namespace !== undefined || s.service !== undefined,
    'scope names no cluster, namespace or service; a window applies to at least one, e.g. {"namespace": "payments"}',
  );

/** One window as JSON; combinations of fields are checked after. */
export const freezeWindowSchema = z.strictObject({
  name: text('name', 'a text').trim().min(1, 'name is empty').max(80, 'name is longer than 80 characters'),
  scope: scopeSchema,
  kind: z.enum(['deny', 'allow'], { error: 'kind must be "deny" or "allow"' }),
  rrule: text('rrule', 'a text of DTSTART and RRULE lines').optional(),
  duration: text('duration', 'an ISO 8601 duration such as PT64H').optional(),
  start: text('start', 'a date such as 2026-12-20').optional(),
  end: text('end', 'a date such as 2027-01-04').optional(),
  timeZone: text('timeZone', 'an IANA time zone name').optional(),
  reason: text('reason', 'a text').max(500, 'reason is longer than 500 characters').optional(),
});

type WindowInput = z.output<typeof freezeWindowSchema>;

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;
const ABSOLUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant from `start`/`end`: a local date (and time) in `timeZone`, or an instant with an offset. */
function instantOfText(field: 'start' | 'end', text: string, timeZone: string | undefined): number | string {
  if (ABSOLUTE.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? `${field} "${text}" is not a real date and time` : ms;
  }
  const match = LOCAL.exec(text);
  if (!match)
    return `${field} "${text}" is not a date (2026-12-20), a local time (2026-12-20T16:00) or an instant (2026-12-20T15:00Z)`;
  if (timeZone === undefined)
    return `${field} "${text}" has no offset; give timeZone (such as "Europe/Berlin") to say where it is`;
  const [year, month, day, hour, minute] = match.slice(1).map((n) => Number(n ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59)
    return `${field} "${text}" is not a real date and time`;
  return instantOf({ year, month, day, hour, minute }, timeZone);
}

function oneOff(window: WindowInput): WindowSchedule | string {
  if (window.start === undefined || window.end === undefined)
    return 'a one-off window has both start and end (an end is excluded, like an iCalendar DTEND)';
  if (window.duration !== undefined)
    return 'duration is for recurring windows; a one-off window has start and end';
  if (window.timeZone !== undefined && !isTimeZone(window.timeZone))
    return `time zone "${window.timeZone}" is unknown; use an IANA name such as Europe/Berlin or America/New_York`;
  const start = instantOfText('start', window.start, window.timeZone);
  if (typeof start === 'string') return start;
  const end = instantOfText('end', window.end, window.timeZone);
  if (typeof end === 'string') return end;
  if (end <= start) return `end ${window.end} is not after start ${window.start}`;
  return oneOffSchedule({ start, end });
}

function recurring(window: WindowInput & { rrule: string }): WindowSchedule | string {
  if (window.start !== undefined || window.end !== undefined)
    return 'a window has either an rrule (with a duration) or start and end, not both';
  if (window.timeZone !== undefined)
    return 'timeZone is for one-off windows; a recurring window names its zone in DTSTART;TZID=…';
  if (window.duration === undefined)
    return 'duration is missing; say how long each occurrence lasts, e.g. "PT64H" or "P2DT16H"';
  const duration = parseDuration(window.duration);
  if (typeof duration === 'string') return duration;
  const compiled = compileRecurrence(window.rrule, duration);
  return 'problem' in compiled ? compiled.problem : compiled.schedule;
}

function scheduleOf(window: WindowInput): WindowSchedule | string {
  return window.rrule !== undefined ? recurring({ ...window, rrule: window.rrule }) : oneOff(window);
}

function labelOf(raw: unknown, index: number): string {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.trim() !== ''
    ? `Freeze window "${name.trim()}"`
    : `Freeze window ${index + 1}`;
}

function issueSentence(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? `${issue.path.join('.')} ` : '';
    return `${where}has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

/**
 * Reads freeze windows: a JSON text or the value it holds, a list of windows. Every problem is a sentence
 * naming the window (by name, or by position) and the field: a bad RRULE part, an unknown time zone, a
 * duration missing, negative or zero, an empty scope, a name used twice, and so on.
 *
 * @example
 * parseFreezeWindows('[{"name":"weekend","scope":{},"kind":"deny","start":"2026-12-20","end":"2027-01-04","timeZone":"Europe/Berlin"}]')
 * // { ok: false, errors: ['Freeze window "weekend": scope names no cluster, namespace or service; …'] }
 */
export function parseFreezeWindows(input: unknown): ParsedFreezeWindows {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (error) {
      return { ok: false, errors: [`The freeze windows are not valid JSON: ${(error as Error).message}.`] };
    }
  }
  if (!Array.isArray(value))
    return { ok: false, errors: ['The freeze windows must be a list (a JSON array) of windows.'] };
  const errors: string[] = [];
  const windows: FreezeWindow[] = [];
  const names = new Map<string, number>();
  value.forEach((raw: unknown, index) => {
    const label = labelOf(raw, index);
    const parsed = freezeWindowSchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(...parsed.error.issues.map((issue) => `${label}: ${issueSentence(issue)}.`));
      return;
    }
    const window = parsed.data;
    const key = window.name.toLowerCase();
    const earlier = names.get(key);
    if (earlier !== undefined)
      errors.push(
        `${label}: the name is already used by window ${earlier + 1}; names must differ (case aside).`,
      );
    else names.set(key, index);
    const schedule = scheduleOf(window);
    if (typeof schedule === 'string') {
      errors.push(`${label}: ${schedule}.`);
      return;
    }
    const definition: FreezeWindowDefinition = window;
    windows.push({ ...definition, schedule });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, windows };
}
