/**
 * What a tick does to a release whose step is live: the judge's verdict, metrics that cannot be read, drift,
 * and an approval request that expired. A judge that cannot judge says so loudly: after
 * {@link UNREADABLE_TICKS_TO_ESCALATE} ticks without readable metrics, or after `maxAnalysisSeconds` without
 * a verdict, a Warning goes into the thread and a person decides; nothing promotes on its own.
 */
import type { Verdict } from '../judge/verdict.js';
import type { Effect } from './effects.js';
import type { Observation } from './observations.js';
import type { InterruptiblePhase } from './phases.js';
import { type AnalysisWindow, BOT_ACTOR, type Release, targetName, type UnjudgedKind } from './release.js';
import { formatSeconds, releaseEvents, verdictReasons } from './release-events.js';
import { describeStep, stepLabel, stepName } from './release-steps.js';
import {
  accepted,
  addEffects,
  afterStep,
  audit,
  awaitApproval,
  type Context,
  commit,
  type Decision,
  type Draft,
  event,
  freshWindow,
  halt,
  ignore,
  reasonsOf,
  startRollback,
  unreachable,
  without,
} from './release-transitions.js';

type Tick = Extract<Observation, { type: 'tick' }>;

/** Consecutive ticks without readable metrics before the release asks a person. */
export const UNREADABLE_TICKS_TO_ESCALATE = 3;

/** The verdict of a tick when it was computed for the release's current analysis window, else undefined. */
export function currentVerdict(r: Release, o: Tick): Verdict | undefined {
  const judged = o.verdict;
  if (!judged || !r.analysis) return undefined;
  const sameWindow = judged.step === r.analysis.step && judged.windowStartedAt === r.analysis.startedAt;
  return sameWindow ? judged.verdict : undefined;
}

export function onTickWhileAnalysing(ctx: Context, o: Tick): Decision {
  const r = ctx.release;
  if (o.drift !== undefined) return haltForDrift(ctx, o.drift, 'analysing');
  const verdict = currentVerdict(r, o);
  if (verdict) return analyse(ctx, verdict);
  const window: AnalysisWindow = r.analysis ?? freshWindow({ ...ctx, at: r.phaseSince }, r.currentStep);
  const elapsed = (ctx.ms - Date.parse(window.startedAt)) / 1000;
  if (o.unreadable !== undefined) {
    const tracked = unreadableWindow(ctx, window, o.unreadable);
    if (
      (tracked.unreadableTicks ?? 0) >= UNREADABLE_TICKS_TO_ESCALATE ||
      elapsed >= r.options.maxAnalysisSeconds
    )
      return unjudged(ctx, { ...r, analysis: tracked }, 'unreadable', elapsed, o.unreadable);
    return commit(
      ctx,
      { release: { ...r, analysis: tracked }, effects: [] },
      accepted(`Cannot read the metrics of ${targetName(r)}: ${o.unreadable}`),
      { quiet: true },
    );
  }
  if (elapsed >= r.options.maxAnalysisSeconds)
    return unjudged(ctx, r, r.lastVerdict ? 'inconclusive' : 'unreadable', elapsed, 'no verdict was given');
  return ignore(r, 'No verdict for the current analysis this time.');
}

export function onTickWhileAwaiting(ctx: Context, o: Tick): Decision {
  const r = ctx.release;
  if (o.drift !== undefined) return haltForDrift(ctx, o.drift, 'awaiting-approval');
  const verdict = currentVerdict(r, o);
  // The live step keeps being judged while people decide; a failure acts on it.
  if (verdict?.verdict === 'fail' && r.meshChanged) return failedAnalysis(ctx, verdict, 'awaiting-approval');
  const request = r.approvalRequest;
  if (verdict && request?.unjudged === 'unreadable' && r.analysis) {
    // The judge can judge again: the step goes back to its analysis instead of waiting on a person.
    const back: Release = {
      ...without({ ...r }, 'approvalRequest'),
      phase: 'analysing',
      currentStep: request.step - 1,
      lastVerdict: verdict,
      analysis: withoutUnreadable(r.analysis),
    };
    return commit(
      ctx,
      addEffects({ release: back, effects: [] }, event(releaseEvents.readableAgain(r))),
      accepted(`The metrics of ${targetName(r)} can be read again; back to the analysis.`),
    );
  }
  if (request && !request.renewed && ctx.ms > Date.parse(request.expiresAt)) {
    const renewed = awaitApproval(
      ctx,
      { release: r, effects: [] },
      request.step,
      releaseEvents.approvalExpired(r, request.step, request.expiresAt),
      request.unjudged,
      true,
    );
    return commit(
      ctx,
      addEffects(renewed, audit(ctx, 'approval-expired', BOT_ACTOR, { expiredAt: request.expiresAt })),
      accepted(`The approval request for ${stepName(r, request.step)} expired; it has been posted again.`),
    );
  }
  if (o.unreadable !== undefined && r.meshChanged && r.analysis) {
    const tracked = unreadableWindow(ctx, r.analysis, o.unreadable);
    const warn = (tracked.unreadableTicks ?? 0) === UNREADABLE_TICKS_TO_ESCALATE;
    return commit(
      ctx,
      {
        release: { ...r, analysis: tracked },
        effects: warn ? [event(releaseEvents.unreadable(r, tracked, undefined))] : [],
      },
      accepted(`Cannot read the metrics of ${targetName(r)}: ${o.unreadable}`),
      { quiet: true },
    );
  }
  if (verdict && r.analysis?.unreadableSince) {
    return commit(
      ctx,
      {
        release: { ...r, lastVerdict: verdict, analysis: withoutUnreadable(r.analysis) },
        effects: [event(releaseEvents.readableAgain(r))],
      },
      accepted(`The metrics of ${targetName(r)} can be read again.`),
      { quiet: true },
    );
  }
  if (verdict && r.meshChanged)
    return commit(ctx, { release: { ...r, lastVerdict: verdict }, effects: [] }, accepted('Judged.'), {
      quiet: true,
    });
  return ignore(r, `Waiting for approval of ${stepName(r, r.currentStep)}.`);
}

