import { AUDIT_DEFAULT_SINCE_SECONDS, exportAudit } from '../../app/audit-export.js';
import type { ReleaseDependencies } from '../../app/dependencies.js';
import { actOnFlaggerGate } from '../../app/flagger-actions.js';
import { freezeReport, liftStop, stopTheLine } from '../../app/governance.js';
import { describeError } from '../../app/logger.js';
import type { FileSharer } from '../../app/ports/file-sharer.js';
import type { FlaggerNotifier } from '../../app/ports/flagger-notifier.js';
import type { JobQueue } from '../../app/ports/job-queue.js';
import { MetricsError, metricsFailureForPeople, NoDataError } from '../../app/ports/metrics-errors.js';
import type { ChartPoster } from '../../app/ports/summary-publisher.js';
import { UnknownClusterError } from '../../app/ports/traffic-router.js';
import { recordRefusal } from '../../app/refusals.js';
import { actOnRelease, type PersonAction } from '../../app/release-actions.js';
import { activeReleases, findRelease, releaseHistory, serviceRed } from '../../app/release-queries.js';
import { type StartInput, startRelease } from '../../app/start-release.js';
import { channelSubscriptions, subscribe, unsubscribe } from '../../app/subscriptions.js';
import { chartStepSeconds } from '../../app/summaries.js';
import {
  type AuditCommand,
  type Command,
  type FreezeCommand,
  type ReleaseActionCommand,
  SLASH_COMMAND,
  type UnfreezeCommand,
} from '../../domain/command/index.js';
import { auditSubjectOf, parseGateId } from '../../domain/flagger/index.js';
import {
  type Actor,
  authorizeOrigin,
  type Origin,
  RELEASE_TEAM_META,
  type Release,
} from '../../domain/release/index.js';
import { describePeriod } from '../../domain/summary/index.js';
import { fitMessage, section } from '../views/block-kit.js';
import {
  type ButtonValue,
  errorMessage,
  freezeList,
  helpMessage,
  historyList,
  releaseChoice,
  type SlackMessage,
  statusList,
  stopNote,
  subscribedNote,
  subscriptionList,
  unsubscribedNote,
} from '../views/index.js';
import { answer } from './response-url.js';
import { queuedSlackJob, type SlackJob } from './slack-job.js';
import { CARD_CHANNEL } from './slack-notifier.js';
import { fillRollbackChoices, onHomeClick, publishHome, unfurlReleases } from './surface-jobs.js';
import type { ViewsApi } from './views-api.js';

/** What the worker needs besides the use cases' dependencies. */
export interface SlackWorkerDependencies extends ReleaseDependencies {
  /** Where a command that acts on a release hands the action to that release's own writer. */
  queue: JobQueue<SlackJob>;
  /** A job older than this is not acted on (too late to be what the person meant); default 15 minutes. */
  maxJobAgeSeconds?: number;
  /**
   * Answers the person who asked (ephemeral; in the channel for announcements); `answer` through the
   * response URL in Slack.
   */
  reply?: (responseUrl: string, message: SlackMessage, inChannel?: boolean) => Promise<void>;
  /** Shares RED charts in the channel (`/canary metrics`); without it, answers have no chart. */
  charts?: ChartPoster;
  /** Shares files in the channel (`/canary audit`'s CSV); without it, audit exports are not offered. */
  fileSharer?: FileSharer;
  /** Time zone of daily summaries (`--every daily 09:00`); default UTC. */
  summaryTimeZone?: string;
  /** Shows Flagger revisions; without it the Flagger card's buttons answer that gates are not set up here. */
  flaggerNotifier?: FlaggerNotifier;
  /** Slack surfaces: App Home, the rollback shortcut's modal, link previews; without them those jobs are dropped. */
  surfaces?: SurfaceDependencies;
}

/** What the App Home tab, the rollback shortcut and link previews need from Slack. */
export interface SurfaceDependencies {
  views: ViewsApi;
  /** `chat.unfurl`: the previews of the release links of one message. */
  unfurl(request: UnfurlRequest): Promise<void>;
  /** A private note to a person in the app's direct messages (the answer to a click on the home tab). */
  direct(userId: string, message: SlackMessage): Promise<void>;
  /** Base URL of release links (`<publicUrl>/releases/<id>`). */
  publicUrl?: string;
}

