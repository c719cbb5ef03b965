import * as k8s from '@kubernetes/client-node';
import { MeshError } from '../../app/ports/mesh-errors.js';
import { describeDestination } from '../../domain/routing/route-math.js';
import type { Destination } from '../../domain/routing/virtual-service.js';
import { readWithRetries } from './kube-errors.js';

interface DestinationRuleObject {
  metadata: k8s.V1ObjectMeta;
  spec: { host?: string; subsets?: { name: string; labels?: Record<string, string> }[] };
}

/** `reviews`, `reviews.bookinfo`, `reviews.bookinfo.svc` and `reviews.bookinfo.svc.cluster.local` name one Service. */
export function serviceOfHost(
  host: string,
  namespace: string,
): { name: string; namespace: string } | undefined {
  const parts = host.split('.');
  const [name, ns = namespace, svc, ...rest] = parts;
  if (!name) return undefined;
  if (parts.length === 1 || parts.length === 2) return { name, namespace: ns };
  if (svc === 'svc' && (rest.length === 0 || rest.join('.') === 'cluster.local'))
    return { name, namespace: ns };
  return undefined; // an external host (ServiceEntry); nothing to check in the cluster
}

/**
 * Checks, before anything is written, that each destination exists (a Service, and the subset in a
 * DestinationRule for that host) and has at least one ready replica (Deployments whose pod labels match).
 */
export class DestinationValidator {
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly custom: k8s.CustomObjectsApi;

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly istioVersion: () => Promise<string>,
    private readonly call: k8s.ConfigurationOptions = {},
  ) {
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  async validate(namespace: string, destinations: readonly Destination[]): Promise<void> {
    if (destinations.length === 0) return;
    const rules = destinations.some((d) => d.subset) ? await this.destinationRules(namespace) : [];
    const deployments = await this.deployments(namespace);
    for (const destination of destinations) {
      const service = serviceOfHost(destination.host, namespace);
      if (!service) continue;
      const selector = await this.serviceSelector(service.name, service.namespace, destination);
      const labels = { ...selector, ...this.subsetLabels(rules, destination, service, namespace) };
      if (service.namespace !== namespace) continue; // readiness is checked where the bot has rights: its namespace
      const matching = deployments.filter((d) => matches(d.spec?.template.metadata?.labels ?? {}, labels));
      const ready = matching.reduce((sum, d) => sum + (d.status?.readyReplicas ?? 0), 0);
      if (ready === 0) {
        const found = matching.map(
          (d) => `${d.metadata?.name} has ${d.status?.readyReplicas ?? 0} of ${d.spec?.replicas ?? 0} ready`,
        );
        throw new MeshError(
          'not-ready',
          `${describeDestination(destination)} has no ready replicas${found.length > 0 ? `: ${found.join(', ')}` : `: no Deployment runs pods with labels ${describeLabels(labels)}`}. It gets no traffic until it is ready.`,
        );
      }
    }
  }

  private subsetLabels(
    rules: DestinationRuleObject[],
    destination: Destination,
    service: { name: string; namespace: string },
    namespace: string,
  ): Record<string, string> {
    if (!destination.subset) return {};
    const rule = rules.find((r) => {
      const host = r.spec.host ? serviceOfHost(r.spec.host, namespace) : undefined;
      return host?.name === service.name && host.namespace === service.namespace;
    });
    if (!rule) {
      throw new MeshError(
        'unknown-subset',
        `No DestinationRule defines subsets for host ${destination.host}, so subset "${destination.subset}" does not exist.`,
      );
    }
    const subset = (rule.spec.subsets ?? []).find((s) => s.name === destination.subset);
    if (!subset) {
      const known = (rule.spec.subsets ?? []).map((s) => s.name).join(', ') || 'none';
      throw new MeshError(
        'unknown-subset',
        `DestinationRule ${rule.metadata.name} has no subset "${destination.subset}" (it has ${known}).`,
      );
    }
    return subset.labels ?? {};
  }

  private async serviceSelector(
    name: string,
    namespace: string,
    destination: Destination,
  ): Promise<Record<string, string>> {
    try {
      const service = await readWithRetries(
        () => this.core.readNamespacedService({ name, namespace }, this.call),
        `read Service ${namespace}/${name}`,
      );
      return service.spec?.selector ?? {};
    } catch (error) {
      if (error instanceof MeshError && error.code === 'not-found') {
        throw new MeshError(
          'unknown-host',
          `${describeDestination(destination)}: there is no Service "${name}" in namespace ${namespace}.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async destinationRules(namespace: string): Promise<DestinationRuleObject[]> {
    const version = await this.istioVersion();
    const list = (await readWithRetries(
      () =>
        this.custom.listNamespacedCustomObject(
          {
            group: 'networking.istio.io',
            version,
            namespace,
            plural: 'destinationrules',
          },
          this.call,
        ),
      `list DestinationRules in ${namespace}`,
    )) as { items: DestinationRuleObject[] };
    return list.items;
  }

  private async deployments(namespace: string): Promise<k8s.V1Deployment[]> {
    const list = await readWithRetries(
      () => this.apps.listNamespacedDeployment({ namespace }, this.call),
      `list Deployments in ${namespace}`,
    );
    return list.items;
  }
}

function matches(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function describeLabels(labels: Record<string, string>): string {
  return (
    Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '(none)'
  );
}
