/** Words and markers for releases shared by the card and the lists. */
import type { Verdict } from '../../domain/judge/verdict.js';
import {
  clockTime,
  describeStep,
  destinationName,
  isFinal,
  PHASE_WORDS,
  type Phase,
  type PlanKind,
  type Release,
  stepLabel,
} from '../../domain/release/index.js';
import { sameDestination } from '../../domain/routing/route-math.js';
import type { Destination } from '../../domain/routing/virtual-service.js';
import { code, escaped, escapeMrkdwn } from './block-kit.js';

/** What kind of release, in a word or two. */
export const KIND_WORDS: Readonly<Record<PlanKind, string>> = {
  canary: 'canary',
  'blue-green': 'blue/green',
  ab: 'A/B test',
  mirror: 'mirror',
  weights: 'manual weights',
};

/** A marker per phase (Slack emoji shortcodes). */
export const PHASE_MARKERS: Readonly<Record<Phase, string>> = {
  'awaiting-approval': ':hourglass_flowing_sand:',
  applying: ':gear:',
  analysing: ':mag:',
  baking: ':fire:',
  paused: ':double_vertical_bar:',
  promoting: ':rocket:',
  'rolling-back': ':leftwards_arrow_with_hook:',
  promoted: ':white_check_mark:',
  completed: ':white_check_mark:',
  'rolled-back': ':leftwards_arrow_with_hook:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

/** A verdict in words with its marker. */
export const VERDICT_WORDS: Readonly<Record<Verdict['verdict'], string>> = {
  pass: ':large_green_circle: pass',
  fail: ':red_circle: fail',
  inconclusive: ':large_yellow_circle: inconclusive',
  'no-data': ':white_circle: no data',
};

/** `Waiting for approval`. */
export function capitalized(text: string): string {
  return text.length > 0 ? `${(text[0] as string).toUpperCase()}${text.slice(1)}` : text;
}

/** `v1` for the baseline or canary destination, `reviews/v3` (or the host) for any other. */
export function destinationLabel(release: Release, destination: Destination): string {
  if (sameDestination(destination, release.baseline.destination)) return release.baseline.version;
  if (sameDestination(destination, release.canary.destination)) return release.canary.version;
  return destinationName(destination);
}

/** `v1 90% · v2 10%`. */
export function shortWeights(release: Release): string {
  return release.confirmedWeights
    .map((w) => `${destinationLabel(release, w.destination)} ${w.weight}%`)
    .join(' · ');
}

/**
 * Where the release stands, after its phase word: `of step 2/4: canary weight 25`. Foreign text is escaped
 * and clipped (mrkdwn).
 */
export function phaseDetail(release: Release): string {
  const step = release.currentStep;
  const what = `${stepLabel(release, step)}: ${escapeMrkdwn(describeStep(release, step))}`;
  switch (release.phase) {
    case 'awaiting-approval':
      return step < release.plan.steps.length
        ? `of ${what}`
        : `of the ${escapeMrkdwn(describeStep(release, step))}`;
    case 'applying':
    case 'analysing':
      return what;
    case 'baking':
      return release.bake ? `until ${clockTime(release.bake.until)}: ${what} stays live and judged` : what;
    case 'paused':
      return `at ${stepLabel(release, step)}`;
    case 'rolling-back':
      return release.rollback ? `: ${escaped(release.rollback.reason, 300)}` : '';
    case 'promoting':
    case 'promoted':
    case 'completed':
    case 'rolled-back':
    case 'failed':
    case 'cancelled':
      return release.summary && isFinal(release) ? `: ${escaped(release.summary, 300)}` : '';
    default:
      return release.phase satisfies never;
  }
}

/** `:mag: *Analysing* step 2/4: canary weight 25`. */
export function phaseLine(release: Release): string {
  const detail = phaseDetail(release);
  const glue = detail.length === 0 || detail.startsWith(':') ? '' : ' ';
  return `${PHASE_MARKERS[release.phase]} *${capitalized(PHASE_WORDS[release.phase])}*${glue}${detail}`;
}

/**
 * Where a release acts: its cluster (part of its identity: the same names on two clusters are two releases),
 * route object (VirtualService or HTTPRoute) and route.
 *
 * @example whereWords(release) // 'cluster `prod`, VirtualService `reviews`, default route'
 */
export function whereWords(release: Pick<Release, 'target' | 'meta'>): string {
  const route =
    release.target.route.kind === 'named' ? `route ${code(release.target.route.name)}` : 'default route';
  const cluster = release.meta.cluster;
  const object = release.target.api === 'HTTPRoute' ? 'HTTPRoute' : 'VirtualService';
  return `${cluster !== undefined ? `cluster ${code(cluster)}, ` : ''}${object} ${code(release.target.virtualService)}, ${route}`;
}
