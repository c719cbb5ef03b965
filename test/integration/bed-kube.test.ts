import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { kubeConfigForToken, kubeConfigFrom, mintServiceAccountToken } from '../../local/bed/kube.js';

let bed: BedState;
let admin: k8s.KubeConfig;
const namespace = `bed-kube-${Date.now().toString(36)}`;

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  await admin.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await admin.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
});

describe('the test bed Kubernetes API server', () => {
  it('serves the Istio networking CRDs in v1, v1beta1 and v1alpha3', async () => {
    // Act
    const crd = await admin
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'virtualservices.networking.istio.io' });

    // Assess
    const served = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
    expect(served.sort()).toEqual(['v1', 'v1alpha3', 'v1beta1']);
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
  });

  it('refuses a service account token that has no rights with 403', async () => {
    // Prepare
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });
    const token = await mintServiceAccountToken(admin, namespace, 'nobody', 600);
    const custom = kubeConfigForToken(bed.kube, token).makeApiClient(k8s.CustomObjectsApi);

    // Act
    const attempt = custom.listNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace,
      plural: 'virtualservices',
    });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 403 });
  });

  it('makes a Deployment Ready on the simulated node', async () => {
    // Prepare
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    const labels = { app: 'hello', version: 'v1' };

    // Act
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'hello-v1', labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'hello', image: 'example.com/hello:1' }] },
          },
        },
      },
    });

    // Assess
    let ready = 0;
    for (let i = 0; i < 120 && ready < 2; i++) {
      const d = await apps.readNamespacedDeployment({ name: 'hello-v1', namespace });
      ready = d.status?.readyReplicas ?? 0;
      if (ready < 2) await new Promise((r) => setTimeout(r, 500));
    }
    expect(ready).toBe(2);
  });
});
