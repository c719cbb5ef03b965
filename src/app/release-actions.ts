import { type Actor, authorize, type Release, type ReleaseAction } from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import { observe, ReleaseNotFoundError } from './release-runner.js';
import { recordRefusal } from './start-release.js';
import { done, refused, type UseCaseResult } from './use-case-result.js';

/** A person's action on a release; approvals name the step and state version their button was for. */
export type PersonAction =
  | { action: 'approve'; step: number; stateVersion: number }
  | { action: 'reject'; reason?: string }
  | { action: 'rollback'; reason?: string }
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'cancel' };

/**
 * Approve, reject, roll back, pause, resume or cancel, as a person: authorized by the policy (a refusal is
 * recorded in the audit trail), then decided. A stale or duplicate click changes nothing and says why.
 *
 * @example await actOnRelease(deps, id, { action: 'approve', step: 1, stateVersion: 7 }, { userId: 'U1', groupIds: [] });
 */
export async function actOnRelease(
  deps: ReleaseDependencies,
  releaseId: string,
  request: PersonAction,
  actor: Actor,
): Promise<UseCaseResult<Release>> {
  const stored = await deps.store.get(releaseId);
  if (!stored) return refused(new ReleaseNotFoundError(releaseId).message);
  const permission = authorize(request.action as ReleaseAction, actor, stored.state, deps.policy);
  if (!permission.allowed) {
    await recordRefusal(deps, releaseId, actor, request.action, permission.reason);
    return refused(permission.reason);
  }
  const { release, outcome } = await observe(deps, releaseId, (current) => {
    const at = deps.clock().toISOString();
    switch (request.action) {
      case 'approve':
        return {
          type: 'approve',
          actor: actor.userId,
          at,
          step: request.step,
          stateVersion: request.stateVersion,
          ...(current.lastVerdict ? { seen: current.lastVerdict } : {}),
        };
      case 'reject':
      case 'rollback':
        return {
          type: request.action,
          actor: actor.userId,
          at,
          ...(request.reason ? { reason: request.reason } : {}),
        };
      case 'pause':
      case 'resume':
      case 'cancel':
        return { type: request.action, actor: actor.userId, at };
    }
  });
  return outcome.status === 'refused' ? refused(outcome.message) : done(release, outcome.message);
}
