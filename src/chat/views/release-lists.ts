/** Lists of releases: `/canary status` (active ones), `/canary history`, and a release's audit trail. */

import { SLASH_COMMAND } from '../../domain/command/index.js';
import { PHASE_WORDS, type Release, stepLabel, targetName } from '../../domain/release/index.js';
import {
  actions,
  type Block,
  button,
  clip,
  code,
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
import { packLines } from './line-list.js';
import { KIND_WORDS, PHASE_MARKERS, phaseDetail, shortWeights, whereWords } from './release-words.js';

/** Which releases a list is about: everything, a namespace, or one service. */
export interface ListScope {
  readonly namespace?: string;
  readonly service?: string;
}

function scopeWords(scope: ListScope): string {
  if (scope.service && scope.namespace) return ` of ${scope.service}.${scope.namespace}`;
  if (scope.service) return ` of ${scope.service}`;
  if (scope.namespace) return ` in ${scope.namespace}`;
  return '';
}

/** A phase detail after the phase words: `: summary` sticks, `step 2/4` gets a space; clipped for a list. */
function glued(detail: string): string {
  const short = clip(detail, 200);
  return short.length === 0 || short.startsWith(':') ? short : ` ${short}`;
}

/** `:mag: *reviews.bookinfo* v1 → v2 canary · analysing step 2/4: canary weight 25 · v1 75% · v2 25% · `R1``. */
function statusLine(release: Release, withCluster = true): string {
  const detail = phaseDetail(release);
  return [
    `${PHASE_MARKERS[release.phase]} *${escapeMrkdwn(targetName(release))}* ${escapeMrkdwn(release.baseline.version)} → ${escapeMrkdwn(release.canary.version)} ${KIND_WORDS[release.kind]}`,
    `${PHASE_WORDS[release.phase]}${glued(detail)}`,
    escapeMrkdwn(shortWeights(release)),
    ...(withCluster ? clusterWords(release) : []),
    code(release.id),
  ].join(' · ');
}

/** `cluster `prod``, for releases that know their cluster (all but those stored before it was recorded). */
function clusterWords(release: Release): string[] {
  return release.meta.cluster !== undefined ? [`cluster ${code(release.meta.cluster)}`] : [];
}

/**
 * `/canary status`: the active releases, one line each; what does not fit is counted with a hint to narrow.
 *
 * @example statusList(active, { namespace: 'bookinfo' }).text // '2 active releases in bookinfo'
 */
export function statusList(releases: readonly Release[], scope: ListScope = {}): SlackMessage {
  const title = `${releases.length} active release${releases.length === 1 ? '' : 's'}${scopeWords(scope)}`;
  if (releases.length === 0)
    return fitMessage(title, [section(`No active releases${escapeMrkdwn(scopeWords(scope))}.`)]);
  return fitMessage(title, [
    section(`*${escapeMrkdwn(title)}*`),
    ...packLines(
      releases.map((r) => statusLine(r)),
      undefined,
      (n) =>
        `…and ${n} more. Narrow the list with ${code(`${SLASH_COMMAND} status <service> --ns <namespace>`)}.`,
    ),
  ]);
}

/** `:white_check_mark: <date> v1 → v2 canary · promoted: ... · by @U · `R1``. */
function historyLine(release: Release): string {
  const detail = phaseDetail(release);
  return [
    `${PHASE_MARKERS[release.phase]} ${slackDate(release.createdAt)} ${escapeMrkdwn(release.baseline.version)} → ${escapeMrkdwn(release.canary.version)} ${KIND_WORDS[release.kind]}`,
    `${PHASE_WORDS[release.phase]}${glued(detail)}`,
    `by ${mention(release.requestedBy)}`,
    ...clusterWords(release),
    code(release.id),
  ].join(' · ');
}

/**
 * `/canary history`: releases of a service, newest first as given.
 *
 * @example historyList(releases, { service: 'reviews', namespace: 'bookinfo' }).text // 'Last 3 releases of reviews.bookinfo'
 */
export function historyList(releases: readonly Release[], scope: ListScope): SlackMessage {
  const title = `Last ${releases.length} release${releases.length === 1 ? '' : 's'}${scopeWords(scope)}`;
  if (releases.length === 0)
    return fitMessage(title, [section(`No releases${escapeMrkdwn(scopeWords(scope))} yet.`)]);
  return fitMessage(title, [
    section(`*${escapeMrkdwn(title)}*`),
    ...packLines(releases.map(historyLine), undefined, (n) => `…and ${n} more; ask for fewer with --limit.`),
  ]);
}

/** An audit entry as the store keeps it (structurally; the view needs only these fields). */
export interface AuditLine {
  readonly at: string;
  /** Slack user id, `canary-bot`, `flagger`... */
  readonly actor: string;
  readonly action: string;
  readonly step?: number;
  readonly stateVersion?: number;
  /** JSON; `description`, `reason`, `verdict` and `reasons` are shown when present. */
  readonly detail?: unknown;
}

function detailWords(detail: unknown): string {
  if (typeof detail !== 'object' || detail === null) return '';
  const d = detail as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of ['description', 'reason', 'verdict'] as const) {
    const value = d[key];
    if (typeof value === 'string' && value.length > 0)
      parts.push(key === 'verdict' ? `verdict ${value}` : value);
  }
  if (Array.isArray(d.reasons) && d.reasons.length > 0)
    parts.push(d.reasons.filter((r): r is string => typeof r === 'string').join('; '));
  return parts.length > 0 ? escaped(parts.join(' · '), 400) : '';
}

