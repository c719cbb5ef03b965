/**
 * Reads shared by summaries: due summaries with the same slot share their RED reads, so a run costs a
 * constant number of PromQL queries per distinct slot, whatever the number of subscriptions and services.
 */
import type { DueSummary, ScheduleSlot } from './schedule-slots.js';

/** Summaries that share a slot, and the selection that covers all of them. */
export interface ReadGroup {
  readonly slot: ScheduleSlot;
  /** The cluster the group's subjects are in (undefined: the default cluster): each is read from its own. */
  readonly cluster: string | undefined;
  /** Sorted. */
  readonly namespaces: readonly string[];
  /** Sorted; undefined: every service of the namespaces (a namespace subscription is among them). */
  readonly services: readonly string[] | undefined;
  readonly members: readonly DueSummary[];
}

/**
 * Groups due summaries by cluster and slot (its end, period and previous period) with the union of their
 * subjects.
 *
 * @example planReads(due).length // 1 when every due subscription is hourly
 */
export function planReads(due: readonly DueSummary[]): ReadGroup[] {
  const groups = new Map<string, DueSummary[]>();
  for (const summary of due) {
    const { at, periodStart, previousStart } = summary.slot;
    const key = `${summary.subscription.cluster ?? ''}/${at.getTime()}/${periodStart.getTime()}/${previousStart.getTime()}`;
    groups.set(key, [...(groups.get(key) ?? []), summary]);
  }
  return [...groups.values()].map((members) => {
    const subjects = members.map((m) => m.subscription.subject);
    const namespaces = [...new Set(subjects.map((s) => s.namespace))].sort();
    const everyService = subjects.some((s) => s.kind === 'namespace');
    const services = everyService
      ? undefined
      : [...new Set(subjects.flatMap((s) => (s.kind === 'service' ? [s.service] : [])))].sort();
    const first = members[0] as DueSummary;
    return { slot: first.slot, cluster: first.subscription.cluster, namespaces, services, members };
  });
}
