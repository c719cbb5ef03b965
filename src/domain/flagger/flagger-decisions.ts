/**
 * What the bot answers Flagger, and what a person's click does, as pure functions of the stored revision.
 *
 * - confirm-*: the first call of a revision and hook opens the gate (waiting, a card in Slack) and refuses;
 *   once an approver approves, every call of that revision and hook gets 200; a rejection refuses for good.
 *   A new checksum is a new revision: nothing approved for another revision counts.
 * - rollback: 2xx once someone pressed Roll back for that revision; the first call offers the button.
 * - event: relayed into the revision's thread; Initializing/Initialized events (the first deployment, not a
 *   release) and "New revision detected!" (sent with the previous revision's checksum) open no thread.
 */
import type { FlaggerCall, FlaggerEvent, GateHook } from './flagger-hooks.js';
import { GATE_WORDS } from './flagger-hooks.js';
import {
  canaryName,
  type FlaggerRevision,
  type GateState,
  type GateTarget,
  isFinished,
  newRevision,
  type RevisionOutcome,
} from './flagger-revision.js';

/** Something to tell people (thread) or record (audit) after a call; the app carries them out. */
export type FlaggerNotice =
  | { readonly kind: 'gate-waiting'; readonly hook: GateHook }
  | { readonly kind: 'gate-used'; readonly hook: GateHook }
  | { readonly kind: 'rollback-used' }
  | { readonly kind: 'event'; readonly event: FlaggerEvent };

/** How a call was answered, in one word (the JSON answer's `decision`). */
export type HookVerdict =
  | 'approved'
  | 'waiting'
  | 'rejected'
  | 'rollback-requested'
  | 'no-rollback'
  | 'relayed'
  | 'ignored';

/** The answer to one Flagger call and what it changes. */
export interface HookDecision {
  readonly next: FlaggerRevision;
  /** `next` differs from what is stored and must be written. */
  readonly changed: boolean;
  /** The card shows something new. */
  readonly cardChanged: boolean;
  /** 2xx for Flagger: go on (gates), roll back now (rollback), received (event). */
  readonly allow: boolean;
  readonly verdict: HookVerdict;
  /** A sentence for Flagger's log (the response body). */
  readonly answer: string;
  /** The revision needs its card (the thread root) now. */
  readonly needsCard: boolean;
  readonly notices: readonly FlaggerNotice[];
}

/** Phases of the first deployment of a Canary: events then are not about a release. */
const SETUP_PHASES = new Set(['', 'Initializing', 'Initialized']);
/** Flagger sends this with the checksum of the revision being replaced. */
const NEW_REVISION_PREFIX = 'New revision detected!';

/**
 * Decides the answer to one Flagger call, given the stored revision (undefined the first time).
 *
 * @example
 * decideHookCall(undefined, { hook: 'confirm-promotion', payload }, '2026-05-01T10:00:00.000Z')
 * // { allow: false, verdict: 'waiting', changed: true, needsCard: true, notices: [{ kind: 'gate-waiting', … }], … }
 */
export function decideHookCall(
  stored: FlaggerRevision | undefined,
  call: FlaggerCall,
  at: string,
): HookDecision {
  const base = stored ?? newRevision(call.payload, at);
  switch (call.hook) {
    case 'confirm-rollout':
    case 'confirm-traffic-increase':
    case 'confirm-promotion':
      return onGate(base, stored === undefined, call.hook, at);
    case 'rollback':
      return onRollback(base, stored === undefined, at);
    case 'event':
      return onEvent(stored, base, call.payload.phase, call.event);
    default:
      return call satisfies never;
  }
}