/** One message's previews, keyed by the URL shared. */
export interface UnfurlRequest {
  channel: string;
  ts: string;
  unfurlId?: string;
  source?: string;
  unfurls: Record<string, { blocks: readonly unknown[] }>;
}

/** An answer everyone in the channel sees (a change to the channel's subscriptions). */
interface Announcement {
  announce: SlackMessage;
}

/** A job failed after Slack was answered; the queue tries it once more, then keeps it in its dead-letter queue. */
export class SlackJobError extends Error {
  override name = 'SlackJobError';
}

/**
 * Runs one job: the use case a command or click asks for, then a private answer to the person. A release
 * itself shows up in the channel through its card and thread (the notifier).
 *
 * Idempotent on the job's id: a job delivered again answers and shares its chart at most once. A job older
 * than `maxJobAgeSeconds` is dropped with a notice. When the work fails, the person is told (with the job's
 * id to quote, never internal details) and the job fails, so that the queue retries it and then
 * dead-letters it.
 *
 * @example await runSlackJob(deps, job); // handlers/worker.ts
 */
export async function runSlackJob(deps: SlackWorkerDependencies, job: SlackJob): Promise<void> {
  const reply = deps.reply ?? answer;
  const once = (step: string) => deps.store.claim(`job:${job.id}:${step}`, 3600);
  const ageSeconds = (deps.clock().getTime() - Date.parse(job.receivedAt)) / 1000;
  deps.telemetry?.count('JobAgeSeconds', Math.max(0, ageSeconds));
  if (ageSeconds > (deps.maxJobAgeSeconds ?? 900)) {
    deps.telemetry?.count('JobTooOld');
    deps.log.warn('dropped a Slack job that waited too long', { jobId: job.id, kind: job.kind, ageSeconds });
    if (await once('too-old'))
      await tryReply(
        deps,
        reply,
        job,
        note(
          `:hourglass: Your request from ${job.receivedAt.slice(11, 16)} UTC reached the bot too late (${Math.round(ageSeconds / 60)} min); nothing was done. Please try again.`,
        ),
      );
    return;
  }
  let message: SlackMessage | Announcement | undefined;
  try {
    const refusal = await refusedOrigin(deps, job);
    // A refused Home tab or link preview answers no one: the person did not ask for anything.
    if (refusal !== undefined) message = job.kind === 'home' || job.kind === 'unfurl' ? undefined : refusal;
    else {
      const actor: Actor = {
        userId: job.from.userId,
        groupIds: await deps.groupsOf(job.from.userId),
        ...(deps.userKindOf ? { kind: await deps.userKindOf(job.from.userId) } : {}),
        origin: originOfJob(job),
      };
      message = await onJob(deps, job, actor);
    }
  } catch (error) {
    if (error instanceof UnknownClusterError) {
      // Bad input, not a failure: say so, and do not try again.
      if (await once('answer')) await tryReply(deps, reply, job, note(`:question: ${error.message}`));
      return;
    }
    deps.telemetry?.count('JobFailed');
    deps.log.error('a Slack job failed', {
      jobId: job.id,
      kind: job.kind,
      user: job.from.userId,
      error: describeError(error),
    });
    if (await once('failed'))
      await tryReply(
        deps,
        reply,
        job,
        errorMessage(
          'Something failed on our side while doing this; it will be tried once more.',
          `Reference ${job.id}: give it to your platform team if this keeps happening.`,
        ),
      );
    throw new SlackJobError(`job ${job.id} (${job.kind}) failed`, { cause: error });
  }
  if (message === undefined || !(await once('answer'))) return;
  if ('announce' in message) await tryReply(deps, reply, job, message.announce, true);
  else await tryReply(deps, reply, job, message);
}

async function onJob(
  deps: SlackWorkerDependencies,
  job: SlackJob,
  actor: Actor,
): Promise<SlackMessage | Announcement | undefined> {
  switch (job.kind) {
    case 'action': {
      const message = await onButton(deps, job, actor);
      if (job.via !== 'home') return message;
      // A click on the home tab: the answer goes to the person's direct messages, and the tab is redrawn.
      await onHomeClick(deps, job, actor, message);
      return undefined;
    }
    case 'flagger-action':
      return await onFlaggerButton(deps, job, actor);
    case 'command':
      return await onCommand(deps, job, actor);
    case 'home':
      await publishHome(deps, job, actor);
      return undefined;
    case 'unfurl':
      await unfurlReleases(deps, job, actor);
      return undefined;
    case 'rollback-choices':
      await fillRollbackChoices(deps, job, actor);
      return undefined;
  }
}

