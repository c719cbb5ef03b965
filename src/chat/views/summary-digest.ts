/**
 * The digest of a scheduled summary: RED per service and version with the change against the previous
 * period, services that got worse first, and the active releases with their step and verdict. Long digests
 * are paged into several messages (the first in the channel, the others in its thread); past the last page
 * the rest is counted, never dropped silently.
 */
import { SLASH_COMMAND } from '../../domain/command/index.js';
import { formatMilliseconds, formatPercent } from '../../domain/judge/wording.js';
import type { Release } from '../../domain/release/index.js';
import { PHASE_WORDS, targetName } from '../../domain/release/index.js';
import {
  type Digest,
  describePeriod,
  describeSchedule,
  periodSeconds,
  type ServiceChange,
  subjectName,
  type VersionChange,
  type WorseReason,
  worseServices,
} from '../../domain/summary/index.js';
import {
  BLOCK_KIT_LIMITS,
  type Block,
  blockTextLength,
  clip,
  code,
  context,
  escapeMrkdwn,
  fitMessage,
  header,
  mention,
  type SlackMessage,
  section,
  slackDate,
} from './block-kit.js';
import { KIND_WORDS, PHASE_MARKERS, phaseDetail, shortWeights, VERDICT_WORDS } from './release-words.js';

/** How a digest is laid out. */
export interface DigestLayout {
  readonly timeZone: string;
  /** Messages at most (the first and its thread replies); the rest is counted. Default 5. */
  readonly maxMessages?: number;
  /** Say that the chart is in the thread. */
  readonly withChart?: boolean;
}

/** Room per message, below Slack's limits, with space kept for the closing note. */
const PAGE_BLOCKS = BLOCK_KIT_LIMITS.blocks - 4;
const PAGE_CHARS = BLOCK_KIT_LIMITS.totalText - 600;
const SECTION_ROOM = BLOCK_KIT_LIMITS.sectionText - 100;

/** `12/s`, `0.333/s`, `1230/s`. */
export function rateText(perSecond: number): string {
  return Number.isFinite(perSecond) ? `${Number(perSecond.toPrecision(3))}/s` : 'n/a';
}

/** A relative change: `+25%`, `-12%`, `=` (under half a percent); empty when unknown. */
export function relativeChange(change: number | undefined): string {
  if (change === undefined || !Number.isFinite(change)) return '';
  if (Math.abs(change) < 0.005) return '=';
  return `${change > 0 ? '+' : ''}${Number((change * 100).toPrecision(2))}%`;
}

/** A change of a proportion in percentage points: `+25 pp`, `-0.1 pp`, `=`; empty when unknown. */
export function pointsChange(change: number | undefined): string {
  if (change === undefined || !Number.isFinite(change)) return '';
  const points = change * 100;
  if (Math.abs(points) < 0.005) return '=';
  return `${points > 0 ? '+' : ''}${Number(points.toPrecision(2))} pp`;
}

const withChange = (value: string, change: string) => (change ? `${value} (${change})` : value);

/**
 * One version: `• *v2* 4/s (+100%) · errors 25% (+25 pp) · p99 110 ms (+2%)`.
 *
 * @example versionLine(change) // '• *v1* 12/s (=) · errors 0% (=) · p99 96.2 ms (=)'
 */
export function versionLine(change: VersionChange): string {
  const name = `*${escapeMrkdwn(change.version)}*`;
  const now = change.current;
  if (!now || now.requests === 0) {
    const before = change.previous;
    return `• ${name} no requests this period${before && before.requests > 0 ? ` (had ${rateText(before.requestRate)})` : ''}`;
  }
  const rate = withChange(
    rateText(now.requestRate),
    change.previous ? relativeChange(change.requestRateChange) : 'new',
  );
  const errors = withChange(
    `errors ${now.errorRate === undefined ? 'n/a' : formatPercent(now.errorRate)}`,
    pointsChange(change.errorRateChange),
  );
  const p99 = withChange(
    `p99 ${now.p99Ms === undefined ? 'n/a' : formatMilliseconds(now.p99Ms)}`,
    relativeChange(change.p99Change),
  );
  return `• ${name} ${rate} · ${errors} · ${p99}`;
}

/**
 * A service that did not get worse, on one line: `:large_green_circle: *details* v1 10/s (=), 0% (=), p99 20 ms (=)`.
 *
 * @example compactServiceText(change)
 */
