/**
 * The App Home tab: a "New release" button, then the approvals waiting for the person, their releases, the
 * other active releases of the namespaces where they approve, and what ended recently. Rows carry the
 * card's own buttons (action ids and values), so the card's click path handles them; pages keep the view
 * within Slack's 100 blocks.
 */

import type { HomeAction, HomeContent, HomeRow } from '../../app/home.js';
import {
  isFinal,
  PHASE_WORDS,
  RELEASE_CHANNEL_META,
  RELEASE_TEAM_META,
  type Release,
  targetName,
} from '../../domain/release/index.js';
import {
  actions,
  type Block,
  type Button,
  button,
  clip,
  code,
  context,
  escapeMrkdwn,
  header,
  mention,
  section,
  slackDate,
} from './block-kit.js';
import { CARD_ACTION_IDS, type CardAction } from './button-value.js';
import { freezeLine } from './freeze-views.js';
import { cardButton } from './release-card.js';
import { KIND_WORDS, PHASE_MARKERS, phaseDetail, shortWeights } from './release-words.js';
import { type HomeView, VIEW_LIMITS } from './slack-view.js';

/** Action ids of the home tab's own buttons (the rows reuse {@link CARD_ACTION_IDS}). */
export const HOME_ACTION_IDS = {
  /** Opens the start modal; value `home`. */
  newRelease: 'canary.new_release',
  /** Shows another page; value the page number (0 is the first). */
  page: 'home.page',
} as const;

/** Options of {@link homeTab}. */
export interface HomeTabOptions {
  /** The page to show, 0 first; clamped to the pages there are. */
  readonly page: number;
  /** For "waiting 25 min". */
  readonly now: Date;
  /** Shows the "New release" button (when the person may start releases somewhere). */
  readonly newReleaseButton: boolean;
}

/** The key under which the chat adapter keeps the card's message ts in `Release.meta` (`CARD_TS`). */
const CARD_TS_META = 'ts';

/**
 * Blocks a page may give to rows: 100 less the header, the "New release" button, four section titles, a
 * note per section (empty, or rows on other pages) and three for paging (the page line, Newer, Older).
 */
export const HOME_ROW_BLOCKS = VIEW_LIMITS.blocks - 13;

type SectionKey = 'awaitingMyApproval' | 'mine' | 'inMyNamespaces' | 'recentOutcomes';

const SECTIONS: readonly { key: SectionKey; title: string; empty: (content: HomeContent) => string }[] = [
  { key: 'awaitingMyApproval', title: 'Waiting for your approval', empty: () => 'Nothing waits for you.' },
  { key: 'mine', title: 'Your releases', empty: () => 'You have no active release.' },
  {
    key: 'inMyNamespaces',
    title: 'Active in your namespaces',
    empty: () => 'No other active release where you approve.',
  },
  {
    key: 'recentOutcomes',
    title: 'Recent outcomes',
    empty: (content) => `No release ended since ${slackDate(content.recentSince)}.`,
  },
];

/** A row as it is laid out: which section, and how many blocks it takes. */
interface PlacedRow {
  readonly section: SectionKey;
  readonly row: HomeRow;
  readonly blocks: number;
}

/** The order of the buttons of a row (the card's; reject has no button on the card, so none here). */
const BUTTON_ORDER: readonly CardAction[] = ['approve', 'pause', 'resume', 'rollback', 'cancel'];

function buttonActions(row: HomeRow): CardAction[] {
  const offered = new Set<HomeAction>(row.actions);
  return BUTTON_ORDER.filter((action) => offered.has(action));
}

function placed(content: HomeContent): PlacedRow[] {
  return SECTIONS.flatMap(({ key }) =>
    content[key].map((row) => ({ section: key, row, blocks: buttonActions(row).length > 0 ? 2 : 1 })),
  );
}

/**
 * The rows of the home tab cut into pages of at most {@link HOME_ROW_BLOCKS} blocks, in section order; at
 * least one (empty) page.
 *
 * @example homePages(content).length // 1 for a few releases
 */
export function homePages(content: HomeContent): HomeRow[][] {
  return paged(placed(content)).map((page) => page.map((p) => p.row));
}

function paged(rows: readonly PlacedRow[]): PlacedRow[][] {
  const pages: PlacedRow[][] = [[]];
  let used = 0;
  for (const row of rows) {
    if (used + row.blocks > HOME_ROW_BLOCKS) {
      pages.push([]);
      used = 0;
    }
    (pages[pages.length - 1] as PlacedRow[]).push(row);
    used += row.blocks;
  }
  return pages;
}

/**
 * How long, in a few words.
 *
 * @example durationWords(185 * 60_000) // '3 h 5 min'
 */
