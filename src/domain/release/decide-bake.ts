/**
 * The bake: after the last step passed, the canary serves all traffic and stays live for
 * `options.bakeSeconds`, judged every tick against the baseline figures recorded before 100%
 * (`bakeReference`). A fail verdict restores the original route exactly as an automatic rollback does (same
 * path, events and audit), once the app has checked that the version the release started from can take
 * its traffic back; if it cannot, the release halts with the route left on the canary and says so. A bake
 * that ends without a failure promotes; one that ends without evidence (no traffic, metrics unreadable) asks
 * a person, never promotes by itself.
 */
import type { Verdict, VersionTraffic } from '../judge/verdict.js';
import {
  currentVerdict,
  haltForDrift,
  UNREADABLE_TICKS_TO_ESCALATE,
  unreadableWindow,
  withoutUnreadable,
} from './decide-analysis.js';
import type { Effect } from './effects.js';
import type { Observation } from './observations.js';
import {
  type AnalysisWindow,
  BOT_ACTOR,
  type RecordedTraffic,
  type Release,
  targetName,
  type UnjudgedKind,
} from './release.js';
import { formatSeconds, releaseEvents, verdictReasons } from './release-events.js';
import { factsAt } from './release-steps.js';
import {
  accepted,
  addEffects,
  audit,
  awaitApproval,
  type Context,
  commit,
  type Decision,
  type Draft,
  event,
  finish,
  freshWindow,
  halt,
  ignore,
  reasonsOf,
  startRollback,
} from './release-transitions.js';

type Tick = Extract<Observation, { type: 'tick' }>;

/**
 * The context with the baseline figures of this tick's verdict recorded as the bake's reference, when the
 * release will bake and the live step still sends traffic to the baseline (at 100% it has none).
 */
export function withBakeReference(ctx: Context, o: Tick): Context {
  const r = ctx.release;
  const baseline = o.verdict?.baseline;
  if ((r.options.bakeSeconds ?? 0) <= 0 || !baseline || !(baseline.requests > 0)) return ctx;
  if (currentVerdict(r, o) === undefined || factsAt(r, r.currentStep)?.sendsAllTraffic !== false) return ctx;
  return {
    ...ctx,
    release: {
      ...r,
      bakeReference: { step: r.currentStep, at: ctx.at, baseline: recordedTraffic(baseline) },
    },
  };
}

/**
 * Traffic in a form JSON keeps exactly (the `+Inf` bucket apart), and back: `trafficOf(recordedTraffic(t))`
 * holds the same counts as `t`.
 */
export function recordedTraffic(traffic: VersionTraffic): RecordedTraffic {
  const infinite = traffic.latency?.find((b) => b.le === Number.POSITIVE_INFINITY);
  return {
    requests: traffic.requests,
    errors: traffic.errors,
    ...(traffic.latency
      ? {
          latency: traffic.latency
            .filter((b) => Number.isFinite(b.le))
            .map((b) => ({ le: b.le, count: b.count })),
        }
      : {}),
    ...(infinite ? { latencyTotal: infinite.count } : {}),
  };
}

/** The judge's form of recorded traffic (see {@link recordedTraffic}). */
export function trafficOf(recorded: RecordedTraffic): VersionTraffic {
  return {
    requests: recorded.requests,
    errors: recorded.errors,
    ...(recorded.latency
      ? {
          latency: [
            ...recorded.latency.map((b) => ({ le: b.le, count: b.count })),
            ...(recorded.latencyTotal !== undefined
              ? [{ le: Number.POSITIVE_INFINITY, count: recorded.latencyTotal }]
              : []),
          ],
        }
      : {}),
  };
}

/**
 * A tick while the promotion after an unjudged bake waits for approval: the canary is still judged as in the
 * bake, and a fail acts as it does during the bake (restore, or halt when the previous version is gone).
 */
export function failedAfterBake(ctx: Context, o: Tick): Decision | undefined {
  const r = ctx.release;
  const verdict = currentVerdict(r, o);
  if (r.bake === undefined || !r.meshChanged || verdict?.verdict !== 'fail' || o.drift !== undefined)
    return undefined;
  return bakeFailed(ctx, verdict, o.previousUnavailable, 'awaiting-approval');
}

