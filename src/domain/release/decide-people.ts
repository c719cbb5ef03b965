/** What people's actions do to a release: approve, reject, roll back, pause, resume, cancel. */
import { bypassEffects, holdApproval, refuseFrozen } from './decide-freeze.js';
import type { ReleaseAuditAction, ReleaseEvent } from './effects.js';
import type { Observation, PersonStop } from './observations.js';
import { isFinal, PHASE_WORDS } from './phases.js';
import { isQuorum, quorumProgress, quorumWords, SINGLE_APPROVAL } from './quorum.js';
import {
  type Approval,
  type ApprovalRequest,
  BOT_ACTOR,
  type PauseInfo,
  type Quorum,
  type Release,
  targetName,
} from './release.js';
import { releaseEvents } from './release-events.js';
import { describeStep, stepLabel, stepName } from './release-steps.js';
import {
  accepted,
  addEffects,
  applyStep,
  audit,
  awaitApproval,
  type Context,
  commit,
  type Decision,
  type Draft,
  event,
  finish,
  halt,
  reanalyse,
  reemit,
  refuse,
  startBake,
  startRollback,
  unreachable,
  without,
} from './release-transitions.js';

type Approve = Extract<Observation, { type: 'approve' }>;

/**
 * A button or command drawn for another state version: pause, resume and reject are refused (they would act
 * on a state the person did not see); rollback and cancel still act, since they move towards safety, and
 * say what changed (see {@link changedSince}). Approvals check their version in {@link approve}.
 */
export function stalePersonAction(ctx: Context, o: Observation): Decision | undefined {
  const r = ctx.release;
  if (o.type !== 'reject' && o.type !== 'pause' && o.type !== 'resume') return undefined;
  if (o.stateVersion === r.version || isFinal(r)) return undefined;
  return refuse(
    r,
    'stale',
    `This ${o.type} is for version ${o.stateVersion} of ${targetName(r)}; it has changed since (version ${r.version}: ${PHASE_WORDS[r.phase]}). Nothing was done; use the latest card.`,
  );
}

/** ` (the card you used was for version 4; since then: analysing step 2/4)` when the person acted on an older state. */
function changedSince(r: Release, o: PersonStop<'rollback' | 'cancel'>): string {
  if (o.stateVersion === r.version) return '';
  return ` (your card was for version ${o.stateVersion}; since then ${targetName(r)} is ${PHASE_WORDS[r.phase]}, ${stepLabel(r, r.currentStep)})`;
}

