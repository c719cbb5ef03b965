/**
 * The building blocks of `decide`: each takes the decision's context and a draft (the release being changed
 * and the effects so far) and returns the next draft; `commit` turns a draft into a decision.
 */
import type { FreezeNote } from '../governance/freeze-note.js';
import type { Verdict } from '../judge/verdict.js';
import type { Effect, Outcome, RefusalReason, ReleaseAuditAction, ReleaseEvent } from './effects.js';
import { type InterruptiblePhase, isFinal } from './phases.js';
import {
  type AnalysisWindow,
  BOT_ACTOR,
  type PauseReason,
  type Release,
  type RollbackInfo,
  targetName,
  type UnjudgedKind,
} from './release.js';
import { releaseEvents } from './release-events.js';
import { describeStep, factsAt, stepContextOf } from './release-steps.js';
import { type MeshShape, pinRoute, successPhaseOf } from './step-plan.js';

/** What `decide` returns: the next release (the same object when nothing changed), effects, and an outcome. */
export interface Decision {
  readonly next: Release;
  readonly effects: readonly Effect[];
  readonly outcome: Outcome;
}

/** The decision being made: the release as it was, the time, and the version the next release gets. */
export interface Context {
  readonly release: Release;
  readonly at: string;
  readonly ms: number;
  readonly version: number;
  /** The freeze holding the release's promotions now, as the app found it (none: not frozen). */
  readonly freeze?: FreezeNote;
}

/** A release being changed, and the effects so far (`notify` is added by `commit`). */
export interface Draft {
  readonly release: Release;
  readonly effects: readonly Effect[];
}

/** Moves on after step `currentStep` is done: ask for the next step, or finish after the last. */
export function afterStep(ctx: Context, draft: Draft): Draft {
  const next = draft.release.currentStep + 1;
  return next < draft.release.plan.steps.length ? awaitApproval(ctx, draft, next) : finish(ctx, draft);
}

/** Waits for approval of `step`: a new request naming the next version, and its announcement. */
export function awaitApproval(
  ctx: Context,
  draft: Draft,
  step: number,
  announcement?: ReleaseEvent,
  unjudgedKind?: UnjudgedKind,
  renewed = false,
): Draft {
  const expiresAt = new Date(ctx.ms + draft.release.options.approvalExpirySeconds * 1000).toISOString();
  const release: Release = {
    ...without({ ...draft.release }, 'pause', 'approvalRequest'),
    phase: 'awaiting-approval',
    currentStep: step,
    approvalRequest: {
      step,
      stateVersion: ctx.version,
      requestedAt: ctx.at,
      expiresAt,
      ...(unjudgedKind ? { unjudged: unjudgedKind } : {}),
      ...(renewed ? { renewed } : {}),
    },
  };
  return {
    release,
    effects: [
      ...draft.effects,
      event(announcement ?? releaseEvents.waitingForApproval(release, step)),
      {
        kind: 'request-approval',
        step,
        stateVersion: ctx.version,
        expiresAt,
        description: describeStep(release, step),
        ...(unjudgedKind ? { unjudged: unjudgedKind } : {}),
      },
    ],
  };
}

/** Requests the mesh of step `index` (plus the `--with` pins with the first step). */
export function applyStep(ctx: Context, draft: Draft, index: number): Draft {
  const r = draft.release;
  const facts = factsAt(r, index);
  if (facts === undefined) return finish(ctx, draft);
  const shape = facts.apply(shapeOf(r));
  const context = stepContextOf(r);
  const pins =
    index === 0
      ? (r.withSources ?? []).map((pin) => pinRoute(pin, context.routePrefix, r.canary.destination))
      : [];
  const routes = [...pins, ...shape.routes.filter((route) => !pins.some((pin) => pin.name === route.name))];
  return requestMesh(ctx, { ...draft, release: { ...r, currentStep: index } }, 'applying', {
    ...shape,
    routes,
  });
}

/**
 * The last step is done: bake first if the release asks for it (and has not baked yet); then remove the
 * release's own routes (if any), then end in success.
 */
export function finish(ctx: Context, draft: Draft): Draft {
  const r = draft.release;
  if (bakeDue(r)) return startBake(ctx, draft);
  if (r.desired.routes.length === 0) return succeed(ctx, draft);
  return addEffects(
    requestMesh(ctx, draft, 'promoting', { ...shapeOf(r), routes: [] }),
    event(releaseEvents.promoting(r)),
  );
}

/** True when the release still has to bake before it is promoted. */
export function bakeDue(r: Release): boolean {
  return (
    (r.options.bakeSeconds ?? 0) > 0 &&
    successPhaseOf(r.kind) === 'promoted' &&
    r.meshChanged &&
    r.bake?.outcome === undefined
  );
}

