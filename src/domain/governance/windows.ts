/**
 * Freeze windows and stop-the-line entries: whether promotions of a service are held at an instant, by
 * which window, and until when. Pure: the caller passes the instant, the windows (from
 * `parseFreezeWindows`) and the stop-the-line entries (from the store).
 *
 * - A `deny` window freezes its scope while it is open.
 * - An `allow` window freezes its scope while it is closed: a service that one or more allow windows apply to
 *   may be promoted only inside one of them.
 * - A stop-the-line entry freezes its scope from `since` until it is lifted (removed from the list).
 *
 * `until` is the first instant nothing freezes the service any more: overlapping and adjacent freezes are
 * merged, whatever windows they come from.
 */
import type { ReleaseAction } from '../release/approval-policy.js';
import type { Phase } from '../release/phases.js';
import { isFinal } from '../release/phases.js';
import type { WindowSchedule } from './window-schedule.js';

/** What a window applies to: every named field must match; a window names at least one. */
export interface WindowScope {
  readonly cluster?: string;
  readonly namespace?: string;
  readonly service?: string;
}

/** A freeze window as configured (see `parseFreezeWindows` for the JSON). */
export interface FreezeWindowDefinition {
  readonly name: string;
  readonly scope: WindowScope;
  readonly kind: 'deny' | 'allow';
  /** `DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=FR` (with `duration`). */
  readonly rrule?: string;
  /** ISO 8601 duration of each occurrence of `rrule`: `PT64H`, `P2DT16H`. */
  readonly duration?: string;
  /** A one-off window: `2026-12-20` or `2026-12-20T16:00` in `timeZone`, or an instant with an offset. */
  readonly start?: string;
  /** Excluded, like RFC 5545's DTEND: the first instant the window no longer holds. */
  readonly end?: string;
  /** IANA time zone of `start` and `end` when they have no offset. */
  readonly timeZone?: string;
  readonly reason?: string;
}

/** A checked freeze window, with its schedule; made by `parseFreezeWindows` only. */
export interface FreezeWindow extends FreezeWindowDefinition {
  readonly schedule: WindowSchedule;
}

/** What a stop-the-line entry holds: everything, a cluster, a namespace (in any cluster, or in one). */
export type StopScope =
  | 'all'
  | { readonly cluster: string; readonly namespace?: string }
  | { readonly namespace: string };

/** An ad-hoc freeze (`/canary freeze now`): holds its scope from `since` until it is lifted. */
export interface StopTheLine {
  readonly kind: 'stop';
  readonly scope: StopScope;
  readonly reason: string;
  /** Slack user id of the approver who stopped the line. */
  readonly by: string;
  /** ISO 8601 instant. */
  readonly since: string;
}

/** Anything that can freeze promotions. */
export type Freeze = FreezeWindow | StopTheLine;

/** The service whose promotions are asked about. */
export interface FreezeTarget {
  readonly cluster?: string;
  readonly namespace: string;
  readonly service: string;
}

/** The name a stop-the-line entry goes by in answers. */
export const STOP_THE_LINE = 'stop the line';

/** The answer of `freezeAt`. */
export type FreezeState =
  | { readonly frozen: false }
  | {
      readonly frozen: true;
      /** The window (or {@link STOP_THE_LINE}) that holds the service; the first of them when several do. */
      readonly window: string;
      readonly kind: Freeze['kind'];
      /**
       * The first instant nothing freezes the service any more. Left out when no end is known: a stop of
       * the line (until it is lifted), an allow window that never opens again, or freezes that go on for
       * longer than {@link FREEZE_HORIZON_MS} without a break.
       */
      readonly until?: Date;
      readonly reason: string;
      /** Who stopped the line, for a stop-the-line entry. */
      readonly by?: string;
    };

/** How far `freezeAt` follows back-to-back freezes looking for their end: a year and a day. */
export const FREEZE_HORIZON_MS = 366 * 86_400_000;

/** What the release code may be asked to do, as governance sees it. */
export type GovernedAction =
  | ReleaseAction
  /** The tick moves to the next step by itself (no approval needed). */
  | 'advance'
  /** A resume that goes forward over a halt the bot raised (an approval by `authorize`'s rules). */
  | 'resume-advance';

