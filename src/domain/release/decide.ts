/**
 * The release state machine: `decide(release, observation) -> { next, effects, outcome }`, pure and total.
 * One switch over phases (in `decide`), one switch over observation types per phase, each checked for
 * exhaustiveness by the compiler. Approval is a phase, not a loop: nothing waits, a click is an observation.
 */
import type { Verdict } from '../judge/verdict.js';
import type { Effect, ReleaseAuditAction, ReleaseEvent } from './effects.js';
import type { ApplyFailureCode, Observation } from './observations.js';
import { type InterruptiblePhase, PHASE_WORDS } from './phases.js';
import {
  type AnalysisWindow,
  BOT_ACTOR,
  type PauseInfo,
  type Release,
  type RollbackInfo,
  targetName,
} from './release.js';
import { formatSeconds, releaseEvents, verdictReasons } from './release-events.js';
import { describeStep, factsAt, stepLabel, stepName } from './release-steps.js';
import {
  accepted,
  addEffects,
  afterStep,
  applyStep,
  audit,
  awaitApproval,
  type Context,
  commit,
  type Decision,
  type Draft,
  end,
  event,
  finish,
  finishRollback,
  freshWindow,
  halt,
  ignore,
  meshEffects,
  reanalyse,
  reasonsOf,
  reemit,
  refuse,
  refuseRollingBack,
  staleRevision,
  startRollback,
  succeed,
  unreachable,
  without,
} from './release-transitions.js';
import { successPhaseOf } from './step-plan.js';

export type { Decision } from './release-transitions.js';

/** A tick re-emits pending mesh changes once they have been pending this long (crash repair). */
export const MESH_RETRY_SECONDS = 60;

/** What a mesh failure means for the release. */
type FailureClass = 'retry' | 'drift' | 'halt' | 'fail';

/**
 * Transient failures are retried on the next tick; drift halts (never overwrite); failures a person can fix
 * (pods not ready, missing subset, RBAC) halt for that person; a change that is wrong in itself fails.
 */
const FAILURE_CLASS: Readonly<Record<ApplyFailureCode, FailureClass>> = {
  unavailable: 'retry',
  conflict: 'retry',
  'verify-failed': 'retry',
  drift: 'drift',
  'not-ready': 'halt',
  'unknown-host': 'halt',
  'unknown-subset': 'halt',
  forbidden: 'halt',
  invalid: 'fail',
  rejected: 'fail',
  'not-found': 'fail',
};

type Of<T extends Observation['type']> = Extract<Observation, { type: T }>;
type PersonAction = Of<'approve' | 'reject' | 'rollback' | 'pause' | 'resume' | 'cancel'>;

/**
 * Decides what an observation does to a release. Never throws, never reads a clock: time comes from
 * `observation.at`. When nothing changes, `next` is `release` itself and `effects` is empty (except a tick's
 * re-emission of pending mesh changes).
 *
 * @example
 * const { next, effects, outcome } = decide(release, { type: 'approve', actor: 'U2', at, step: 0, stateVersion: 1 });
 * // next.phase === 'applying'; effects: audit, events, one `mesh` set-weights 90/10, notify
 */
export function decide(release: Release, observation: Observation): Decision {
  const ms = Date.parse(observation.at);
  if (!Number.isFinite(ms)) {
    const message = `The time of this ${observation.type} ("${observation.at}") is not an ISO 8601 timestamp.`;
    return isPersonAction(observation) ? refuse(release, 'invalid', message) : ignore(release, message);
  }
  const ctx: Context = { release, at: new Date(ms).toISOString(), ms, version: release.version + 1 };
  if (observation.type === 'approve') {
    const given = release.approvals.find(
      (a) => a.step === observation.step && a.stateVersion === observation.stateVersion,
    );
    if (given) return refuse(release, 'duplicate', `Already approved by ${given.actor} at ${given.at}.`);
  }
  switch (release.phase) {
    case 'awaiting-approval':
      return whileAwaitingApproval(ctx, observation);
    case 'applying':
      return whileChangingMesh(ctx, observation, 'applying');
    case 'analysing':
      return whileAnalysing(ctx, observation);
    case 'paused':
      return whilePaused(ctx, observation);
    case 'promoting':
      return whileChangingMesh(ctx, observation, 'promoting');
    case 'rolling-back':
      return whileChangingMesh(ctx, observation, 'rolling-back');
    case 'promoted':
    case 'completed':
    case 'rolled-back':
    case 'failed':
    case 'cancelled':
      return afterTheEnd(ctx, observation);
    default:
      return unreachable(release.phase, release);
  }
}