/** Starts (or starts again) the bake: the last step stays live and is judged until `bakeSeconds` from now. */
export function startBake(ctx: Context, draft: Draft): Draft {
  const r = draft.release;
  const last = r.plan.steps.length - 1;
  const until = new Date(ctx.ms + (r.options.bakeSeconds ?? 0) * 1000).toISOString();
  const release: Release = {
    ...without({ ...r }, 'approvalRequest', 'pause', 'lastVerdict'),
    phase: 'baking',
    currentStep: last,
    analysis: freshWindow(ctx, last),
    bake: { startedAt: ctx.at, until },
  };
  return addEffects(
    { ...draft, release },
    event(releaseEvents.bakeStarted(release, until)),
    audit(ctx, 'bake', BOT_ACTOR, {
      until,
      ...(r.bakeReference
        ? {
            referenceStep: r.bakeReference.step,
            referenceRequests: r.bakeReference.baseline.requests,
            referenceErrors: r.bakeReference.baseline.errors,
          }
        : { reference: 'none: absolute limits only' }),
    }),
  );
}

/** Ends in the plan's success phase (promoted or completed). */
export function succeed(ctx: Context, draft: Draft): Draft {
  const r = draft.release;
  const phase = successPhaseOf(r.kind);
  const success = releaseEvents.success(r);
  return addEffects(
    { ...draft, release: { ...end(ctx, r, phase), summary: success.message } },
    event(success),
    audit(ctx, phase === 'promoted' ? 'promote' : 'complete', BOT_ACTOR, { step: r.currentStep }),
  );
}

/**
 * Restores the original route, or ends at once when the release never changed the mesh.
 * `checkDrift`: automatic rollbacks expect the last confirmed weights (never overwrite a hand change);
 * a person's rollback overwrites, as asked.
 */
export function startRollback(
  ctx: Context,
  draft: Draft,
  rollback: RollbackInfo,
  announcement: ReleaseEvent,
  checkDrift: boolean,
): Draft {
  const r = draft.release;
  if (!r.meshChanged) {
    const phase = rollback.endAs;
    // A cancellation says who in its final event; a rollback says it in its announcement.
    const said =
      phase === 'cancelled'
        ? [event(releaseEvents.cancelled(r, false, rollback.actor))]
        : [event(announcement), event(releaseEvents.rolledBack(r, false))];
    return addEffects(
      {
        ...draft,
        release: { ...end(ctx, r, phase), rollback, summary: `${rollback.reason}; nothing had changed` },
      },
      ...said,
    );
  }
  return addEffects(
    requestMesh(
      ctx,
      { ...draft, release: { ...r, rollback } },
      'rolling-back',
      { weights: r.original.weights, routes: [] },
      { restore: true, checkDrift },
    ),
    event(announcement),
  );
}

/** The original route is back: ends as the rollback said (rolled back, cancelled or failed). */
export function finishRollback(ctx: Context, draft: Draft): Draft {
  const r = draft.release;
  const endAs = r.rollback?.endAs ?? 'rolled-back';
  const why = r.rollback?.reason ?? 'rolled back';
  const finalEvent =
    endAs === 'cancelled'
      ? releaseEvents.cancelled(r, true, r.rollback?.actor ?? BOT_ACTOR)
      : endAs === 'failed'
        ? releaseEvents.failed(r, why)
        : releaseEvents.rolledBack(r, true);
  const action: ReleaseAuditAction = endAs === 'failed' ? 'fail' : endAs;
  return addEffects(
    { ...draft, release: { ...end(ctx, r, endAs), summary: `${why}; original route restored` } },
    event(finalEvent),
    audit(ctx, action, BOT_ACTOR, { reason: why }),
  );
}

/**
 * A new desired mesh under a new revision; the app converges the route on it and answers `applied` or
 * `apply-failed`. By default the owned route must still hold the last confirmed weights (drift check).
 */
export function requestMesh(
  ctx: Context,
  draft: Draft,
  phase: 'applying' | 'promoting' | 'rolling-back',
  shape: MeshShape,
  how: { readonly restore?: boolean; readonly checkDrift?: boolean } = {},
): Draft {
  const r = draft.release;
  const revision = r.desired.revision + 1;
  const release: Release = {
    ...without({ ...r }, 'approvalRequest', 'analysis', 'pause', 'applyError'),
    phase,
    applied: false,
    meshChanged: true,
    desired: {
      revision,
      weights: shape.weights,
      routes: shape.routes,
      ...(shape.mirror ? { mirror: shape.mirror } : {}),
      restore: how.restore ?? false,
      checkDrift: how.checkDrift ?? true,
      requestedAt: ctx.at,
    },
  };
  return { release, effects: [...draft.effects, { kind: 'converge', revision }] };
}

/** Requests the pending mesh again under a new revision (after a halt); `overwrite` drops the drift check. */
export function reemit(
  ctx: Context,
  draft: Draft,
  phase: 'applying' | 'promoting' | 'rolling-back',
  step: number,
  overwrite: boolean,
): Draft {
  const r = draft.release;
  if (!r.meshChanged) return awaitApproval(ctx, draft, r.currentStep);
  return requestMesh(ctx, { ...draft, release: { ...r, currentStep: step } }, phase, shapeOf(r), {
    restore: r.desired.restore,
    checkDrift: r.desired.checkDrift && !overwrite,
  });
}

