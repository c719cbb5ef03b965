import * as k8s from '@kubernetes/client-node';
import { requireBed } from '../../local/bed/bed.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import type { SampleAppName } from '../../local/traffic/samples.js';

const apps: [SampleAppName, string[]][] = [
  ['bookinfo', ['details', 'productpage', 'ratings', 'reviews']],
  ['weather', ['forecast', 'frontend']],
  ['two-host', ['apps-svc-all']],
];

describe('the seed apps of infra/samples on the bed', () => {
  const created: string[] = [];
  let admin: k8s.KubeConfig;

  beforeAll(async () => {
    admin = kubeConfigFrom((await requireBed()).kube.kubeconfigs.admin);
  });

  afterAll(async () => {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await Promise.all(created.map((name) => core.deleteNamespace({ name })));
  });

  it.each(apps)(
    '%s applies, its Deployments become Ready, and its VirtualServices read back',
    async (app, virtualServices) => {
      // Prepare
      const namespace = uniqueNamespace(`samples-${app}`);
      created.push(namespace);

      // Act: deploySample waits until every Deployment has all replicas ready, or fails.
      await deploySample(admin, app, namespace);
      const list = (await admin.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace,
        plural: 'virtualservices',
      })) as { items: { metadata: { name: string }; spec: { http?: unknown[] } }[] };

      // Assess
      expect(list.items.map((vs) => vs.metadata.name).sort()).toEqual(virtualServices);
      expect(list.items.every((vs) => (vs.spec.http ?? []).length > 0)).toBe(true);
    },
  );
});
