/** Answers about freezes: `/canary freeze` (what holds, and which releases), and the stop-the-line notes. */
import { SLASH_COMMAND } from '../../domain/command/index.js';
import { describeFreeze, STOP_THE_LINE, untilWords, type WindowHold } from '../../domain/governance/index.js';
import { type Release, targetName } from '../../domain/release/index.js';
import { code, context, escaped, fitMessage, mention, type SlackMessage, section } from './block-kit.js';
import { packLines } from './line-list.js';

/** What the freeze list shows: the freezes that hold now, the active releases, the windows configured. */
export interface FreezeListInput {
  readonly holds: readonly WindowHold[];
  readonly releases: readonly Release[];
  readonly windows: number;
  readonly at: Date;
}

function holdLine(hold: WindowHold, byId: ReadonlyMap<string, Release>, at: Date): string {
  const held = hold.releases.map((h) => {
    const release = byId.get(h.id);
    const name = release ? targetName(release) : h.id;
    return `${escaped(name, 120)} (${code(h.id)}${h.until ? `, until ${untilWords(h.until.toISOString(), 'UTC', at.getTime())}` : ''})`;
  });
  const what =
    hold.kind === 'stop'
      ? `:octagonal_sign: *${escaped(STOP_THE_LINE, 40)}* by ${hold.by ? mention(hold.by) : 'an approver'}: ${escaped(hold.reason, 300)}`
      : `:snowflake: *${escaped(hold.window, 80)}* (${hold.kind === 'deny' ? 'deny window, open' : 'allow window, closed'}): ${escaped(hold.reason, 300)}`;
  return `${what}\n    holds ${held.length > 0 ? held.join(', ') : 'no active release'}`;
}

/**
 * `/canary freeze`: every freeze in force and the active releases it holds.
 *
 * @example freezeList({ holds: [], releases: [], windows: 2, at: new Date() }).text // 'Nothing is frozen now'
 */
export function freezeList(input: FreezeListInput): SlackMessage {
  const byId = new Map(input.releases.map((r) => [r.id, r]));
  const configured = `${input.windows} freeze window${input.windows === 1 ? '' : 's'} configured (CANARY_BOT_POLICY freezeWindows).`;
  if (input.holds.length === 0)
    return fitMessage('Nothing is frozen now', [
      section('*Nothing is frozen now*: promotions and new releases go ahead.'),
      context(configured, `Stop the line with ${code(`${SLASH_COMMAND} freeze now --ns NS --reason "…"`)}.`),
    ]);
  const title = `${input.holds.length} freeze${input.holds.length === 1 ? '' : 's'} in force`;
  return fitMessage(title, [
    section(`*${title}*`),
    ...packLines(input.holds.map((hold) => holdLine(hold, byId, input.at))),
    context(configured, `Lift a stop with ${code(`${SLASH_COMMAND} unfreeze [--ns NS | --cluster NAME]`)}.`),
  ]);
}

/**
 * Announced in the channel when the line is stopped or restarted: the answer's sentence and the releases held.
 *
 * @example stopNote('Line stopped for namespace payments by U1: incident.', [release]).text
 */
export function stopNote(sentence: string, held: readonly Release[]): SlackMessage {
  const names = held.map((r) => `${escaped(targetName(r), 120)} (${code(r.id)})`);
  return fitMessage(sentence, [
    section(escaped(sentence, 2000)),
    ...(names.length > 0 ? [context(`Releases in scope: ${names.join(', ')}`)] : []),
  ]);
}

/** The card's line for a release a freeze holds. */
export function freezeLine(release: Release, nowMs?: number): string | undefined {
  const note = release.freeze;
  if (!note) return undefined;
  const held = release.heldApproval
    ? `\nApproval of step ${release.heldApproval.step + 1} by ${mention(release.heldApproval.actor)} is recorded; it is applied when the freeze ends, unless its request expires first.`
    : '';
  const safe = { ...note, window: escaped(note.window, 80), reason: escaped(note.reason, 500) };
  return `:snowflake: *${describeFreeze(safe, nowMs, mention)}*\nPromotions wait; rollback, pause and cancel still work.${held}`;
}