function whileAwaitingApproval(ctx: Context, o: Observation): Decision {
  const r = ctx.release;
  switch (o.type) {
    case 'approve':
      return approve(ctx, o);
    case 'reject':
      return stopRelease(ctx, o, 'rolled-back', {
        action: 'reject',
        event: releaseEvents.rollingBackRejected(r, r.currentStep, o.actor, o.reason),
        reason: `${stepLabel(r, r.currentStep)} ${describeStep(r)} rejected by ${o.actor}${o.reason ? `: ${o.reason}` : ''}`,
      });
    case 'rollback':
      return manualRollback(ctx, o);
    case 'pause':
      return pauseByPerson(ctx, o, 'awaiting-approval');
    case 'resume':
      return refuse(r, 'wrong-phase', `Nothing to resume: ${targetName(r)} is ${PHASE_WORDS[r.phase]}.`);
    case 'cancel':
      return cancel(ctx, o);
    case 'applied':
    case 'apply-failed':
      return ignore(r, 'No mesh change is pending.');
    case 'tick':
      if (o.drift !== undefined) return haltForDrift(ctx, o.drift, 'awaiting-approval');
      // The live step keeps being judged while people decide; only a failure acts on it.
      if (o.verdict?.verdict === 'fail' && r.meshChanged)
        return failedAnalysis(ctx, o.verdict, 'awaiting-approval');
      return ignore(r, `Waiting for approval of ${stepName(r, r.currentStep)}.`);
    default:
      return unreachable(o, r);
  }
}

/** `applying`, `promoting` and `rolling-back`: a mesh change is requested and not yet confirmed. */
function whileChangingMesh(
  ctx: Context,
  o: Observation,
  phase: 'applying' | 'promoting' | 'rolling-back',
): Decision {
  const r = ctx.release;
  switch (o.type) {
    case 'approve':
      return refuseApproval(ctx, o);
    case 'reject':
      return refuse(r, 'wrong-phase', `Nothing to reject: ${targetName(r)} is ${PHASE_WORDS[phase]}.`);
    case 'rollback':
      if (phase === 'rolling-back') return refuseRollingBack(r);
      return manualRollback(ctx, o);
    case 'pause':
      if (phase === 'rolling-back') return refuseRollingBack(r);
      return refuse(
        r,
        'wrong-phase',
        `${targetName(r)} is ${PHASE_WORDS[phase]}; pause once the change is confirmed (or roll back now).`,
      );
    case 'resume':
      return refuse(r, 'wrong-phase', `Nothing to resume: ${targetName(r)} is ${PHASE_WORDS[phase]}.`);
    case 'cancel':
      if (phase === 'rolling-back') return refuseRollingBack(r);
      return cancel(ctx, o);
    case 'applied':
      if (o.revision !== r.desired.revision) return staleRevision(r, o.revision);
      return confirmed(ctx, phase);
    case 'apply-failed':
      if (o.revision !== r.desired.revision) return staleRevision(r, o.revision);
      return meshRefused(ctx, o, phase);
    case 'tick':
      // Mid-change the live route is expected to differ; the change's own `expected` check reports drift.
      return reemitIfDue(ctx);
    default:
      return unreachable(o, r);
  }
}