/**
 * Whether a freeze holds an action: promotions (approve, advance, resume-advance) and new releases (start)
 * wait; what moves towards safety or back to an approved state (reject, rollback, pause, resume of a
 * manual pause, cancel) is never held.
 *
 * @example heldByFreeze('approve') // true
 * @example heldByFreeze('rollback') // false
 */
export function heldByFreeze(action: GovernedAction): boolean {
  switch (action) {
    case 'start':
    case 'approve':
    case 'advance':
    case 'resume-advance':
      return true;
    case 'reject':
    case 'rollback':
    case 'pause':
    case 'resume':
    case 'cancel':
      return false;
    default:
      return action satisfies never;
  }
}

function inWindowScope(scope: WindowScope, target: FreezeTarget): boolean {
  return (
    (scope.cluster === undefined || scope.cluster === target.cluster) &&
    (scope.namespace === undefined || scope.namespace === target.namespace) &&
    (scope.service === undefined || scope.service === target.service)
  );
}

function inStopScope(scope: StopScope, target: FreezeTarget): boolean {
  if (scope === 'all') return true;
  return (
    (!('cluster' in scope) || scope.cluster === target.cluster) &&
    (scope.namespace === undefined || scope.namespace === target.namespace)
  );
}

/** Whether a freeze applies to a service at all (whether or not it holds it now). */
export function appliesTo(freeze: Freeze, target: FreezeTarget): boolean {
  return freeze.kind === 'stop' ? inStopScope(freeze.scope, target) : inWindowScope(freeze.scope, target);
}

/** One freeze holding a service at an instant, and when its own hold ends (undefined: not known). */
interface Cause {
  readonly freeze: Freeze;
  readonly end: number | undefined;
}

function nameOf(freeze: Freeze): string {
  return freeze.kind === 'stop' ? STOP_THE_LINE : freeze.name;
}

function reasonOf(freeze: Freeze): string {
  if (freeze.kind === 'stop' || freeze.reason) return freeze.reason ?? '';
  return freeze.kind === 'deny'
    ? `No promotions during the freeze window "${freeze.name}".`
    : `Promotions only inside the allow window "${freeze.name}".`;
}

/** The freezes holding a service at `at`: stops first, then deny windows, then allow windows, in list order. */
function causesAt(freezes: readonly Freeze[], target: FreezeTarget, at: number): Cause[] {
  const applying = freezes.filter((f) => appliesTo(f, target));
  const stops: Cause[] = applying
    .filter((f): f is StopTheLine => f.kind === 'stop' && Date.parse(f.since) <= at)
    .map((freeze) => ({ freeze, end: undefined }));
  const denies: Cause[] = applying
    .filter((f): f is FreezeWindow => f.kind === 'deny')
    .flatMap((freeze) => {
      const spans = freeze.schedule.spansAt(at);
      return spans.length === 0 ? [] : [{ freeze, end: Math.max(...spans.map((s) => s.end)) }];
    });
  const allows = applying.filter((f): f is FreezeWindow => f.kind === 'allow');
  const open = allows.some((w) => w.schedule.spansAt(at).length > 0);
  let closed: Cause[] = [];
  if (allows.length > 0 && !open) {
    // Closed until the first of them opens.
    const starts = allows.map((w) => w.schedule.nextStartAfter(at));
    const end = starts.every((s) => s === undefined)
      ? undefined
      : Math.min(...starts.filter((s): s is number => s !== undefined));
    closed = allows.map((freeze) => ({ freeze, end }));
  }
  return [...stops, ...denies, ...closed];
}

/**
 * Whether promotions of `target` are frozen at `at`, by which window, until when and why. A window whose
 * recurrence cannot be evaluated freezes (fail closed), saying so.
 *
 * @example
 * freezeAt(parsed.windows, { cluster: 'prod', namespace: 'payments', service: 'api' }, new Date('2026-03-27T17:00:00Z'))
 * // { frozen: true, window: 'weekend', kind: 'deny', until: new Date('2026-03-30T06:00:00Z'), reason: 'No promotions during the freeze window "weekend".' }
 */
