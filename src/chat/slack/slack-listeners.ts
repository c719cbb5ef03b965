import type { App } from '@slack/bolt';
import { describeError, type Logger } from '../../app/logger.js';
import { parseCommand, SLASH_COMMAND } from '../../domain/command/index.js';
import { type ApprovalPolicy, authorize } from '../../domain/release/index.js';
import {
  cardActionOf,
  commandErrorMessage,
  errorMessage,
  flaggerActionOf,
  helpMessage,
  parseButtonValue,
  parseFlaggerButtonValue,
} from '../views/index.js';
import type { JobQueue, SlackJob, SlackRequester } from './slack-job.js';

/** What the listeners need: they parse, check what they can without I/O, and hand the rest to the worker. */
export interface ListenerDependencies {
  queue: JobQueue;
  policy: ApprovalPolicy;
  defaultNamespace: string;
  clock: () => Date;
  log: Logger;
}

const launches = new Set(['start', 'ab', 'switch', 'mirror', 'weights']);

/**
 * Registers the `/canary` command, the release card's buttons and the Flagger card's buttons. Nothing slow happens here: bad input and
 * `help` are answered at once, everything else becomes a job for the worker and is acknowledged.
 *
 * @example registerListeners(app, { queue, policy, defaultNamespace: 'default', clock: () => new Date(), log });
 */
export function registerListeners(app: App, deps: ListenerDependencies): void {
  app.command(SLASH_COMMAND, async ({ command, ack }) => {
    const parsed = parseCommand(unescapeSlackText(command.text));
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', ...commandErrorMessage(parsed.error, parsed.usage) } as never);
      return;
    }
    if (parsed.command.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...helpMessage(parsed.command.topic) } as never);
      return;
    }
    if (launches.has(parsed.command.kind)) {
      // Decidable without I/O when the policy names users only; group rules are checked by the worker.
      const namespace = ('namespace' in parsed.command && parsed.command.namespace) || deps.defaultNamespace;
      const permission = authorize(
        'start',
        { userId: command.user_id, groupIds: [] },
        { namespace },
        deps.policy,
      );
      if (!permission.allowed && !mentionsGroups(deps.policy)) {
        await ack({ response_type: 'ephemeral', ...errorMessage(permission.reason) } as never);
        return;
      }
    }
    await deps.queue.enqueue({
      kind: 'command',
      command: parsed.command,
      from: { userId: command.user_id, channelId: command.channel_id, responseUrl: command.response_url },
      receivedAt: deps.clock().toISOString(),
    });
    await ack({
      response_type: 'ephemeral',
      text: `Working on \`${SLASH_COMMAND} ${command.text.slice(0, 200)}\`…`,
    } as never);
  });

  onButton(app, deps, /^release\./, cardActionOf, parseButtonValue, (action, value, from, receivedAt) => ({
    kind: 'action',
    action,
    value,
    from,
    receivedAt,
  }));
  onButton(
    app,
    deps,
    /^flagger\./,
    flaggerActionOf,
    parseFlaggerButtonValue,
    (action, value, from, receivedAt) => ({
      kind: 'flagger-action',
      action,
      value,
      from,
      receivedAt,
    }),
  );
}

/**
 * A family of card buttons: acknowledge, check the action and its value, hand the click to the worker.
 * Nothing may throw after the ack: Bolt would answer Slack with a 500 for a request already accepted.
 */
function onButton<A, V>(
  app: App,
  deps: ListenerDependencies,
  pattern: RegExp,
  actionOf: (actionId: string) => A | undefined,
  parseValue: (value: string) => { ok: true; value: V } | { ok: false; error: string },
  toJob: (action: A, value: V, from: SlackRequester, receivedAt: string) => SlackJob,
): void {
  app.action(pattern, async ({ ack, body, action, respond }) => {
    await ack();
    const tell = async (text: string) => {
      try {
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          ...errorMessage(text),
        } as never);
      } catch (error) {
        deps.log.warn('could not answer through the response URL', { error: describeError(error) });
      }
    };
    const which = 'action_id' in action ? actionOf(action.action_id) : undefined;
    const value = parseValue('value' in action && typeof action.value === 'string' ? action.value : '');
    if (which === undefined || !value.ok || body.type !== 'block_actions') {
      await tell(value.ok ? 'Unknown button.' : value.error);
      return;
    }
    const from = { userId: body.user.id, channelId: body.channel?.id ?? '', responseUrl: body.response_url };
    try {
      await deps.queue.enqueue(toJob(which, value.value, from, deps.clock().toISOString()));
    } catch (error) {
      deps.log.error('could not hand a click to the worker', { error: describeError(error) });
      await tell('The bot could not take this click right now; nothing was changed. Try again in a moment.');
    }
  });
}

/** Slack escapes `&`, `<` and `>` in slash command text; the grammar reads what the person typed. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function mentionsGroups(policy: ApprovalPolicy): boolean {
  const rules = [policy.default, ...Object.values(policy.namespaces ?? {})];
  return rules.some((r) => [...r.starters, ...r.approvers].some((p) => p.startsWith('S')));
}
