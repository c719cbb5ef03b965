import {
  type ApplyFailureCode,
  type Decision,
  decide,
  type Effect,
  fenceOf,
  type Governance,
  isFinal,
  meshTargetOf,
  type Observation,
  type Outcome,
  type Release,
  type ReleaseEvent,
} from '../domain/release/index.js';
import { announceChanges } from './change-events.js';
import type { ReleaseDependencies } from './dependencies.js';
import { freezeOf, freezeTargetOf } from './governance.js';
import { describeError } from './logger.js';
import { MeshError } from './ports/mesh-errors.js';
import { ChatUnavailableError } from './ports/release-notifier.js';
import type { NewAuditEntry, StoredRelease } from './ports/release-store.js';
import { VersionConflictError } from './ports/store-errors.js';
import type { RouteRef } from './ports/traffic-router.js';

/** What became of an observation, and the release as it is now. */
export interface RunResult {
  release: Release;
  outcome: Outcome;
}

/** The release does not exist. */
export class ReleaseNotFoundError extends Error {
  override name = 'ReleaseNotFoundError';
  constructor(readonly releaseId: string) {
    super(`There is no release ${releaseId}.`);
  }
}

/** The owned route of a release, as the traffic router names it. */
export function routeOf(release: Release): RouteRef {
  return {
    namespace: release.target.namespace,
    name: release.target.virtualService,
    route: release.target.route,
    ...(release.target.api ? { api: release.target.api } : {}),
  };
}

const maxConflicts = 8;

/** Chat work collected while a release settles: posted once the mesh is done, in the order decided. */
export interface ChatBacklog {
  events: ReleaseEvent[];
  /** The card must be redrawn. */
  redraw: boolean;
  /** The card was never posted: post it before the events, so that they go into its thread. */
  cardFirst?: boolean;
}

/**
 * Feeds one observation to a release and runs it as far as it goes without waiting for time or a person:
 * decide, write the next release with a conditional write (re-deciding on a conflict), write its audit
 * entries, converge the mesh on what the release wants now and feed the result back, and only then post
 * its events and redraw its card: the mesh never waits on chat.
 *
 * The store is written before the mesh: a crash in between leaves `applied: false`, and the release's next
 * tick converges again (a state already live counts as done). Every mesh write is fenced by the route's owner
 * mark, so a worker that outlives its turn cannot overwrite a newer state.
 *
 * @example await observe(deps, id, (release) => ({ type: 'tick', at: deps.clock().toISOString() }));
 */
export async function observe(
  deps: ReleaseDependencies,
  releaseId: string,
  observation: (release: Release) => Observation | Promise<Observation>,
): Promise<RunResult> {
  const { saved, decision } = await decideAndStore(deps, releaseId, observation);
  const chat: ChatBacklog = { events: [], redraw: false };
  const release = await settle(deps, saved, decision.effects, chat);
  // A job killed after the release ended and before it left its tombstone is delivered again, and an ended
  // release gets no tick: any job that finds it ended leaves the tombstone (a read when it is already there).
  if (isFinal(release) && release.meshChanged && !decision.effects.some((e) => e.kind === 'tombstone'))
    await seal(deps, release);
  await publish(deps, release, chat);
  return { release, outcome: decision.outcome };
}

/** Decides on the stored release and writes the next one if it changed; re-reads and decides again on a conflict. */
export async function decideAndStore(
  deps: ReleaseDependencies,
  releaseId: string,
  observation: (release: Release) => Observation | Promise<Observation>,
): Promise<{ saved: StoredRelease<Release>; decision: Decision }> {
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.store.get(releaseId);
    if (!stored) throw new ReleaseNotFoundError(releaseId);
    const seen = await observation(stored.state);
    const decision = decide(stored.state, seen, await governanceOf(deps, stored.state, seen));
    if (decision.next === stored.state) return { saved: stored, decision };
    try {
      // The decision's audit entries are stored with it, atomically.
      const audit = auditEntriesOf(stored.state, decision.effects);
      const saved = await deps.store.update(
        { id: releaseId, active: !isFinal(decision.next), state: decision.next },
        stored.rowVersion,
        { audit },
      );
      deps.telemetry?.count('Decision');
      // Webhooks hear of steps, rollbacks and bypasses through a queue: never on the release's path.
      await announceChanges(deps, saved.state, audit);
      return { saved, decision };
    } catch (error) {
      if (error instanceof VersionConflictError && attempt < maxConflicts) continue;
      throw error;
    }
  }
}

/**
 * The freeze holding a release, for the observations a freeze can hold (an approval, a resume, the tick's
 * advance): the one place where freezes are looked up for decisions, so that every way in obeys them.
 */
async function governanceOf(
  deps: ReleaseDependencies,
  release: Release,
  observation: Observation,
): Promise<Governance> {
  const asks = observation.type === 'approve' || observation.type === 'resume' || observation.type === 'tick';
  if (!asks || isFinal(release) || Number.isNaN(Date.parse(observation.at))) return {};
  // The later of the observation's moment and now: a tick job runs seconds to minutes after its minute, and
  // a window that opened meanwhile holds it.
  const at = new Date(Math.max(Date.parse(observation.at), deps.clock().getTime()));
  const freeze = await freezeOf(deps, freezeTargetOf(release), at);
  return freeze ? { freeze } : {};
}

