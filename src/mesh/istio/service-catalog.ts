/**
 * The {@link ServiceCatalog} of an Istio mesh: services are the hosts of the namespace's DestinationRules,
 * versions their subsets. It reads only what the bot's role already allows (`list` on destinationrules),
 * and {@link cachedCatalog} keeps its answers briefly so that Slack's suggestions come back fast.
 */
import * as k8s from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import { describeError, jsonLineLogger, type Logger } from '../../app/logger.js';
import { MeshError } from '../../app/ports/mesh-errors.js';
import type { ServiceCatalog } from '../../app/ports/service-catalog.js';
import { serviceOfHost } from './destination-validator.js';
import { readWithRetries } from './kube-errors.js';
import { requestTimeout } from './request-timeout.js';

const group = 'networking.istio.io';

interface DestinationRuleObject {
  spec?: { host?: string; subsets?: { name?: string }[] };
}

/** Tuning of the Kubernetes catalog. */
export interface KubeServiceCatalogOptions {
  /** The Istio API version to list in; discovered per cluster (v1, else v1beta1) when not given. */
  apiVersion?: 'v1' | 'v1beta1';
  /** Longest wait for one Kubernetes request; default 10 s. */
  requestTimeoutMs?: number;
}

/**
 * `a` before `b` the way people count versions: `v2` before `v10`.
 *
 * @example ['v10', 'v2', 'v1'].sort(byName) // ['v1', 'v2', 'v10']
 */
export function byName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Sorted by {@link byName}, without repeats. */
function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort(byName);
}

/**
 * Services (short names) and their versions (subset names) from the DestinationRules of a namespace.
 * Hosts of other namespaces and external hosts are left out; several rules for one host add up.
 *
 * @example
 * catalogOfRules([{ spec: { host: 'reviews.bookinfo.svc.cluster.local', subsets: [{ name: 'v1' }] } }], 'bookinfo')
 * // Map { 'reviews' => ['v1'] }
 */
export function catalogOfRules(
  rules: readonly DestinationRuleObject[],
  namespace: string,
): Map<string, string[]> {
  const found = new Map<string, Set<string>>();
  for (const rule of rules) {
    const host = rule.spec?.host ? serviceOfHost(rule.spec.host, namespace) : undefined;
    if (!host || host.namespace !== namespace) continue;
    const versions = found.get(host.name) ?? new Set<string>();
    for (const subset of rule.spec?.subsets ?? []) if (subset.name) versions.add(subset.name);
    found.set(host.name, versions);
  }
  return new Map(sortedNames(found.keys()).map((name) => [name, sortedNames(found.get(name) ?? [])]));
}

/**
 * The catalog over each cluster's Kubernetes API. `kubeConfigOf` gives a cluster's current client
 * configuration (as the traffic routers get theirs); an unknown cluster is its to refuse.
 *
 * @example
 * const catalog = new KubeServiceCatalog((cluster) => sources.get(cluster)!.get());
 * await catalog.versions('prod', 'bookinfo', 'reviews') // ['v1', 'v2', 'v3']
 */
export class KubeServiceCatalog implements ServiceCatalog {
  private readonly clients = new WeakMap<k8s.KubeConfig, k8s.CustomObjectsApi>();
  private readonly servedVersion = new Map<string, string>();
  private readonly call: k8s.ConfigurationOptions;

  constructor(
    private readonly kubeConfigOf: (cluster: string) => Promise<k8s.KubeConfig>,
    private readonly options: KubeServiceCatalogOptions = {},
  ) {
    this.call = requestTimeout(options.requestTimeoutMs ?? 10_000);
  }

  async services(cluster: string, namespace: string): Promise<string[]> {
    return [...(await this.read(cluster, namespace)).keys()];
  }

  async versions(cluster: string, namespace: string, service: string): Promise<string[]> {
    return (await this.read(cluster, namespace)).get(service) ?? [];
  }

  /**
   * Every service of the namespace with its versions, from one list of its DestinationRules (what the
   * worker keeps for the start form).
   *
   * @example await catalog.readNamespace('prod', 'bookinfo') // Map { 'reviews' => ['v1', 'v2', 'v3'], … }
   */
  async readNamespace(cluster: string, namespace: string): Promise<Map<string, string[]>> {
    return await this.read(cluster, namespace);
  }