function onGate(base: FlaggerRevision, isNew: boolean, hook: GateHook, at: string): HookDecision {
  const gate = base.gates[hook];
  const name = canaryName(base);
  const result = (
    fields: Pick<HookDecision, 'allow' | 'verdict' | 'answer'> & Partial<HookDecision>,
  ): HookDecision => ({
    next: base,
    changed: isNew,
    cardChanged: false,
    needsCard: true,
    notices: [],
    ...fields,
  });
  if (!gate) {
    return result({
      next: withGate(base, hook, { status: 'waiting', since: at }),
      changed: true,
      cardChanged: true,
      allow: false,
      verdict: 'waiting',
      answer: `${hook} of ${name} revision ${base.checksum} is waiting for an approval in Slack.`,
      notices: [{ kind: 'gate-waiting', hook }],
    });
  }
  switch (gate.status) {
    case 'waiting':
      return result({
        allow: false,
        verdict: 'waiting',
        answer: `${hook} of ${name} revision ${base.checksum} has been waiting for an approval in Slack since ${gate.since}.`,
      });
    case 'rejected':
      return result({
        allow: false,
        verdict: 'rejected',
        answer: `${hook} of ${name} revision ${base.checksum} was rejected by ${gate.by} at ${gate.at}.`,
      });
    case 'approved': {
      const firstUse = gate.usedAt === undefined;
      return result({
        ...(firstUse ? { next: withGate(base, hook, { ...gate, usedAt: at }) } : {}),
        changed: isNew || firstUse,
        cardChanged: firstUse,
        allow: true,
        verdict: 'approved',
        answer: `${hook} of ${name} revision ${base.checksum} was approved by ${gate.by} at ${gate.at}.`,
        notices: firstUse ? [{ kind: 'gate-used', hook }] : [],
      });
    }
    default:
      return gate satisfies never;
  }
}

function onRollback(base: FlaggerRevision, isNew: boolean, at: string): HookDecision {
  const name = canaryName(base);
  const rollback = base.rollback;
  if (rollback?.status === 'requested') {
    const firstUse = rollback.usedAt === undefined;
    return {
      next: firstUse ? { ...base, rollback: { ...rollback, usedAt: at } } : base,
      changed: isNew || firstUse,
      cardChanged: firstUse,
      allow: true,
      verdict: 'rollback-requested',
      answer: `Roll back ${name} revision ${base.checksum}: requested by ${rollback.by} at ${rollback.at}.`,
      needsCard: true,
      notices: firstUse ? [{ kind: 'rollback-used' }] : [],
    };
  }
  return {
    next: rollback ? base : { ...base, rollback: { status: 'offered', since: at } },
    changed: isNew || !rollback,
    cardChanged: !rollback,
    allow: false,
    verdict: 'no-rollback',
    answer: `Nobody asked to roll back ${name} revision ${base.checksum}.`,
    needsCard: true,
    notices: [],
  };
}

function onEvent(
  stored: FlaggerRevision | undefined,
  base: FlaggerRevision,
  phase: string,
  event: FlaggerEvent,
): HookDecision {
  const aboutNextRevision = event.message.startsWith(NEW_REVISION_PREFIX);
  const opensThread = !SETUP_PHASES.has(phase) && !aboutNextRevision;
  if (!stored && !opensThread) {
    return {
      next: base,
      changed: false,
      cardChanged: false,
      allow: true,
      verdict: 'ignored',
      answer: aboutNextRevision
        ? `Not relayed: ${canaryName(base)} revision ${base.checksum} has no thread, and the event is about the next revision.`
        : `Not relayed: events of a canary's first deployment (${phase || 'no phase'}) open no thread.`,
      needsCard: false,
      notices: [],
    };
  }
  const keepsPhase = isFinished(base) || aboutNextRevision || phase === '';
  const nextPhase = keepsPhase ? base.phase : phase;
  const outcome = base.outcome ?? (aboutNextRevision ? undefined : outcomeOf(phase, event.message));
  const warning = event.type === 'Warning';
  const next: FlaggerRevision = {
    ...base,
    ...(nextPhase !== undefined ? { phase: nextPhase } : {}),
    ...(outcome ? { outcome } : {}),
    events: base.events + 1,
    warnings: base.warnings + (warning ? 1 : 0),
    ...(warning ? { lastWarning: event.message } : {}),
  };
  return {
    next,
    changed: true,
    cardChanged: warning || next.phase !== base.phase || next.outcome !== base.outcome,
    allow: true,
    verdict: 'relayed',
    answer: `Relayed to the thread of ${canaryName(base)} revision ${base.checksum}.`,
    needsCard: true,
    notices: [{ kind: 'event', event }],
  };
}

