// Shared by the mesh tests: the bot acts with a token bound to the role in infra/k8s/rbac.yaml, nothing more.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { BedState } from './bed.js';
import { kubeConfigForToken, mintServiceAccountToken } from './kube.js';
import { applyObjects } from './manifests.js';
import { repoRoot } from './paths.js';

/** The ClusterRole of infra/k8s/rbac.yaml, as committed. */
export async function botClusterRole(): Promise<k8s.V1ClusterRole> {
  const objects = k8s.loadAllYaml(
    await readFile(join(repoRoot, 'infra', 'k8s', 'rbac.yaml'), 'utf8'),
  ) as k8s.KubernetesObject[];
  const role = objects.find((o) => o.kind === 'ClusterRole') as k8s.V1ClusterRole | undefined;
  if (!role) throw new Error('infra/k8s/rbac.yaml has no ClusterRole');
  return role;
}

/**
 * Creates a service account in `home`, binds `role` to it in each of `namespaces`, and returns a client
 * configuration that authenticates as that account.
 */
export async function botKubeConfig(
  bed: BedState,
  admin: k8s.KubeConfig,
  home: string,
  namespaces: string[],
  role: k8s.V1ClusterRole,
): Promise<k8s.KubeConfig> {
  const name = role.metadata?.name ?? 'canary-bot-mesh';
  // Each identity gets its own ClusterRole copy so variants of the role never overwrite each other.
  role = { ...role, metadata: { name: `${name}-${home}` } };
  await applyObjects(admin, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: home } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'canary-bot', namespace: home } },
    {
      ...role,
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
    } as k8s.KubernetesObject,
    ...namespaces.map(
      (namespace) =>
        ({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: `canary-bot-${home}`, namespace },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata?.name },
          subjects: [{ kind: 'ServiceAccount', name: 'canary-bot', namespace: home }],
        }) as k8s.KubernetesObject,
    ),
  ]);
  await waitForBinding(admin, home, namespaces[0] ?? home, role);
  const token = await mintServiceAccountToken(admin, home, 'canary-bot', 3600);
  return kubeConfigForToken(bed.kube, token, 'canary-bot');
}

/** RBAC is served from an informer cache: wait until the new binding answers for the role's first verb. */
async function waitForBinding(
  admin: k8s.KubeConfig,
  home: string,
  namespace: string,
  role: k8s.V1ClusterRole,
) {
  const rule = role.rules?.find((r) => (r.verbs ?? []).length > 0);
  if (!rule) return;
  const authz = admin.makeApiClient(k8s.AuthorizationV1Api);
  for (let i = 0; i < 100; i++) {
    const review = await authz.createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${home}:canary-bot`,
          resourceAttributes: {
            namespace,
            group: rule.apiGroups?.[0] ?? '',
            resource: rule.resources?.[0] ?? '',
            verb: rule.verbs[0],
          },
        },
      },
    });
    if (review.status?.allowed) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the RoleBinding for ${home}/canary-bot never took effect`);
}