  private async read(cluster: string, namespace: string): Promise<Map<string, string[]>> {
    const kubeConfig = await this.kubeConfigOf(cluster);
    let custom = this.clients.get(kubeConfig);
    if (!custom) {
      custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
      this.clients.set(kubeConfig, custom);
    }
    return catalogOfRules(await this.destinationRules(custom, cluster, namespace), namespace);
  }

  /** Lists in the version that served last; a version the cluster does not serve answers 404. */
  private async destinationRules(
    custom: k8s.CustomObjectsApi,
    cluster: string,
    namespace: string,
  ): Promise<DestinationRuleObject[]> {
    const known = this.options.apiVersion ?? this.servedVersion.get(cluster);
    const candidates = known ? [known] : ['v1', 'v1beta1'];
    for (const [i, version] of candidates.entries()) {
      try {
        const list = (await readWithRetries(
          () =>
            custom.listNamespacedCustomObject(
              { group, version, namespace, plural: 'destinationrules' },
              this.call,
            ),
          `list DestinationRules in ${namespace}`,
        )) as { items?: DestinationRuleObject[] };
        this.servedVersion.set(cluster, version);
        return list.items ?? [];
      } catch (error) {
        const last = i === candidates.length - 1;
        if (last || !(error instanceof MeshError && error.code === 'not-found')) throw error;
      }
    }
    return [];
  }
}

/** Bounds and timing of {@link cachedCatalog}. */
export interface CachedCatalogOptions {
  /** How long an answer is served without asking again. */
  ttlMs: number;
  /** Answers kept (one per cluster and namespace, and per service for versions); least recently used go first. */
  max: number;
  /** Milliseconds since some origin, above 0 (lru-cache ignores times of 0); for tests. Default `performance.now`. */
  now?: () => number;
  /** How long a caller waits for a read before it gets what is cached (even expired) or nothing; default 1500. */
  answerWithinMs?: number;
  log?: Logger;
}

/**
 * `inner` behind a small cache: an answer younger than `ttlMs` is served as is; otherwise one read per key
 * is in flight at a time, and a caller waits for it at most `answerWithinMs`. A read that fails or is late
 * answers the last answer for that key, however old, or an empty list; it is logged and never thrown.
 * A late read still fills the cache when it ends.
 *
 * @example
 * const catalog = cachedCatalog(new KubeServiceCatalog(kubeConfigOf), { ttlMs: 30_000, max: 500, log });
 */
export function cachedCatalog(inner: ServiceCatalog, options: CachedCatalogOptions): ServiceCatalog {
  const log = options.log ?? jsonLineLogger;
  const answerWithinMs = options.answerWithinMs ?? 1500;
  const cache = new LRUCache<string, string[]>({
    max: options.max,
    ttl: options.ttlMs,
    // Expired answers are kept (until pushed out) to answer when a read fails.
    noDeleteOnStaleGet: true,
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
  });
  const inFlight = new Map<string, Promise<{ ok: true; value: string[] } | { ok: false; error: unknown }>>();

  const answer = async (key: string, what: string, read: () => Promise<string[]>): Promise<string[]> => {
    const fresh = cache.get(key);
    if (fresh !== undefined) return fresh;
    let reading = inFlight.get(key);
    if (!reading) {
      reading = (async () => read())().then(
        (value) => {
          cache.set(key, value);
          return { ok: true as const, value };
        },
        (error: unknown) => ({ ok: false as const, error }),
      );
      const settled = reading;
      void settled.finally(() => {
        if (inFlight.get(key) === settled) inFlight.delete(key);
      });
      inFlight.set(key, reading);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), answerWithinMs);
    });
    const outcome = await Promise.race([reading, late]);
    clearTimeout(timer);
    if (outcome !== 'late' && outcome.ok) return outcome.value;
    const kept = cache.get(key, { allowStale: true }) ?? [];
    if (outcome === 'late')
      log.warn('the service catalog was slow to answer', {
        what,
        waitedMs: answerWithinMs,
        kept: kept.length,
      });
    else
      log.warn('the service catalog could not be read', {
        what,
        error: describeError(outcome.error),
        kept: kept.length,
      });
    return kept;
  };

  return {
    services: (cluster, namespace) =>
      answer(`services\n${cluster}\n${namespace}`, `services of ${cluster}/${namespace}`, () =>
        inner.services(cluster, namespace),
      ),
    versions: (cluster, namespace, service) =>
      answer(
        `versions\n${cluster}\n${namespace}\n${service}`,
        `versions of ${service} in ${cluster}/${namespace}`,
        () => inner.versions(cluster, namespace, service),
      ),
  };
}
