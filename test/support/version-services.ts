/**
 * A namespace where each version is its own Service with a ready Deployment behind it, as an HTTPRoute
 * needs (Gateway API sends to Services, not subsets): `reviews` and `reviews-v1`, `reviews-v2`, … each
 * selecting the pods labelled `app: <name>`.
 */
import type * as k8s from '@kubernetes/client-node';
import { applyObjects, waitForDeployments } from '../../local/bed/manifests.js';

/** A Service's name and its ports (one, 9080, by default). */
export type VersionService = string | { name: string; ports: number[] };

/**
 * Creates the namespace, the Services and one ready Deployment per Service (the bed's nodes run its pods).
 *
 * @example await deployVersionServices(admin, 'http-route-x', ['reviews', 'reviews-v1', 'reviews-v2']);
 */
export async function deployVersionServices(
  admin: k8s.KubeConfig,
  namespace: string,
  services: readonly VersionService[],
): Promise<void> {
  const objects = services.flatMap((entry) => {
    const { name, ports } = typeof entry === 'string' ? { name: entry, ports: [9080] } : entry;
    const labels = { app: name };
    return [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace },
        spec: { selector: labels, ports: ports.map((port) => ({ name: `http-${port}`, port })) },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: 'example.com/app:1' }] },
          },
        },
      },
    ];
  });
  await applyObjects(admin, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    ...objects,
  ] as k8s.KubernetesObject[]);
  await waitForDeployments(admin, namespace);
}
