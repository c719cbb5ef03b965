import type { App } from '@slack/bolt';
import { describeError, type Logger } from '../../app/logger.js';
import type { JobQueue } from '../../app/ports/job-queue.js';
import { type Command, parseCommand, SLASH_COMMAND } from '../../domain/command/index.js';
import { type ApprovalPolicy, authorize, authorizeOrigin, groupsOf } from '../../domain/release/index.js';
import {
  cardActionOf,
  commandErrorMessage,
  errorMessage,
  flaggerActionOf,
  helpMessage,
  parseButtonValue,
  parseFlaggerButtonValue,
} from '../views/index.js';
import { queuedSlackJob, type SlackJob, type SlackRequester } from './slack-job.js';

/** What the listeners need: they parse, check what they can without I/O, and hand the rest to the worker. */
export interface ListenerDependencies {
  queue: JobQueue<SlackJob>;
  policy: ApprovalPolicy;
  defaultNamespace: string;
  /** Cluster of commands that name none: part of a start's message group (one writer per route). */
  defaultCluster: string;
  clock: () => Date;
  log: Logger;
  /**
   * Opens the start form for `/canary` with no arguments (on the command's trigger, within Slack's three
   * seconds); resolves to an error sentence when it could not. Without it, `/canary` alone answers with help.
   */
  startForm?: (request: StartFormRequest) => Promise<string | undefined>;
}

/** Who asked for the start form, and the trigger to open it with. */
export interface StartFormRequest {
  triggerId: string;
  userId: string;
  channelId: string;
  teamId: string;
  enterpriseId?: string;
}

const launches = new Set(['start', 'ab', 'switch', 'mirror', 'weights']);

/**
 * Registers the `/canary` command, the release card's buttons and the Flagger card's buttons. Nothing slow happens here: bad input and
 * `help` are answered at once, everything else becomes a job for the worker and is acknowledged.
 *
 * @example registerListeners(app, { queue, policy, defaultNamespace: 'default', clock: () => new Date(), log });
 */
