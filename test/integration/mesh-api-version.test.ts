/**
 * Istio older than 1.22 serves networking only in v1beta1: the router discovers that and works the same.
 * The test stops serving v1 of the two CRDs for a moment, and always serves it again afterwards.
 */
import * as k8s from '@kubernetes/client-node';
import { requireBed } from '../../local/bed/bed.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { setWeights } from '../support/mesh-writes.js';

const crds = ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io'];

async function serveV1(admin: k8s.KubeConfig, served: boolean): Promise<void> {
  const api = admin.makeApiClient(k8s.ApiextensionsV1Api);
  for (const name of crds) {
    const crd = await api.readCustomResourceDefinition({ name });
    crd.spec.versions = crd.spec.versions.map((v) => (v.name === 'v1' ? { ...v, served } : v));
    await api.replaceCustomResourceDefinition({ name, body: crd });
  }
  // Discovery follows the CRDs asynchronously: wait until it says what we just set.
  const custom = admin.makeApiClient(k8s.CustomObjectsApi);
  for (let i = 0; i < 200; i++) {
    const names = await custom
      .getAPIResources({ group: 'networking.istio.io', version: 'v1' })
      .then((list) => list.resources.map((r) => r.name))
      .catch(() => [] as string[]);
    if (names.includes('virtualservices') === served) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`discovery did not follow served=${served}`);
}

describe('IstioTrafficRouter on a cluster that serves only v1beta1', () => {
  it('falls back to networking.istio.io/v1beta1 and changes weights there', async () => {
    // Prepare
    const admin = kubeConfigFrom((await requireBed()).kube.kubeconfigs.admin);
    const namespace = uniqueNamespace('v1beta1');
    await deploySample(admin, 'bookinfo', namespace);
    await serveV1(admin, false);
    try {
      const router = new IstioTrafficRouter(admin);

      // Act
      const after = await setWeights(router, { namespace, name: 'reviews', route: { kind: 'default' } }, [
        { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
        { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
      ]);

      // Assess
      expect(await router.apiVersion()).toBe('v1beta1');
      expect(after.apiVersion).toBe('networking.istio.io/v1beta1');
      expect(after.weights.map((w) => w.weight)).toEqual([90, 10]);
    } finally {
      await serveV1(admin, true);
      await admin.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
    }
  });
});