export function unreadableWindow(ctx: Context, window: AnalysisWindow, reason: string): AnalysisWindow {
  return {
    ...window,
    unreadableSince: window.unreadableSince ?? ctx.at,
    unreadableTicks: (window.unreadableTicks ?? 0) + 1,
    unreadableReason: reason,
  };
}

export function withoutUnreadable(window: AnalysisWindow): AnalysisWindow {
  const { unreadableSince: _s, unreadableTicks: _t, unreadableReason: _r, ...rest } = window;
  return rest;
}

function analyse(ctx: Context, verdict: Verdict): Decision {
  const r = ctx.release;
  const current: AnalysisWindow = r.analysis ?? freshWindow({ ...ctx, at: r.phaseSince }, r.currentStep);
  const recovered = current.unreadableSince !== undefined;
  const window = withoutUnreadable(current);
  const elapsed = (ctx.ms - Date.parse(window.startedAt)) / 1000;
  const { minAnalysisSeconds, maxAnalysisSeconds, noTrafficAlertSeconds } = r.options;
  const readable = recovered ? [event(releaseEvents.readableAgain(r))] : [];
  const record = (analysis: AnalysisWindow, ...effects: Effect[]): Decision =>
    commit(
      ctx,
      { release: { ...r, lastVerdict: verdict, analysis }, effects: [...readable, ...effects] },
      accepted(
        `Analysing ${stepLabel(r, r.currentStep)}: ${verdict.verdict} after ${formatSeconds(elapsed)}.`,
      ),
      { quiet: true },
    );
  const { noDataSince: _streak, ...withoutStreak } = window;
  switch (verdict.verdict) {
    case 'fail':
      return failedAnalysis(ctx, verdict, 'analysing');
    case 'pass':
      // A freeze holds the automatic advance: the step stays live and judged until the freeze ends.
      if (elapsed >= minAnalysisSeconds && ctx.freeze) return record(withoutStreak);
      if (elapsed >= minAnalysisSeconds) {
        const passed: Draft = {
          release: { ...r, lastVerdict: verdict, analysis: window },
          effects: [
            ...readable,
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
      if (elapsed >= maxAnalysisSeconds)
        return unjudged(
          ctx,
          { ...r, lastVerdict: verdict },
          'inconclusive',
          elapsed,
          verdictReasons(verdict),
        );
      return record(withoutStreak);
    case 'no-data': {
      if (elapsed >= maxAnalysisSeconds)
        return unjudged(ctx, { ...r, lastVerdict: verdict }, 'no-data', elapsed, verdictReasons(verdict));
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
 * The analysis ended without a verdict either way (inconclusive, no traffic, or metrics that cannot be read):
 * never promote on it, ask a person, and say plainly that the approval is given without evidence.
 */
function unjudged(
  ctx: Context,
  release: Release,
  kind: UnjudgedKind,
  elapsed: number,
  why: string,
): Decision {
  const r = release;
  const step = r.currentStep + 1;
  const draft: Draft = {
    release: r,
    effects: [audit(ctx, 'halt', BOT_ACTOR, { unjudged: kind, elapsedSeconds: elapsed, why })],
  };
  const announcement =
    kind === 'unreadable' && r.analysis
      ? releaseEvents.unreadable(r, r.analysis, step)
      : releaseEvents.unjudged(r, step, kind, elapsed, why);
  const next = awaitApproval(ctx, draft, step, announcement, kind);
  return commit(
    ctx,
    next,
    accepted(
      `No verdict after ${formatSeconds(elapsed)} (${why}); asking for approval of ${stepName(r, step)}.`,
    ),
  );
}

export function failedAnalysis(
  ctx: Context,
  verdict: Verdict,
  from: 'analysing' | 'awaiting-approval',
): Decision {
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

export function haltForDrift(ctx: Context, drift: string, from: InterruptiblePhase, draft?: Draft): Decision {
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