/** Where a job came from, as Slack signed it (the ingress copied it from the request). */
function originOfJob(job: SlackJob): Origin {
  return {
    channelId: job.from.channelId,
    ...(job.from.teamId ? { teamId: job.from.teamId } : {}),
    ...(job.from.enterpriseId ? { enterpriseId: job.from.enterpriseId } : {}),
  };
}

/** The audit subject of a job: its release, its route, its Flagger revision, or its command. */
function subjectOf(job: SlackJob, defaultNamespace: string): string {
  switch (job.kind) {
    case 'action':
      return job.value.r;
    case 'flagger-action': {
      const gate = parseGateId(job.value.g);
      return gate ? auditSubjectOf(gate.key) : 'flagger';
    }
    case 'home':
    case 'unfurl':
    case 'rollback-choices':
      return `surface:${job.kind}`;
    case 'command': {
      const c = job.command as { namespace?: string; service?: unknown };
      return launches.has(job.command.kind) && typeof c.service === 'string'
        ? `start:${c.namespace ?? defaultNamespace}/${c.service}`
        : `command:${job.command.kind}`;
    }
  }
}

const launches = new Set(['start', 'ab', 'switch', 'mirror', 'weights']);

/**
 * Refuses, before any Web API call, a request from a workspace the policy does not serve; and a guest's or
 * external member's request that is about no release (status, metrics, subscriptions…) unless the default
 * rule allows them (requests about a release are decided by that release's rule). Refusals are recorded.
 */
async function refusedOrigin(
  deps: SlackWorkerDependencies,
  job: SlackJob,
): Promise<SlackMessage | undefined> {
  const bare: Actor = { userId: job.from.userId, groupIds: [], origin: originOfJob(job) };
  let answer = authorizeOrigin(bare, deps.policy);
  const aboutARelease =
    job.kind === 'action' ||
    job.kind === 'flagger-action' ||
    (job.kind === 'command' && (launches.has(job.command.kind) || releaseCommands.has(job.command.kind)));
  if (answer.allowed && !aboutARelease && deps.userKindOf) {
    answer = authorizeOrigin({ ...bare, kind: await deps.userKindOf(job.from.userId) }, deps.policy);
  }
  if (answer.allowed) return undefined;
  const action =
    job.kind === 'command'
      ? job.command.kind
      : job.kind === 'action' || job.kind === 'flagger-action'
        ? job.action
        : job.kind;
  // Opening the Home tab is not a request: its refusal is recorded once a day per person, not at every look.
  const day = deps.clock().toISOString().slice(0, 10);
  if (job.kind !== 'home' || (await deps.store.claim(`home-refused:${job.from.userId}:${day}`, 86_400)))
    await recordRefusal(deps, subjectOf(job, deps.defaultNamespace), bare, action, answer.reason);
  return note(`:no_entry: ${answer.reason}`);
}

const releaseCommands = new Set(['approve', 'rollback', 'pause', 'resume', 'cancel']);

/** Answers through the response URL; a failure there is logged, never a reason to do the work again. */
async function tryReply(
  deps: SlackWorkerDependencies,
  reply: NonNullable<SlackWorkerDependencies['reply']>,
  job: SlackJob,
  message: SlackMessage,
  inChannel = false,
): Promise<void> {
  try {
    if (job.from.responseUrl) await reply(job.from.responseUrl, message, inChannel);
    // No response URL (the App Home tab): a direct message; a link preview answers no one.
    else if (deps.surfaces && job.kind !== 'unfurl') await deps.surfaces.direct(job.from.userId, message);
  } catch (error) {
    deps.telemetry?.count('SlackError');
    deps.log.warn('could not answer through the response URL', {
      jobId: job.id,
      error: describeError(error),
    });
  }
}