export function compactServiceText(change: ServiceChange): string {
  const versions = change.versions.map((version) => {
    const now = version.current;
    const name = escapeMrkdwn(version.version);
    if (!now || now.requests === 0) return `${name} no requests`;
    const rate = withChange(
      rateText(now.requestRate),
      version.previous ? relativeChange(version.requestRateChange) : 'new',
    );
    const errors = withChange(
      now.errorRate === undefined ? 'n/a' : formatPercent(now.errorRate),
      pointsChange(version.errorRateChange),
    );
    const p99 = withChange(
      `p99 ${now.p99Ms === undefined ? 'n/a' : formatMilliseconds(now.p99Ms)}`,
      relativeChange(version.p99Change),
    );
    return `${name} ${rate}, ${errors}, ${p99}`;
  });
  return `:large_green_circle: *${escapeMrkdwn(change.service)}* ${versions.join(' · ')}`;
}

function reasonText(reason: WorseReason): string {
  switch (reason.kind) {
    case 'errors':
      return `errors of ${escapeMrkdwn(reason.version)} ${formatPercent(reason.from)} → ${formatPercent(reason.to)}`;
    case 'latency':
      return `p99 of ${escapeMrkdwn(reason.version)} ${formatMilliseconds(reason.fromMs)} → ${formatMilliseconds(reason.toMs)}`;
    case 'no-traffic':
      return `no requests (had ${rateText(reason.previousRate)})`;
    default:
      return reason satisfies never;
  }
}

/**
 * A service and its versions (a digest is about one namespace, so the name alone is enough), e.g. `:warning: *reviews* — errors of v2 0% → 25%` and a line per version.
 *
 * @example serviceText(change)
 */
export function serviceText(change: ServiceChange): string {
  const name = `*${escapeMrkdwn(change.service)}*`;
  const headline =
    change.worse.length > 0
      ? `:warning: ${name} — ${change.worse.map(reasonText).join('; ')}`
      : `:large_green_circle: ${name}`;
  return [headline, ...change.versions.map(versionLine)].join('\n');
}

/** `:mag: *reviews.bookinfo* v1 → v2 canary · analysing step 1/2: canary weight 50 · v1 50% · v2 50% · verdict pass`. */
export function releaseLine(release: Release): string {
  const detail = phaseDetail(release);
  const glue = detail.length === 0 || detail.startsWith(':') ? '' : ' ';
  const verdict = release.lastVerdict ? VERDICT_WORDS[release.lastVerdict.verdict] : 'no verdict yet';
  return [
    `${PHASE_MARKERS[release.phase]} *${escapeMrkdwn(targetName(release))}* ${escapeMrkdwn(release.baseline.version)} → ${escapeMrkdwn(release.canary.version)} ${KIND_WORDS[release.kind]}`,
    `${PHASE_WORDS[release.phase]}${glue}${clip(detail, 300)}`,
    escapeMrkdwn(shortWeights(release)),
    `verdict ${verdict}`,
  ].join(' · ');
}

/** `<!date^…^{time}|10:00 UTC>`: a time of day in each reader's time zone. */
function slackTime(date: Date): string {
  const fallback = `${date.toISOString().slice(11, 16)} UTC`;
  return `<!date^${Math.floor(date.getTime() / 1000)}^{time}|${fallback}>`;
}

interface Chunk {
  readonly text: string;
  readonly heading?: boolean;
  /** A service (counted when left out), and whether it got worse. */
  readonly service?: 'worse' | 'other';
}

/**
 * The digest as one or more messages that each fit Slack's limits: the first goes to the channel, the
 * others into its thread.
 *
 * @example digestMessages(digest, { timeZone: 'UTC', withChart: true })[0]?.text // 'RED summary of bookinfo: 1 of 7 services got worse'
 */