/** Analyses `step` again from now (after a resume). */
export function reanalyse(ctx: Context, draft: Draft, step: number): Draft {
  const release: Release = {
    ...without({ ...draft.release }, 'approvalRequest', 'lastVerdict'),
    phase: 'analysing',
    currentStep: step,
    analysis: freshWindow(ctx, step),
  };
  return { ...draft, release };
}

/** Pauses the release; a person resumes it, rolls it back or cancels it. */
export function halt(
  ctx: Context,
  draft: Draft,
  reason: PauseReason,
  from: InterruptiblePhase,
  actor: string,
  detail: string,
): Draft {
  const release: Release = {
    ...without({ ...draft.release }, 'approvalRequest'),
    phase: 'paused',
    pause: { reason, from, at: ctx.at, actor, detail },
  };
  return { ...draft, release };
}

/** A final phase. `applied` and `confirmedWeights` stay as they are: only a confirmation changes them. */
export function end(ctx: Context, r: Release, phase: Release['phase']): Release {
  return {
    ...without({ ...r }, 'approvalRequest', 'analysis', 'pause'),
    phase,
    finishedAt: ctx.at,
  };
}

/** An analysis window starting now. */
export function freshWindow(ctx: Pick<Context, 'at'>, step: number): AnalysisWindow {
  return { step, startedAt: ctx.at, noTrafficWarned: false };
}

/** The desired mesh without its changes. */
export function shapeOf(r: Release): MeshShape {
  return {
    weights: r.desired.weights,
    routes: r.desired.routes,
    ...(r.desired.mirror ? { mirror: r.desired.mirror } : {}),
  };
}

/** A verdict's reasons as lines for the audit trail. */
export function reasonsOf(verdict: Verdict): string[] {
  return verdict.reasons.map((reason) => `${reason.check} ${reason.status}: ${reason.message}`);
}

/** An event effect. */
export function event(e: ReleaseEvent): Effect {
  return { kind: 'event', ...e };
}

/** An audit effect about the step the release was at, naming the version the decision was made on. */
export function audit(
  ctx: Context,
  action: ReleaseAuditAction,
  actor: string,
  detail: Record<string, unknown>,
): Effect {
  const r = ctx.release;
  return { kind: 'audit', action, actor, at: ctx.at, step: r.currentStep, stateVersion: r.version, detail };
}

/** The draft with more effects. */
export function addEffects(draft: Draft, ...effects: Effect[]): Draft {
  return { ...draft, effects: [...draft.effects, ...effects] };
}

/** A copy without the given optional fields (JSON has no `undefined`; the store keeps JSON). */
export function without<K extends OptionalKey>(release: Release, ...keys: K[]): Release {
  const copy: Partial<Release> = { ...release };
  for (const key of keys) delete copy[key];
  return copy as Release;
}

type OptionalKey = {
  [K in keyof Release]-?: undefined extends Release[K] ? K : never;
}[keyof Release];

/**
 * The end of every change: +1 state version, times, `notify` so the card is re-rendered, and a `tombstone`
 * on the route when the release ends after it changed the mesh. A `quiet` change is bookkeeping (a verdict
 * recorded, a retry noted) that keeps the state version: the buttons on the card stay valid.
 */
export function commit(
  ctx: Context,
  draft: Draft,
  outcome: Outcome,
  options: { readonly quiet?: boolean } = {},
): Decision {
  const r = ctx.release;
  const next: Release = {
    ...draft.release,
    version: options.quiet ? r.version : ctx.version,
    updatedAt: ctx.at,
    phaseSince: draft.release.phase === r.phase ? r.phaseSince : ctx.at,
  };
  const ends = isFinal(next) && !isFinal(r) && next.meshChanged;
  return {
    next,
    effects: [...draft.effects, ...(ends ? [{ kind: 'tombstone' } as const] : []), { kind: 'notify' }],
    outcome,
  };
}

/** An accepted outcome. */
export function accepted(message: string): Outcome {
  return { status: 'accepted', message };
}

/** A person's action that changes nothing, and why. */
export function refuse(release: Release, reason: RefusalReason, message: string): Decision {
  return { next: release, effects: [], outcome: { status: 'refused', reason, message } };
}

/** Refusal of anything but waiting while the original route is being restored. */
export function refuseRollingBack(r: Release): Decision {
  const by = r.rollback ? ` (${r.rollback.reason}, at ${r.rollback.at})` : '';
  return refuse(r, 'duplicate', `Already rolling back ${targetName(r)}${by}.`);
}

/** An observation with nothing to do. */
export function ignore(release: Release, message: string): Decision {
  return { next: release, effects: [], outcome: { status: 'ignored', message } };
}

/** A mesh answer about a change that is no longer pending. */
export function staleRevision(r: Release, revision: number): Decision {
  return ignore(r, `Revision ${revision} is not the pending change (revision ${r.desired.revision}).`);
}

/** The compiler proves this is never called; at run time (data from elsewhere) it changes nothing. */
export function unreachable(value: never, release: Release): Decision {
  return ignore(
    release,
    `Unknown ${JSON.stringify(value)} in phase ${release.phase}${isFinal(release) ? ' (final)' : ''}.`,
  );
}
