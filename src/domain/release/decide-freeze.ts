/**
 * What a freeze (a freeze window or a stop of the line, see `domain/governance`) does to a release. The app
 * passes the freeze that holds the release now with every observation (`decide`'s third argument); here:
 *
 * - a tick keeps `Release.freeze` as the freeze is (the card says "frozen until …" within a minute), and,
 *   once nothing freezes the release, applies an approval held during the freeze if its request has not
 *   expired meanwhile;
 * - an approval clicked during a freeze is held (recorded, not applied), unless the approver bypasses the
 *   freeze with a reason (the app checks the policy's `freezeBypass`): announced and audited;
 * - the tick's automatic advance and a resume that is an approval wait (see decide-analysis.ts, decide-people.ts).
 *
 * Rollback, reject, pause, cancel and a manual resume are never held.
 */
import { describeFreeze, type FreezeNote, sameFreeze } from '../governance/freeze-note.js';
import type { ReleaseEvent } from './effects.js';
import type { Observation } from './observations.js';
import { isFinal } from './phases.js';
import { BOT_ACTOR, type HeldApproval, type Release, targetName } from './release.js';
import { clockTime } from './release-events.js';
import { stepLabel } from './release-steps.js';
import {
  accepted,
  addEffects,
  audit,
  type Context,
  commit,
  type Decision,
  event,
  refuse,
  without,
} from './release-transitions.js';

type Approve = Extract<Observation, { type: 'approve' }>;

const freezeEvent = (message: string): ReleaseEvent => ({ type: 'Normal', reason: 'Frozen', message });

/** The sentence of a freeze at the decision's time. */
export function freezeWords(ctx: Context, note: FreezeNote): string {
  return describeFreeze(note, ctx.ms);
}

/** A person's forward action refused during a freeze: nothing changes, and the answer says which and until when. */
export function refuseFrozen(ctx: Context, what: string): Decision {
  const note = ctx.freeze as FreezeNote;
  return refuse(
    ctx.release,
    'frozen',
    `${what} ${targetName(ctx.release)} waits: ${freezeWords(ctx, note)}. Rollback, pause and cancel still work.`,
  );
}

/**
 * An approval clicked during a freeze, otherwise valid: kept in `heldApproval` (the state version stays, the
 * card says so), applied by the first tick after the freeze if its request has not expired by then.
 */
export function holdApproval(ctx: Context, o: Approve, approval: HeldApproval): Decision {
  const r = ctx.release;
  const note = ctx.freeze as FreezeNote;
  const request = r.approvalRequest;
  if (r.heldApproval)
    return refuse(
      r,
      'duplicate',
      `An approval by ${r.heldApproval.actor} is already held until the freeze ends (${freezeWords(ctx, note)}).`,
    );
  const expires = request ? ` (its request expires at ${clockTime(request.expiresAt)})` : '';
  const words = freezeWords(ctx, note);
  const release: Release = { ...r, freeze: note, heldApproval: approval };
  return commit(
    ctx,
    addEffects(
      { release, effects: [] },
      audit(ctx, 'approval-held', o.actor, {
        step: o.step,
        freeze: note.window,
        ...(note.until ? { until: note.until } : {}),
        reason: note.reason,
        ...(o.origin ? { from: o.origin } : {}),
      }),
      event(
        freezeEvent(
          `Approval of ${targetName(r)} ${stepLabel(r, o.step)} by ${o.actor} held: ${words}; it is applied when the freeze ends, unless the request expires first${expires}`,
        ),
      ),
    ),
    accepted(
      `${targetName(r)} is ${words}. Your approval of ${stepLabel(r, o.step)} is recorded and applied when the freeze ends, unless its request expires first${expires}.`,
    ),
    { quiet: true },
  );
}

