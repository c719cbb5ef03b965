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
      /** Set when the command was built from the start modal's submission rather than typed. */
      via?: 'modal';
    }
  | {
      kind: 'action';
      id: string;
      action: CardAction;
      value: ButtonValue;
      from: SlackRequester;
      receivedAt: string;
      /** Set when a command (`/canary rollback reviews --reason …`) resolved to this release. */
      reason?: string;
      via?: 'command';
    }
  | {
      kind: 'flagger-action';
      id: string;
      action: PersonGateAction;
      value: FlaggerButtonValue;
      from: SlackRequester;
      receivedAt: string;
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
    case 'command': {
      const command = job.command;
      if (launches.has(command.kind) && 'service' in command && typeof command.service === 'string') {
        const c = command as {
          namespace?: string;
          cluster?: string;
          virtualService?: string;
          route?: string;
        };
        const service = command.service;
        return `route:${c.cluster ?? defaults.cluster}/${c.namespace ?? defaults.namespace}/${c.virtualService ?? service}/${c.route ?? '(default)'}`;
      }
      if (command.kind === 'subscribe' || command.kind === 'unsubscribe')
        return `channel:${job.from.channelId}`;
      return `job:${job.id}`;
    }
  }
}