export function onTickWhileBaking(ctx: Context, o: Tick): Decision {
  const r = ctx.release;
  if (o.drift !== undefined) return haltForDrift(ctx, o.drift, 'baking');
  const verdict = currentVerdict(r, o);
  if (verdict?.verdict === 'fail') return bakeFailed(ctx, verdict, o.previousUnavailable);
  const window: AnalysisWindow = r.analysis ?? freshWindow({ ...ctx, at: r.phaseSince }, r.currentStep);
  const effects: Effect[] = [];
  let analysis = window;
  let lastVerdict = r.lastVerdict;
  if (o.unreadable !== undefined) {
    analysis = unreadableWindow(ctx, window, o.unreadable);
    if (analysis.unreadableTicks === UNREADABLE_TICKS_TO_ESCALATE)
      effects.push(event(releaseEvents.unreadable(r, analysis, undefined)));
  } else if (verdict) {
    lastVerdict = verdict;
    if (window.unreadableSince) effects.push(event(releaseEvents.readableAgain(r)));
    const { noDataSince: _since, ...rest } = withoutUnreadable(window);
    analysis = rest;
    if (verdict.verdict === 'no-data') {
      const since = window.noDataSince ?? ctx.at;
      analysis = { ...rest, noDataSince: since };
      const streak = (ctx.ms - Date.parse(since)) / 1000;
      if (!window.noTrafficWarned && streak >= r.options.noTrafficAlertSeconds) {
        analysis = { ...analysis, noTrafficWarned: true };
        effects.push(
          event(releaseEvents.bakeNoTraffic(r, verdict)),
          audit(ctx, 'halt', BOT_ACTOR, { bake: true, noDataSince: since, reasons: reasonsOf(verdict) }),
        );
      }
    }
  }
  const watched: Release = { ...r, analysis, ...(lastVerdict ? { lastVerdict } : {}) };
  const bake = r.bake ?? { startedAt: r.phaseSince, until: r.phaseSince };
  const over = ctx.ms >= Date.parse(bake.until);
  // A freeze holds the promotion at the end of the bake: the canary stays live and judged until it ends.
  if (!over || ctx.freeze) {
    if (effects.length === 0 && watched.analysis === r.analysis && watched.lastVerdict === r.lastVerdict)
      return ignore(r, `Baking ${targetName(r)} until ${bake.until}.`);
    return commit(ctx, { release: watched, effects }, accepted(`Baking ${targetName(r)}.`), { quiet: true });
  }
  const elapsed = (ctx.ms - Date.parse(bake.startedAt)) / 1000;
  const judged =
    o.unreadable === undefined &&
    (lastVerdict?.verdict === 'pass' || lastVerdict?.verdict === 'inconclusive');
  if (judged) {
    const passed: Draft = {
      release: { ...watched, bake: { ...bake, outcome: 'passed' } },
      effects: [
        ...effects,
        event(releaseEvents.bakePassed(r, lastVerdict)),
        audit(ctx, 'advance', BOT_ACTOR, {
          baked: formatSeconds(elapsed),
          ...(lastVerdict ? { verdict: lastVerdict.verdict, reasons: reasonsOf(lastVerdict) } : {}),
        }),
      ],
    };
    return commit(ctx, finish(ctx, passed), accepted(`${targetName(r)} passed its bake.`));
  }
  const kind: UnjudgedKind = o.unreadable !== undefined ? 'unreadable' : 'no-data';
  const why =
    o.unreadable !== undefined
      ? `the metrics could not be read: ${o.unreadable}`
      : lastVerdict
        ? verdictReasons(lastVerdict)
        : 'no verdict was given';
  const draft: Draft = {
    release: { ...watched, bake: { ...bake, outcome: 'unjudged' } },
    effects: [...effects, audit(ctx, 'halt', BOT_ACTOR, { bake: true, unjudged: kind, why })],
  };
  const asked = awaitApproval(ctx, draft, r.plan.steps.length, releaseEvents.bakeUnjudged(r, why), kind);
  return commit(
    ctx,
    asked,
    accepted(`The bake of ${targetName(r)} ended without evidence (${why}); asking for approval.`),
  );
}

/**
 * A fail verdict during the bake. The original route is restored as an automatic rollback restores it, unless
 * the version it sends traffic to cannot take it back (`previousUnavailable`, read by the app first): then the
 * release halts and leaves the route on the canary, rather than write a route to nothing.
 */
export function bakeFailed(
  ctx: Context,
  verdict: Verdict,
  previousUnavailable: string | undefined,
  from: 'baking' | 'awaiting-approval' = 'baking',
): Decision {
  const r = ctx.release;
  const draft: Draft = { release: { ...r, lastVerdict: verdict }, effects: [] };
  const reasons = verdictReasons(verdict);
  if (previousUnavailable !== undefined) {
    return commit(
      ctx,
      addEffects(
        halt(
          ctx,
          draft,
          'failed-analysis',
          from,
          BOT_ACTOR,
          `failed checks during the bake, and the previous version cannot take its traffic back (${previousUnavailable}); the route stays on the canary`,
        ),
        event(releaseEvents.bakePreviousUnavailable(r, verdict, previousUnavailable)),
        audit(ctx, 'halt', BOT_ACTOR, {
          bake: true,
          verdict: 'fail',
          previousUnavailable,
          reasons: reasonsOf(verdict),
        }),
      ),
      accepted(
        `${targetName(r)} failed its bake, but the previous version cannot take its traffic back; halted.`,
      ),
    );
  }
  if (r.options.onFailure === 'pause') {
    return commit(
      ctx,
      addEffects(
        halt(ctx, draft, 'failed-analysis', from, BOT_ACTOR, `failed checks during the bake: ${reasons}`),
        event(releaseEvents.haltBake(r, verdict)),
        audit(ctx, 'halt', BOT_ACTOR, { bake: true, verdict: 'fail', reasons: reasonsOf(verdict) }),
      ),
      accepted(`${targetName(r)} failed its bake; halted for a person to decide.`),
    );
  }
  const next = startRollback(
    ctx,
    addEffects(
      draft,
      audit(ctx, 'rollback', BOT_ACTOR, { bake: true, verdict: 'fail', reasons: reasonsOf(verdict) }),
    ),
    {
      endAs: 'rolled-back',
      actor: BOT_ACTOR,
      at: ctx.at,
      reason: `failed checks during the bake: ${reasons}`,
    },
    releaseEvents.rollingBackBake(r, verdict),
    true,
  );
  return commit(ctx, next, accepted(`${targetName(r)} failed its bake; rolling back.`));
}
