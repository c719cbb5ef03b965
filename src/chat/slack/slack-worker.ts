import type { ReleaseDependencies } from '../../app/dependencies.js';
import { describeError } from '../../app/logger.js';
import { actOnRelease, type PersonAction } from '../../app/release-actions.js';
import { activeReleases, findRelease, releaseHistory } from '../../app/release-queries.js';
import { type StartInput, startRelease } from '../../app/start-release.js';
import type { Command, ReleaseActionCommand } from '../../domain/command/index.js';
import type { Actor, Release } from '../../domain/release/index.js';
import type { MetricsReader } from '../../metrics/index.js';
import { fitMessage, section } from '../views/block-kit.js';
import { errorMessage, helpMessage, historyList, type SlackMessage, statusList } from '../views/index.js';
import { answer } from './response-url.js';
import type { SlackJob } from './slack-job.js';
import { CARD_CHANNEL } from './slack-notifier.js';

/** What the worker needs besides the use cases' dependencies. */
export interface SlackWorkerDependencies extends ReleaseDependencies {
  metrics: MetricsReader;
  /** Answers the person who asked (ephemeral by default); `answer` through the response URL in Slack. */
  reply?: (responseUrl: string, message: SlackMessage) => Promise<void>;
}

/**
 * Runs one job: the use case a command or click asks for, then a private answer to the person. A release
 * itself shows up in the channel through its card and thread (the notifier).
 *
 * @example await runSlackJob(deps, job); // handlers/worker.ts
 */
export async function runSlackJob(deps: SlackWorkerDependencies, job: SlackJob): Promise<void> {
  const reply = deps.reply ?? answer;
  const actor: Actor = { userId: job.from.userId, groupIds: await deps.groupsOf(job.from.userId) };
  let message: SlackMessage;
  try {
    message =
      job.kind === 'action'
        ? await onButton(deps, job, actor)
        : await onCommand(deps, job.command, job.from.channelId, actor);
  } catch (error) {
    deps.log.error('a Slack job failed', {
      kind: job.kind,
      user: job.from.userId,
      error: describeError(error),
    });
    message = errorMessage(
      'Something went wrong on our side; nothing was changed by this request.',
      describeError(error),
    );
  }
  await reply(job.from.responseUrl, message);
}

async function onButton(
  deps: SlackWorkerDependencies,
  job: Extract<SlackJob, { kind: 'action' }>,
  actor: Actor,
) {
  const request: PersonAction =
    job.action === 'approve'
      ? { action: 'approve', step: job.value.s, stateVersion: job.value.v }
      : { action: job.action };
  const result = await actOnRelease(deps, job.value.r, request, actor);
  return note(result.ok ? `:white_check_mark: ${result.message}` : `:no_entry: ${result.message}`);
}

async function onCommand(
  deps: SlackWorkerDependencies,
  command: Command,
  channelId: string,
  actor: Actor,
): Promise<SlackMessage> {
  switch (command.kind) {
    case 'start':
    case 'ab':
    case 'switch':
    case 'mirror':
    case 'weights': {
      const result = await startRelease(deps, startInputOf(command, channelId), actor);
      return note(
        result.ok
          ? `:rocket: ${result.message} The release card is in this channel; approve its first step there.`
          : `:no_entry: ${result.message}`,
      );
    }
    case 'approve':
    case 'rollback':
    case 'pause':
    case 'resume':
    case 'cancel':
      return await onReleaseCommand(deps, command, actor);
    case 'status': {
      const namespace = command.namespace ?? (command.service ? deps.defaultNamespace : undefined);
      const releases = await activeReleases(deps, {
        ...(namespace ? { namespace } : {}),
        ...(command.service ? { service: command.service } : {}),
      });
      return statusList(releases, {
        ...(namespace ? { namespace } : {}),
        ...(command.service ? { service: command.service } : {}),
      });
    }
    case 'history': {
      const namespace = command.namespace ?? deps.defaultNamespace;
      return historyList(await releaseHistory(deps, namespace, command.service, command.limit ?? 10), {
        namespace,
        service: command.service,
      });
    }
    case 'metrics':
      return await metricsMessage(
        deps,
        command.service,
        command.namespace ?? deps.defaultNamespace,
        command.windowSeconds ?? 600,
      );
    case 'subscribe':
    case 'unsubscribe':
    case 'subscriptions':
      return note(':hourglass: Scheduled summaries are not available in this version yet.');
    case 'help':
      return helpMessage(command.topic);
  }
}

