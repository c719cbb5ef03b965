import {
  type Actor,
  approvalRuleOf,
  authorize,
  authorizeFreezeBypass,
  isQuorum,
  type Observation,
  type Quorum,
  type Release,
  type ReleaseAction,
  reasonRefusal,
} from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import { originOf, recordRefusal } from './refusals.js';
import { observe, ReleaseNotFoundError } from './release-runner.js';
import { done, refused, type UseCaseResult } from './use-case-result.js';

/**
 * A person's action on a release. Every action names the state version the person acted on (a button's
 * value, or the version a command resolved); approvals also name the step.
 */
export type PersonAction =
  | { action: 'approve'; step: number; stateVersion: number; bypassFreeze?: string; reason?: string }
  | { action: 'reject' | 'rollback'; stateVersion: number; reason?: string }
  | { action: 'pause' | 'resume' | 'cancel'; stateVersion: number };

/**
 * Approve, reject, roll back, pause, resume or cancel, as a person: authorized by the policy (a refusal is
 * recorded in the audit trail), then decided (a freeze holds an approval; `bypassFreeze` only for the
 * policy's `freezeBypass`). A stale or duplicate click changes nothing and says why. An approval counts
 * towards the namespace's quorum (with whether the person is in its group); an approval or rollback
 * without the reason the policy asks for is refused.
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
    await recordRefusal(deps, releaseId, actor, request.action, permission.reason, {
      stateVersion: request.stateVersion,
      cluster: stored.state.meta.cluster,
    });
    return refused(permission.reason);
  }
  const rule = approvalRuleOf(deps.policy, stored.state);
  const noReason = reasonRefusal(
    request.action as ReleaseAction,
    'reason' in request ? request.reason : undefined,
    rule,
  );
  if (noReason !== undefined) {
    await recordRefusal(deps, releaseId, actor, request.action, noReason, {
      stateVersion: request.stateVersion,
      cluster: stored.state.meta.cluster,
    });
    return refused(noReason);
  }
  if (request.action === 'approve' && request.bypassFreeze !== undefined) {
    const bypass = authorizeFreezeBypass(actor, deps.policy, request.bypassFreeze);
    if (!bypass.allowed) {
      await recordRefusal(deps, releaseId, actor, 'freeze-bypass', bypass.reason, {
        stateVersion: request.stateVersion,
        cluster: stored.state.meta.cluster,
      });
      return refused(bypass.reason);
    }
  }
  const { release, outcome } = await observe(deps, releaseId, (current) =>
    observationOf(request, actor, current, deps.clock().toISOString(), rule.quorum),
  );
  return outcome.status === 'refused' ? refused(outcome.message) : done(release, outcome.message);
}

function observationOf(
  request: PersonAction,
  actor: Actor,
  current: Release,
  at: string,
  quorum: Quorum,
): Observation {
  switch (request.action) {
    case 'approve':
      return {
        type: 'approve',
        actor: actor.userId,
        at,
        step: request.step,
        stateVersion: request.stateVersion,
        ...(current.lastVerdict ? { seen: current.lastVerdict } : {}),
        ...(Object.keys(originOf(actor)).length > 0 ? { origin: originOf(actor) } : {}),
        ...(request.bypassFreeze !== undefined ? { bypassFreeze: request.bypassFreeze } : {}),
        ...(request.reason?.trim() ? { reason: request.reason.trim() } : {}),
        ...(isQuorum(quorum)
          ? {
              quorum: {
                ...quorum,
                inGroup: quorum.oneFrom !== undefined && actor.groupIds.includes(quorum.oneFrom),
              },
            }
          : {}),
      };
    case 'reject':
    case 'rollback':
      return {
        type: request.action,
        actor: actor.userId,
        at,
        stateVersion: request.stateVersion,
        ...(request.reason ? { reason: request.reason } : {}),
      };
    case 'pause':
    case 'resume':
    case 'cancel':
      return { type: request.action, actor: actor.userId, at, stateVersion: request.stateVersion };
  }
}
