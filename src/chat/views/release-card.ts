/**
 * The release card: one message per release, updated in place on every change. A pure function of the
 * release (and the latest RED figures, if the app has them).
 */
import type { CheckStatus, Verdict } from '../../domain/judge/verdict.js';
import {
  type Approval,
  type ApprovalRule,
  availableActions,
  clockTime,
  describeMatch,
  describePlan,
  describeStep,
  destinationName,
  formatSeconds,
  isFinal,
  isQuorum,
  type PauseInfo,
  quorumProgress,
  quorumWords,
  type Release,
  stepLabel,
  summarizeProgress,
  targetName,
} from '../../domain/release/index.js';
import {
  actions,
  type Block,
  type Button,
  button,
  code,
  confirmDialog,
  context,
  escaped,
  escapeMrkdwn,
  fitMessage,
  header,
  mention,
  type SlackMessage,
  section,
  slackDate,
} from './block-kit.js';
import { CARD_ACTION_IDS, type CardAction, encodeButtonValue } from './button-value.js';
import { freezeLine } from './freeze-views.js';
import { REASON_ACTION_IDS } from './reason-modal.js';
import { type RedFigures, redTable } from './red-figures.js';
import { destinationLabel, KIND_WORDS, phaseLine, VERDICT_WORDS, whereWords } from './release-words.js';
import { weightBars } from './weight-bar.js';

/** What the card shows besides the release. */
export interface ReleaseCardExtras {
  /** The latest RED of baseline and canary, if read. */
  readonly red?: RedFigures;
  /** Smoke traffic the release gets while it is judged (`CANARY_BOT_SMOKE`), if any. */
  readonly smoke?: SmokeOnCard;
  /** What the policy asks of approvals in the release's namespace: the quorum line, and buttons that ask for a reason. */
  readonly rule?: ApprovalRule;
}

/** What the card says of a release's smoke traffic. */
export interface SmokeOnCard {
  /** Requests a second, averaged over the minute. */
  readonly rate: number;
}

/** Approvals listed on the card; older ones are counted. */
export const CARD_APPROVALS_SHOWN = 5;

/** Reasons of a verdict listed on the card, each clipped. */
const REASONS_SHOWN = 8;
const REASON_LENGTH = 300;

/**
 * The card of a release: header, phase, traffic bars, plan with the current step, RED of baseline vs
 * canary, verdict and its reasons, halts and errors, the last approvals, and the buttons the release
 * accepts now (none once it is final).
 *
 * @example
 * const { text, blocks } = releaseCard(release, { red });
 * await client.chat.update({ channel, ts, text, blocks });
 */
export function releaseCard(release: Release, extras: ReleaseCardExtras = {}): SlackMessage {
  const blocks: Block[] = [
    header(
      `${targetName(release)} · ${KIND_WORDS[release.kind]} ${release.baseline.version} → ${release.canary.version}`,
    ),
    section(statusText(release, extras.rule)),
    context(aboutText(release)),
    section(trafficText(release)),
    section(planText(release)),
  ];
  if (extras.red) blocks.push(redTable(extras.red, release.baseline.version, release.canary.version));
  if (extras.smoke) blocks.push(context(smokeText(extras.smoke)));
  if (release.lastVerdict) blocks.push(section(verdictText(release.lastVerdict)));
  const trouble = troubleText(release);
  if (trouble) blocks.push(section(trouble));
  if (release.approvals.length > 0) blocks.push(section(approvalsText(release)));
  const buttons = cardButtons(release, extras.rule);
  if (buttons.length > 0) blocks.push(actions(`release-${release.id}`, buttons));
  return fitMessage(summarizeProgress(release).headline, blocks);
}

function smokeText(smoke: SmokeOnCard): string {
  const perMinute = Math.max(1, Math.round(smoke.rate * 60));
  return `:satellite_antenna: Smoke traffic: ${perMinute} requests a minute through the mesh while this step is judged (header \`x-canary-bot-smoke\`)`;
}