/** The effects that announce and audit an approval that bypasses a freeze. */
export function bypassEffects(ctx: Context, o: Approve, note: FreezeNote, reason: string) {
  const r = ctx.release;
  return [
    audit(ctx, 'freeze-bypass', o.actor, {
      action: 'approve',
      step: o.step,
      reason,
      freeze: note.window,
      ...(note.until ? { until: note.until } : {}),
      freezeReason: note.reason,
    }),
    event({
      type: 'Warning',
      reason: 'FreezeBypassed',
      message: `Freeze bypassed on ${targetName(r)} ${stepLabel(r, o.step)} by ${o.actor}: ${reason} (${freezeWords(ctx, note)})`,
    }),
  ];
}

/**
 * Before a tick is decided: `Release.freeze` as the freeze is now, and a held approval applied (or dropped)
 * once nothing freezes the release. Returns the context to decide the tick in, the effects to add, and a
 * decision when the held approval settles the tick by itself.
 */
export function freezeOnTick(
  ctx: Context,
  approve: (ctx: Context, o: Approve) => Decision,
  tick?: { readonly drift?: string; readonly verdict?: { readonly verdict: { readonly verdict: string } } },
): { ctx: Context; effects: ReturnType<typeof event>[]; decision?: Decision } {
  const r = ctx.release;
  if (isFinal(r)) return { ctx, effects: [] };
  const note = ctx.freeze;
  const effects: ReturnType<typeof event>[] = [];
  let release = r;
  if (!sameFreeze(r.freeze, note)) {
    release = note ? { ...r, freeze: note } : without({ ...r }, 'freeze');
    effects.push(
      event(
        note
          ? freezeEvent(`Halt ${targetName(r)} advancement ${freezeWords(ctx, note)}`)
          : {
              type: 'Normal',
              reason: 'Thawed',
              message: `Resume ${targetName(r)} advancement: the freeze is over`,
            },
      ),
    );
  }
  const held = r.heldApproval;
  const next: Context = { ...ctx, release };
  if (note || !held) return { ctx: next, effects };
  // A tick that brings drift or a failed analysis is handled first (halt, roll back); the held approval
  // waits for a quiet tick, or is dropped with the release's end.
  if (tick?.drift !== undefined || tick?.verdict?.verdict.verdict === 'fail') return { ctx: next, effects };
  const cleared: Context = { ...ctx, release: without({ ...release }, 'heldApproval') };
  const request = r.approvalRequest;
  const valid =
    r.phase === 'awaiting-approval' &&
    request !== undefined &&
    request.step === held.step &&
    request.stateVersion === held.stateVersion &&
    ctx.ms <= Date.parse(request.expiresAt);
  if (!valid) {
    const why = request
      ? `its request expired at ${clockTime(request.expiresAt)}`
      : `${targetName(r)} is no longer waiting for it`;
    return {
      ctx: cleared,
      effects: [
        ...effects,
        event(
          freezeEvent(
            `The approval of ${targetName(r)} ${stepLabel(r, held.step)} by ${held.actor} held during the freeze was not applied: ${why}; approve again`,
          ),
        ),
        audit(ctx, 'approval-expired', BOT_ACTOR, { held: true, actor: held.actor }),
      ],
    };
  }
  const decision = approve(cleared, {
    type: 'approve',
    actor: held.actor,
    at: ctx.at,
    step: held.step,
    stateVersion: held.stateVersion,
    ...(held.seen ? { seen: held.seen } : {}),
    ...(held.origin ? { origin: held.origin } : {}),
    ...(held.reason ? { reason: held.reason } : {}),
    ...(held.quorum
      ? {
          quorum: {
            ...held.quorum,
            inGroup: held.fromGroup !== undefined && held.fromGroup === held.quorum.oneFrom,
          },
        }
      : {}),
  });
  if (decision.outcome.status !== 'accepted') return { ctx: cleared, effects };
  const applied = event(
    freezeEvent(
      `The freeze is over: applying the approval of ${targetName(r)} ${stepLabel(r, held.step)} given by ${held.actor} at ${clockTime(held.at)}`,
    ),
  );
  return {
    ctx: cleared,
    effects: [],
    decision: { ...decision, effects: [...effects, applied, ...decision.effects] },
  };
}
