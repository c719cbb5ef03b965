/** What the mesh's answers do to a release: a state confirmed, a state refused, a state to converge again. */

import { haltForDrift } from './decide-analysis.js';
import type { ApplyFailureCode, Observation } from './observations.js';
import { PHASE_WORDS } from './phases.js';
import { BOT_ACTOR, type Release, type RollbackInfo, targetName } from './release.js';
import { releaseEvents } from './release-events.js';
import { describeStep, factsAt } from './release-steps.js';
import {
  accepted,
  addEffects,
  afterStep,
  audit,
  type Context,
  commit,
  type Decision,
  type Draft,
  end,
  event,
  finishRollback,
  freshWindow,
  halt,
  ignore,
  startRollback,
  succeed,
  unreachable,
  without,
} from './release-transitions.js';
import { successPhaseOf } from './step-plan.js';

/** What a mesh failure means for the release. */
type FailureClass = 'retry' | 'drift' | 'halt' | 'fail' | 'superseded';

/**
 * Transient failures are retried on the next tick; drift halts (never overwrite); failures a person can fix
 * (pods not ready, missing subset, RBAC, a change the mesh's admission refused) halt for that person, and
 * never leave a half-change; a change that is wrong in itself fails; a write fenced out by a newer writer
 * changes nothing here (that writer is in charge).
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
  rejected: 'halt',
  invalid: 'fail',
  'not-found': 'fail',
  superseded: 'superseded',
};

/** The requested mesh state is live (written and read back, or already there). */
export function confirmed(ctx: Context, phase: 'applying' | 'promoting' | 'rolling-back'): Decision {
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

export function meshRefused(
  ctx: Context,
  o: Extract<Observation, { type: 'apply-failed' }>,
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
    case 'superseded':
      return ignore(r, `A newer write owns the route: ${o.message}`);
    case 'retry':
      if (r.applyError?.revision === o.revision) return ignore(r, `Still retrying: ${o.message}`);
      return commit(
        ctx,
        addEffects(draft, event(releaseEvents.applyRetrying(r, o.message))),
        accepted(`The mesh did not take ${what} yet; retrying on the next tick.`),
        { quiet: true },
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

/**
 * A tick while a mesh state is pending: converge again (crash repair, or a transient failure). With one
 * writer per release this cannot race the writer itself; a late writer is fenced out by the route's owner mark.
 */
export function reconvergeOnTick(ctx: Context): Decision {
  const r = ctx.release;
  if (r.applied) return ignore(r, 'The requested mesh state is confirmed.');
  return {
    next: r,
    effects: [{ kind: 'converge', revision: r.desired.revision }],
    outcome: accepted(
      `Converging the route on revision ${r.desired.revision} (requested at ${r.desired.requestedAt}).`,
    ),
  };
}