export function durationWords(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * Where a release's card is, when the chat adapter recorded it (channel and message ts in `Release.meta`).
 *
 * @example cardOf(release) // { channel: 'C0RELEASES', ts: '1714557600.000100', team: 'T0001' }
 */
export function cardOf(release: Release): { channel: string; ts: string; team?: string } | undefined {
  const channel = release.meta[RELEASE_CHANNEL_META];
  const ts = release.meta[CARD_TS_META];
  if (channel === undefined || ts === undefined || !/^[CGD][A-Z0-9]{2,}$/.test(channel)) return undefined;
  const team = release.meta[RELEASE_TEAM_META];
  return { channel, ts, ...(team !== undefined && /^[TE][A-Z0-9]{2,}$/.test(team) ? { team } : {}) };
}

/**
 * A link that opens the card's channel, in the form Slack documents for deep links from outside a channel
 * (https://api.slack.com/reference/deep-linking): `https://slack.com/app_redirect?channel=C…&team=T…`.
 */
function cardLink(card: { channel: string; team?: string }, label: string): string {
  const team = card.team ? `&team=${card.team}` : '';
  return `<https://slack.com/app_redirect?channel=${card.channel}${team}|${label}>`;
}

function timeLine(release: Release, now: Date): string {
  if (isFinal(release)) return `ended ${slackDate(release.finishedAt ?? release.updatedAt)}`;
  const since = release.approvalRequest?.requestedAt ?? release.phaseSince;
  const waited = durationWords(now.getTime() - Date.parse(since));
  return release.phase === 'awaiting-approval'
    ? `waiting ${waited} (since ${slackDate(since)})`
    : `${waited} in this phase (since ${slackDate(since)})`;
}

function rowText(section: SectionKey, row: HomeRow, content: HomeContent, now: Date): string {
  const release = row.release;
  const cluster = release.meta.cluster;
  const detail = clip(phaseDetail(release), 300);
  const glue = detail.length === 0 || detail.startsWith(':') ? '' : ' ';
  const first = [
    `${PHASE_MARKERS[release.phase]} *${escapeMrkdwn(targetName(release))}* ${escapeMrkdwn(release.baseline.version)} → ${escapeMrkdwn(release.canary.version)} ${KIND_WORDS[release.kind]}`,
    ...(cluster !== undefined && cluster !== content.defaultCluster ? [`cluster ${code(cluster)}`] : []),
    ...(section === 'mine' ? [] : [`by ${mention(release.requestedBy)}`]),
  ].join(' · ');
  const second = [
    `${PHASE_WORDS[release.phase]}${glue}${detail}`,
    escapeMrkdwn(shortWeights(release)),
    timeLine(release, now),
  ].join(' · ');
  const card = cardOf(release);
  const links = [
    ...(row.approveOnCard
      ? [
          card
            ? `Approve in <#${card.channel}>`
            : 'Approve on its card (this policy takes approvals only there)',
        ]
      : []),
    ...(card ? [cardLink(card, 'Open the card')] : []),
    code(release.id),
  ].join(' · ');
  const frozen = isFinal(release) ? undefined : freezeLine(release, now.getTime());
  return [first, second, ...(frozen ? [frozen] : []), links].join('\n');
}

function rowButtons(row: HomeRow): Button[] {
  // The card's own buttons (same action ids, values and confirmations), only those the person may press.
  return buttonActions(row).flatMap((action): Button[] => {
    const shown = cardButton(row.release, action, row.rule);
    return shown ? [shown] : [];
  });
}

/**
 * The home tab of a person, one page of it: header, "New release" (action id `canary.new_release`, value
 * `home`), the four sections with a line per release (service.namespace, versions, cluster when not the
 * default, phase and step, weights, how long it has waited, a link to its card) and the buttons the person
 * may press, then "Newer"/"Older" (action id `home.page`, value the page number) when there are more pages.
 * Always at most 100 blocks.
 *
 * @example
 * await client.views.publish({ user_id: userId, view: homeTab(content, { page: 0, now: new Date(), newReleaseButton: true }) });
 */
export function homeTab(content: HomeContent, options: HomeTabOptions): HomeView {
  const all = placed(content);
  const pages = paged(all);
  const page = Math.min(Math.max(0, Number.isSafeInteger(options.page) ? options.page : 0), pages.length - 1);
  const shown = pages[page] ?? [];
  const blocks: Block[] = [header('Releases')];
  if (options.newReleaseButton)
    blocks.push(
      actions('home.new', [button(HOME_ACTION_IDS.newRelease, 'New release', 'home', { style: 'primary' })]),
    );
  for (const { key, title, empty } of SECTIONS) {
    const total = content[key].length;
    blocks.push(section(`*${title}* (${total})`));
    const rows = shown.filter((p) => p.section === key);
    if (total === 0) blocks.push(context(empty(content)));
    else if (rows.length === 0) blocks.push(context(`${total} on other pages.`));
    else if (rows.length < total) blocks.push(context(`${rows.length} of ${total} on this page.`));
    for (const { row } of rows) {
      blocks.push(section(rowText(key, row, content, options.now)));
      const buttons = rowButtons(row);
      if (buttons.length > 0) blocks.push(actions(`home.release.${row.release.id}`, buttons));
    }
  }
  if (pages.length > 1) {
    blocks.push(context(`Page ${page + 1} of ${pages.length}`));
    if (page > 0)
      blocks.push(actions('home.page.newer', [button(HOME_ACTION_IDS.page, 'Newer', String(page - 1))]));
    if (page < pages.length - 1)
      blocks.push(actions('home.page.older', [button(HOME_ACTION_IDS.page, 'Older', String(page + 1))]));
  }
  return { type: 'home', blocks };
}
