/**
 * The service catalog on the bed's real kube-apiserver, as the least-privilege bot (the role of
 * infra/k8s/rbac.yaml, nothing more): services and versions of the sample apps, hosts written every way
 * Istio allows, a namespace it may not read, and a cluster that serves only v1beta1.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { applyObjects, deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import type { Logger } from '../../src/app/logger.js';
import { MeshError } from '../../src/app/ports/mesh-errors.js';
import { cachedCatalog, KubeServiceCatalog } from '../../src/mesh/istio/service-catalog.js';

const bookinfo = uniqueNamespace('catalog-bookinfo');
const weather = uniqueNamespace('catalog-weather');
const apps = uniqueNamespace('catalog-apps');
const home = uniqueNamespace('catalog-bot');
const unbound = uniqueNamespace('catalog-unbound');

let bed: BedState;
let admin: k8s.KubeConfig;
let botConfig: k8s.KubeConfig;

/** The bot's configuration for the bed's cluster, named `bed`; any other cluster is unknown. */
const kubeConfigOf = async (cluster: string) => {
  if (cluster !== 'bed') throw new Error(`no cluster named ${cluster}`);
  return botConfig;
};

function destinationRule(
  namespace: string,
  name: string,
  host: string,
  subsets: string[],
): k8s.KubernetesObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
  } as k8s.KubernetesObject;
}

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  await Promise.all([
    deploySample(admin, 'bookinfo', bookinfo),
    deploySample(admin, 'weather', weather),
    deploySample(admin, 'two-host', apps),
  ]);
  await applyObjects(admin, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: unbound } },
    destinationRule(unbound, 'hidden', 'hidden', ['v1']),
    // Every way a rule may name its host; only those of the namespace itself are its services.
    destinationRule(bookinfo, 'extra-fqdn', `extra.${bookinfo}.svc.cluster.local`, ['v10', 'v2']),
    destinationRule(bookinfo, 'extra-short', 'extra', ['v1', 'v2']),
    destinationRule(bookinfo, 'elsewhere', `forecast.${weather}.svc.cluster.local`, ['v9']),
  ]);
  botConfig = await botKubeConfig(bed, admin, home, [bookinfo, weather, apps], await botClusterRole());
});

afterAll(async () => {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all(
    [bookinfo, weather, apps, home, unbound].map((name) =>
      core.deleteNamespace({ name }).catch(() => undefined),
    ),
  );
});

describe('KubeServiceCatalog on the real API server, as the least-privilege bot', () => {
  it("lists a namespace's services: the hosts of its DestinationRules, short, sorted, once each", async () => {
    const catalog = new KubeServiceCatalog(kubeConfigOf);

    expect(await catalog.services('bed', bookinfo)).toEqual([
      'details',
      'extra',
      'productpage',
      'ratings',
      'reviews',
    ]);
    expect(await catalog.services('bed', weather)).toEqual(['forecast', 'frontend', 'recommendation']);
  });

  it("lists a service's versions: its subsets, across the rules for its host, in version order", async () => {
    const catalog = new KubeServiceCatalog(kubeConfigOf);

    expect(await catalog.versions('bed', bookinfo, 'reviews')).toEqual(['v1', 'v2', 'v3']);
    expect(await catalog.versions('bed', bookinfo, 'extra')).toEqual(['v1', 'v2', 'v10']);
    expect(await catalog.versions('bed', weather, 'forecast')).toEqual(['v1', 'v2']);
    expect(await catalog.versions('bed', bookinfo, 'forecast')).toEqual([]);
  });

  it('knows nothing of services whose versions are their own hosts (no DestinationRule)', async () => {
    const catalog = new KubeServiceCatalog(kubeConfigOf);

    expect(await catalog.services('bed', apps)).toEqual([]);
    expect(await catalog.versions('bed', apps, 'apps-svc-all')).toEqual([]);
  });

  it('is refused a namespace the bot is not bound in, and the cache answers nothing and logs it', async () => {
    const catalog = new KubeServiceCatalog(kubeConfigOf);
    const warnings: string[] = [];
    const log: Logger = { info: () => {}, warn: (m) => void warnings.push(m), error: () => {} };

    await expect(catalog.services('bed', unbound)).rejects.toMatchObject({
      name: 'MeshError',
      code: 'forbidden',
    });
    await expect(catalog.services('bed', unbound)).rejects.toBeInstanceOf(MeshError);
    const cached = cachedCatalog(catalog, { ttlMs: 30_000, max: 10, log });
    expect(await cached.services('bed', unbound)).toEqual([]);
    expect(await cached.services('prod', bookinfo)).toEqual([]);
    expect(warnings).toEqual([
      'the service catalog could not be read',
      'the service catalog could not be read',
    ]);
  });

  it('answers from the cache within its time to live, even after the rules change', async () => {
    const cached = cachedCatalog(new KubeServiceCatalog(kubeConfigOf), { ttlMs: 60_000, max: 10 });
    expect(await cached.versions('bed', weather, 'frontend')).toEqual(['v1', 'v2']);

    await applyObjects(admin, [destinationRule(weather, 'frontend-more', 'frontend', ['v3'])]);

    expect(await cached.versions('bed', weather, 'frontend')).toEqual(['v1', 'v2']);
    expect(await new KubeServiceCatalog(kubeConfigOf).versions('bed', weather, 'frontend')).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
  });

  it('reads v1beta1 when told to', async () => {
    const catalog = new KubeServiceCatalog(kubeConfigOf, { apiVersion: 'v1beta1' });

    expect(await catalog.versions('bed', bookinfo, 'reviews')).toEqual(['v1', 'v2', 'v3']);
  });
});

describe('KubeServiceCatalog on a cluster that serves DestinationRules only in v1beta1', () => {
  const crd = 'destinationrules.networking.istio.io';

  async function serveV1(served: boolean): Promise<void> {
    const api = admin.makeApiClient(k8s.ApiextensionsV1Api);
    const found = await api.readCustomResourceDefinition({ name: crd });
    found.spec.versions = found.spec.versions.map((v) => (v.name === 'v1' ? { ...v, served } : v));
    await api.replaceCustomResourceDefinition({ name: crd, body: found });
    // The API server follows the CRD asynchronously: wait until listing in v1 answers as set.
    const custom = admin.makeApiClient(k8s.CustomObjectsApi);
    for (let i = 0; i < 200; i++) {
      const answers = await custom
        .listNamespacedCustomObject({
          group: 'networking.istio.io',
          version: 'v1',
          namespace: bookinfo,
          plural: 'destinationrules',
        })
        .then(() => true)
        .catch(() => false);
      if (answers === served) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the API server did not follow served=${served} for v1 DestinationRules`);
  }

  it('falls back to v1beta1 and lists the same', async () => {
    await serveV1(false);
    try {
      const catalog = new KubeServiceCatalog(kubeConfigOf);

      expect(await catalog.versions('bed', bookinfo, 'reviews')).toEqual(['v1', 'v2', 'v3']);
      expect(await catalog.services('bed', bookinfo)).toContain('reviews');
    } finally {
      await serveV1(true);
    }
  });
});