function statusText(release: Release, rule?: ApprovalRule): string {
  const lines = [phaseLine(release)];
  const request = release.approvalRequest;
  if (release.phase === 'awaiting-approval' && request) {
    if (request.unjudged)
      lines.push(
        request.unjudged === 'no-data'
          ? ':warning: No verdict: the canary received no traffic. Approving goes ahead without evidence.'
          : request.unjudged === 'unreadable'
            ? ':warning: No verdict: the metrics could not be read. Approving goes ahead without evidence.'
            : ':warning: No verdict: the analysis stayed inconclusive. Approving goes ahead without evidence.',
      );
    if (request.renewed) lines.push('The earlier approval request expired; this one was posted again.');
    const quorum = quorumLine(release, rule);
    if (quorum) lines.push(quorum);
    lines.push(
      `Approval requested ${slackDate(request.requestedAt)}, expires ${slackDate(request.expiresAt)}.`,
    );
  }
  if (release.phase === 'analysing' && release.analysis)
    lines.push(`Analysis since ${slackDate(release.analysis.startedAt)}.`);
  if (release.phase === 'baking' && release.bake)
    lines.push(
      `Baking since ${slackDate(release.bake.startedAt)}, until ${slackDate(release.bake.until)}: ${
        release.bakeReference
          ? `judged against the baseline's figures recorded at ${escapeMrkdwn(stepLabel(release, release.bakeReference.step))}`
          : ':warning: no baseline figures were recorded before 100%, so only the absolute limits apply'
      }; a fail restores the original route.`,
    );
  if (isFinal(release) && release.bake?.outcome === 'passed') lines.push('Bake passed.');
  const window = release.analysis;
  if (!isFinal(release) && window?.unreadableSince)
    lines.push(
      `:warning: *Unjudged since ${escapeMrkdwn(clockTime(window.unreadableSince))}*: ${escaped(window.unreadableReason ?? 'the metrics cannot be read', 500)}`,
    );
  if (isFinal(release) && release.finishedAt) lines.push(`Finished ${slackDate(release.finishedAt)}.`);
  const frozen = isFinal(release) ? undefined : freezeLine(release, Date.parse(release.updatedAt));
  if (frozen) lines.push(frozen);
  return lines.join('\n');
}

function aboutText(release: Release): string {
  const parts = [
    `Release ${code(release.id)}`,
    `requested by ${mention(release.requestedBy)} ${slackDate(release.createdAt)}`,
    whereWords(release),
    `on failure: ${release.options.onFailure === 'rollback' ? 'roll back' : 'pause'}`,
    ...(release.options.bakeSeconds ? [`bake: ${formatSeconds(release.options.bakeSeconds)}`] : []),
  ];
  if (release.withSources?.length)
    parts.push(
      `with ${release.withSources.map((p) => escapeMrkdwn(`${p.service}=${p.version}`)).join(', ')}`,
    );
  return parts.join(' · ');
}

function trafficText(release: Release): string {
  const rows = release.confirmedWeights.map((w) => ({
    label: destinationLabel(release, w.destination),
    weight: w.weight,
  }));
  const lines = [`*Traffic* (${release.applied ? 'confirmed in the mesh' : 'change pending'})`];
  lines.push(`\`\`\`${escapeMrkdwn(weightBars(rows))}\`\`\``);
  const desired = release.desired;
  if (!release.applied && !isFinal(release) && desired.weights.length > 0)
    lines.push(
      `Requested: ${escapeMrkdwn(desired.weights.map((w) => `${destinationLabel(release, w.destination)} ${w.weight}%`).join(' · '))}`,
    );
  for (const route of desired.routes.slice(0, 5))
    lines.push(
      `Requests with ${escaped(route.matches.map(describeMatch).join(' or '), 300)} → ${escapeMrkdwn(destinationLabel(release, route.destination))}`,
    );
  if (desired.mirror)
    lines.push(
      `Mirroring ${desired.mirror.percent}% of requests to ${escapeMrkdwn(destinationName(desired.mirror.destination))}`,
    );
  return lines.join('\n');
}

const STEP_MARKERS = {
  done: ':white_check_mark:',
  current: ':arrow_forward:',
  stopped: ':x:',
  pending: ':white_circle:',
} as const;

function stepState(release: Release, index: number): keyof typeof STEP_MARKERS {
  if (release.phase === 'promoted' || release.phase === 'completed') return 'done';
  if (index < release.currentStep) return 'done';
  if (index > release.currentStep) return 'pending';
  return isFinal(release) || release.phase === 'rolling-back' ? 'stopped' : 'current';
}