async function onReleaseCommand(
  deps: SlackWorkerDependencies,
  command: ReleaseActionCommand,
  actor: Actor,
): Promise<SlackMessage> {
  const namespace = command.namespace ?? deps.defaultNamespace;
  let release: Release | undefined;
  if (command.release?.by === 'id') release = await findRelease(deps, { id: command.release.id });
  else if (command.release?.by === 'service')
    release = await findRelease(deps, { namespace, service: command.release.service });
  else {
    const active = await activeReleases(deps, { namespace });
    if (active.length > 1)
      return note(
        `:question: ${active.length} releases are active in ${namespace}; name one: \`/canary ${command.kind} <service>\`.`,
      );
    release = active[0];
  }
  if (!release)
    return note(
      `:question: No active release${command.release?.by === 'service' ? ` of ${command.release.service}` : ''} in ${namespace}.`,
    );
  let request: PersonAction;
  if (command.kind === 'approve') {
    if (!release.approvalRequest)
      return note(
        `:hourglass: ${release.target.service}.${namespace} is not waiting for an approval (it is ${release.phase}).`,
      );
    request = {
      action: 'approve',
      step: release.approvalRequest.step,
      stateVersion: release.approvalRequest.stateVersion,
    };
  } else if (command.kind === 'rollback') {
    request = { action: 'rollback', ...(command.reason ? { reason: command.reason } : {}) };
  } else {
    request = { action: command.kind };
  }
  const result = await actOnRelease(deps, release.id, request, actor);
  return note(result.ok ? `:white_check_mark: ${result.message}` : `:no_entry: ${result.message}`);
}

function startInputOf(
  command: Extract<Command, { kind: 'start' | 'ab' | 'switch' | 'mirror' | 'weights' }>,
  channelId: string,
): StartInput {
  const kind: StartInput['kind'] =
    command.kind === 'start' ? 'canary' : command.kind === 'switch' ? 'blue-green' : command.kind;
  return {
    kind,
    service: command.service,
    version: command.canaryVersion,
    ...(command.namespace ? { namespace: command.namespace } : {}),
    ...(command.baselineVersion ? { baselineVersion: command.baselineVersion } : {}),
    ...(command.virtualService ? { virtualService: command.virtualService } : {}),
    ...(command.route ? { route: command.route } : {}),
    ...(command.kind === 'start' && command.steps ? { steps: [...command.steps] } : {}),
    ...(command.kind === 'ab' ? { matches: [...command.matches] } : {}),
    ...(command.kind === 'mirror' && command.percent !== undefined ? { mirrorPercent: command.percent } : {}),
    ...(command.kind === 'weights'
      ? { weights: Object.fromEntries(command.weights.map((w) => [w.version, w.weight])) }
      : {}),
    ...(command.hosts.length > 0
      ? { hosts: Object.fromEntries(command.hosts.map((h) => [h.version, h.host])) }
      : {}),
    ...(command.withSources.length > 0 ? { withSources: [...command.withSources] } : {}),
    ...(command.onFailure ? { options: { onFailure: command.onFailure } } : {}),
    ...(command.cluster ? { cluster: command.cluster } : {}),
    meta: { [CARD_CHANNEL]: channelId },
  };
}

async function metricsMessage(
  deps: SlackWorkerDependencies,
  service: string,
  namespace: string,
  windowSeconds: number,
): Promise<SlackMessage> {
  try {
    const report = await deps.metrics.red(
      { namespaces: [namespace], services: [service] },
      { at: deps.clock(), windowSeconds },
    );
    const lines = report.versions.map(
      (v) =>
        `*${v.version}* (${v.workload}): ${v.requestRate.toFixed(2)} req/s, errors ${v.errorRate === undefined ? 'n/a' : `${(v.errorRate * 100).toFixed(2)}%`}, p99 ${v.latencyMs ? `${v.latencyMs.p99.toFixed(0)} ms` : 'n/a'}`,
    );
    return fitMessage(`RED of ${service}.${namespace}`, [
      section(
        `*RED of ${service}.${namespace}, last ${Math.round(windowSeconds / 60)} min*\n${lines.join('\n')}`,
      ),
    ]);
  } catch (error) {
    return errorMessage(
      `No RED for ${service}.${namespace}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function note(text: string): SlackMessage {
  return fitMessage(text, [section(text)]);
}
