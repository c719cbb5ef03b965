/**
 * Answers Flagger's webhooks: confirm-* gates from Slack approvals, the rollback hook from the Roll back
 * button, and events relayed into the revision's thread. The store holds the truth; Slack shows it.
 */
import { createHash } from 'node:crypto';
import {
  auditSubjectOf,
  canaryName,
  decideHookCall,
  type FlaggerCall,
  type FlaggerNotice,
  type FlaggerRevision,
  type HookDecision,
  type HookVerdict,
  revisionIdOf,
} from '../domain/flagger/index.js';
import { bestEffort, ensureCard, type FlaggerGateDependencies, updateRevision } from './flagger-revisions.js';

export type { FlaggerGateDependencies } from './flagger-revisions.js';

/** The answer for Flagger: 200 means go on (gates), roll back (rollback) or received (event); 403 halts. */
export interface FlaggerHookAnswer {
  status: 200 | 403;
  verdict: HookVerdict | 'duplicate';
  message: string;
}

/** Flagger resends an event only on a failed delivery, within seconds; a day covers every retry. */
const EVENT_CLAIM_SECONDS = 24 * 3600;

/**
 * Answers one authenticated Flagger call. Store failures are thrown (the handler answers 503, which halts
 * Flagger); Slack failures are logged and never change the answer.
 *
 * @example
 * const answer = await answerFlaggerHook(deps, { hook: 'confirm-promotion', payload });
 * // { status: 403, verdict: 'waiting', message: 'confirm-promotion of podinfo.test revision … is waiting …' }
 */
export async function answerFlaggerHook(
  deps: FlaggerGateDependencies,
  call: FlaggerCall,
): Promise<FlaggerHookAnswer> {
  const id = revisionIdOf(call.payload);
  if (call.hook === 'event' && !(await deps.store.claim(eventClaimKey(id, call), EVENT_CLAIM_SECONDS))) {
    return {
      status: 200,
      verdict: 'duplicate',
      message: 'This event was already received; not posted again.',
    };
  }
  const at = deps.clock().toISOString();
  const { value: decision, saved } = await updateRevision(deps, id, (stored) => {
    const decided = decideHookCall(stored?.revision, call, at);
    return { value: decided, ...(decided.changed ? { next: decided.next } : {}) };
  });
  if (saved && decision.needsCard) {
    const hadCard = saved.revision.card !== undefined;
    const card = await ensureCard(deps, id, saved);
    if (card && hadCard && decision.cardChanged)
      await bestEffort(deps, 'update a Flagger card', () =>
        deps.notifier.updateCard(card, saved.revision, saved.version),
      );
    for (const notice of decision.notices)
      await carryOut(deps, notice, { ...saved.revision, ...(card ? { card } : {}) }, call, decision);
  }
  deps.log.info('flagger: answered', {
    hook: call.hook,
    canary: canaryName(call.payload),
    checksum: call.payload.checksum,
    verdict: decision.verdict,
  });
  return { status: decision.allow ? 200 : 403, verdict: decision.verdict, message: decision.answer };
}

async function carryOut(
  deps: FlaggerGateDependencies,
  notice: FlaggerNotice,
  revision: FlaggerRevision,
  call: FlaggerCall,
  decision: HookDecision,
): Promise<void> {
  const audit = (action: string, detail: Record<string, unknown>) =>
    deps.store.appendAudit({
      releaseId: auditSubjectOf(revision),
      at: deps.clock().toISOString(),
      actor: 'flagger',
      action,
      detail: {
        canary: canaryName(revision),
        checksum: revision.checksum,
        phase: call.payload.phase,
        ...detail,
      },
    });
  switch (notice.kind) {
    case 'gate-waiting':
      await audit('flagger-request', { gate: notice.hook, answer: decision.answer });
      await bestEffort(deps, 'post a waiting notice', () =>
        deps.notifier.postLine(revision.card, revision, { kind: 'gate-waiting', hook: notice.hook }),
      );
      return;
    case 'gate-used':
      await audit('flagger-proceed', { gate: notice.hook });
      return;
    case 'rollback-used':
      await audit('flagger-rollback', {});
      return;
    case 'event':
      await bestEffort(deps, 'relay an event', () =>
        deps.notifier.postLine(revision.card, revision, { kind: 'event', event: notice.event }),
      );
      return;
    default:
      return notice satisfies never;
  }
}

/** Flagger's retries resend the same body: same revision, timestamp and message. */
function eventClaimKey(id: string, call: Extract<FlaggerCall, { hook: 'event' }>): string {
  const digest = createHash('sha256')
    .update(`${call.event.type}\n${call.event.message}`)
    .digest('base64url')
    .slice(0, 22);
  return `flagger-event:${id}:${call.event.timestampMs}:${digest}`;
}