export function freezeAt(freezes: readonly Freeze[], target: FreezeTarget, at: Date): FreezeState {
  const start = at.getTime();
  let first: Cause[];
  try {
    first = causesAt(freezes, target, start);
  } catch (error) {
    return unevaluable(freezes, target, error);
  }
  const head = first[0];
  if (!head) return { frozen: false };
  const state = {
    frozen: true as const,
    window: nameOf(head.freeze),
    kind: head.freeze.kind,
    reason: reasonOf(head.freeze),
    ...(head.freeze.kind === 'stop' ? { by: head.freeze.by } : {}),
  };
  // The causes at the cursor hold it up to the latest of their ends; look again there, until nothing holds.
  let causes = first;
  let cursor = start;
  while (causes.length > 0) {
    const ends = causes.map((c) => c.end);
    if (ends.some((e) => e === undefined)) return state;
    cursor = Math.max(...(ends as number[]));
    if (cursor - start > FREEZE_HORIZON_MS) return state;
    try {
      causes = causesAt(freezes, target, cursor);
    } catch {
      return state;
    }
  }
  return { ...state, until: new Date(cursor) };
}

function unevaluable(freezes: readonly Freeze[], target: FreezeTarget, error: unknown): FreezeState {
  const names = freezes
    .filter((f) => f.kind !== 'stop' && appliesTo(f, target))
    .map(nameOf)
    .join(', ');
  const why = error instanceof Error ? error.message : String(error);
  return {
    frozen: true,
    window: names,
    kind: 'deny',
    reason: `The freeze windows ${names} could not be evaluated (${why}); promotions wait until they are fixed.`,
  };
}

/** The releases `windowsHolding` looks at: any `Release` fits. */
export interface HeldRelease {
  readonly id: string;
  readonly phase: Phase;
  readonly target: { readonly namespace: string; readonly service: string };
  /** `meta.cluster` names the release's cluster. */
  readonly meta?: Readonly<Record<string, string>>;
}

/** A freeze that holds now, and the active releases it holds (each with the end of its own freeze). */
export interface WindowHold {
  readonly window: string;
  readonly kind: Freeze['kind'];
  readonly reason: string;
  readonly by?: string;
  readonly releases: readonly { readonly id: string; readonly until?: Date }[];
}

/**
 * The freezes that hold at `at` (deny windows that are open, allow windows that are closed, stops of the
 * line), each with the active releases it holds: what `/canary freeze` lists. A freeze that holds no release
 * is listed too, with none; a release two freezes hold is under both.
 *
 * @example
 * windowsHolding(freezes, [release], new Date('2026-03-27T17:00:00Z'))
 * // [{ window: 'weekend', kind: 'deny', reason: '…', releases: [{ id: 'r1', until: new Date('2026-03-30T06:00:00Z') }] }]
 */
export function windowsHolding(
  freezes: readonly Freeze[],
  releases: readonly HeldRelease[],
  at: Date,
): WindowHold[] {
  const instant = at.getTime();
  const holding = freezes.filter((freeze) => holdsAnything(freeze, instant));
  const held = new Map<Freeze, { id: string; until?: Date }[]>(holding.map((f) => [f, []]));
  for (const release of releases.filter((r) => !isFinal(r))) {
    const target = { ...release.target, cluster: release.meta?.cluster };
    const state = freezeAt(freezes, target, at);
    if (!state.frozen) continue;
    for (const cause of causesOrNone(freezes, target, instant)) {
      held.get(cause)?.push({ id: release.id, ...(state.until ? { until: state.until } : {}) });
    }
  }
  return holding.map((freeze) => ({
    window: nameOf(freeze),
    kind: freeze.kind,
    reason: reasonOf(freeze),
    ...(freeze.kind === 'stop' ? { by: freeze.by } : {}),
    releases: held.get(freeze) ?? [],
  }));
}

function causesOrNone(freezes: readonly Freeze[], target: FreezeTarget, at: number): Freeze[] {
  try {
    return causesAt(freezes, target, at).map((c) => c.freeze);
  } catch {
    return [];
  }
}

/** Whether a freeze, on its own, holds its scope at `at`. */
function holdsAnything(freeze: Freeze, at: number): boolean {
  if (freeze.kind === 'stop') return Date.parse(freeze.since) <= at;
  try {
    const open = freeze.schedule.spansAt(at).length > 0;
    return freeze.kind === 'deny' ? open : !open;
  } catch {
    return true;
  }
}