function whileAnalysing(ctx: Context, o: Observation): Decision {
  const r = ctx.release;
  switch (o.type) {
    case 'approve':
      return refuseApproval(ctx, o);
    case 'reject':
      return refuse(
        r,
        'wrong-phase',
        `Nothing to reject: ${targetName(r)} is analysing ${stepLabel(r, r.currentStep)}; roll back instead.`,
      );
    case 'rollback':
      return manualRollback(ctx, o);
    case 'pause':
      return pauseByPerson(ctx, o, 'analysing');
    case 'resume':
      return refuse(r, 'wrong-phase', `Nothing to resume: ${targetName(r)} is analysing.`);
    case 'cancel':
      return cancel(ctx, o);
    case 'applied':
    case 'apply-failed':
      return ignore(r, 'No mesh change is pending.');
    case 'tick':
      if (o.drift !== undefined) return haltForDrift(ctx, o.drift, 'analysing');
      return analyse(ctx, o.verdict);
    default:
      return unreachable(o, r);
  }
}

function whilePaused(ctx: Context, o: Observation): Decision {
  const r = ctx.release;
  switch (o.type) {
    case 'approve':
      return refuseApproval(ctx, o);
    case 'reject':
      return refuse(
        r,
        'wrong-phase',
        `Nothing to reject: ${targetName(r)} is paused; roll back or cancel instead.`,
      );
    case 'rollback':
      return manualRollback(ctx, o);
    case 'pause':
      return refuse(
        r,
        'duplicate',
        r.pause?.reason === 'manual'
          ? `Already paused by ${r.pause.actor} at ${r.pause.at}.`
          : `Already halted: ${r.pause?.detail ?? 'paused'}.`,
      );
    case 'resume':
      return resume(ctx, o);
    case 'cancel':
      return cancel(ctx, o);
    case 'applied':
    case 'apply-failed':
      // A late answer for a halted change; resuming re-emits it, and a change already live counts as done.
      return ignore(r, `${targetName(r)} is paused; the change is re-checked when it resumes.`);
    case 'tick':
      return ignore(r, `${targetName(r)} is paused.`);
    default:
      return unreachable(o, r);
  }
}

function afterTheEnd(ctx: Context, o: Observation): Decision {
  const r = ctx.release;
  switch (o.type) {
    case 'approve':
    case 'reject':
    case 'rollback':
    case 'pause':
    case 'resume':
    case 'cancel':
      return refuse(
        r,
        'finished',
        `${targetName(r)} ${r.canary.version} is already ${PHASE_WORDS[r.phase]}.`,
      );
    case 'applied':
    case 'apply-failed':
    case 'tick':
      return ignore(r, `${targetName(r)} is ${PHASE_WORDS[r.phase]}.`);
    default:
      return unreachable(o, r);
  }
}

// ---- people's actions ----

function approve(ctx: Context, o: Of<'approve'>): Decision {
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
  const approval = {
    actor: o.actor,
    at: ctx.at,
    step: o.step,
    stateVersion: o.stateVersion,
    ...(seen ? { seen } : {}),
  };
  const draft: Draft = {
    release: { ...r, approvals: [...r.approvals, approval] },
    effects: [
      audit(ctx, 'approve', o.actor, {
        description: describeStep(r, o.step),
        ...(request.unjudged ? { unjudged: request.unjudged } : {}),
        ...(seen ? { verdict: seen.verdict, reasons: seen.reasons.map((reason) => reason.message) } : {}),
      }),
      event(releaseEvents.approved(r, o.step, o.actor)),
      ...(o.step === 0 ? [event(releaseEvents.startingAnalysis(r))] : []),
    ],
  };
  const next = o.step < r.plan.steps.length ? applyStep(ctx, draft, o.step) : finish(ctx, draft);
  return commit(
    ctx,
    next,
    accepted(`Approved ${stepLabel(r, o.step)} of ${targetName(r)}: ${describeStep(r, o.step)}.`),
  );
}

