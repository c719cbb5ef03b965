/**
 * The start form's catalog of services and versions, without giving the internet-facing ingress access to
 * any cluster: the worker (which holds the Kubernetes client) reads a namespace's DestinationRules and keeps
 * them as a record; the ingress answers Slack's suggestions from that record within Slack's three seconds,
 * and asks the worker for a fresh read when the record is missing or older than a minute.
 */
import { describeError, type Logger } from './logger.js';
import type { JobQueue, QueuedJob } from './ports/job-queue.js';
import type { RecordStore } from './ports/release-store.js';
import type { ServiceCatalog } from './ports/service-catalog.js';

/** The record kind of a namespace's catalog (`<cluster>/<namespace>`). */
export const CATALOG_RECORD = 'service-catalog';
/** A catalog older than this is read again (it is still answered from meanwhile). */
export const CATALOG_FRESH_SECONDS = 60;
/** At most this many services are kept per namespace (a DynamoDB item stays far below 400 KB). */
export const CATALOG_MAX_SERVICES = 2000;

/** What the record holds: each service's versions, and when the cluster was read. */
export interface CatalogRecord {
  readAt: string;
  services: Record<string, string[]>;
  /** More services than {@link CATALOG_MAX_SERVICES}: the rest were left out. */
  truncated?: boolean;
}

/** A catalog that reads a whole namespace at once: each service with its versions. */
export interface NamespaceCatalog {
  readNamespace(cluster: string, namespace: string): Promise<Map<string, string[]>>;
}

/** The job that reads a namespace's catalog from its cluster. */
export interface CatalogJob {
  kind: 'catalog';
  id: string;
  cluster: string;
  namespace: string;
  receivedAt: string;
}

/**
 * Reads a namespace's services and versions from the cluster and keeps them for the ingress.
 *
 * @example await refreshCatalog({ store, catalog: kubeCatalog, clock }, 'prod', 'bookinfo');
 */
export async function refreshCatalog(
  deps: { store: RecordStore; catalog: ServiceCatalog | NamespaceCatalog; clock: () => Date },
  cluster: string,
  namespace: string,
): Promise<CatalogRecord> {
  const catalog = deps.catalog;
  // One read of the whole namespace where the catalog can (one list of DestinationRules), not one per service.
  const all =
    'readNamespace' in catalog
      ? await catalog.readNamespace(cluster, namespace)
      : new Map(
          await Promise.all(
            (await catalog.services(cluster, namespace)).map(
              async (name) => [name, await catalog.versions(cluster, namespace, name)] as const,
            ),
          ),
        );
  const names = [...all.keys()];
  const id = `${cluster}/${namespace}`;
  // A namespace with nothing to offer (or none at all: any name can be typed) leaves no record behind.
  if (names.length === 0) {
    await deps.store.deleteRecord(CATALOG_RECORD, id);
    return { readAt: deps.clock().toISOString(), services: {} };
  }
  const kept = names.slice(0, CATALOG_MAX_SERVICES);
  const services: Record<string, string[]> = {};
  for (const name of kept) services[name] = all.get(name) ?? [];
  const record: CatalogRecord = {
    readAt: deps.clock().toISOString(),
    services,
    ...(names.length > kept.length ? { truncated: true } : {}),
  };
  await deps.store.putRecord(CATALOG_RECORD, id, record);
  return record;
}

/**
 * The catalog as the ingress sees it: the worker's record, read with one GetItem. A missing or stale record
 * asks the worker for a fresh read (at most one job per namespace per minute, by the queue's dedup id) and
 * answers what it has (nothing, the first time). A failure answers nothing and is logged: a suggestion menu
 * must never fail the request.
 *
 * @example const catalog = storedCatalog({ store, queue, clock, log });
 */
export function storedCatalog<J>(deps: {
  store: Pick<RecordStore, 'getRecord'>;
  queue: JobQueue<J>;
  clock: () => Date;
  log: Logger;
  /** The queued job that reads `cluster/namespace` (its body is a {@link CatalogJob}). */
  jobOf?: (job: CatalogJob) => QueuedJob<J>;
}): ServiceCatalog & { refresh(cluster: string, namespace: string, why?: 'miss'): Promise<void> } {
  const jobOf =
    deps.jobOf ??
    ((job: CatalogJob): QueuedJob<J> => ({
      group: `catalog:${job.cluster}/${job.namespace}`,
      dedupId: job.id,
      body: job as unknown as J,
    }));
  /** Asks for a read: one per namespace and minute, and one more on a miss (a version the record lacks). */
  const refresh = async (cluster: string, namespace: string, why?: 'miss') => {
    const at = deps.clock();
    const minute = Math.floor(at.getTime() / 60_000);
    await deps.queue.send([
      jobOf({
        kind: 'catalog',
        id: `catalog:${cluster}/${namespace}:${minute}${why === 'miss' ? ':miss' : ''}`,
        cluster,
        namespace,
        receivedAt: at.toISOString(),
      }),
    ]);
  };
  const read = async (cluster: string, namespace: string): Promise<Record<string, string[]>> => {
    try {
      const record = await deps.store.getRecord<CatalogRecord>(CATALOG_RECORD, `${cluster}/${namespace}`);
      const age = record ? (deps.clock().getTime() - Date.parse(record.value.readAt)) / 1000 : Infinity;
      if (!(age <= CATALOG_FRESH_SECONDS)) {
        await refresh(cluster, namespace).catch((error: unknown) =>
          deps.log.warn('could not ask for a fresh service catalog', {
            cluster,
            namespace,
            error: describeError(error),
          }),
        );
      }
      return record?.value.services ?? {};
    } catch (error) {
      deps.log.warn('could not read the service catalog', {
        cluster,
        namespace,
        error: describeError(error),
      });
      return {};
    }
  };
  return {
    services: async (cluster, namespace) => Object.keys(await read(cluster, namespace)),
    versions: async (cluster, namespace, service) => {
      const services = await read(cluster, namespace);
      return Object.hasOwn(services, service) ? (services[service] ?? []) : [];
    },
    refresh,
  };
}
