/**
 * Where a release's change events go once its decision is stored: off the release's path (a queued job in
 * AWS), so that a slow or dead receiver never delays or fails a step.
 */
import type { ChangeEvent } from '../../domain/audit/index.js';

/** Hands change events to their delivery. */
export interface ChangeEventOutlet {
  /**
   * Queues the events of one decision of a release, in order. Resolves once they are queued, not delivered.
   *
   * @example await outlet.send({ releaseId: 'r1', namespace: 'shop' }, events);
   */
  send(release: { releaseId: string; namespace: string }, events: readonly ChangeEvent[]): Promise<void>;
}
