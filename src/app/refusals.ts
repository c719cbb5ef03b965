/**
 * Refusals in the audit trail, bounded: at most {@link MAX_RECORDED_REFUSALS} entries per person, subject
 * (release, start of a route, Flagger revision) and action, then only counted (metric `RefusalNotRecorded`), so that a
 * flood of refused clicks cannot grow the table.
 */
import type { Actor } from '../domain/release/index.js';
import type { Logger } from './logger.js';
import type { AuditLog, RecordStore } from './ports/release-store.js';
import { VersionConflictError } from './ports/store-errors.js';
import type { Telemetry } from './ports/telemetry.js';

/** Refusals recorded per person, subject and action; the rest are counted. */
export const MAX_RECORDED_REFUSALS = 5;

/** The record kind that counts recorded refusals per person and subject. */
export const REFUSAL_COUNT_KIND = 'refusal-count';

/** What recording a refusal needs. */
export interface RefusalDependencies {
  store: AuditLog & RecordStore;
  clock: () => Date;
  log: Logger;
  telemetry?: Telemetry;
}

/**
 * Records a refusal with where it came from (channel, workspace), unless this person already has
 * {@link MAX_RECORDED_REFUSALS} of this action on this subject; returns whether it was recorded.
 *
 * @example await recordRefusal(deps, release.id, actor, 'approve', permission.reason, { stateVersion: 7 });
 */
export async function recordRefusal(
  deps: RefusalDependencies,
  subject: string,
  actor: Actor,
  action: string,
  reason: string,
  extra: { stateVersion?: number; cluster?: string; detail?: Record<string, unknown> } = {},
): Promise<boolean> {
  const id = `${subject}#${actor.userId}#${action}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const counted = await deps.store.getRecord<{ recorded: number }>(REFUSAL_COUNT_KIND, id);
    const recorded = counted?.value.recorded ?? 0;
    if (recorded >= MAX_RECORDED_REFUSALS) {
      deps.telemetry?.count('RefusalNotRecorded');
      return false;
    }
    try {
      await deps.store.putRecord(
        REFUSAL_COUNT_KIND,
        id,
        { recorded: recorded + 1 },
        { expectedVersion: counted?.version ?? 0 },
      );
    } catch (error) {
      if (error instanceof VersionConflictError) continue;
      throw error;
    }
    const last = recorded + 1 === MAX_RECORDED_REFUSALS;
    await deps.store.appendAudit({
      releaseId: subject,
      at: deps.clock().toISOString(),
      actor: actor.userId,
      ...(extra.cluster !== undefined ? { cluster: extra.cluster } : {}),
      action: `refused-${action}`,
      ...(extra.stateVersion !== undefined ? { stateVersion: extra.stateVersion } : {}),
      detail: {
        reason,
        ...originOf(actor),
        ...extra.detail,
        ...(last
          ? {
              note: `${MAX_RECORDED_REFUSALS} refusals of ${action} by ${actor.userId} recorded here; further ones are counted, not recorded.`,
            }
          : {}),
      },
    });
    return true;
  }
  deps.telemetry?.count('RefusalNotRecorded');
  return false;
}

/** Where a person acted from, for the audit trail. */
export function originOf(actor: Actor): Record<string, string> {
  const o = actor.origin;
  return {
    ...(o?.channelId ? { channel: o.channelId } : {}),
    ...(o?.teamId ? { team: o.teamId } : {}),
    ...(o?.enterpriseId ? { enterprise: o.enterpriseId } : {}),
    ...(actor.kind && actor.kind !== 'member' ? { userKind: actor.kind } : {}),
  };
}
