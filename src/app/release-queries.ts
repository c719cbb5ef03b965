import type { Release } from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import type { AuditEntry } from './ports/release-store.js';

/**
 * Active releases, optionally of one namespace and service, oldest first.
 *
 * @example await activeReleases(deps, { namespace: 'bookinfo' });
 */
export async function activeReleases(
  deps: ReleaseDependencies,
  filter: { namespace?: string; service?: string } = {},
): Promise<Release[]> {
  return (await deps.store.listActive())
    .map((s) => s.state)
    .filter(
      (r) =>
        (!filter.namespace || r.target.namespace === filter.namespace) &&
        (!filter.service || r.target.service === filter.service),
    );
}

/** The active release of a service, or the release with that id (what `/canary approve reviews` acts on). */
export async function findRelease(
  deps: ReleaseDependencies,
  which: { id: string } | { namespace: string; service: string },
): Promise<Release | undefined> {
  if ('id' in which) return (await deps.store.get(which.id))?.state;
  return (await activeReleases(deps, which))[0];
}

/** Releases of a service, newest first, finished ones included. */
export async function releaseHistory(
  deps: ReleaseDependencies,
  namespace: string,
  service: string,
  limit = 10,
): Promise<Release[]> {
  return (await deps.store.history(namespace, service, limit)).map((s) => s.state);
}

/** Everything that was done to a release, in order: who, when, which step, and what they saw. */
export async function auditTrail(deps: ReleaseDependencies, releaseId: string): Promise<AuditEntry[]> {
  return await deps.store.listAudit(releaseId);
}
