/**
 * Event wording, after Flagger's (`Advance reviews.bookinfo canary weight 25`, `Halt ... waiting for
 * approval`, `Rolling back ...`, `Promotion completed! ...`), with the judge's reasons where Flagger has a
 * bare threshold. Every event uses Flagger's reason, `Synced`.
 */
import type { Verdict } from '../judge/verdict.js';
import type { ReleaseEvent } from './effects.js';
import type { AnalysisWindow, Release, UnjudgedKind } from './release.js';
import { targetName } from './release.js';
import { approvalKindAt, describeStep, stepLabel } from './release-steps.js';
import { describeWeightList, destinationName, successPhaseOf } from './step-plan.js';

const reason = 'Synced';

function normal(message: string): ReleaseEvent {
  return { type: 'Normal', reason, message };
}

function warning(message: string): ReleaseEvent {
  return { type: 'Warning', reason, message };
}

/** `5 min`, `1 h 30 min`, `45 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}

/** The failing reasons of a verdict (or all of them if none fails), as one line. */
export function verdictReasons(verdict: Verdict | undefined): string {
  if (!verdict) return 'no verdict';
  const failing = verdict.reasons.filter((r) => r.status === 'fail' || r.status === 'no-data');
  const chosen = failing.length > 0 ? failing : verdict.reasons;
  return chosen.length > 0 ? chosen.map((r) => r.message).join('; ') : verdict.verdict;
}

/** `10:02 UTC` from an ISO time: when something started, as the card and the thread say it. */
export function clockTime(iso: string): string {
  return `${iso.slice(11, 16)} UTC`;
}

/** A plan in words: `canary weight 10, 25, 50, 100`. */
export function describePlan(release: Release): string {
  switch (release.kind) {
    case 'canary':
      return `canary weight ${release.plan.steps.map((s) => (s.kind === 'set-weight' ? s.canaryWeight : '?')).join(', ')}`;
    case 'blue-green':
      return `blue/green ${describeStep(release, 0)}`;
    case 'ab':
      return `A/B test: ${describeStep(release, 0)}, then promotion`;
    case 'mirror':
      return describeStep(release, 0);
    case 'weights':
      return describeStep(release, 0);
    default:
      return release.kind satisfies never;
  }
}