function planText(release: Release): string {
  const count = release.plan.steps.length;
  const lines = [`*Plan*: ${escaped(describePlan(release), 200)}`];
  for (let i = 0; i < count; i++) {
    const state = stepState(release, i);
    const words = `${i + 1}. ${escaped(describeStep(release, i), 150)}`;
    lines.push(`${STEP_MARKERS[state]} ${state === 'current' ? `*${words}*` : words}`);
  }
  if (release.currentStep >= count && !isFinal(release))
    lines.push(`${STEP_MARKERS.current} *${escapeMrkdwn(describeStep(release, count))}*`);
  return lines.join('\n');
}

const REASON_MARKERS: Readonly<Record<CheckStatus, string>> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  pending: ':hourglass:',
  skipped: ':heavy_minus_sign:',
  'no-data': ':grey_question:',
};

function verdictText(verdict: Verdict): string {
  const reasons = verdict.reasons
    .slice(0, REASONS_SHOWN)
    .map((r) => `${REASON_MARKERS[r.status]} ${escaped(r.message, REASON_LENGTH)}`);
  if (verdict.reasons.length > REASONS_SHOWN)
    reasons.push(`…and ${verdict.reasons.length - REASONS_SHOWN} more`);
  return [`*Latest verdict*: ${VERDICT_WORDS[verdict.verdict]}`, ...reasons].join('\n');
}

function pauseText(pause: PauseInfo): string {
  const detail = escaped(pause.detail, 500);
  const when = slackDate(pause.at);
  switch (pause.reason) {
    case 'manual':
      return `:double_vertical_bar: Paused by ${mention(pause.actor)} ${when}.`;
    case 'drift':
      return `:warning: *The route was changed outside canary-bot* ${when}: ${detail}\nResume overwrites the change; roll back restores the original route.`;
    case 'failed-analysis':
      return `:red_circle: *Halted on a failed analysis* ${when}: ${detail}`;
    case 'apply-failed':
      return `:warning: *The mesh refused the change* ${when}: ${detail}`;
    default:
      return pause.reason satisfies never;
  }
}

