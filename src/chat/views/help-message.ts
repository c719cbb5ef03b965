/** `/canary help`: one line per command, or one command with its options. */
import { COMMAND_HELP, type CommandName, helpOf } from '../../domain/command/index.js';
import { code, context, escapeMrkdwn, fitMessage, type SlackMessage, section } from './block-kit.js';
import { packLines } from './line-list.js';

/**
 * Help: without a topic, every command on one line; with one, its usage, options and an example.
 *
 * @example helpMessage().blocks[0] // section: '*canary-bot*: progressive releases on Istio, approved in Slack.'
 * @example helpMessage('start') // usage, then one line per option
 */
export function helpMessage(topic?: CommandName): SlackMessage {
  if (topic === undefined) {
    const lines = COMMAND_HELP.map((h) => `${code(h.brief)} — ${escapeMrkdwn(h.summary)}`);
    return fitMessage(`canary-bot commands: ${COMMAND_HELP.map((h) => h.name).join(', ')}`, [
      section('*canary-bot*: progressive releases on Istio, approved in Slack.'),
      ...packLines(lines),
      context(`${code('/canary help <command>')} shows the options of one command.`),
    ]);
  }
  const help = helpOf(topic);
  const options = help.options.map((o) => `${code(o.syntax)} — ${escapeMrkdwn(o.meaning)}`);
  return fitMessage(`${help.usage}: ${help.summary}`, [
    section(`${code(help.usage)}\n${escapeMrkdwn(help.summary)}`),
    ...(options.length > 0 ? packLines(options) : []),
    context(`Example: ${code(help.example)}`),
  ]);
}
