import type { ReleaseDependencies } from '../../app/dependencies.js';
import { actOnFlaggerGate } from '../../app/flagger-actions.js';
import { describeError } from '../../app/logger.js';
import type { FlaggerNotifier } from '../../app/ports/flagger-notifier.js';
import { NoDataError } from '../../app/ports/metrics-errors.js';
import type { MetricsReader } from '../../app/ports/metrics-reader.js';
import type { ChartPoster } from '../../app/ports/summary-publisher.js';
import { actOnRelease, type PersonAction } from '../../app/release-actions.js';
import { activeReleases, findRelease, releaseHistory } from '../../app/release-queries.js';
import { type StartInput, startRelease } from '../../app/start-release.js';
import { channelSubscriptions, subscribe, unsubscribe } from '../../app/subscriptions.js';
import { chartStepSeconds } from '../../app/summaries.js';
import type { Command, ReleaseActionCommand } from '../../domain/command/index.js';
import type { Actor, Release } from '../../domain/release/index.js';
import { describePeriod } from '../../domain/summary/index.js';
import { fitMessage, section } from '../views/block-kit.js';
import {
  errorMessage,
  helpMessage,
  historyList,
  type SlackMessage,
  statusList,
  subscribedNote,
  subscriptionList,
  unsubscribedNote,
} from '../views/index.js';
import { answer } from './response-url.js';
import type { SlackJob } from './slack-job.js';
import { CARD_CHANNEL } from './slack-notifier.js';

/** What the worker needs besides the use cases' dependencies. */
export interface SlackWorkerDependencies extends ReleaseDependencies {
  metrics: MetricsReader;
  /**
   * Answers the person who asked (ephemeral; in the channel for announcements); `answer` through the
   * response URL in Slack.
   */
  reply?: (responseUrl: string, message: SlackMessage, inChannel?: boolean) => Promise<void>;
  /** Shares RED charts in the channel (`/canary metrics`); without it, answers have no chart. */
  charts?: ChartPoster;
  /** Time zone of daily summaries (`--every daily 09:00`); default UTC. */
  summaryTimeZone?: string;
  /** Shows Flagger revisions; without it the Flagger card's buttons answer that gates are not set up here. */
  flaggerNotifier?: FlaggerNotifier;
}

/** An answer everyone in the channel sees (a change to the channel's subscriptions). */
interface Announcement {
  announce: SlackMessage;
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
  let message: SlackMessage | Announcement;
  try {
    message =
      job.kind === 'action'
        ? await onButton(deps, job, actor)
        : job.kind === 'flagger-action'
          ? await onFlaggerButton(deps, job, actor)
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
  if ('announce' in message) await reply(job.from.responseUrl, message.announce, true);
  else await reply(job.from.responseUrl, message);
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

async function onFlaggerButton(
  deps: SlackWorkerDependencies,
  job: Extract<SlackJob, { kind: 'flagger-action' }>,
  actor: Actor,
): Promise<SlackMessage> {
  if (!deps.flaggerNotifier) return note(':no_entry: Flagger gates are not set up for this bot.');
  const result = await actOnFlaggerGate(
    { ...deps, notifier: deps.flaggerNotifier },
    { gateId: job.value.g, seenVersion: job.value.v, action: job.action },
    actor,
  );
  return note(result.ok ? `:white_check_mark: ${result.message}` : `:no_entry: ${result.message}`);
}

async function onCommand(
  deps: SlackWorkerDependencies,
  command: Command,
  channelId: string,
  actor: Actor,
): Promise<SlackMessage | Announcement> {
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
        { channelId, userId: actor.userId },
      );
    case 'subscribe': {
      const result = await subscribe(
        deps,
        {
          channelId,
          subject: command.subject,
          ...(command.namespace ? { namespace: command.namespace } : {}),
          schedule: command.schedule,
        },
        actor.userId,
      );
      if (!result.ok) return note(`:no_entry: ${result.message}`);
      return {
        announce: subscribedNote(
          result.value.subscription,
          result.value.replaced,
          deps.summaryTimeZone ?? 'UTC',
          deps.clock(),
        ),
      };
    }
    case 'unsubscribe': {
      const result = await unsubscribe(deps, {
        channelId,
        subject: command.subject,
        ...(command.namespace ? { namespace: command.namespace } : {}),
      });
      if (!result.ok) return note(`:question: ${result.message}`);
      return { announce: unsubscribedNote(result.value, actor.userId) };
    }
    case 'subscriptions':
      return subscriptionList(
        await channelSubscriptions(deps, channelId),
        deps.summaryTimeZone ?? 'UTC',
        deps.clock(),
      );
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
  asker: { channelId: string; userId: string },
): Promise<SlackMessage> {
  try {
    const at = deps.clock();
    const report = await deps.metrics.red(
      { namespaces: [namespace], services: [service] },
      { at, windowSeconds },
    );
    const chart = await shareChart(deps, service, namespace, windowSeconds, at, asker);
    const lines = report.versions.map(
      (v) =>
        `*${v.version}* (${v.workload}): ${v.requestRate.toFixed(2)} req/s, errors ${v.errorRate === undefined ? 'n/a' : `${(v.errorRate * 100).toFixed(2)}%`}, p99 ${v.latencyMs ? `${v.latencyMs.p99.toFixed(0)} ms` : 'n/a'}`,
    );
    return fitMessage(`RED of ${service}.${namespace}`, [
      section(
        `*RED of ${service}.${namespace}, last ${Math.round(windowSeconds / 60)} min*\n${lines.join('\n')}${chart ? `\n${chart}` : ''}`,
      ),
    ]);
  } catch (error) {
    return errorMessage(
      `No RED for ${service}.${namespace}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Shares the RED chart of a service in the channel (a file cannot be shown to one person only); returns a
 * line for the private answer when there is something to say (no chart, and why).
 */
async function shareChart(
  deps: SlackWorkerDependencies,
  service: string,
  namespace: string,
  windowSeconds: number,
  at: Date,
  asker: { channelId: string; userId: string },
): Promise<string | undefined> {
  if (!deps.charts) return undefined;
  try {
    const range = await deps.metrics.redRange(
      { namespaces: [namespace], services: [service] },
      {
        start: at.getTime() - windowSeconds * 1000,
        end: at,
        stepSeconds: chartStepSeconds(windowSeconds),
      },
    );
    const name = `${service}.${namespace}`;
    await deps.charts.postChart(
      asker.channelId,
      {
        title: `RED of ${name}, last ${describePeriod(windowSeconds)}`,
        from: new Date(at.getTime() - windowSeconds * 1000),
        to: at,
        timeZone: deps.summaryTimeZone ?? 'UTC',
        series: range.series.map((s) => ({ label: s.version, points: s.points })),
      },
      { comment: `<@${asker.userId}> asked for the RED of ${name}, last ${describePeriod(windowSeconds)}.` },
    );
    return undefined;
  } catch (error) {
    if (!(error instanceof NoDataError))
      deps.log.warn('metrics chart failed', { service, namespace, error: describeError(error) });
    return `_No chart: ${error instanceof NoDataError ? 'no data over time' : 'it could not be drawn or shared'}._`;
  }
}

function note(text: string): SlackMessage {
  return fitMessage(text, [section(text)]);
}
