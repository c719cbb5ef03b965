/**
 * The release state machine: `decide(release, observation) -> { next, effects, outcome }`, pure and total.
 * This file is the dispatch: one switch over phases, and per phase one switch over observation types, each
 * checked for exhaustiveness by the compiler. What each case does lives beside it, by concern:
 * people's actions (decide-people.ts), the mesh's answers (decide-mesh.ts), and the tick's analysis
 * (decide-analysis.ts). Approval is a phase, not a loop: nothing waits, a click is an observation.
 */
import type { FreezeNote } from '../governance/freeze-note.js';
import { onTickWhileAnalysing, onTickWhileAwaiting } from './decide-analysis.js';
import { failedAfterBake, onTickWhileBaking, withBakeReference } from './decide-bake.js';
import { freezeOnTick } from './decide-freeze.js';
import { confirmed, meshRefused, reconvergeOnTick } from './decide-mesh.js';
import {
  approve,
  cancel,
  manualRollback,
  pauseByPerson,
  refuseApproval,
  reject,
  resume,
  stalePersonAction,
} from './decide-people.js';
import type { Observation } from './observations.js';
import { PHASE_WORDS } from './phases.js';
import { type Release, targetName } from './release.js';
import { stepLabel } from './release-steps.js';
import {
  accepted,
  type Context,
  commit,
  type Decision,
  ignore,
  refuse,
  refuseRollingBack,
  staleRevision,
  unreachable,
} from './release-transitions.js';

export type { Decision } from './release-transitions.js';

/** What governance says about the release now: the freeze that holds its promotions, if any. */
export interface Governance {
  readonly freeze?: FreezeNote;
}

/**
 * Decides what an observation does to a release. Never throws, never reads a clock: time comes from
 * `observation.at`. When nothing changes, `next` is `release` itself and `effects` is empty. `governance`
 * is the freeze holding the release now (see decide-freeze.ts): promotions wait, the way back never does.
 *
 * @example
 * const { next, effects, outcome } = decide(release, { type: 'approve', actor: 'U2', at, step: 0, stateVersion: 1 });
 * // next.phase === 'applying'; effects: audit, events, converge (revision 1: 90/10), notify
 */
export function decide(release: Release, observation: Observation, governance: Governance = {}): Decision {
  const ms = Date.parse(observation.at);
  if (!Number.isFinite(ms)) {
    const message = `The time of this ${observation.type} ("${observation.at}") is not an ISO 8601 timestamp.`;
    return isPersonAction(observation) ? refuse(release, 'invalid', message) : ignore(release, message);
  }
  const ctx: Context = {
    release,
    at: new Date(ms).toISOString(),
    ms,
    version: release.version + 1,
    ...(governance.freeze ? { freeze: governance.freeze } : {}),
  };
  if (observation.type !== 'tick') return dispatch(ctx, observation);
  // A tick first brings the release's freeze up to date (and applies an approval held during it).
  const thawed = freezeOnTick(ctx, approve, observation);
  if (thawed.decision) return thawed.decision;
  const decision = dispatch(thawed.ctx, observation);
  if (thawed.effects.length === 0 && thawed.ctx.release === release) return decision;
  if (decision.next === thawed.ctx.release)
    return commit(
      thawed.ctx,
      { release: thawed.ctx.release, effects: thawed.effects },
      accepted(decision.outcome.message),
      { quiet: true },
    );
  return { ...decision, effects: [...thawed.effects, ...decision.effects] };
}

function dispatch(ctx: Context, observation: Observation): Decision {
  const release = ctx.release;
  if (observation.type === 'approve') {
    const given = release.approvals.find(
      (a) => a.step === observation.step && a.stateVersion === observation.stateVersion,
    );
    if (given) return refuse(release, 'duplicate', `Already approved by ${given.actor} at ${given.at}.`);
  }
  const stale = stalePersonAction(ctx, observation);
  if (stale) return stale;
  switch (release.phase) {
    case 'awaiting-approval':
      return whileAwaitingApproval(ctx, observation);
    case 'applying':
      return whileChangingMesh(ctx, observation, 'applying');
    case 'analysing':
      return whileAnalysing(ctx, observation);
    case 'baking':
      return whileBaking(ctx, observation);
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
      return reject(ctx, o);
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
      return failedAfterBake(ctx, o) ?? onTickWhileAwaiting(ctx, o);
    default:
      return unreachable(o, r);
  }
}

/** `applying`, `promoting` and `rolling-back`: a mesh state is requested and not yet confirmed. */
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
      // Mid-change the live route is expected to differ; the convergence's own drift check reports drift.
      return reconvergeOnTick(ctx);
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
      return onTickWhileAnalysing(withBakeReference(ctx, o), o);
    default:
      return unreachable(o, r);
  }
}

/**
 * `baking`: the last step is live and still judged. People can roll back, pause or cancel as while analysing;
 * an approval click changes nothing (there is nothing to approve until the bake ends).
 */
function whileBaking(ctx: Context, o: Observation): Decision {
  const r = ctx.release;
  switch (o.type) {
    case 'approve':
      return refuseApproval(ctx, o);
    case 'reject':
      return refuse(
        r,
        'wrong-phase',
        `Nothing to reject: ${targetName(r)} is baking until ${r.bake?.until ?? 'the end of its bake'}; roll back instead.`,
      );
    case 'rollback':
      return manualRollback(ctx, o);
    case 'pause':
      return pauseByPerson(ctx, o, 'baking');
    case 'resume':
      return refuse(r, 'wrong-phase', `Nothing to resume: ${targetName(r)} is baking.`);
    case 'cancel':
      return cancel(ctx, o);
    case 'applied':
    case 'apply-failed':
      return ignore(r, 'No mesh change is pending.');
    case 'tick':
      return onTickWhileBaking(ctx, o);
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
      // A late answer for a halted change; resuming converges again, and a state already live counts as done.
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

function isPersonAction(o: Observation): boolean {
  return o.type !== 'applied' && o.type !== 'apply-failed' && o.type !== 'tick';
}
