import {
  type ApplyFailureCode,
  decide,
  type Effect,
  isFinal,
  type Observation,
  type Outcome,
  type Release,
} from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import { describeError } from './logger.js';
import { applyMeshChange } from './mesh-effects.js';
import { MeshError } from './ports/mesh-errors.js';
import type { StoredRelease } from './ports/release-store.js';
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
  };
}

const maxConflicts = 8;

/**
 * Feeds one observation to a release: decide, write the next release with a conditional write (re-deciding
 * on a conflict), then carry out the effects in order. Mesh results come back as `applied`/`apply-failed`
 * observations, so one call runs a release as far as it can go without waiting for time or a person.
 *
 * The store is written before the mesh: a crash in between leaves `applied: false`, and the next tick
 * sends the same change again (it counts as done when already live).
 *
 * @example await observe(deps, id, (release) => ({ type: 'tick', at: deps.clock().toISOString() }));
 */
export async function observe(
  deps: ReleaseDependencies,
  releaseId: string,
  observation: (release: Release) => Observation,
): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.store.get(releaseId);
    if (!stored) throw new ReleaseNotFoundError(releaseId);
    const decision = decide(stored.state, observation(stored.state));
    let saved: StoredRelease<Release> = stored;
    if (decision.next !== stored.state) {
      try {
        saved = await deps.store.update(
          { id: releaseId, active: !isFinal(decision.next), state: decision.next },
          stored.version,
        );
      } catch (error) {
        if (error instanceof VersionConflictError && attempt < maxConflicts) continue;
        throw error;
      }
    }
    const release = await carryOut(deps, saved, decision.effects);
    return { release, outcome: decision.outcome };
  }
}

/**
 * Carries out the effects of a decision already written to the store, and feeds the mesh result back
 * (which may decide further). Returns the release as it ends up.
 */
export async function carryOut(
  deps: ReleaseDependencies,
  stored: StoredRelease<Release>,
  effects: readonly Effect[],
): Promise<Release> {
  const mesh = await execute(deps, stored, effects);
  if (!mesh) return (await deps.store.get(stored.id))?.state ?? stored.state;
  return (await observe(deps, stored.id, () => mesh)).release;
}

/**
 * Carries out effects in order. Mesh changes of one decision run in order and stop at the first failure;
 * their result is returned as the observation to feed back. Chat, events and audit are best effort for the
 * mesh's sake, but logged; the audit trail is retried by the store and a failure there is an error.
 */
async function execute(
  deps: ReleaseDependencies,
  stored: StoredRelease<Release>,
  effects: readonly Effect[],
): Promise<Observation | undefined> {
  // The card first: events go into its thread, so it must exist (and its place be known) before them.
  const notify = effects.some((e) => e.kind === 'notify' || e.kind === 'request-approval');
  const release = notify ? await showRelease(deps, stored) : stored.state;
  let meshResult: Observation | undefined;
  for (const effect of effects) {
    switch (effect.kind) {
      case 'mesh': {
        if (meshResult?.type === 'apply-failed') break;
        meshResult = await applyOne(deps, release, effect.revision, effect.change);
        break;
      }
      case 'event':
        await postEvent(deps, release, effect);
        break;
      case 'audit':
        await deps.store.appendAudit({
          releaseId: release.id,
          at: effect.at,
          actor: effect.actor,
          action: effect.action,
          step: effect.step,
          stateVersion: effect.stateVersion,
          detail: effect.detail,
        });
        break;
      case 'request-approval':
      case 'notify':
        break;
    }
  }
  return meshResult;
}

async function applyOne(
  deps: ReleaseDependencies,
  release: Release,
  revision: number,
  change: Parameters<typeof applyMeshChange>[2],
): Promise<Observation> {
  const at = () => deps.clock().toISOString();
  try {
    const router = await deps.routers(release.meta.cluster);
    await applyMeshChange(router, routeOf(release), change);
    return { type: 'applied', at: at(), revision };
  } catch (error) {
    const code: ApplyFailureCode = error instanceof MeshError ? error.code : 'unavailable';
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn('mesh change failed', {
      releaseId: release.id,
      change: change.kind,
      code,
      error: describeError(error),
    });
    return { type: 'apply-failed', at: at(), revision, code, message };
  }
}

async function postEvent(deps: ReleaseDependencies, release: Release, event: Effect & { kind: 'event' }) {
  const { type, reason, message } = event;
  try {
    await deps.notifier.postEvent(release, { type, reason, message });
  } catch (error) {
    deps.log.warn('could not post an event to chat', { releaseId: release.id, error: describeError(error) });
  }
  try {
    const router = await deps.routers(release.meta.cluster);
    await router.recordEvent(routeOf(release), { type, reason, message });
  } catch (error) {
    deps.log.warn('could not record a Kubernetes event', {
      releaseId: release.id,
      error: describeError(error),
    });
  }
}

/**
 * Re-renders the card; the first time, keeps where it was posted in `meta` (not a domain change) and
 * returns the release with it, so that events can go into the card's thread.
 */
async function showRelease(deps: ReleaseDependencies, stored: StoredRelease<Release>): Promise<Release> {
  try {
    const meta = await deps.notifier.showRelease(stored.state);
    if (!meta) return stored.state;
    for (let attempt = 1; attempt <= maxConflicts; attempt++) {
      const latest = attempt === 1 ? stored : await deps.store.get(stored.id);
      if (!latest) break;
      const state = { ...latest.state, meta: { ...latest.state.meta, ...meta } };
      try {
        await deps.store.update({ id: stored.id, active: latest.active, state }, latest.version);
        return { ...stored.state, meta: state.meta };
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
    return { ...stored.state, meta: { ...stored.state.meta, ...meta } };
  } catch (error) {
    deps.log.warn('could not show the release in chat', {
      releaseId: stored.id,
      error: describeError(error),
    });
    return stored.state;
  }
}