export function registerListeners(app: App, deps: ListenerDependencies): void {
  const defaults = { namespace: deps.defaultNamespace, cluster: deps.defaultCluster };
  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    if (command.text.trim() === '' && deps.startForm) {
      // Acknowledged first (Socket Mode and HTTP receivers answer Slack at once); the form's trigger is
      // still good for three seconds. A form that could not be opened is answered through the response URL.
      await ack();
      const failed = await deps.startForm({
        triggerId: command.trigger_id,
        userId: command.user_id,
        channelId: command.channel_id,
        teamId: command.team_id,
        ...(command.enterprise_id ? { enterpriseId: command.enterprise_id } : {}),
      });
      if (failed)
        await respond({ response_type: 'ephemeral', ...errorMessage(failed) } as never).catch(
          (error: unknown) =>
            deps.log.warn('could not answer through the response URL', { error: describeError(error) }),
        );
      return;
    }
    const parsed = parseCommand(unescapeSlackText(command.text));
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', ...commandErrorMessage(parsed.error, parsed.usage) } as never);
      return;
    }
    if (parsed.command.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...helpMessage(parsed.command.topic) } as never);
      return;
    }
    const refused = launchRefusal(deps, parsed.command, {
      userId: command.user_id,
      teamId: command.team_id,
      channelId: command.channel_id,
      ...(command.enterprise_id ? { enterpriseId: command.enterprise_id } : {}),
    });
    if (refused !== undefined) {
      await ack({ response_type: 'ephemeral', ...errorMessage(refused) } as never);
      return;
    }
    const job: SlackJob = {
      kind: 'command',
      id: command.trigger_id,
      command: parsed.command,
      from: {
        userId: command.user_id,
        channelId: command.channel_id,
        teamId: command.team_id,
        ...(command.enterprise_id ? { enterpriseId: command.enterprise_id } : {}),
        responseUrl: command.response_url,
      },
      receivedAt: deps.clock().toISOString(),
    };
    try {
      await deps.queue.send([queuedSlackJob(job, defaults)]);
    } catch (error) {
      deps.log.error('could not hand a command to the worker', {
        jobId: job.id,
        error: describeError(error),
      });
      await ack({
        response_type: 'ephemeral',
        ...errorMessage(
          'The bot could not take this command right now; nothing was changed. Try again in a moment.',
          `Reference ${job.id}: give it to your platform team if this keeps happening.`,
        ),
      } as never);
      return;
    }
    await ack({
      response_type: 'ephemeral',
      text: `Working on \`${SLASH_COMMAND} ${command.text.slice(0, 200)}\`…`,
    } as never);
  });

  onButton(app, deps, /^release\./, cardActionOf, parseButtonValue, (action, value, click) => ({
    kind: 'action',
    action,
    value,
    ...click,
  }));
  onButton(
    app,
    deps,
    /^flagger\./,
    flaggerActionOf,
    parseFlaggerButtonValue,
    (action, value, { via: _, ...click }) => ({
      kind: 'flagger-action',
      action,
      value,
      ...click,
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
  toJob: (
    action: A,
    value: V,
    click: { id: string; from: SlackRequester; receivedAt: string; via?: 'home' },
  ) => SlackJob,
): void {
  const defaults = { namespace: deps.defaultNamespace, cluster: deps.defaultCluster };
  app.action(pattern, async ({ ack, body, action, respond }) => {
    await ack();
    const tell = async (text: string, detail?: string) => {
      if (!body.response_url) {
        deps.log.warn('a click could not be answered (no response URL)', { text });
        return;
      }
      try {
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          ...errorMessage(text, detail),
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
    // A button on the App Home tab: no channel, no response URL; the worker answers on the home tab.
    const onHome = (body.container as { type?: string } | undefined)?.type === 'view';
    const from: SlackRequester = {
      userId: body.user.id,
      channelId: body.channel?.id ?? '',
      // The workspace the click happened in (a Grid user's own workspace may differ: that is `user.team_id`).
      ...((body.team?.id ?? body.user.team_id) ? { teamId: body.team?.id ?? body.user.team_id } : {}),
      ...(body.enterprise?.id ? { enterpriseId: body.enterprise.id } : {}),
      responseUrl: body.response_url ?? '',
    };
    const click = {
      id: body.trigger_id,
      from,
      receivedAt: deps.clock().toISOString(),
      ...(onHome ? { via: 'home' as const } : {}),
    };
    try {
      await deps.queue.send([queuedSlackJob(toJob(which, value.value, click), defaults)]);
    } catch (error) {
      deps.log.error('could not hand a click to the worker', {
        jobId: click.id,
        error: describeError(error),
      });
      await tell(
        'The bot could not take this click right now; nothing was changed. Try again in a moment.',
        `Reference ${click.id}: give it to your platform team if this keeps happening.`,
      );
    }
  });
}

/**
 * Why a start must be refused before any I/O, when that is decidable from the policy alone (it names users
 * only); `undefined` when it is allowed or needs the worker (group rules, or a workspace the policy does not
 * serve: the worker refuses and records it).
 *
 * @example launchRefusal(deps, command, { userId: 'U1', teamId: 'T1', channelId: 'C1' }) // 'Only … may start …'
 */
export function launchRefusal(
  deps: Pick<ListenerDependencies, 'policy' | 'defaultNamespace' | 'defaultCluster'>,
  command: Command,
  from: { userId: string; teamId: string; channelId: string; enterpriseId?: string },
): string | undefined {
  if (!launches.has(command.kind)) return undefined;
  const namespace = ('namespace' in command && command.namespace) || deps.defaultNamespace;
  const cluster = ('cluster' in command && command.cluster) || deps.defaultCluster;
  const actor = {
    userId: from.userId,
    groupIds: [],
    origin: {
      teamId: from.teamId,
      channelId: from.channelId,
      ...(from.enterpriseId ? { enterpriseId: from.enterpriseId } : {}),
    },
  };
  if (!authorizeOrigin(actor, deps.policy).allowed) return undefined;
  const permission = authorize('start', actor, { namespace, cluster }, deps.policy);
  return !permission.allowed && !mentionsGroups(deps.policy) ? permission.reason : undefined;
}

/** Slack escapes `&`, `<` and `>` in slash command text; the grammar reads what the person typed. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function mentionsGroups(policy: ApprovalPolicy): boolean {
  return groupsOf(policy).length > 0;
}