function auditLine(release: Release, entry: AuditLine): string {
  const step =
    entry.step !== undefined &&
    Number.isInteger(entry.step) &&
    entry.step >= 0 &&
    entry.step <= release.plan.steps.length
      ? ` ${stepLabel(release, entry.step)}`
      : '';
  const detail = detailWords(entry.detail);
  return `${slackDate(entry.at)} ${mention(entry.actor)} *${escaped(entry.action, 40)}*${step}${detail ? ` · ${detail}` : ''}`;
}

/**
 * The audit trail of a release, oldest first as given: who did what, when, at which step, seeing what.
 *
 * @example auditTrail(release, await store.listAudit(release.id))
 */
export function auditTrail(release: Release, entries: readonly AuditLine[]): SlackMessage {
  const title = `Audit trail of ${targetName(release)} ${release.baseline.version} → ${release.canary.version}`;
  return fitMessage(`${title} (${entries.length} entries)`, [
    header(title),
    context(
      `Release ${code(release.id)} · ${[KIND_WORDS[release.kind], ...clusterWords(release)].join(' · ')} · now ${PHASE_WORDS[release.phase]}, ${stepLabel(release, release.currentStep)}`,
    ),
    ...(entries.length > 0
      ? packLines(
          entries.map((e) => auditLine(release, e)),
          undefined,
          (n) => `…and ${n} later entries not shown; the store keeps them all.`,
        )
      : [section('No entries yet.')]),
  ]);
}

/**
 * Several active releases match a command (the same service in two clusters, or two routes): the bot does not
 * guess. One line per candidate (cluster, namespace, service, route, versions, phase) and one button each,
 * the card's own (release id, step, state version), so the person picks the release the action is for. A
 * release that cannot take the action now (approve without a pending approval) is listed without a button.
 *
 * @example releaseChoice([eastRelease, westRelease], 'rollback').text // '2 releases match: pick the one to roll back'
 */
export function releaseChoice(releases: readonly Release[], action: CardAction): SlackMessage {
  const verb = {
    approve: 'approve',
    rollback: 'roll back',
    pause: 'pause',
    resume: 'resume',
    cancel: 'cancel',
  }[action];
  const title = `${releases.length} releases match: pick the one to ${verb}`;
  const blocks: Block[] = [
    section(
      `:question: *${escapeMrkdwn(title)}.* Nothing was changed. Or name it: ${code(`${SLASH_COMMAND} ${action} <release-id>`)}, or narrow with ${code('--cluster NAME')}.`,
    ),
  ];
  const label = `${verb[0]?.toUpperCase()}${verb.slice(1)} this one`;
  for (const release of releases.slice(0, 20)) {
    blocks.push(section(`${statusLine(release, false)}\n${whereWords(release)}`));
    const request = release.approvalRequest;
    const value =
      action === 'approve'
        ? request && encodeButtonValue({ r: release.id, s: request.step, v: request.stateVersion })
        : encodeButtonValue({ r: release.id, s: release.currentStep, v: release.version });
    if (value) blocks.push(actions(`choose.${release.id}`, [button(CARD_ACTION_IDS[action], label, value)]));
  }
  return fitMessage(title, blocks);
}