function troubleText(release: Release): string | undefined {
  const lines: string[] = [];
  if (release.phase === 'paused' && release.pause) lines.push(pauseText(release.pause));
  if (release.applyError && !isFinal(release)) {
    const e = release.applyError;
    lines.push(
      `:warning: Last mesh error ${slackDate(e.at)} (${escaped(e.code, 40)}): ${escaped(e.message, 500)}`,
    );
  }
  if (release.rollback) {
    const r = release.rollback;
    // In a final phase the status line already carries the reason, in the release's summary.
    lines.push(
      release.phase === 'rolling-back'
        ? `:leftwards_arrow_with_hook: Rolling back, asked by ${mention(r.actor)} ${slackDate(r.at)}: ${escaped(r.reason, 500)}`
        : `:leftwards_arrow_with_hook: Stopped by ${mention(r.actor)} ${slackDate(r.at)}.`,
    );
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/**
 * `:busts_in_silhouette: 2 of 3 approvals: <@U1>, <@U2>; needs one from <!subteam^S0SRE>` while a step
 * waits for a quorum (the policy's now, or the one its votes were counted towards).
 */
export function quorumLine(release: Release, rule?: ApprovalRule): string | undefined {
  const request = release.approvalRequest;
  if (release.phase !== 'awaiting-approval' || !request) return undefined;
  const quorum = rule?.quorum ?? request.quorum;
  if (!isQuorum(quorum)) return undefined;
  const progress = quorumProgress(request.votes ?? [], quorum);
  const words = quorumWords(progress, mention, (group) =>
    /^S[A-Z0-9]{2,}$/.test(group) ? `<!subteam^${group}>` : escapeMrkdwn(group),
  );
  return `:busts_in_silhouette: ${words}`;
}

function approvalLine(release: Release, approval: Approval): string {
  const seen = approval.seen ? `, seeing ${VERDICT_WORDS[approval.seen.verdict]}` : '';
  const why = approval.reason ? `: ${escaped(approval.reason, 200)}` : '';
  return `:ballot_box_with_check: ${mention(approval.actor)} approved ${stepLabel(release, approval.step)} (${escaped(describeStep(release, approval.step), 100)}) ${slackDate(approval.at)}${seen}${why}`;
}

function approvalsText(release: Release): string {
  const shown = release.approvals.slice(-CARD_APPROVALS_SHOWN).reverse();
  const earlier = release.approvals.length - shown.length;
  return [
    '*Approvals*',
    ...shown.map((a) => approvalLine(release, a)),
    ...(earlier > 0 ? [`…and ${earlier} earlier (see the audit trail)`] : []),
  ].join('\n');
}

/** The buttons: approve (with what it does), roll back, pause or resume, cancel; the card's order. */
const CARD_ORDER: readonly CardAction[] = ['approve', 'pause', 'resume', 'rollback', 'cancel'];

function cardButtons(release: Release, rule?: ApprovalRule): Button[] {
  const allowed = new Set<string>(availableActions(release));
  return CARD_ORDER.filter((action) => allowed.has(action)).flatMap((action) => {
    const shown = cardButton(release, action, rule);
    return shown ? [shown] : [];
  });
}

/**
 * The card's button for one action on the release as it is now (the App Home tab shows the same ones), or
 * undefined when there is nothing to approve. When `rule` asks for a reason to approve or roll back, that
 * button opens the reason form instead (its action id is {@link REASON_ACTION_IDS}'s, its value the same).
 *
 * @example cardButton(release, 'rollback')?.action_id // 'release.rollback'
 */
export function cardButton(release: Release, action: CardAction, rule?: ApprovalRule): Button | undefined {
  const asks = (what: 'approve' | 'rollback') => rule?.reasons.includes(what) ?? false;
  const value = (step: number, version: number) => encodeButtonValue({ r: release.id, s: step, v: version });
  const here = value(release.currentStep, release.version);
  const name = targetName(release);
  switch (action) {
    case 'approve': {
      const request = release.approvalRequest;
      if (!request) return undefined;
      return button(
        asks('approve') ? REASON_ACTION_IDS.approve : CARD_ACTION_IDS.approve,
        `Approve: ${describeStep(release, request.step)}`,
        value(request.step, request.stateVersion),
        {
          style: 'primary',
          ...(request.unjudged
            ? {
                confirm: confirmDialog(
                  'Approve without a verdict?',
                  `The analysis of ${name} gave no verdict (${request.unjudged}). Approving ${describeStep(release, request.step)} goes ahead without evidence.`,
                  'Approve',
                  'Wait',
                ),
              }
            : {}),
        },
      );
    }
    case 'pause':
      return button(CARD_ACTION_IDS.pause, 'Pause', here);
    case 'resume': {
      const reason = release.pause?.reason ?? 'manual';
      return button(CARD_ACTION_IDS.resume, reason === 'manual' ? 'Resume' : 'Resume (an approval)', here, {
        ...(reason === 'drift'
          ? {
              confirm: confirmDialog(
                'Overwrite the hand change?',
                `The route of ${name} was changed outside canary-bot. Resuming is an approval (approvers only, never the requester): it overwrites the change made by hand with the release's own route.`,
                'Resume',
                'Keep paused',
                true,
              ),
            }
          : reason !== 'manual'
            ? {
                confirm: confirmDialog(
                  'Resume after a halt?',
                  `canary-bot halted ${name} (${reason === 'failed-analysis' ? 'its analysis failed' : 'the mesh refused a change'}). Resuming is an approval: approvers only, never the requester.`,
                  'Resume',
                  'Keep paused',
                ),
              }
            : {}),
      });
    }
    case 'rollback':
      // With a reason asked for, the form that asks it is the confirmation.
      if (asks('rollback')) return button(REASON_ACTION_IDS.rollback, 'Roll back', here, { style: 'danger' });
      return button(CARD_ACTION_IDS.rollback, 'Roll back', here, {
        style: 'danger',
        confirm: confirmDialog(
          `Roll back ${name}?`,
          `This restores the original route (all traffic to ${release.baseline.version}) and ends the release as rolled back.`,
          'Roll back',
          'Keep going',
          true,
        ),
      });
    case 'cancel':
      return button(CARD_ACTION_IDS.cancel, 'Cancel release', here, {
        confirm: confirmDialog(
          `Cancel the release of ${name}?`,
          `This restores the original route and ends the release as cancelled.`,
          'Cancel release',
          'Keep going',
          true,
        ),
      });
    default:
      return action satisfies never;
  }
}
