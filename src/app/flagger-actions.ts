/**
 * A person's click on a Flagger card: approve or reject a confirm-* gate, or ask for a rollback. Authorized
 * by the same approval policy as native releases and recorded in the same audit trail.
 */
import {
  auditSubjectOf,
  canaryName,
  decidePersonAction,
  type FlaggerRevision,
  type PersonDecision,
  type PersonGateAction,
  parseGateId,
  REVISION_RECORD_KIND,
  revisionIdOf,
} from '../domain/flagger/index.js';
import { type Actor, type ApprovalPolicy, authorize } from '../domain/release/index.js';
import { bestEffort, type FlaggerGateDependencies, updateRevision } from './flagger-revisions.js';
import type { Telemetry } from './ports/telemetry.js';
import { originOf, recordRefusal } from './refusals.js';
import { done, refused, type UseCaseResult } from './use-case-result.js';

/** What a click needs besides the Flagger dependencies. */
export interface FlaggerActionDependencies extends FlaggerGateDependencies {
  policy: ApprovalPolicy;
  /** The cluster Flagger runs in, for the policy's rules per cluster. */
  defaultCluster?: string;
  telemetry?: Telemetry;
}

/** A click: which gate (id from the button), the record version the card showed, and what to do. */
export interface FlaggerGateRequest {
  gateId: string;
  seenVersion: number;
  action: PersonGateAction;
}

/**
 * Approves, rejects or asks for a rollback. The policy decides who may: approve and reject need the
 * namespace's approvers, rollback its approvers too. Four-eyes does not apply: Flagger, not a person,
 * started the rollout, so there is no requester to keep from approving. A refusal is recorded; a stale or
 * repeated click changes nothing and says who decided when.
 *
 * @example
 * await actOnFlaggerGate(deps, { gateId: 'test/podinfo/7845487b68/confirm-promotion', seenVersion: 2, action: 'approve' },
 *   { userId: 'U0ALICE001', groupIds: ['S0APPROVERS'] });
 */
export async function actOnFlaggerGate(
  deps: FlaggerActionDependencies,
  request: FlaggerGateRequest,
  actor: Actor,
): Promise<UseCaseResult<FlaggerRevision>> {
  const gate = parseGateId(request.gateId);
  if (!gate) return refused('This button does not name a Flagger gate.');
  const id = revisionIdOf(gate.key);
  const subject = auditSubjectOf(gate.key);
  const stored = await deps.store.getRecord<FlaggerRevision>(REVISION_RECORD_KIND, id);
  if (!stored)
    return refused(`The bot has no record of ${canaryName(gate.key)} revision ${gate.key.checksum}.`);
  const permission = authorize(
    request.action,
    actor,
    {
      namespace: gate.key.namespace,
      ...(deps.defaultCluster ? { cluster: deps.defaultCluster } : {}),
    },
    deps.policy,
  );
  if (!permission.allowed) {
    await recordRefusal(deps, subject, actor, request.action, permission.reason, {
      stateVersion: request.seenVersion,
      detail: { gate: gate.target },
    });
    return refused(permission.reason);
  }
  const at = deps.clock().toISOString();
  const { value: decision, saved } = await updateRevision<PersonDecision>(deps, id, (current) => {
    if (!current) return { value: { ok: false, reason: 'not-asked', message: 'The revision is gone.' } };
    const decided = decidePersonAction(current.revision, gate.target, request.action, actor.userId, at);
    return { value: decided, ...(decided.ok ? { next: decided.next } : {}) };
  });
  if (!decision.ok || !saved) return refused(decision.message);
  await deps.store.appendAudit({
    releaseId: subject,
    at,
    actor: actor.userId,
    action: request.action,
    stateVersion: request.seenVersion,
    detail: {
      gate: gate.target,
      ...originOf(actor),
      canary: canaryName(saved.revision),
      checksum: saved.revision.checksum,
      phase: saved.revision.phase ?? null,
      version: saved.version,
    },
  });
  const card = saved.revision.card;
  if (card) {
    await bestEffort(deps, 'update a Flagger card', () =>
      deps.notifier.updateCard(card, saved.revision, saved.version),
    );
    await bestEffort(deps, 'post a decision in a Flagger thread', () =>
      deps.notifier.postLine(card, saved.revision, {
        kind: 'decision',
        target: gate.target,
        action: request.action,
        actor: actor.userId,
      }),
    );
  }
  return done(saved.revision, decision.message);
}
