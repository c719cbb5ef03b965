/**
 * Link previews of releases: a release's address (`<baseUrl>/releases/<id>`), the strict reading of one from
 * a `link_shared` event, and the compact card `chat.unfurl` shows under the link.
 */
import { isFinal, type Release, stepLabel, targetName } from '../../domain/release/index.js';
import {
  type Block,
  code,
  context,
  escapeMrkdwn,
  fitMessage,
  mention,
  section,
  slackDate,
} from './block-kit.js';
import { durationWords } from './home-tab.js';
import { destinationLabel, KIND_WORDS, phaseLine } from './release-words.js';
import { weightBars } from './weight-bar.js';

/** A release id: 1 to 40 letters and digits (see `newReleaseId`). */
const RELEASE_ID_SHAPE = /^[A-Za-z0-9]{1,40}$/;

function withoutTrailingSlash(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/**
 * The address of a release under the bot's base URL.
 *
 * @example releaseUrl('https://canary.example.com/', 'r1a2b3') // 'https://canary.example.com/releases/r1a2b3'
 */
export function releaseUrl(baseUrl: string, releaseId: string): string {
  return `${withoutTrailingSlash(baseUrl)}/releases/${encodeURIComponent(releaseId)}`;
}

/**
 * The release id of an address, only when it is exactly `<baseUrl>/releases/<id>` with an id of the release
 * id format: no query, fragment, trailing slash, other path or other host; anything else is undefined.
 *
 * @example releaseIdFromUrl('https://canary.example.com', 'https://canary.example.com/releases/r1a2b3') // 'r1a2b3'
 * @example releaseIdFromUrl('https://canary.example.com', 'https://canary.example.com/releases/r1a2b3?x=1') // undefined
 */
export function releaseIdFromUrl(baseUrl: string, url: string): string | undefined {
  const prefix = `${withoutTrailingSlash(baseUrl)}/releases/`;
  if (typeof url !== 'string' || !url.startsWith(prefix)) return undefined;
  const id = url.slice(prefix.length);
  return RELEASE_ID_SHAPE.test(id) ? id : undefined;
}

function timeWords(release: Release, now: Date): string {
  const started = `started by ${mention(release.requestedBy)} ${slackDate(release.createdAt)}`;
  if (isFinal(release)) return `${started}, ended ${slackDate(release.finishedAt ?? release.updatedAt)}`;
  return `${started}, running for ${durationWords(now.getTime() - Date.parse(release.createdAt))}`;
}

/**
 * The preview of a release under its link: name, kind and versions, phase and step, the traffic as bars,
 * who started it and when. Within Slack's message limits.
 *
 * @example await client.chat.unfurl({ channel, ts, unfurls: { [url]: releaseUnfurl(release, new Date()) } });
 */
export function releaseUnfurl(release: Release, now: Date): { blocks: Block[] } {
  const rows = release.confirmedWeights.map((w) => ({
    label: destinationLabel(release, w.destination),
    weight: w.weight,
  }));
  const cluster = release.meta.cluster;
  // The phase line names the step while the release moves; a release that was stopped says where.
  const stepWords = ['rolling-back', 'rolled-back', 'failed', 'cancelled'].includes(release.phase);
  const blocks: Block[] = [
    section(
      [
        `*${escapeMrkdwn(targetName(release))}* · ${KIND_WORDS[release.kind]} ${code(release.baseline.version)} → ${code(release.canary.version)}`,
        `${phaseLine(release)}${stepWords ? ` · at ${stepLabel(release, release.currentStep)}` : ''}`,
      ].join('\n'),
    ),
    ...(rows.length > 0 ? [section(`\`\`\`${escapeMrkdwn(weightBars(rows))}\`\`\``)] : []),
    context(
      [
        timeWords(release, now),
        ...(cluster !== undefined ? [`cluster ${code(cluster)}`] : []),
        code(release.id),
      ].join(' · '),
    ),
  ];
  return { blocks: [...fitMessage(targetName(release), blocks).blocks] };
}
