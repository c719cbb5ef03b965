import { type QueuedJob, releaseGroup } from '../../app/ports/job-queue.js';
import type { Command } from '../../domain/command/index.js';
import type { PersonGateAction } from '../../domain/flagger/index.js';
import type { ButtonValue, CardAction, FlaggerButtonValue } from '../views/index.js';

/** Who asked, from where, and where to answer them privately. */
export interface SlackRequester {
  userId: string;
  channelId: string;
  /** Workspace (`team_id`) and Enterprise Grid organisation of the person who asked. */
  teamId?: string;
  enterpriseId?: string;
  /** Slack's response URL: up to 5 answers within 30 minutes; the way to answer ephemerally. */
  responseUrl: string;
}

/**
 * Who clicked on the App Home tab, as a job's requester: no channel and no response URL (the worker answers
 * in the app's Messages tab).
 *
 * @example homeTabRequester(body) // { userId: 'U1', channelId: '', teamId: 'T1', responseUrl: '' }
 */
export function homeTabRequester(body: {
  user: { id: string; team_id?: string };
  team?: { id: string } | null;
  enterprise?: { id: string } | null;
}): SlackRequester {
  const teamId = body.team?.id ?? body.user.team_id;
  return {
    userId: body.user.id,
    channelId: '',
    ...(teamId ? { teamId } : {}),
    ...(body.enterprise?.id ? { enterpriseId: body.enterprise.id } : {}),
    responseUrl: '',
  };
}

/**
 * The slow half of a Slack request, handed from the ingress to a worker through the queue. It holds what
 * was asked and by whom, never a token. `id` is Slack's `trigger_id` (unique per command or click): the
 * queue's dedup id, the job's idempotency key, and the correlation id users are told when something fails.
 */
export type SlackJob =
  | {
      kind: 'command';
      id: string;
      command: Command;
      from: SlackRequester;
      receivedAt: string;
      /** Started from the start modal: the answer also shows the equivalent command (`text`). */
      via?: 'modal';
      /** The command's text (after `/canary `), when it did not come typed. */
      text?: string;
    }
  | {
      kind: 'action';
      id: string;
      action: CardAction;
      value: ButtonValue;
      from: SlackRequester;
      receivedAt: string;
      /** Set when a command (`/canary rollback reviews --reason …`) or a modal gave a reason. */
      reason?: string;
      /** `/canary approve … --bypass-freeze "…"`: approve during a freeze, with this reason. */
      bypassFreeze?: string;
      /**
       * Where the action came from besides the card: a command that resolved to this release, the App
       * Home tab (no response URL: the answer goes to the person's App Home and direct messages), or the
       * "Roll back a release" shortcut (its reason and the message it came from go to the release's thread).
       */
      via?: 'command' | 'home' | 'shortcut';
      /** The message a shortcut was used on (a permalink Slack's own form gives). */
      source?: { channelId: string; messageTs: string; permalink?: string };
    }
  | {
      kind: 'flagger-action';
      id: string;
      action: PersonGateAction;
      value: FlaggerButtonValue;
      from: SlackRequester;
      receivedAt: string;
    }
  /** Publish a person's App Home tab (they opened it, a release they see changed, or they paged it). */
  | { kind: 'home'; id: string; from: SlackRequester; receivedAt: string; page?: number }
  /** Links to releases were shared in a message: unfurl them as compact cards. */
  | {
      kind: 'unfurl';
      id: string;
      from: SlackRequester;
      receivedAt: string;
      messageTs: string;
      unfurlId?: string;
      source?: string;
      /**
       * The preview may reach people of other organisations: the channel is shared with them (Slack Connect),
       * or the link was pasted in the composer, whose conversation the bot is not told.
       */
      mayReachExternal?: boolean;
      releaseIds: readonly { url: string; releaseId: string }[];
    }
  /** The "Roll back a release" shortcut opened its modal: fill it with the releases the person may roll back. */
  | {
      kind: 'rollback-choices';
      id: string;
      from: SlackRequester;
      receivedAt: string;
      viewId: string;
      source: { channelId: string; messageTs: string; permalink?: string };
    };

const launches = new Set(['start', 'ab', 'switch', 'mirror', 'weights']);

/**
 * The job as a queue message. Its group makes one writer per release: a click acts in its release's group;
 * a start in its route's group; a change of a channel's subscriptions in the channel's; everything else
 * (reads, and commands that first look a release up) in a group of its own.
 *
 * @example queuedSlackJob(job, { namespace: 'default', cluster: 'prod' }).group // 'release:r01ab…'
 */
export function queuedSlackJob(
  job: SlackJob,
  defaults: { namespace: string; cluster: string },
): QueuedJob<SlackJob> {
  return { group: slackJobGroup(job, defaults), dedupId: `slack:${job.kind}:${job.id}`, body: job };
}

function slackJobGroup(job: SlackJob, defaults: { namespace: string; cluster: string }): string {
  switch (job.kind) {
    case 'action':
      return releaseGroup(job.value.r);
    case 'flagger-action':
      return `flagger:${job.value.g}`;
    case 'home':
      return `home:${job.from.userId}`;
    case 'unfurl':
    case 'rollback-choices':
      return `job:${job.id}`;
    case 'command': {
      const command = job.command;
      if (launches.has(command.kind) && 'service' in command && typeof command.service === 'string') {
        const c = command as {
          namespace?: string;
          cluster?: string;
          virtualService?: string;
          via?: { name?: string };
          route?: string;
        };
        const service = command.service;
        // One key per route object name: a VirtualService and an HTTPRoute of one name share it (safe side).
        return `route:${c.cluster ?? defaults.cluster}/${c.namespace ?? defaults.namespace}/${c.via?.name ?? c.virtualService ?? service}/${c.route ?? '(default)'}`;
      }
      if (command.kind === 'subscribe' || command.kind === 'unsubscribe')
        return `channel:${job.from.channelId}`;
      return `job:${job.id}`;
    }
  }
}