function refuseApproval(ctx: Context, o: Of<'approve'>): Decision {
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

function manualRollback(ctx: Context, o: Of<'rollback'>): Decision {
  return stopRelease(ctx, o, 'rolled-back', {
    action: 'rollback',
    event: releaseEvents.rollingBackManual(ctx.release, o.actor, o.reason),
    reason: `rolled back by ${o.actor}${o.reason ? `: ${o.reason}` : ''}`,
  });
}

function cancel(ctx: Context, o: Of<'cancel'>): Decision {
  return stopRelease(ctx, o, 'cancelled', {
    action: 'cancel',
    event: releaseEvents.rollingBackCancelled(ctx.release, o.actor),
    reason: `cancelled by ${o.actor}`,
  });
}

/** Rollback, rejection and cancellation by a person: restore without a drift check (they asked for it). */
function stopRelease(
  ctx: Context,
  o: PersonAction,
  endAs: 'rolled-back' | 'cancelled',
  how: { action: ReleaseAuditAction; event: ReleaseEvent; reason: string },
): Decision {
  const r = ctx.release;
  const draft = addEffects(
    { release: r, effects: [] },
    audit(ctx, how.action, o.actor, { reason: how.reason }),
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
  return commit(ctx, next, accepted(`${targetName(r)}: ${how.reason}; ${done}.`));
}

function pauseByPerson(ctx: Context, o: Of<'pause'>, from: 'awaiting-approval' | 'analysing'): Decision {
  const r = ctx.release;
  const draft = halt(ctx, { release: r, effects: [] }, 'manual', from, o.actor, `paused by ${o.actor}`);
  return commit(
    ctx,
    addEffects(draft, event(releaseEvents.paused(r, o.actor)), audit(ctx, 'pause', o.actor, { from })),
    accepted(`Paused ${targetName(r)}.`),
  );
}

function resume(ctx: Context, o: Of<'resume'>): Decision {
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
      audit(ctx, 'resume', o.actor, { reason: pause.reason, from: pause.from }),
      event(releaseEvents.resumed(r, o.actor)),
    ],
  };
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

// ---- the mesh's answers and the tick ----

function confirmed(ctx: Context, phase: 'applying' | 'promoting' | 'rolling-back'): Decision {
  const r = ctx.release;
  const landed: Release = {
    ...without({ ...r }, 'applyError'),
    applied: true,
    confirmedWeights: r.desired.weights,
  };
  const draft: Draft = { release: landed, effects: [] };
  switch (phase) {
    case 'applying': {
      const facts = factsAt(r, r.currentStep);
      const advanced = addEffects(draft, event(releaseEvents.advance(r, r.currentStep)));
      if (facts?.analysed) {
        const analysing: Release = {
          ...without({ ...landed }, 'lastVerdict'),
          phase: 'analysing',
          analysis: freshWindow(ctx, r.currentStep),
        };
        return commit(
          ctx,
          { ...advanced, release: analysing },
          accepted(`${describeStep(r)} is live; analysing.`),
        );
      }
      return commit(ctx, afterStep(ctx, advanced), accepted(`${describeStep(r)} is live.`));
    }
    case 'promoting':
      return commit(
        ctx,
        succeed(ctx, draft),
        accepted(`${targetName(r)} ${PHASE_WORDS[successPhaseOf(r.kind)]}.`),
      );
    case 'rolling-back':
      return commit(
        ctx,
        finishRollback(ctx, draft),
        accepted(`The original route of ${targetName(r)} is back.`),
      );
    default:
      return unreachable(phase, r);
  }
}

function meshRefused(
  ctx: Context,
  o: Of<'apply-failed'>,
  phase: 'applying' | 'promoting' | 'rolling-back',
): Decision {
  const r = ctx.release;
  const failureClass: FailureClass = FAILURE_CLASS[o.code] ?? 'halt';
  const applyError = { at: ctx.at, revision: o.revision, code: o.code, message: o.message };
  const draft: Draft = { release: { ...r, applyError }, effects: [] };
  const what =
    phase === 'applying'
      ? describeStep(r)
      : phase === 'promoting'
        ? "the removal of the release's routes"
        : 'the restore of the original route';
  // Removing the release's routes after a promotion cannot be "wrong in itself": a person looks at it.
  const effective: FailureClass = failureClass === 'fail' && phase === 'promoting' ? 'halt' : failureClass;
  switch (effective) {
    case 'retry':
      if (r.applyError?.revision === o.revision) return ignore(r, `Still retrying: ${o.message}`);
      return commit(
        ctx,
        addEffects(draft, event(releaseEvents.applyRetrying(r, o.message))),
        accepted(`The mesh did not take ${what} yet; retrying on the next tick.`),
      );
    case 'drift':
      return haltForDrift(ctx, o.message, phase, draft);
    case 'halt':
      return commit(
        ctx,
        addEffects(
          halt(ctx, draft, 'apply-failed', phase, BOT_ACTOR, `the mesh refused ${what}: ${o.message}`),
          event(releaseEvents.applyHalted(r, what, o.message)),
          audit(ctx, 'halt', BOT_ACTOR, { code: o.code, message: o.message }),
        ),
        accepted(`Halted: the mesh refused ${what}.`),
      );
    case 'fail': {
      if (phase === 'rolling-back') {
        const failed: Release = {
          ...end(ctx, draft.release, 'failed'),
          summary: `could not restore the original route: ${o.message}`,
        };
        return commit(
          ctx,
          addEffects(
            { ...draft, release: failed },
            event(releaseEvents.restoreFailed(r, o.message)),
            audit(ctx, 'fail', BOT_ACTOR, { code: o.code, message: o.message }),
          ),
          accepted(`Could not restore the original route of ${targetName(r)}: ${o.message}`),
        );
      }
      const rollback: RollbackInfo = { endAs: 'failed', actor: BOT_ACTOR, at: ctx.at, reason: o.message };
      const next = startRollback(
        ctx,
        addEffects(draft, audit(ctx, 'rollback', BOT_ACTOR, { code: o.code, message: o.message })),
        rollback,
        releaseEvents.rollingBackRefused(r, o.message),
        true,
      );
      return commit(ctx, next, accepted(`The mesh refused ${what}; restoring the original route.`));
    }
    default:
      return unreachable(effective, r);
  }
}

function reemitIfDue(ctx: Context): Decision {
  const r = ctx.release;
  const pendingFor = (ctx.ms - Date.parse(r.desired.requestedAt)) / 1000;
  if (r.applied || r.desired.changes.length === 0 || !(pendingFor >= MESH_RETRY_SECONDS)) {
    return ignore(r, `Waiting for the mesh to confirm the change requested at ${r.desired.requestedAt}.`);
  }
  return {
    next: r,
    effects: meshEffects(r.desired.revision, r.desired.changes),
    outcome: accepted(
      `Re-applying the change requested at ${r.desired.requestedAt} (revision ${r.desired.revision}).`,
    ),
  };
}

function analyse(ctx: Context, verdict: Verdict | undefined): Decision {
  const r = ctx.release;
  if (verdict === undefined) return ignore(r, 'No verdict this time.');
  const window: AnalysisWindow = r.analysis ?? freshWindow({ ...ctx, at: r.phaseSince }, r.currentStep);
  const elapsed = (ctx.ms - Date.parse(window.startedAt)) / 1000;
  const { minAnalysisSeconds, maxAnalysisSeconds, noTrafficAlertSeconds } = r.options;
  const record = (analysis: AnalysisWindow, ...effects: Effect[]): Decision =>
    commit(
      ctx,
      { release: { ...r, lastVerdict: verdict, analysis }, effects },
      accepted(
        `Analysing ${stepLabel(r, r.currentStep)}: ${verdict.verdict} after ${formatSeconds(elapsed)}.`,
      ),
    );
  const { noDataSince: _streak, ...withoutStreak } = window;
  switch (verdict.verdict) {
    case 'fail':
      return failedAnalysis(ctx, verdict, 'analysing');
    case 'pass':
      if (elapsed >= minAnalysisSeconds) {
        const passed: Draft = {
          release: { ...r, lastVerdict: verdict },
          effects: [
            audit(ctx, 'advance', BOT_ACTOR, { passed: describeStep(r), reasons: reasonsOf(verdict) }),
          ],
        };
        return commit(
          ctx,
          afterStep(ctx, passed),
          accepted(`${stepLabel(r, r.currentStep)} passed its analysis.`),
        );
      }
      return record(withoutStreak);
    case 'inconclusive':
      if (elapsed >= maxAnalysisSeconds) return unjudged(ctx, verdict, 'inconclusive', elapsed);
      return record(withoutStreak);
    case 'no-data': {
      if (elapsed >= maxAnalysisSeconds) return unjudged(ctx, verdict, 'no-data', elapsed);
      const since = window.noDataSince ?? ctx.at;
      const streak = (ctx.ms - Date.parse(since)) / 1000;
      if (!window.noTrafficWarned && streak >= noTrafficAlertSeconds) {
        return record(
          { ...window, noDataSince: since, noTrafficWarned: true },
          event(releaseEvents.noTraffic(r, verdict)),
          audit(ctx, 'halt', BOT_ACTOR, { noDataSince: since, reasons: reasonsOf(verdict) }),
        );
      }
      return record({ ...window, noDataSince: since });
    }
    default:
      return unreachable(verdict.verdict, r);
  }
}

/**
 * The analysis ran out of time without a verdict either way: never promote on it, ask a person, and say
 * plainly that the approval is given without evidence.
 */
function unjudged(
  ctx: Context,
  verdict: Verdict,
  kind: 'inconclusive' | 'no-data',
  elapsed: number,
): Decision {
  const r = ctx.release;
  const step = r.currentStep + 1;
  const draft: Draft = {
    release: { ...r, lastVerdict: verdict },
    effects: [
      audit(ctx, 'halt', BOT_ACTOR, { unjudged: kind, elapsedSeconds: elapsed, reasons: reasonsOf(verdict) }),
    ],
  };
  const next = awaitApproval(ctx, draft, step, releaseEvents.unjudged(r, step, kind, elapsed, verdict), kind);
  return commit(
    ctx,
    next,
    accepted(`No verdict after ${formatSeconds(elapsed)}; asking for approval of ${stepName(r, step)}.`),
  );
}

function failedAnalysis(ctx: Context, verdict: Verdict, from: 'analysing' | 'awaiting-approval'): Decision {
  const r = ctx.release;
  const draft: Draft = { release: { ...r, lastVerdict: verdict }, effects: [] };
  const reasons = verdictReasons(verdict);
  if (r.options.onFailure === 'pause') {
    return commit(
      ctx,
      addEffects(
        halt(ctx, draft, 'failed-analysis', from, BOT_ACTOR, `failed checks: ${reasons}`),
        event(releaseEvents.haltFailedChecks(r, verdict)),
        audit(ctx, 'halt', BOT_ACTOR, { verdict: 'fail', reasons: reasonsOf(verdict) }),
      ),
      accepted(`${targetName(r)} failed its analysis; halted for a person to decide.`),
    );
  }
  const next = startRollback(
    ctx,
    addEffects(draft, audit(ctx, 'rollback', BOT_ACTOR, { verdict: 'fail', reasons: reasonsOf(verdict) })),
    { endAs: 'rolled-back', actor: BOT_ACTOR, at: ctx.at, reason: `failed checks: ${reasons}` },
    releaseEvents.rollingBackFailedChecks(r, verdict),
    true,
  );
  return commit(ctx, next, accepted(`${targetName(r)} failed its analysis; rolling back.`));
}

function haltForDrift(ctx: Context, drift: string, from: InterruptiblePhase, draft?: Draft): Decision {
  const r = ctx.release;
  return commit(
    ctx,
    addEffects(
      halt(
        ctx,
        draft ?? { release: r, effects: [] },
        'drift',
        from,
        BOT_ACTOR,
        `route changed outside the bot: ${drift}`,
      ),
      event(releaseEvents.drift(r, drift)),
      audit(ctx, 'drift', BOT_ACTOR, { drift, from }),
    ),
    accepted(`Halted ${targetName(r)}: its route was changed outside the bot.`),
  );
}

function isPersonAction(o: Observation): o is PersonAction {
  return o.type !== 'applied' && o.type !== 'apply-failed' && o.type !== 'tick';
}