/** The audit entries a decision's effects ask for. */
export function auditEntriesOf(
  release: Pick<Release, 'id' | 'meta'>,
  effects: readonly Effect[],
): NewAuditEntry[] {
  const cluster = release.meta.cluster;
  return effects.flatMap((effect) =>
    effect.kind === 'audit'
      ? [
          {
            releaseId: release.id,
            at: effect.at,
            actor: effect.actor,
            action: effect.action,
            ...(cluster !== undefined ? { cluster } : {}),
            step: effect.step,
            stateVersion: effect.stateVersion,
            detail: effect.detail,
          },
        ]
      : [],
  );
}

/**
 * Carries out the effects of a decision already written to the store (with its audit entries), except chat:
 * the tombstone of a release that ended, and the mesh (whose answer is fed back and may decide further). Events
 * and the redraw are collected in `chat`. Returns the release as it ends up.
 */
export async function settle(
  deps: ReleaseDependencies,
  stored: StoredRelease<Release>,
  effects: readonly Effect[],
  chat: ChatBacklog,
): Promise<Release> {
  const release = stored.state;
  let converge = false;
  for (const effect of effects) {
    switch (effect.kind) {
      case 'audit':
        break; // stored with the decision

      case 'event':
        chat.events.push({ type: effect.type, reason: effect.reason, message: effect.message });
        break;
      case 'notify':
        chat.redraw = true;
        break;
      case 'converge':
        converge ||= effect.revision === release.desired.revision && !release.applied;
        break;
      case 'tombstone':
        await seal(deps, release);
        break;
      case 'request-approval':
        break;
    }
  }
  if (!converge) return release;
  const answer = await convergeMesh(deps, release);
  const next = await decideAndStore(deps, release.id, () => answer);
  return await settle(deps, next.saved, next.decision.effects, chat);
}

/**
 * Makes the route what the release wants at its state version, computed from the release as stored now,
 * and says how it went as an observation.
 */
export async function convergeMesh(deps: ReleaseDependencies, release: Release): Promise<Observation> {
  const at = () => deps.clock().toISOString();
  const revision = release.desired.revision;
  try {
    const router = await deps.routers(release.meta.cluster);
    await router.converge(routeOf(release), meshTargetOf(release));
    deps.telemetry?.count('MeshWrite');
    return { type: 'applied', at: at(), revision };
  } catch (error) {
    const code: ApplyFailureCode = error instanceof MeshError ? error.code : 'unavailable';
    const message = error instanceof MeshError ? error.message : 'The Kubernetes API could not be reached.';
    deps.telemetry?.count('MeshError', 1, { code });
    deps.log.warn('mesh change failed', {
      releaseId: release.id,
      revision,
      code,
      error: describeError(error),
    });
    return { type: 'apply-failed', at: at(), revision, code, message };
  }
}

/** Marks the route of a release that ended, so that no late write of it lands (best effort: logged). */
async function seal(deps: ReleaseDependencies, release: Release): Promise<void> {
  try {
    const router = await deps.routers(release.meta.cluster);
    await router.seal(routeOf(release), fenceOf(release));
  } catch (error) {
    deps.log.warn('could not leave the tombstone on the route', {
      releaseId: release.id,
      error: describeError(error),
    });
  }
}

/** Chat a release still owes: kept in the store when Slack could not take it, posted by the next job. */
export interface ChatOutbox {
  events: ReleaseEvent[];
  redraw: boolean;
  cardFirst?: boolean;
  /** Jobs that tried to post it. */
  attempts: number;
  since: string;
}

/** The store record kind of a release's pending chat (keyed by release id). */
export const CHAT_OUTBOX_KIND = 'chat-outbox';

/** A release's pending chat is given up after this many jobs could not post it (about an hour of ticks). */
export const MAX_CHAT_ATTEMPTS = 60;

/**
 * Posts what a release said while it settled: its events as Kubernetes Events on the route (now), and into
 * the card's thread after any the release still owes, in order, then the card redrawn once, from the release
 * as it ended up. Chat never undoes or delays what the mesh already did, and a worker never waits out Slack:
 * when Slack is rate limiting or unavailable, what is left is kept in the store (`chat-outbox`) and the
 * release's next job (a click, or the tick's, every minute, ended releases included) posts it. A message Slack
 * refuses for good is logged and skipped.
 */
