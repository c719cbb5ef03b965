/** Short answers to one person (ephemeral): a command that cannot be read, a refusal, an error, a policy. */

import { SLASH_COMMAND } from '../../domain/command/index.js';
import type { Outcome, RefusalReason, Release, ReleaseAction } from '../../domain/release/index.js';
import { targetName } from '../../domain/release/index.js';
import {
  clip,
  code,
  context,
  escaped,
  escapeMrkdwn,
  fitMessage,
  type SlackMessage,
  section,
} from './block-kit.js';

/**
 * A command that could not be read: the sentence, then the usage line.
 *
 * @example commandErrorMessage('Name the version to release, e.g. v2.', '/canary start <service> <version> ...')
 */
export function commandErrorMessage(error: string, usage: string): SlackMessage {
  return fitMessage(`${error} Usage: ${usage}`, [
    section(`:warning: ${escaped(error, 1000)}`),
    context(`Usage: ${code(clip(usage, 1000))}`, `${code(`${SLASH_COMMAND} help`)} lists every command.`),
  ]);
}

const REFUSAL_MARKERS: Readonly<Record<RefusalReason, string>> = {
  duplicate: ':information_source:',
  finished: ':information_source:',
  'wrong-step': ':arrows_counterclockwise:',
  stale: ':arrows_counterclockwise:',
  expired: ':arrows_counterclockwise:',
  'wrong-phase': ':no_entry:',
  invalid: ':no_entry:',
  frozen: ':snowflake:',
};

/**
 * A person's action that changed nothing (`decide`'s refused outcome), e.g. a click on an old card.
 *
 * @example refusalMessage({ status: 'refused', reason: 'stale', message: 'This approval request is out of date ...' })
 */
export function refusalMessage(outcome: Extract<Outcome, { status: 'refused' }>): SlackMessage {
  return fitMessage(outcome.message, [
    section(`${REFUSAL_MARKERS[outcome.reason]} ${escaped(outcome.message, 2000)}`),
  ]);
}

/**
 * Something failed on the bot's side (cluster or Prometheus unreachable...): what, and what to do.
 *
 * @example errorMessage('Could not read the VirtualService reviews in bookinfo.', 'Try again in a minute.')
 */
export function errorMessage(message: string, hint?: string): SlackMessage {
  const blocks = [section(`:x: ${escaped(message, 2000)}`)];
  if (hint) blocks.push(context(escaped(hint, 1000)));
  return fitMessage(hint ? `${message} ${hint}` : message, blocks);
}

const ACTION_WORDS: Readonly<Record<ReleaseAction, string>> = {
  start: 'start releases here',
  approve: 'approve',
  reject: 'reject',
  rollback: 'roll back',
  pause: 'pause',
  resume: 'resume',
  cancel: 'cancel',
};

/**
 * The approval policy said no: who may, and why not this person.
 *
 * @example policyRefusalMessage('approve', release, 'The default approval policy requires four eyes: ...')
 */
export function policyRefusalMessage(
  action: ReleaseAction,
  subject: Release | { readonly namespace: string },
  reason: string,
): SlackMessage {
  const what =
    'target' in subject
      ? `You cannot ${ACTION_WORDS[action]} ${targetName(subject)} ${subject.canary.version}`
      : `You cannot ${ACTION_WORDS[action]} in ${subject.namespace}`;
  return fitMessage(`${what}: ${reason}`, [
    section(`:lock: *${escapeMrkdwn(what)}*\n${escaped(reason, 2000)}`),
  ]);
}
