/** Reads the routing objects the simulator obeys: live from the API server, or from fixed objects. */
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { GatewayHttpRoute } from './gateway-api-routing.js';
import type { DestinationRule, VirtualService } from './istio-types.js';

/** The two reads the simulator needs; undefined when the object does not exist. */
export interface MeshReader {
  getVirtualService(namespace: string, name: string): Promise<VirtualService | undefined>;
  getDestinationRule(namespace: string, name: string): Promise<DestinationRule | undefined>;
  /** Gateway API HTTPRoutes (`gateway.networking.k8s.io/v1`); readers without them have none. */
  getHttpRoute?(namespace: string, name: string): Promise<GatewayHttpRoute | undefined>;
}

/** The API server failed to answer a read (anything but "not found"). */
export class MeshReadError extends Error {
  override readonly name = 'MeshReadError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

const GROUP = 'networking.istio.io';

/**
 * Reads VirtualServices and DestinationRules through the Kubernetes API, preferring
 * networking.istio.io/v1 and falling back to v1beta1 where v1 is not served (Istio before 1.22).
 * @example const reader = KubernetesMeshReader.fromKubeConfig(kubeConfig)
 */
export class KubernetesMeshReader implements MeshReader {
  private preferred = 0;

  constructor(
    private readonly api: CustomObjectsApi,
    private readonly versions: readonly string[] = ['v1', 'v1beta1'],
  ) {}

  /** Builds the reader from a loaded KubeConfig (its current context). */
  static fromKubeConfig(kubeConfig: KubeConfig, versions?: readonly string[]): KubernetesMeshReader {
    return new KubernetesMeshReader(kubeConfig.makeApiClient(CustomObjectsApi), versions);
  }

  getVirtualService(namespace: string, name: string): Promise<VirtualService | undefined> {
    return this.get<VirtualService>('virtualservices', namespace, name);
  }

  getDestinationRule(namespace: string, name: string): Promise<DestinationRule | undefined> {
    return this.get<DestinationRule>('destinationrules', namespace, name);
  }

  async getHttpRoute(namespace: string, name: string): Promise<GatewayHttpRoute | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        namespace,
        plural: 'httproutes',
        name,
      })) as GatewayHttpRoute;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw new MeshReadError(`reading httproutes ${namespace}/${name} failed`, { cause: error });
    }
  }

  private async get<T>(plural: string, namespace: string, name: string): Promise<T | undefined> {
    const order = [this.preferred, ...this.versions.keys()].filter((v, i, all) => all.indexOf(v) === i);
    for (const index of order) {
      const version = this.versions[index]!;
      try {
        const object = (await this.api.getNamespacedCustomObject({
          group: GROUP,
          version,
          namespace,
          plural,
          name,
        })) as T;
        this.preferred = index;
        return object;
      } catch (error) {
        if (!(error instanceof ApiException) || error.code !== 404) {
          throw new MeshReadError(`reading ${plural} ${namespace}/${name} (${GROUP}/${version}) failed`, {
            cause: error,
          });
        }
        // A Status naming the object means the kind is served but the object is missing in every version.
        if (namesMissingObject(error.body)) return undefined;
      }
    }
    return undefined;
  }
}

function namesMissingObject(body: unknown): boolean {
  let status = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return false;
    }
  }
  const details = (status as { details?: { name?: unknown } } | undefined)?.details;
  return typeof details?.name === 'string' && details.name !== '';
}

/**
 * A MeshReader over objects held in memory: unit tests, and integration tests that have no API
 * server yet. `put` replaces an object, so a test can change weights mid-run.
 */
export class StaticMeshReader implements MeshReader {
  private readonly objects = new Map<string, VirtualService | DestinationRule | GatewayHttpRoute>();

  /** Accepts any Kubernetes objects (e.g. a whole manifest); keeps VirtualServices, DestinationRules, HTTPRoutes. */
  constructor(objects: readonly unknown[] = []) {
    for (const object of objects) this.put(object);
  }

  put(object: unknown): void {
    const o = object as Partial<VirtualService> | undefined;
    if (o?.kind !== 'VirtualService' && o?.kind !== 'DestinationRule' && o?.kind !== 'HTTPRoute') return;
    if (!o.metadata?.name) throw new RangeError(`${o.kind} without metadata.name`);
    this.objects.set(
      keyOf(o.kind, o.metadata.namespace ?? 'default', o.metadata.name),
      structuredClone(o) as never,
    );
  }

  async getVirtualService(namespace: string, name: string): Promise<VirtualService | undefined> {
    const found = this.objects.get(keyOf('VirtualService', namespace, name));
    return found ? (structuredClone(found) as VirtualService) : undefined;
  }

  async getDestinationRule(namespace: string, name: string): Promise<DestinationRule | undefined> {
    const found = this.objects.get(keyOf('DestinationRule', namespace, name));
    return found ? (structuredClone(found) as DestinationRule) : undefined;
  }

  async getHttpRoute(namespace: string, name: string): Promise<GatewayHttpRoute | undefined> {
    const found = this.objects.get(keyOf('HTTPRoute', namespace, name));
    return found ? (structuredClone(found) as GatewayHttpRoute) : undefined;
  }
}

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