async function onButton(
  deps: SlackWorkerDependencies,
  job: Extract<SlackJob, { kind: 'action' }>,
  actor: Actor,
) {
  const { r, s: step, v: stateVersion } = job.value;
  const reason =
    job.source?.permalink && job.reason ? `${job.reason} (from ${job.source.permalink})` : job.reason;
  const request: PersonAction =
    job.action === 'approve'
      ? {
          action: 'approve',
          step,
          stateVersion,
          ...(job.bypassFreeze !== undefined ? { bypassFreeze: job.bypassFreeze } : {}),
          ...(job.reason ? { reason: job.reason } : {}),
        }
      : job.action === 'rollback'
        ? { action: 'rollback', stateVersion, ...(reason ? { reason } : {}) }
        : { action: job.action, stateVersion };
  const result = await actOnRelease(deps, r, request, actor);
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
  job: Extract<SlackJob, { kind: 'command' }>,
  actor: Actor,
): Promise<SlackMessage | Announcement | undefined> {
  const { command } = job;
  const channelId = job.from.channelId;
  switch (command.kind) {
    case 'start':
    case 'ab':
    case 'switch':
    case 'mirror':
    case 'weights': {
      const result = await startRelease(deps, startInputOf(command, channelId, job.from.teamId), actor);
      const sameCommand =
        job.via === 'modal' && job.text
          ? `\nThe same from the command line: \`${SLASH_COMMAND} ${job.text}\``
          : '';
      return note(
        result.ok
          ? `:rocket: ${result.message} The release card is in this channel; approve its first step there.${sameCommand}`
          : `:no_entry: ${result.message}${sameCommand}`,
      );
    }
    case 'approve':
    case 'rollback':
    case 'pause':
    case 'resume':
    case 'cancel':
      return await onReleaseCommand(deps, job, command);
    case 'status': {
      const namespace = command.namespace ?? (command.service ? deps.defaultNamespace : undefined);
      const releases = (
        await activeReleases(deps, {
          ...(namespace ? { namespace } : {}),
          ...(command.service ? { service: command.service } : {}),
        })
      ).filter((r) => !command.cluster || r.meta.cluster === command.cluster);
      return statusList(releases, {
        ...(namespace ? { namespace } : {}),
        ...(command.service ? { service: command.service } : {}),
      });
    }
    case 'history': {
      const namespace = command.namespace ?? deps.defaultNamespace;
      const limit = command.limit ?? 10;
      // `--cluster` narrows the history of a service, which the store keeps for all clusters together.
      const releases = command.cluster
        ? (await releaseHistory(deps, namespace, command.service, Math.max(limit, 100)))
            .filter((r) => r.meta.cluster === command.cluster)
            .slice(0, limit)
        : await releaseHistory(deps, namespace, command.service, limit);
      return historyList(releases, {
        namespace,
        service: command.service,
      });
    }
    case 'metrics':
      return await metricsMessage(
        deps,
        {
          service: command.service,
          namespace: command.namespace ?? deps.defaultNamespace,
          windowSeconds: command.windowSeconds ?? 600,
          ...(command.cluster ? { cluster: command.cluster } : {}),
        },
        { channelId, userId: actor.userId, jobId: job.id },
      );
    case 'subscribe': {
      const result = await subscribe(
        deps,
        {
          channelId,
          subject: command.subject,
          ...(command.namespace ? { namespace: command.namespace } : {}),
          ...(command.cluster ? { cluster: command.cluster } : {}),
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
        ...(command.cluster ? { cluster: command.cluster } : {}),
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
    case 'freeze':
    case 'unfreeze':
      return await onFreezeCommand(deps, command, actor);
    case 'audit':
      return await auditMessage(deps, job, command, actor);
    case 'help':
      return helpMessage(command.topic);
  }
}

/**
 * `/canary audit`: the CSV of a service's audit trail, shared in the channel the command came from (a file
 * cannot be shown to one person only) once per job; the person is told how many entries it holds.
 */
async function auditMessage(
  deps: SlackWorkerDependencies,
  job: Extract<SlackJob, { kind: 'command' }>,
  command: AuditCommand,
  actor: Actor,
): Promise<SlackMessage> {
  if (!deps.fileSharer) return note(':no_entry: Audit exports are not set up for this bot.');
  const namespace = command.namespace ?? deps.defaultNamespace;
  const result = await exportAudit(
    deps,
    {
      service: command.service,
      namespace,
      ...(command.cluster !== undefined ? { cluster: command.cluster } : {}),
      sinceSeconds: command.sinceSeconds ?? AUDIT_DEFAULT_SINCE_SECONDS,
    },
    actor,
  );
  if (!result.ok) return note(`:no_entry: ${result.message}`);
  const exported = result.value;
  if (await deps.store.claim(`job:${job.id}:audit-file`, 3600)) {
    try {
      await deps.fileSharer.shareFile(
        job.from.channelId,
        {
          bytes: new TextEncoder().encode(exported.csv),
          filename: exported.filename,
          title: `Audit trail of ${command.service}.${namespace}`,
          altText: `CSV of ${exported.rows} audit entries of ${command.service}.${namespace}`,
        },
        { comment: `<@${actor.userId}> exported the audit trail of ${command.service}.${namespace}.` },
      );
    } catch (error) {
      deps.log.warn('could not share an audit export', {
        jobId: job.id,
        service: command.service,
        namespace,
        error: describeError(error),
      });
      return note(`:warning: ${result.message} The file could not be shared in this channel; try again.`);
    }
  }
  return note(`:page_facing_up: ${result.message} The CSV is in this channel.`);
}

/**
 * `/canary freeze` lists the freezes in force and the releases they hold (to the person);
 * `/canary freeze now` and `/canary unfreeze` stop and restart the line, announced in the channel.
 */
async function onFreezeCommand(
  deps: SlackWorkerDependencies,
  command: FreezeCommand | UnfreezeCommand,
  actor: Actor,
): Promise<SlackMessage | Announcement> {
  const scope = {
    ...(command.namespace !== undefined ? { namespace: command.namespace } : {}),
    ...(command.cluster !== undefined ? { cluster: command.cluster } : {}),
  };
  if (command.kind === 'freeze' && !command.now) return freezeList(await freezeReport(deps));
  // A stop on a cluster that does not exist would hold nothing: UnknownClusterError answers which exist.
  if (command.cluster !== undefined) await deps.routers(command.cluster);
  const result =
    command.kind === 'freeze'
      ? await stopTheLine(deps, scope, command.reason ?? '', actor)
      : await liftStop(deps, scope, actor);
  if (!result.ok) return note(`:no_entry: ${result.message}`);
  const icon = command.kind === 'freeze' ? ':octagonal_sign:' : ':arrow_forward:';
  return { announce: stopNote(`${icon} ${result.message}`, result.value.held) };
}

/**
 * A command that acts on a release: finds the release, then hands the action to the release's own writer as
 * if its card's button had been pressed, with the state version found now. The answer comes from that job.
 * The cluster is part of a release's identity: `--cluster` narrows the lookup, and when several releases
 * still match (the service on two clusters, or on two routes) nothing is guessed: the person picks one with
 * a button, which goes through the card's path.
 */
async function onReleaseCommand(
  deps: SlackWorkerDependencies,
  job: Extract<SlackJob, { kind: 'command' }>,
  command: ReleaseActionCommand,
): Promise<SlackMessage | undefined> {
  const namespace = command.namespace ?? deps.defaultNamespace;
  const onCluster = (r: Release) => command.cluster === undefined || r.meta.cluster === command.cluster;
  let candidates: Release[];
  if (command.release?.by === 'id') {
    const found = await findRelease(deps, { id: command.release.id });
    candidates = found && onCluster(found) ? [found] : [];
  } else {
    candidates = (
      await activeReleases(deps, {
        namespace,
        ...(command.release?.by === 'service' ? { service: command.release.service } : {}),
      })
    ).filter(onCluster);
  }
  const release = candidates[0];
  if (!release)
    return note(
      `:question: No active release${command.release?.by === 'service' ? ` of ${command.release.service}` : command.release?.by === 'id' ? ` ${command.release.id}` : ''} in ${namespace}${command.cluster !== undefined ? ` on cluster ${command.cluster}` : ''}.`,
    );
  if (candidates.length > 1) return releaseChoice(candidates, command.kind);
  let value: ButtonValue;
  if (command.kind === 'approve') {
    if (!release.approvalRequest)
      return note(
        `:hourglass: ${release.target.service}.${namespace} is not waiting for an approval (it is ${release.phase}).`,
      );
    value = { r: release.id, s: release.approvalRequest.step, v: release.approvalRequest.stateVersion };
  } else {
    value = { r: release.id, s: release.currentStep, v: release.version };
  }
  const action: SlackJob = {
    kind: 'action',
    id: job.id,
    action: command.kind,
    value,
    from: job.from,
    receivedAt: job.receivedAt,
    via: 'command',
    ...((command.kind === 'rollback' || command.kind === 'approve') && command.reason
      ? { reason: command.reason }
      : {}),
    ...(command.kind === 'approve' && command.bypassFreeze !== undefined
      ? { bypassFreeze: command.bypassFreeze }
      : {}),
  };
  await deps.queue.send([queuedSlackJob(action, { namespace, cluster: release.meta.cluster ?? 'default' })]);
  return undefined;
}

function startInputOf(
  command: Extract<Command, { kind: 'start' | 'ab' | 'switch' | 'mirror' | 'weights' }>,
  channelId: string,
  teamId: string | undefined,
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
    ...(command.via ? { via: command.via } : {}),
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
    ...(command.onFailure || command.bakeSeconds !== undefined
      ? {
          options: {
            ...(command.onFailure ? { onFailure: command.onFailure } : {}),
            ...(command.bakeSeconds !== undefined ? { bakeSeconds: command.bakeSeconds } : {}),
          },
        }
      : {}),
    ...(command.cluster ? { cluster: command.cluster } : {}),
    ...(command.bypassFreeze !== undefined ? { bypassFreeze: command.bypassFreeze } : {}),
    meta: { [CARD_CHANNEL]: channelId, ...(teamId ? { [RELEASE_TEAM_META]: teamId } : {}) },
  };
}

async function metricsMessage(
  deps: SlackWorkerDependencies,
  request: { service: string; namespace: string; cluster?: string; windowSeconds: number },
  asker: { channelId: string; userId: string; jobId: string },
): Promise<SlackMessage> {
  const { service, namespace, windowSeconds } = request;
  try {
    const at = deps.clock();
    const { report, services } = await serviceRed(deps, request);
    const chart = await shareChart(deps, request, services, at, asker);
    const several = services.length > 1;
    const lines = report.versions.map(
      (v) =>
        `*${several ? `${v.service} ` : ''}${v.version}* (${v.workload}): ${v.requestRate.toFixed(2)} req/s, errors ${v.errorRate === undefined ? 'n/a' : `${(v.errorRate * 100).toFixed(2)}%`}, p99 ${v.latencyMs ? `${v.latencyMs.p99.toFixed(0)} ms` : 'n/a'}`,
    );
    return fitMessage(`RED of ${service}.${namespace}`, [
      section(
        `*RED of ${service}.${namespace}, last ${Math.round(windowSeconds / 60)} min*\n${lines.join('\n')}${chart ? `\n${chart}` : ''}`,
      ),
    ]);
  } catch (error) {
    if (error instanceof NoDataError)
      return errorMessage(
        `No RED for ${service}.${namespace}: no Istio traffic in the last ${describePeriod(windowSeconds)}.`,
      );
    if (error instanceof MetricsError)
      return errorMessage(`No RED for ${service}.${namespace}: ${metricsFailureForPeople(error)}.`);
    throw error;
  }
}

/**
 * Shares the RED chart of a service in the channel (a file cannot be shown to one person only), once per
 * job; returns a line for the private answer when there is something to say (no chart, and why).
 */
async function shareChart(
  deps: SlackWorkerDependencies,
  request: { service: string; namespace: string; cluster?: string; windowSeconds: number },
  services: readonly string[],
  at: Date,
  asker: { channelId: string; userId: string; jobId: string },
): Promise<string | undefined> {
  if (!deps.charts) return undefined;
  const { service, namespace, windowSeconds } = request;
  try {
    const range = await deps.metricsFor(request.cluster).redRange(
      { namespaces: [namespace], services },
      {
        start: at.getTime() - windowSeconds * 1000,
        end: at,
        stepSeconds: chartStepSeconds(windowSeconds),
      },
    );
    if (!(await deps.store.claim(`job:${asker.jobId}:chart`, 3600))) return undefined;
    const name = `${service}.${namespace}`;
    await deps.charts.postChart(
      asker.channelId,
      {
        title: `RED of ${name}, last ${describePeriod(windowSeconds)}`,
        from: new Date(at.getTime() - windowSeconds * 1000),
        to: at,
        timeZone: deps.summaryTimeZone ?? 'UTC',
        series: range.series.map((s) => ({
          label: services.length > 1 ? `${s.service} ${s.version}` : s.version,
          points: s.points,
        })),
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
