/**
 * Flagger's webhook protocol as data: the hook types the bot serves and what Flagger sends. Flagger POSTs
 * `{name, namespace, phase, checksum, metadata}` to every webhook of a Canary; the payload does not say which
 * hook type it is for, so the URL does (`…/flagger/<secret>/confirm-promotion`).
 */

/** Hooks that halt Flagger until they answer 2xx. */
export const FLAGGER_GATE_HOOKS = [
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
] as const;
export type GateHook = (typeof FLAGGER_GATE_HOOKS)[number];

/** Every hook type the bot answers. Flagger's other types (pre-rollout, rollout, post-rollout) run checks. */
export const FLAGGER_HOOKS = [...FLAGGER_GATE_HOOKS, 'rollback', 'event'] as const;
export type FlaggerHook = (typeof FLAGGER_HOOKS)[number];

/**
 * Whether a URL segment names a hook the bot serves.
 *
 * @example isFlaggerHook('confirm-promotion') // true
 * @example isFlaggerHook('pre-rollout') // false
 */
export function isFlaggerHook(value: string): value is FlaggerHook {
  return (FLAGGER_HOOKS as readonly string[]).includes(value);
}

/** Whether a hook is one of the confirm-* gates. */
export function isGateHook(value: string): value is GateHook {
  return (FLAGGER_GATE_HOOKS as readonly string[]).includes(value);
}

/** The canary phases Flagger reports (`status.phase` of a Canary). */
export const FLAGGER_PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;

/** A Canary's webhook payload (Flagger's `CanaryWebhookPayload`), validated. */
export interface FlaggerPayload {
  readonly name: string;
  readonly namespace: string;
  /** The canary's phase; confirm-traffic-increase and confirm-promotion always send `Progressing`. */
  readonly phase: string;
  /** Hash of the Canary's tracked configs and last applied spec: it identifies the canary revision. */
  readonly checksum: string;
  /** The webhook's own `metadata` from the Canary, plus `eventMessage`/`eventType`/`timestamp` for events. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** An event Flagger relays to `event` webhooks (also recorded as a Kubernetes Event with reason Synced). */
export interface FlaggerEvent {
  readonly type: 'Normal' | 'Warning';
  readonly message: string;
  /** When Flagger sent it, Unix milliseconds (from `metadata.timestamp`). */
  readonly timestampMs: number;
}

/** One authenticated webhook call. */
export type FlaggerCall =
  | { readonly hook: GateHook | 'rollback'; readonly payload: FlaggerPayload }
  | { readonly hook: 'event'; readonly payload: FlaggerPayload; readonly event: FlaggerEvent };

/** What each gate lets Flagger do, in words for cards and answers. */
export const GATE_WORDS: Readonly<Record<GateHook, { readonly what: string; readonly button: string }>> = {
  'confirm-rollout': { what: 'start the canary analysis', button: 'Approve rollout' },
  'confirm-traffic-increase': { what: 'increase canary traffic', button: 'Approve traffic increase' },
  'confirm-promotion': { what: 'promote the canary', button: 'Approve promotion' },
};
