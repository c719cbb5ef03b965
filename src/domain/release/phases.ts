/**
 * The phases of a release. A release is in exactly one; `decide` moves it between them.
 *
 * Active phases:
 * - `awaiting-approval`: waiting for a person to approve the step at `currentStep` (or, when
 *   `currentStep === plan.steps.length`, the completion of the release). Nothing moves until then.
 * - `applying`: the mesh change of the current step was requested (`desired`), not yet confirmed.
 * - `analysing`: the current step is live; ticks bring the judge's verdicts.
 * - `baking`: the last step passed; the canary serves all traffic and is still judged, against the baseline
 *   figures recorded before 100%, until `bake.until` (`--bake`). A fail restores the original route.
 * - `paused`: halted by a person, by drift (the route was changed by hand), by a failed analysis with
 *   `onFailure: 'pause'`, or by a mesh change the mesh refused; `pause.reason` says which. Only people move it on.
 * - `promoting`: the last step passed; the release's own routes (A/B match, source pins) are being removed.
 * - `rolling-back`: the original route is being restored.
 *
 * Final phases (the release never leaves them):
 * - `promoted`: the canary serves all traffic (canary, blue-green, A/B).
 * - `completed`: the plan ended without shifting all live traffic (mirror, manual weights).
 * - `rolled-back`: the original route is back (failed analysis, rejection or manual rollback).
 * - `failed`: the mesh refused the release's changes; the original route was restored if it could be.
 * - `cancelled`: stopped by a person; the original route is back (or was never changed).
 */
export const PHASES = [
  'awaiting-approval',
  'applying',
  'analysing',
  'baking',
  'paused',
  'promoting',
  'rolling-back',
  'promoted',
  'completed',
  'rolled-back',
  'failed',
  'cancelled',
] as const;

/** One of {@link PHASES}. */
export type Phase = (typeof PHASES)[number];

/** Phases a release never leaves. */
export const FINAL_PHASES = ['promoted', 'completed', 'rolled-back', 'failed', 'cancelled'] as const;

/** A phase a release never leaves. */
export type FinalPhase = (typeof FINAL_PHASES)[number];

/** A phase in which the release still holds its route. */
export type ActivePhase = Exclude<Phase, FinalPhase>;

/** Phases a pause can interrupt, and return to on resume. */
export type InterruptiblePhase = Exclude<ActivePhase, 'paused'>;

/**
 * True when the release is finished.
 *
 * @example
 * isFinal('rolled-back') // true
 * isFinal(release)       // same as isFinal(release.phase)
 */
export function isFinal(subject: Phase | { readonly phase: Phase }): boolean {
  const phase = typeof subject === 'string' ? subject : subject.phase;
  return (FINAL_PHASES as readonly string[]).includes(phase);
}

/** Words for a phase, as a sentence continues after "the release is …". */
export const PHASE_WORDS: Readonly<Record<Phase, string>> = {
  'awaiting-approval': 'waiting for approval',
  applying: 'applying a change to the mesh',
  analysing: 'analysing',
  baking: 'baking',
  paused: 'paused',
  promoting: 'completing the promotion',
  'rolling-back': 'rolling back',
  promoted: 'promoted',
  completed: 'completed',
  'rolled-back': 'rolled back',
  failed: 'failed',
  cancelled: 'cancelled',
};