function outcomeOf(phase: string, message: string): RevisionOutcome | undefined {
  if (phase === 'Succeeded' || message.startsWith('Promotion completed!')) return 'succeeded';
  if (phase === 'Failed' || message.startsWith('Canary failed!')) return 'failed';
  return undefined;
}

function withGate(revision: FlaggerRevision, hook: GateHook, gate: GateState): FlaggerRevision {
  return { ...revision, gates: { ...revision.gates, [hook]: gate } };
}

/** What a person can do on a revision's card. */
export type PersonGateAction = 'approve' | 'reject' | 'rollback';

/** Why a click changed nothing. */
export type PersonRefusal = 'finished' | 'not-asked' | 'already-decided';

/** A click's effect: the next revision and what to tell everyone, or why nothing happened. */
export type PersonDecision =
  | { readonly ok: true; readonly next: FlaggerRevision; readonly message: string }
  | { readonly ok: false; readonly reason: PersonRefusal; readonly message: string };

/**
 * Decides a person's click on a revision's card (already authorized by the approval policy). Clicking twice,
 * or after someone else decided, changes nothing and says who decided when.
 *
 * @example
 * decidePersonAction(revision, 'confirm-promotion', 'approve', 'U0ALICE001', at)
 * // { ok: true, next, message: 'U0ALICE001 approved: Flagger may promote the canary podinfo.test …' }
 */
export function decidePersonAction(
  revision: FlaggerRevision,
  target: GateTarget,
  action: PersonGateAction,
  actor: string,
  at: string,
): PersonDecision {
  const name = `${canaryName(revision)} revision ${revision.checksum}`;
  if (isFinished(revision))
    return {
      ok: false,
      reason: 'finished',
      message: `${name} has ${revision.outcome === 'succeeded' ? 'been promoted' : 'failed'} already; there is nothing left to decide.`,
    };
  if (action === 'rollback' || target === 'rollback') {
    if (action !== 'rollback' || target !== 'rollback')
      return {
        ok: false,
        reason: 'not-asked',
        message: `A ${action} of ${target} is not something Flagger asks.`,
      };
    const rollback = revision.rollback;
    if (!rollback)
      return {
        ok: false,
        reason: 'not-asked',
        message: `Flagger has not called the rollback webhook of ${name}; add one pointing at the bot to roll back from Slack.`,
      };
    if (rollback.status === 'requested')
      return {
        ok: false,
        reason: 'already-decided',
        message: `Roll back of ${name} was already requested by ${rollback.by} at ${rollback.at}.`,
      };
    return {
      ok: true,
      next: { ...revision, rollback: { status: 'requested', since: rollback.since, by: actor, at } },
      message: `${actor} asked Flagger to roll back ${name}; it does so on its next check.`,
    };
  }
  const gate = revision.gates[target];
  if (!gate)
    return { ok: false, reason: 'not-asked', message: `Flagger has not asked for ${target} of ${name}.` };
  if (gate.status !== 'waiting')
    return {
      ok: false,
      reason: 'already-decided',
      message: `${target} of ${name} was already ${gate.status} by ${gate.by} at ${gate.at}.`,
    };
  const decided: GateState =
    action === 'approve'
      ? { status: 'approved', since: gate.since, by: actor, at }
      : { status: 'rejected', since: gate.since, by: actor, at };
  return {
    ok: true,
    next: withGate(revision, target, decided),
    message:
      action === 'approve'
        ? `${actor} approved ${target}: Flagger may ${GATE_WORDS[target].what} of ${name} on its next check.`
        : `${actor} rejected ${target} of ${name}: Flagger stays halted for this revision.`,
  };
}
