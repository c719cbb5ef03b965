import type { Release } from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import { MeshError } from './ports/mesh-errors.js';
import { NoDataError } from './ports/metrics-errors.js';
import type { RedReport } from './ports/red-metrics.js';
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

/**
 * The RED of a service as people name it: the service itself, and the hosts its VirtualService routes to
 * (the two-host example: `apps-svc-all` is served by `apps-svc-v1` and `apps-svc-v2`), with sibling hosts
 * of the same family (`apps-svc-v*`) that carry no route weight yet, as routing names versions. Read from the
 * cluster's own Prometheus.
 *
 * @example const { report, services } = await serviceRed(deps, { service: 'apps-svc-all', namespace: 'apps', windowSeconds: 600 });
 */
export async function serviceRed(
  deps: Pick<ReleaseDependencies, 'routers' | 'metricsFor' | 'clock'>,
  request: { service: string; namespace: string; cluster?: string; windowSeconds: number },
): Promise<{ report: RedReport; services: string[] }> {
  const hosts = await routedHosts(deps, request);
  const families = hosts.map((h) => h.match(/^(.*)-v[0-9][a-z0-9]*$/)?.[1]).filter((f) => f !== undefined);
  const belongs = (name: string) =>
    name === request.service || hosts.includes(name) || families.some((f) => name.startsWith(`${f}-v`));
  const namespaceWide = hosts.length > 0;
  const report = await deps
    .metricsFor(request.cluster)
    .red(
      { namespaces: [request.namespace], ...(namespaceWide ? {} : { services: [request.service] }) },
      { at: deps.clock(), windowSeconds: request.windowSeconds },
    );
  const versions = report.versions.filter((v) => belongs(v.service));
  if (versions.length === 0) throw new NoDataError(`No traffic of ${request.service}.${request.namespace}.`);
  return {
    report: { ...report, versions },
    services: [...new Set(versions.map((v) => v.service))].sort(),
  };
}

/** The short hosts the service's route (VirtualService or HTTPRoute) sends to, other than the service; none without one. */
async function routedHosts(
  deps: Pick<ReleaseDependencies, 'routers'>,
  request: { service: string; namespace: string; cluster?: string },
): Promise<string[]> {
  try {
    const router = await deps.routers(request.cluster);
    // The route object named after the service, on whichever API has it (a VirtualService when both do).
    const apis = (await router.routeApisOf?.(request.namespace, request.service)) ?? ['VirtualService'];
    const api = apis.includes('VirtualService') ? undefined : apis[0];
    if (apis.length === 0) return [];
    const snapshot = await router.readRoute({
      namespace: request.namespace,
      name: request.service,
      route: { kind: 'default' },
      ...(api ? { api } : {}),
    });
    return [
      ...new Set(snapshot.weights.map((w) => w.destination.host.split('.')[0] ?? w.destination.host)),
    ].filter((h) => h !== request.service);
  } catch (error) {
    if (error instanceof MeshError) return [];
    throw error;
  }
}