export function approve(ctx: Context, o: Approve): Decision {
  const r = ctx.release;
  if (o.step !== r.currentStep) return refuseApproval(ctx, o);
  const request = r.approvalRequest;
  if (o.stateVersion !== r.version || request === undefined || request.stateVersion !== o.stateVersion) {
    return refuse(
      r,
      'stale',
      `This approval request is out of date (version ${o.stateVersion}); the release has changed since (version ${r.version}). Use the latest card.`,
    );
  }
  if (ctx.ms > Date.parse(request.expiresAt)) {
    const renewed = awaitApproval(
      ctx,
      { release: r, effects: [] },
      r.currentStep,
      undefined,
      request.unjudged,
    );
    return commit(
      ctx,
      addEffects(renewed, audit(ctx, 'approval-expired', o.actor, { expiredAt: request.expiresAt })),
      {
        status: 'refused',
        reason: 'expired',
        message: `This approval request expired at ${request.expiresAt}; a new one has been posted.`,
      },
    );
  }
  const seen = o.seen ?? r.lastVerdict;
  const quorum: Quorum = o.quorum
    ? { approvals: o.quorum.approvals, ...(o.quorum.oneFrom ? { oneFrom: o.quorum.oneFrom } : {}) }
    : SINGLE_APPROVAL;
  const approval: Approval = {
    actor: o.actor,
    at: ctx.at,
    step: o.step,
    stateVersion: o.stateVersion,
    ...(seen ? { seen } : {}),
    ...(o.reason ? { reason: o.reason } : {}),
    ...(o.quorum?.inGroup && o.quorum.oneFrom ? { fromGroup: o.quorum.oneFrom } : {}),
  };
  const votes = request.votes ?? [];
  const counted = votes.find((v) => v.actor === o.actor);
  if (counted)
    return refuse(
      r,
      'duplicate',
      `Already counted: you approved ${stepLabel(r, o.step)} of ${targetName(r)} at ${counted.at}; it still has ${quorumWords(quorumProgress(votes, request.quorum ?? quorum))}. Nothing changed.`,
    );
  const all = [...votes, approval];
  const progress = quorumProgress(all, quorum);
  if (!progress.met) return countVote(ctx, o, all, quorum);
  const freeze = ctx.freeze;
  if (freeze && o.bypassFreeze === undefined)
    return holdApproval(ctx, o, {
      ...approval,
      ...(o.origin ? { origin: o.origin } : {}),
      ...(isQuorum(quorum) ? { quorum } : {}),
    });
  const by = progress.approvers.join(', ');
  const draft: Draft = {
    release: { ...without({ ...r }, 'heldApproval'), approvals: [...r.approvals, ...all] },
    effects: [
      ...(freeze && o.bypassFreeze !== undefined ? bypassEffects(ctx, o, freeze, o.bypassFreeze) : []),
      audit(ctx, 'approve', o.actor, {
        description: describeStep(r, o.step),
        ...(o.origin ? { from: o.origin } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
        ...(isQuorum(quorum) ? { quorum: quorumWords(progress), approvers: progress.approvers } : {}),
        ...(request.unjudged ? { unjudged: request.unjudged } : {}),
        ...(seen ? { verdict: seen.verdict, reasons: seen.reasons.map((reason) => reason.message) } : {}),
      }),
      event(releaseEvents.approved(r, o.step, by, o.reason)),
      ...(o.step === 0 ? [event(releaseEvents.startingAnalysis(r))] : []),
    ],
  };
  const next = o.step < r.plan.steps.length ? applyStep(ctx, draft, o.step) : finish(ctx, draft);
  const quorumNote = isQuorum(quorum) ? ` (${quorumWords(progress)})` : '';
  return commit(
    ctx,
    next,
    accepted(
      `Approved ${stepLabel(r, o.step)} of ${targetName(r)}: ${describeStep(r, o.step)}${quorumNote}.`,
    ),
  );
}

/**
 * An approval that does not complete the quorum: counted in the open request (the state version stays, so
 * every card drawn for it still counts), audited, said in the thread; nothing moves.
 */
function countVote(ctx: Context, o: Approve, votes: readonly Approval[], quorum: Quorum): Decision {
  const r = ctx.release;
  const request = r.approvalRequest as ApprovalRequest;
  const words = quorumWords(quorumProgress(votes, quorum));
  const release: Release = { ...r, approvalRequest: { ...request, votes, quorum } };
  return commit(
    ctx,
    addEffects(
      { release, effects: [] },
      audit(ctx, 'approve', o.actor, {
        description: describeStep(r, o.step),
        counted: words,
        ...(o.origin ? { from: o.origin } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
      }),
      event(releaseEvents.approvalCounted(r, o.step, o.actor, words, o.reason)),
    ),
    accepted(`Counted your approval of ${stepLabel(r, o.step)} of ${targetName(r)}: ${words}.`),
    { quiet: true },
  );
}

export function refuseApproval(ctx: Context, o: Approve): Decision {
  const r = ctx.release;
  if (o.step !== r.currentStep) {
    return refuse(
      r,
      'wrong-step',
      `This button is for ${stepName(r, o.step)}, the release is at ${stepName(r, r.currentStep)}.`,
    );
  }
  return refuse(
    r,
    'wrong-phase',
    `Nothing to approve: ${targetName(r)} is ${PHASE_WORDS[r.phase]} (${stepLabel(r, r.currentStep)}).`,
  );
}

export function reject(ctx: Context, o: PersonStop<'reject'>): Decision {
  const r = ctx.release;
  return stopRelease(ctx, o, 'rolled-back', {
    action: 'reject',
    event: releaseEvents.rollingBackRejected(r, r.currentStep, o.actor, o.reason),
    reason: `${stepLabel(r, r.currentStep)} ${describeStep(r)} rejected by ${o.actor}${o.reason ? `: ${o.reason}` : ''}`,
  });
}

export function manualRollback(ctx: Context, o: PersonStop<'rollback'>): Decision {
  return stopRelease(
    ctx,
    o,
    'rolled-back',
    {
      action: 'rollback',
      event: releaseEvents.rollingBackManual(ctx.release, o.actor, o.reason),
      reason: `rolled back by ${o.actor}${o.reason ? `: ${o.reason}` : ''}`,
    },
    changedSince(ctx.release, o),
  );
}

export function cancel(ctx: Context, o: PersonStop<'cancel'>): Decision {
  return stopRelease(
    ctx,
    o,
    'cancelled',
    {
      action: 'cancel',
      event: releaseEvents.rollingBackCancelled(ctx.release, o.actor),
      reason: `cancelled by ${o.actor}`,
    },
    changedSince(ctx.release, o),
  );
}

/** Rollback, rejection and cancellation by a person: restore without a drift check (they asked for it). */
function stopRelease(
  ctx: Context,
  o: PersonStop<'reject' | 'rollback' | 'cancel'>,
  endAs: 'rolled-back' | 'cancelled',
  how: { action: ReleaseAuditAction; event: ReleaseEvent; reason: string },
  note = '',
): Decision {
  const r = ctx.release;
  const draft = addEffects(
    { release: r, effects: [] },
    audit(ctx, how.action, o.actor, {
      reason: how.reason,
      ...(o.stateVersion !== r.version ? { actedOnVersion: o.stateVersion } : {}),
    }),
  );
  const next = startRollback(
    ctx,
    draft,
    { endAs, actor: o.actor, at: ctx.at, reason: how.reason },
    how.event,
    false,
  );
  const done =
    next.release.phase === 'rolling-back'
      ? 'restoring the original route'
      : 'nothing had changed in the mesh';
  return commit(ctx, next, accepted(`${targetName(r)}: ${how.reason}; ${done}${note}.`));
}

export function pauseByPerson(
  ctx: Context,
  o: PersonStop<'pause'>,
  from: 'awaiting-approval' | 'analysing' | 'baking',
): Decision {
  const r = ctx.release;
  const draft = halt(ctx, { release: r, effects: [] }, 'manual', from, o.actor, `paused by ${o.actor}`);
  return commit(
    ctx,
    addEffects(draft, event(releaseEvents.paused(r, o.actor)), audit(ctx, 'pause', o.actor, { from })),
    accepted(`Paused ${targetName(r)}.`),
  );
}

/**
 * Resume. After a halt by drift, a failed analysis or a refused mesh change, resuming is an approval (the
 * app authorizes it as one: approvers, four eyes), and after drift it overwrites the change made by hand.
 */
export function resume(ctx: Context, o: PersonStop<'resume'>): Decision {
  const r = ctx.release;
  const pause: PauseInfo = r.pause ?? {
    reason: 'manual',
    from: 'awaiting-approval',
    at: r.phaseSince,
    actor: BOT_ACTOR,
    detail: 'paused',
  };
  if (pause.reason === 'drift' && !r.meshChanged) {
    return refuse(
      r,
      'wrong-phase',
      `The route of ${targetName(r)} changed before the release changed anything; cancel and start again so that the new route is the one restored.`,
    );
  }
  const unpaused: Release = without({ ...r }, 'pause');
  const base: Draft = {
    release: unpaused,
    effects: [
      audit(ctx, 'resume', o.actor, {
        reason: pause.reason,
        from: pause.from,
        ...(pause.reason !== 'manual' ? { asApproval: true, detail: pause.detail } : {}),
      }),
      event(releaseEvents.resumed(r, o.actor)),
    ],
  };
  if (pause.reason !== 'manual' && ctx.freeze) return refuseFrozen(ctx, 'Resuming (an approval) of');
  const overwrite = pause.reason === 'drift';
  let next: Draft;
  switch (pause.from) {
    case 'awaiting-approval': {
      const lastApplied = Math.max(0, r.currentStep - 1);
      if (overwrite) next = reemit(ctx, base, 'applying', lastApplied, true);
      else if (pause.reason === 'failed-analysis') next = reanalyse(ctx, base, lastApplied);
      else next = awaitApproval(ctx, base, r.currentStep);
      break;
    }
    case 'analysing':
      next = overwrite
        ? reemit(ctx, base, 'applying', r.currentStep, true)
        : reanalyse(ctx, base, r.currentStep);
      break;
    case 'baking':
      // The bake starts again from now (after drift: once the last step's route is back and passes again).
      next = overwrite ? reemit(ctx, base, 'applying', r.currentStep, true) : startBake(ctx, base);
      break;
    case 'applying':
    case 'promoting':
    case 'rolling-back':
      next = reemit(ctx, base, pause.from, r.currentStep, overwrite);
      break;
    default:
      return unreachable(pause.from, r);
  }
  const how = overwrite ? ' (re-applying its own route over the change made by hand)' : '';
  return commit(ctx, next, accepted(`Resumed ${targetName(r)}${how}.`));
}