export async function publish(deps: ReleaseDependencies, release: Release, chat: ChatBacklog): Promise<void> {
  for (const event of chat.events) await recordKubeEvent(deps, release, event);
  const pending = await readOutbox(deps, release.id);
  const events = [...(pending?.events ?? []), ...chat.events];
  let redraw = chat.redraw || (pending?.redraw ?? false);
  const cardFirst = (chat.cardFirst ?? false) || (pending?.cardFirst ?? false);
  if (!pending && events.length === 0 && !redraw) return;
  let current = release;
  let posted = 0;
  try {
    if (cardFirst && redraw) {
      current = await drawCard(deps, current);
      redraw = false;
    }
    for (const event of events) {
      await postEvent(deps, current, event);
      posted++;
    }
    if (redraw) await drawCard(deps, current);
    redraw = false;
  } catch (error) {
    if (!(error instanceof ChatUnavailableError)) throw error;
    const left = {
      events: events.slice(posted),
      redraw,
      ...(cardFirst && redraw ? { cardFirst: true } : {}),
    };
    await keepForLater(deps, release, pending, left, error);
    return;
  }
  if (pending) await deps.store.deleteRecord(CHAT_OUTBOX_KIND, release.id).catch(() => undefined);
}

async function readOutbox(deps: ReleaseDependencies, releaseId: string): Promise<ChatOutbox | undefined> {
  try {
    return (await deps.store.getRecord<ChatOutbox>(CHAT_OUTBOX_KIND, releaseId))?.value;
  } catch (error) {
    deps.log.warn('could not read the chat a release owes', { releaseId, error: describeError(error) });
    return undefined;
  }
}

async function keepForLater(
  deps: ReleaseDependencies,
  release: Release,
  pending: ChatOutbox | undefined,
  left: Pick<ChatOutbox, 'events' | 'redraw' | 'cardFirst'>,
  error: ChatUnavailableError,
): Promise<void> {
  deps.telemetry?.count('SlackError');
  const outbox: ChatOutbox = {
    ...left,
    attempts: (pending?.attempts ?? 0) + 1,
    since: pending?.since ?? deps.clock().toISOString(),
  };
  const context = {
    releaseId: release.id,
    events: outbox.events.length,
    redraw: outbox.redraw,
    attempts: outbox.attempts,
    since: outbox.since,
    ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    error: describeError(error),
  };
  try {
    if (outbox.attempts > MAX_CHAT_ATTEMPTS) {
      deps.telemetry?.count('ChatDropped', Math.max(outbox.events.length, 1));
      deps.log.error('gave up posting what a release owes to chat', context);
      await deps.store.deleteRecord(CHAT_OUTBOX_KIND, release.id);
      return;
    }
    deps.telemetry?.count('ChatDeferred', Math.max(outbox.events.length, 1));
    deps.log.warn("chat deferred: Slack cannot take it now; the release's next job posts it", context);
    await deps.store.putRecord(CHAT_OUTBOX_KIND, release.id, outbox);
  } catch (storeError) {
    deps.log.error('could not keep chat for later: it is lost', {
      ...context,
      storeError: describeError(storeError),
    });
  }
}

async function recordKubeEvent(deps: ReleaseDependencies, release: Release, event: ReleaseEvent) {
  try {
    const router = await deps.routers(release.meta.cluster);
    await router.recordEvent(routeOf(release), event);
  } catch (error) {
    deps.log.warn('could not record a Kubernetes event', {
      releaseId: release.id,
      error: describeError(error),
    });
  }
}

/** Posts one event into the thread; a permanent refusal is logged and skipped, an outage is thrown. */
async function postEvent(deps: ReleaseDependencies, release: Release, event: ReleaseEvent) {
  try {
    await deps.notifier.postEvent(release, event);
  } catch (error) {
    if (error instanceof ChatUnavailableError) throw error;
    deps.telemetry?.count('SlackError');
    deps.log.warn('could not post an event to chat', { releaseId: release.id, error: describeError(error) });
  }
}

/** Redraws the card; a permanent refusal is logged, an outage is thrown. */
async function drawCard(deps: ReleaseDependencies, release: Release): Promise<Release> {
  try {
    return await postOrUpdateCard(deps, release);
  } catch (error) {
    if (error instanceof ChatUnavailableError) throw error;
    deps.telemetry?.count('SlackError');
    deps.log.warn('could not show the release in chat', {
      releaseId: release.id,
      error: describeError(error),
    });
    return release;
  }
}

/**
 * Posts a new release's card. When Slack cannot take it now, says so (`later`): the card is then posted by the
 * release's next job, before its events.
 */
export async function showNewRelease(
  deps: ReleaseDependencies,
  release: Release,
): Promise<{ release: Release; later: boolean }> {
  try {
    return { release: await drawCard(deps, release), later: false };
  } catch {
    return { release, later: true };
  }
}

/**
 * Re-renders the card; the first time, keeps where it was posted in `meta` (not a domain change) and
 * returns the release with it, so that events can go into the card's thread.
 */
async function postOrUpdateCard(deps: ReleaseDependencies, release: Release): Promise<Release> {
  const meta = await deps.notifier.showRelease(release);
  if (!meta) return release;
  for (let attempt = 1; attempt <= maxConflicts; attempt++) {
    const latest = await deps.store.get(release.id);
    if (!latest) break;
    const state = { ...latest.state, meta: { ...latest.state.meta, ...meta } };
    try {
      await deps.store.update({ id: release.id, active: latest.active, state }, latest.rowVersion);
      return { ...release, meta: state.meta };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  return { ...release, meta: { ...release.meta, ...meta } };
}
