/**
 * Change events of a release's decisions (steps, rollbacks, freeze bypasses) handed to the outlet after the
 * decision and its audit entries are stored. Queuing them is best effort: a failure is logged and counted
 * (`ChangeEventNotQueued`), never a reason to fail or repeat the step.
 */
import {
  type AuditRecord,
  type ChangeEvent,
  type ChangeSubject,
  changeEventsOf,
} from '../domain/audit/index.js';
import { describeStep, type Release } from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import { describeError } from './logger.js';
import type { ChangeEventOutlet } from './ports/change-events.js';
import type { JobQueue, QueuedJob } from './ports/job-queue.js';

/** The release as its change events name it. */
export function changeSubjectOf(release: Release): ChangeSubject {
  return {
    releaseId: release.id,
    namespace: release.target.namespace,
    service: release.target.service,
    ...(release.meta.cluster !== undefined ? { cluster: release.meta.cluster } : {}),
    baselineVersion: release.baseline.version,
    canaryVersion: release.canary.version,
    steps: release.plan.steps.map((_, i) => describeStep(release, i)),
  };
}

/**
 * Queues the change events among the audit entries a decision stored (none: nothing is sent).
 *
 * @example await announceChanges(deps, saved.state, auditEntriesOf(stored.state, decision.effects));
 */
export async function announceChanges(
  deps: Pick<ReleaseDependencies, 'changeEvents' | 'log' | 'telemetry'>,
  release: Release,
  entries: readonly (Omit<AuditRecord, 'at'> & { at?: string })[],
): Promise<void> {
  if (!deps.changeEvents) return;
  const at = release.updatedAt;
  const events = changeEventsOf(
    changeSubjectOf(release),
    entries.map((e) => ({ ...e, at: e.at ?? at })),
  );
  if (events.length === 0) return;
  try {
    await deps.changeEvents.send({ releaseId: release.id, namespace: release.target.namespace }, events);
    deps.telemetry?.count('ChangeEventQueued', events.length);
  } catch (error) {
    deps.telemetry?.count('ChangeEventNotQueued', events.length);
    deps.log.warn('could not queue change events; they are not sent', {
      releaseId: release.id,
      events: events.map((e) => e.action),
      error: describeError(error),
    });
  }
}

/** The change events of one decision, on the workers' queue for the webhooks. */
export interface ChangeEventsJob {
  kind: 'change-events';
  releaseId: string;
  namespace: string;
  events: readonly ChangeEvent[];
}

/**
 * The queue message of a decision's change events: in a group of their own per release (`webhooks:<id>`),
 * so that deliveries keep their order and never wait behind, or hold up, the release's own jobs.
 *
 * @example queuedChangeEvents({ releaseId: 'r1', namespace: 'shop' }, events).group // 'webhooks:r1'
 */
export function queuedChangeEvents(
  release: { releaseId: string; namespace: string },
  events: readonly ChangeEvent[],
): QueuedJob<ChangeEventsJob> {
  return {
    group: `webhooks:${release.releaseId}`,
    dedupId: `change:${events.map((e) => e.id).join('|')}`,
    body: { kind: 'change-events', ...release, events },
  };
}

/**
 * The outlet that queues change events for the workers.
 *
 * @example const changeEvents = queueOutlet(queue);
 */
export function queueOutlet(queue: JobQueue<ChangeEventsJob>): ChangeEventOutlet {
  return { send: async (release, events) => await queue.send([queuedChangeEvents(release, events)]) };
}