/** The events `decide` and `startRelease` emit. */
export const releaseEvents = {
  newRelease: (r: Release) =>
    normal(
      `New release detected! ${targetName(r)} ${r.baseline.version} -> ${r.canary.version}, ${describePlan(r)}` +
        `${r.withSources?.length ? ` with ${r.withSources.map((p) => `${p.service}=${p.version}`).join(', ')}` : ''}, requested by ${r.requestedBy}`,
    ),
  waitingForApproval: (r: Release, step: number) =>
    normal(
      `Halt ${targetName(r)} advancement waiting for ${approvalKindAt(r, step)} ${describeStep(r, step)}`,
    ),
  unjudged: (r: Release, step: number, kind: UnjudgedKind, elapsedSeconds: number, why: string) =>
    warning(
      `Halt ${targetName(r)} advancement ${kind === 'no-data' ? 'no traffic' : kind === 'inconclusive' ? 'analysis inconclusive' : 'no verdict'} after ${formatSeconds(elapsedSeconds)}` +
        ` (${why}), waiting for ${approvalKindAt(r, step)} ${describeStep(r, step)}`,
    ),
  unreadable: (r: Release, window: AnalysisWindow, step: number | undefined) =>
    warning(
      `Halt ${targetName(r)} advancement unjudged since ${clockTime(window.unreadableSince ?? window.startedAt)}: ${window.unreadableReason ?? 'the metrics cannot be read'}` +
        (step === undefined
          ? '; a failing canary would not be caught until the metrics can be read again'
          : `, waiting for ${approvalKindAt(r, step)} ${describeStep(r, step)}`),
    ),
  readableAgain: (r: Release) => normal(`Resume ${targetName(r)} analysis: the metrics can be read again`),
  approvalExpired: (r: Release, step: number, expiredAt: string) =>
    normal(
      `Halt ${targetName(r)} advancement the approval request expired at ${clockTime(expiredAt)}; waiting for ${approvalKindAt(r, step)} ${describeStep(r, step)} again`,
    ),
  approved: (r: Release, step: number, actor: string, reason?: string) =>
    normal(
      `Approved ${targetName(r)} ${stepLabel(r, step)} ${describeStep(r, step)} by ${actor}${reason ? `: ${reason}` : ''}`,
    ),
  approvalCounted: (r: Release, step: number, actor: string, progress: string, reason?: string) =>
    normal(
      `Approval of ${targetName(r)} ${stepLabel(r, step)} by ${actor} counted${reason ? ` (${reason})` : ''}: ${progress}`,
    ),
  startingAnalysis: (r: Release) => normal(`Starting canary analysis for ${targetName(r)}`),
  advance: (r: Release, step: number) => normal(`Advance ${targetName(r)} ${describeStep(r, step)}`),
  rollingBackFailedChecks: (r: Release, verdict: Verdict) =>
    warning(`Rolling back ${targetName(r)} failed checks: ${verdictReasons(verdict)}`),
  haltFailedChecks: (r: Release, verdict: Verdict) =>
    warning(`Halt ${targetName(r)} advancement failed checks: ${verdictReasons(verdict)}`),
  rollingBackManual: (r: Release, actor: string, why?: string) =>
    warning(`Rolling back ${targetName(r)} manual rollback by ${actor}${why ? `: ${why}` : ''}`),
  rollingBackRejected: (r: Release, step: number, actor: string, why?: string) =>
    warning(
      `Rolling back ${targetName(r)} ${stepLabel(r, step)} ${describeStep(r, step)} rejected by ${actor}${why ? `: ${why}` : ''}`,
    ),
  rollingBackCancelled: (r: Release, actor: string) =>
    normal(`Rolling back ${targetName(r)} release cancelled by ${actor}`),
  rollingBackRefused: (r: Release, message: string) =>
    warning(`Rolling back ${targetName(r)} the mesh refused ${describeStep(r)}: ${message}`),
  noTraffic: (r: Release, verdict: Verdict) =>
    warning(
      `Halt advancement no values found for istio metric istio_requests_total probably ${targetName(r)} is not receiving traffic: ${verdictReasons(verdict)}`,
    ),
  drift: (r: Release, drift: string) =>
    warning(`Halt ${targetName(r)} advancement route changed outside the bot: ${drift}`),
  paused: (r: Release, actor: string) => normal(`Halt ${targetName(r)} advancement paused by ${actor}`),
  resumed: (r: Release, actor: string) => normal(`Resume ${targetName(r)} advancement by ${actor}`),
  applyRetrying: (r: Release, message: string) =>
    warning(`Halt ${targetName(r)} advancement the mesh did not take the change yet, retrying: ${message}`),
  applyHalted: (r: Release, what: string, message: string) =>
    warning(`Halt ${targetName(r)} advancement the mesh refused ${what}: ${message}`),
  promoting: (r: Release) => normal(`Promoting ${targetName(r)} removing the release's match routes`),
  success: (r: Release) => {
    if (successPhaseOf(r.kind) === 'promoted')
      return normal(
        `Promotion completed! ${targetName(r)} routes all traffic to ${destinationName(r.canary.destination)}`,
      );
    return r.kind === 'mirror'
      ? normal(
          `Release completed! Stopped mirroring ${targetName(r)} traffic to ${destinationName(r.canary.destination)}; live traffic unchanged`,
        )
      : normal(`Release completed! ${targetName(r)} holds weights ${describeWeightList(r.desired.weights)}`);
  },
  rolledBack: (r: Release, restored: boolean) =>
    warning(
      restored
        ? `Canary failed! Restored ${targetName(r)} original route`
        : `Canary failed! Nothing to restore for ${targetName(r)}`,
    ),
  failed: (r: Release, why: string) =>
    warning(
      `Canary failed! Restored ${targetName(r)} original route after the mesh refused a change: ${why}`,
    ),
  restoreFailed: (r: Release, message: string) =>
    warning(
      `Canary failed! Could not restore ${targetName(r)} original route: ${message}; restore it by hand`,
    ),
  bakeStarted: (r: Release, until: string) => {
    const ref = r.bakeReference;
    const head = `Baking ${targetName(r)} ${destinationName(r.canary.destination)} until ${clockTime(until)}`;
    return ref
      ? normal(
          `${head}: judged against the baseline's figures recorded at ${stepLabel(r, ref.step)} (${Math.round(ref.baseline.requests)} requests, ${Math.round(ref.baseline.errors)} errors)`,
        )
      : warning(
          `${head}: no baseline figures were recorded before 100%, so only the absolute limits (success rate, p99) apply`,
        );
  },
  bakePassed: (r: Release, verdict: Verdict | undefined) =>
    normal(
      verdict?.verdict === 'pass'
        ? `Bake passed ${targetName(r)}: every check within its limits`
        : `Bake passed ${targetName(r)}: no check failed, though not every one could confirm the canary within its limits: ${verdictReasons(verdict)}`,
    ),
  rollingBackBake: (r: Release, verdict: Verdict) =>
    warning(`Rolling back ${targetName(r)} failed checks during the bake: ${verdictReasons(verdict)}`),
  haltBake: (r: Release, verdict: Verdict) =>
    warning(`Halt ${targetName(r)} failed checks during the bake: ${verdictReasons(verdict)}`),
  bakePreviousUnavailable: (r: Release, verdict: Verdict, why: string) =>
    warning(
      `Halt ${targetName(r)} failed checks during the bake, but the previous version cannot take its traffic back (${why}): the route stays on ${destinationName(r.canary.destination)}. Deploy ${r.baseline.version} again, then roll back. Failed checks: ${verdictReasons(verdict)}`,
    ),
  bakeNoTraffic: (r: Release, verdict: Verdict) =>
    warning(
      `Halt ${targetName(r)} bake: the canary receives no traffic, so nothing is being judged: ${verdictReasons(verdict)}`,
    ),
  bakeUnjudged: (r: Release, why: string) =>
    warning(`Halt ${targetName(r)} the bake ended without evidence (${why}); waiting for promotion approval`),
  cancelled: (r: Release, restored: boolean, actor: string) =>
    normal(
      restored
        ? `Release cancelled! Restored ${targetName(r)} original route`
        : `Release cancelled! Nothing to undo for ${targetName(r)}, cancelled by ${actor}`,
    ),
} as const;