export function digestMessages(digest: Digest, layout: DigestLayout): SlackMessage[] {
  const maxMessages = Math.max(1, layout.maxMessages ?? 5);
  const { subscription, slot } = digest;
  const name = subjectName(subscription.subject);
  const worse = worseServices(digest);
  const others = digest.services.filter((s) => s.worse.length === 0);
  const period = describePeriod(periodSeconds(slot));
  const total = digest.services.length;
  const headline =
    total === 0
      ? `No Istio traffic for ${escapeMrkdwn(name)} in this period or the one before.`
      : worse.length === 0
        ? `*No service got worse* than in the previous ${period} (${total} service${total === 1 ? '' : 's'}).`
        : `*${worse.length} of ${total} service${total === 1 ? '' : 's'} got worse* than in the previous ${period}.`;
  const title = `RED summary of ${name}`;
  const fallback =
    total === 0
      ? `${title}: no traffic`
      : `${title}: ${worse.length} of ${total} service${total === 1 ? '' : 's'} got worse`;
  const intro: Block[] = [
    header(clip(`RED summary · ${name}`, BLOCK_KIT_LIMITS.headerText)),
    context(
      `${slackDate(slot.periodStart.toISOString())} – ${slackTime(slot.at)}, compared with the ${period} before`,
      `${escapeMrkdwn(describeSchedule(subscription.schedule, layout.timeZone))} · subscribed by ${mention(subscription.createdBy)} · ${code(`${SLASH_COMMAND} unsubscribe ${subscription.subject.kind === 'service' ? `${subscription.subject.service} --ns ${subscription.subject.namespace}` : subscription.subject.namespace}`)} stops it`,
    ),
    section(headline),
    context(
      `Per version: requests/s, share of 5xx answers, p99 latency, each with its change against the previous ${period} (pp: percentage points).${layout.withChart ? ' Chart in the thread.' : ''}`,
    ),
  ];
  const chunks: Chunk[] = [];
  if (worse.length > 0) {
    chunks.push({ text: '*Got worse*', heading: true });
    for (const s of worse) chunks.push({ text: serviceText(s), service: 'worse' });
  }
  if (digest.releases.length > 0) {
    chunks.push({ text: `*Active releases* (${digest.releases.length})`, heading: true });
    for (const r of digest.releases) chunks.push({ text: releaseLine(r) });
  }
  if (others.length > 0) {
    chunks.push({ text: worse.length > 0 ? '*Other services*' : '*Services*', heading: true });
    for (const s of others) chunks.push({ text: compactServiceText(s), service: 'other' });
  }

  const pages: Block[][] = [];
  let blocks: Block[] = intro;
  let buffer: string[] = [];
  let bufferLength = 0;
  const flush = () => {
    if (buffer.length > 0) blocks.push(section(buffer.join('\n')));
    buffer = [];
    bufferLength = 0;
  };
  let shown = 0;
  for (const chunk of chunks) {
    const text = clip(chunk.text, SECTION_ROOM);
    const startsSection = chunk.heading === true || bufferLength + text.length + 1 > SECTION_ROOM;
    const blocksAfter = blocks.length + (buffer.length > 0 && startsSection ? 2 : 1);
    const charsAfter = blockTextLength(blocks) + bufferLength + text.length + 1;
    if (blocksAfter > PAGE_BLOCKS || charsAfter > PAGE_CHARS) {
      if (pages.length + 1 >= maxMessages) break;
      flush();
      pages.push(blocks);
      blocks = [context(`${escapeMrkdwn(title)}, continued (${pages.length + 1})`)];
    } else if (startsSection) flush();
    buffer.push(text);
    bufferLength += text.length + 1;
    shown++;
  }
  flush();
  const left = chunks.slice(shown).filter((c) => c.service !== undefined);
  if (left.length > 0) {
    const leftWorse = left.filter((c) => c.service === 'worse').length;
    const leftOther = left.length - leftWorse;
    const plural = (n: number) => `${n} more service${n === 1 ? '' : 's'}`;
    const what =
      leftWorse === 0
        ? `${plural(leftOther)} ${leftOther === 1 ? 'is' : 'are'} not shown here; none of them got worse.`
        : `${plural(leftWorse)} that got worse${leftOther > 0 ? ` and ${leftOther} other${leftOther === 1 ? '' : 's'}` : ''} are not shown here.`;
    blocks.push(
      context(`…and ${what} ${code(`${SLASH_COMMAND} metrics <service> --ns <namespace>`)} shows one.`),
    );
  }
  pages.push(blocks);
  return pages.map((page, i) => fitMessage(i === 0 ? fallback : `${title} (continued)`, page));
}

/**
 * A summary that could not be made: what it is about, which period, and why; never a digest of zeros.
 *
 * @example summaryUnavailable(subscription, slot, 'Prometheus did not answer', 'UTC').text
 */
export function summaryUnavailable(
  summary: Pick<Digest, 'subscription' | 'slot'>,
  reason: string,
  timeZone: string,
): SlackMessage {
  const name = subjectName(summary.subscription.subject);
  const period = `${clockOf(summary.slot.periodStart, timeZone)}–${clockOf(summary.slot.at, timeZone)}`;
  const text = `The RED summary of ${name} for ${period} could not be made: ${reason}. The next one is tried at its time.`;
  return fitMessage(text, [section(`:warning: ${escapeMrkdwn(text)}`)]);
}

function clockOf(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone }).format(at);
}
