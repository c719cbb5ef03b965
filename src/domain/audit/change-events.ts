/**
 * Change events for outside systems: what a release changed (a step went live or passed, it was promoted,
 * rolled back, or a freeze was bypassed), built from the audit entries of one decision, and their two wire
 * shapes: PagerDuty Events API v2 `change` events and the bot's own JSON (signed by the sender). Pure.
 */
import type { AuditRecord } from './audit-csv.js';

/** Audit actions that are change events, and the kind of change each is. */
export const CHANGE_ACTIONS = {
  approve: 'step',
  advance: 'step',
  promote: 'step',
  complete: 'step',
  rollback: 'rollback',
  // A cancel restores the original route too: receivers hear of it as they do of a rollback.
  cancel: 'rollback',
  'freeze-bypass': 'freeze-bypass',
} as const satisfies Record<string, ChangeKind>;

/** What kind of change an event reports. */
export type ChangeKind = 'step' | 'rollback' | 'freeze-bypass';

/** The release an event is about, as the event names it. */
export interface ChangeSubject {
  readonly releaseId: string;
  readonly namespace: string;
  readonly service: string;
  readonly cluster?: string;
  readonly baselineVersion: string;
  readonly canaryVersion: string;
  /** The step as people read it, by index (`canary weight 25`). */
  readonly steps: readonly string[];
  /** Link to the release (`<publicUrl>/releases/<id>`), when the bot has a public URL. */
  readonly link?: string;
}

/** One change, in the bot's own words; {@link genericChangeBody} is its JSON. */
export interface ChangeEvent {
  /** Stable across retries and redeliveries: receivers drop repeats by it. */
  readonly id: string;
  readonly kind: ChangeKind;
  /** The audit action (`approve`, `advance`, `promote`, `complete`, `rollback`, `freeze-bypass`). */
  readonly action: string;
  readonly at: string;
  readonly actor: string;
  readonly summary: string;
  readonly release: ChangeSubject;
  readonly step?: number;
  readonly stepDescription?: string;
  readonly stateVersion?: number;
  /** The audit entry's detail (what the person saw, the reason given). */
  readonly detail?: unknown;
}

/** PagerDuty's limit on `payload.summary`. */
export const PAGERDUTY_SUMMARY_MAX = 1024;

/**
 * The change events among a decision's audit entries, in their order.
 *
 * @example changeEventsOf(subject, [{ releaseId: 'r1', at, actor: 'U1', action: 'approve', step: 1, stateVersion: 3 }])[0].summary
 * // 'reviews.shop: canary weight 25 approved by U1 (v1 → v2)'
 */
export function changeEventsOf(subject: ChangeSubject, entries: readonly AuditRecord[]): ChangeEvent[] {
  return entries.flatMap((entry) => {
    const kind = (CHANGE_ACTIONS as Readonly<Record<string, ChangeKind>>)[entry.action];
    if (kind === undefined || !Object.hasOwn(CHANGE_ACTIONS, entry.action)) return [];
    // An approval counted towards a quorum moves nothing: the step is announced by the one that meets it.
    if (entry.action === 'approve' && isCountedVote(entry.detail)) return [];
    const stepDescription = entry.step === undefined ? undefined : subject.steps[entry.step];
    return [
      {
        id: `${subject.releaseId}:${entry.stateVersion ?? 0}:${entry.action}:${entry.at}`,
        kind,
        action: entry.action,
        at: entry.at,
        actor: entry.actor,
        summary: summaryOf(subject, entry, stepDescription),
        release: subject,
        ...(entry.step !== undefined ? { step: entry.step } : {}),
        ...(stepDescription !== undefined ? { stepDescription } : {}),
        ...(entry.stateVersion !== undefined ? { stateVersion: entry.stateVersion } : {}),
        ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
      },
    ];
  });
}

function summaryOf(subject: ChangeSubject, entry: AuditRecord, step: string | undefined): string {
  const name = `${subject.service}.${subject.namespace}${subject.cluster ? ` on ${subject.cluster}` : ''}`;
  const versions = `(${subject.baselineVersion} → ${subject.canaryVersion})`;
  const what = step ?? `step ${(entry.step ?? 0) + 1}`;
  const reason = reasonOf(entry.detail);
  switch (entry.action) {
    case 'approve':
      return `${name}: ${what} approved by ${entry.actor} ${versions}`;
    case 'advance':
      return `${name}: ${what} passed its analysis ${versions}`;
    case 'promote':
      return `${name}: ${subject.canaryVersion} promoted ${versions}`;
    case 'complete':
      return `${name}: release completed ${versions}`;
    case 'rollback':
      return `${name}: rolled back by ${entry.actor}${reason ? `: ${reason}` : ''} ${versions}`;
    case 'cancel':
      return `${name}: cancelled by ${entry.actor}, original route restored ${versions}`;
    default:
      return `${name}: freeze bypassed by ${entry.actor}${reason ? `: ${reason}` : ''} ${versions}`;
  }
}

function reasonOf(detail: unknown): string | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const reason = (detail as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
}

/** A PagerDuty Events API v2 change event (`POST https://events.pagerduty.com/v2/change/enqueue`). */
export interface PagerDutyChange {
  readonly routing_key: string;
  readonly payload: {
    readonly summary: string;
    readonly timestamp: string;
    readonly source: string;
    readonly custom_details: Readonly<Record<string, unknown>>;
  };
  readonly links: readonly { readonly href: string; readonly text: string }[];
}

/**
 * The PagerDuty change event of a change, for the integration's routing key.
 *
 * @example pagerDutyChangeBody(event, 'R0UT1NGKEY…').payload.source // 'canary-bot/prod/shop'
 */
export function pagerDutyChangeBody(event: ChangeEvent, routingKey: string): PagerDutyChange {
  const r = event.release;
  return {
    routing_key: routingKey,
    payload: {
      summary: truncate(event.summary, PAGERDUTY_SUMMARY_MAX),
      timestamp: event.at,
      source: `canary-bot/${r.cluster ?? 'default'}/${r.namespace}`,
      custom_details: {
        event_id: event.id,
        kind: event.kind,
        action: event.action,
        actor: event.actor,
        release: r.releaseId,
        service: r.service,
        namespace: r.namespace,
        ...(r.cluster !== undefined ? { cluster: r.cluster } : {}),
        baseline: r.baselineVersion,
        canary: r.canaryVersion,
        ...(event.step !== undefined ? { step: event.step } : {}),
        ...(event.stepDescription !== undefined ? { step_description: event.stepDescription } : {}),
        ...(event.stateVersion !== undefined ? { state_version: event.stateVersion } : {}),
        ...(event.detail !== undefined ? { detail: event.detail } : {}),
      },
    },
    links: r.link ? [{ href: r.link, text: `Release ${r.releaseId}` }] : [],
  };
}

/** The bot's own JSON of a change (`type: "canary-bot.change"`, `version: 1`). */
export interface GenericChange extends ChangeEvent {
  readonly type: 'canary-bot.change';
  readonly version: 1;
}

/**
 * The generic JSON of a change (the sender signs its bytes).
 *
 * @example genericChangeBody(event).type // 'canary-bot.change'
 */
export function genericChangeBody(event: ChangeEvent): GenericChange {
  return { type: 'canary-bot.change', version: 1, ...event };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isCountedVote(detail: unknown): boolean {
  return typeof detail === 'object' && detail !== null && 'counted' in detail;
}
