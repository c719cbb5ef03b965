/**
 * Where a release may send traffic: to Services of its own namespace, named by their short name or as
 * `<svc>.<ns>`, `<svc>.<ns>.svc` or `<svc>.<ns>.svc.cluster.local` with `<ns>` the release's namespace. Any
 * other host (another namespace's Service, a ServiceEntry's external host) only when the namespace's policy
 * lists it in `allowedHosts`. That the Service exists and is ready is the mesh's check (before any write).
 */
import type { ApprovalPolicy } from './approval-policy.js';

/**
 * Why a release in `namespace` may not send traffic to `host`, in one sentence for the person; undefined
 * when it may.
 *
 * @example hostConfinementProblem('reviews-v2', 'bookinfo', policy) // undefined
 * @example hostConfinementProblem('ratings.payments.svc.cluster.local', 'bookinfo', policy)
 * // 'ratings.payments.svc.cluster.local is not a Service of namespace bookinfo: …'
 */
export function hostConfinementProblem(
  host: string,
  namespace: string,
  policy: ApprovalPolicy,
): string | undefined {
  if (serviceNamespaceOf(host, namespace) === namespace) return undefined;
  if (allowedHostsOf(policy, namespace).includes(host)) return undefined;
  return `${host} is not a Service of namespace ${namespace}: a release sends traffic only to Services of its own namespace (a short name such as reviews-v2, or <service>.${namespace}.svc.cluster.local), unless the policy of ${namespace} lists the host in allowedHosts.`;
}

/** The namespace of a Kubernetes Service host, or undefined for any other host (a ServiceEntry's). */
function serviceNamespaceOf(host: string, namespace: string): string | undefined {
  const [name, ns, svc, ...rest] = host.split('.');
  if (!name) return undefined;
  if (ns === undefined) return namespace;
  if (svc === undefined) return ns;
  if (svc === 'svc' && (rest.length === 0 || rest.join('.') === 'cluster.local')) return ns;
  return undefined;
}

/** The hosts a namespace's policy allows beyond its own Services (own properties only). */
function allowedHostsOf(policy: ApprovalPolicy, namespace: string): readonly string[] {
  const rule =
    policy.namespaces && Object.hasOwn(policy.namespaces, namespace)
      ? policy.namespaces[namespace]
      : policy.default;
  return rule?.allowedHosts ?? [];
}
