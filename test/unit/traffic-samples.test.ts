import type { DestinationRule, VirtualService } from '../../local/traffic/istio-types.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import type { SampleWriter } from '../../local/traffic/remote-write.js';
import { decideRoutes, type RequestAttributes } from '../../local/traffic/routing.js';
import { loadSampleApp, loadSampleProfiles, SAMPLE_APPS } from '../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
};

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const discard: SampleWriter = { write: async () => {} };

async function sample(name: (typeof SAMPLE_APPS)[number]) {
  const app = await loadSampleApp(name);
  const objects = app.objects as K8sObject[];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  return { app, objects, byKind };
}

/** Where a request to `service` goes according to the manifest's own VirtualService and rules. */
async function routeInSample(
  name: (typeof SAMPLE_APPS)[number],
  service: string,
  request: RequestAttributes = {},
) {
  const { app, byKind } = await sample(name);
  const profile = app.profiles.find((p) => p.name === service)!;
  const virtualService = byKind('VirtualService').find((vs) => vs.metadata.name === profile.virtualService) as
    | VirtualService
    | undefined;
  const decision = decideRoutes({
    ...(virtualService ? { virtualService } : {}),
    destinationRules: byKind('DestinationRule') as unknown as DestinationRule[],
    service: profile,
    request,
  });
  return Object.fromEntries(decision.shares.map((s) => [s.workload, s.fraction]));
}

describe('sample manifests', () => {
  it.each(SAMPLE_APPS)(
    '%s: namespaced objects with Deployments at 1 replica carrying app and version',
    async (name) => {
      const { app, objects, byKind } = await sample(name);

      expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: app.namespace } });
      expect(objects.slice(1).every((o) => o.metadata.namespace === app.namespace)).toBe(true);
      for (const deployment of byKind('Deployment') as unknown as {
        spec: { replicas: number; template: { metadata: { labels: Record<string, string> } } };
      }[]) {
        expect(deployment.spec.replicas).toBe(1);
        expect(Object.keys(deployment.spec.template.metadata.labels).sort()).toEqual(['app', 'version']);
      }
      for (const istio of [...byKind('VirtualService'), ...byKind('DestinationRule')]) {
        expect(istio.apiVersion).toBe('networking.istio.io/v1');
      }
    },
  );

  it('bookinfo: reviews v1/v2/v3 with subsets by version, everything routed to v1', async () => {
    const { byKind } = await sample('bookinfo');

    expect(byKind('Deployment').map((d) => d.metadata.name)).toEqual([
      'details-v1',
      'ratings-v1',
      'reviews-v1',
      'reviews-v2',
      'reviews-v3',
      'productpage-v1',
    ]);
    const reviewsRule = byKind('DestinationRule').find(
      (d) => d.metadata.name === 'reviews',
    ) as unknown as DestinationRule;
    expect(reviewsRule.spec.subsets).toEqual(
      ['v1', 'v2', 'v3'].map((v) => ({ name: v, labels: { version: v } })),
    );
    expect(
      byKind('VirtualService')
        .map((vs) => vs.metadata.name)
        .sort(),
    ).toEqual(['details', 'productpage', 'ratings', 'reviews']);
    for (const service of ['productpage', 'details', 'reviews', 'ratings']) {
      expect(await routeInSample('bookinfo', service, { headers: { 'end-user': 'jason' } })).toEqual({
        [`${service}-v1`]: 1,
      });
    }
  });

  it('weather: testers reach frontend v2, and frontend v2 is pinned to forecast v2', async () => {
    expect(await routeInSample('weather', 'frontend', { headers: { cookie: 'user=tester' } })).toEqual({
      'frontend-v2': 1,
    });
    // As a browser sends it: other cookies around it, a space after each ';'.
    expect(
      await routeInSample('weather', 'frontend', {
        headers: { cookie: 'session=4f2a9c; user=tester; theme=dark' },
      }),
    ).toEqual({ 'frontend-v2': 1 });
    expect(await routeInSample('weather', 'frontend', { headers: { cookie: 'user=someone' } })).toEqual({
      'frontend-v1': 1,
    });
    expect(
      await routeInSample('weather', 'forecast', { sourceLabels: { app: 'frontend', version: 'v2' } }),
    ).toEqual({
      'forecast-v2': 1,
    });
    expect(
      await routeInSample('weather', 'forecast', { sourceLabels: { app: 'frontend', version: 'v1' } }),
    ).toEqual({
      'forecast-v1': 1,
    });
    expect(await routeInSample('weather', 'recommendation')).toEqual({ 'recommendation-v1': 1 });
  });

  it('two-host: apps-svc-all goes to host apps-svc-v1, with no DestinationRule', async () => {
    const { app, byKind } = await sample('two-host');

    expect(byKind('DestinationRule')).toEqual([]);
    expect(byKind('Service').map((s) => s.metadata.name)).toEqual([
      'apps-svc-v1',
      'apps-svc-v2',
      'apps-svc-all',
    ]);
    expect(app.profiles.map((p) => [p.name, p.hosts])).toEqual([
      ['apps-svc-all', { 'apps-svc-v1': ['v1'], 'apps-svc-v2': ['v2'] }],
    ]);
    expect(await routeInSample('two-host', 'apps-svc-all')).toEqual({ 'apps-svc-v1': 1 });
  });
});

describe('loadSampleProfiles', () => {
  it('moves apps into the namespaces a test deployed them to', async () => {
    const app = await loadSampleApp('weather', { namespace: 'mesh-weather-x1' });
    const profiles = await loadSampleProfiles(['two-host', 'weather'], { weather: 'mesh-weather-x1' });

    expect(app.namespace).toBe('mesh-weather-x1');
    expect((app.objects as K8sObject[]).map((o) => o.metadata.namespace ?? o.metadata.name)).toEqual(
      Array(app.objects.length).fill('mesh-weather-x1'),
    );
    expect(profiles.map((p) => `${p.namespace}/${p.name}`)).toEqual([
      'apps/apps-svc-all',
      'mesh-weather-x1/frontend',
      'mesh-weather-x1/forecast',
      'mesh-weather-x1/recommendation',
    ]);
  });

  it('simulates all seeds in one call, following calls between services', async () => {
    // Prepare: the manifests' own routing objects stand in for the API server.
    const objects = (await Promise.all(SAMPLE_APPS.map((app) => loadSampleApp(app)))).flatMap(
      (a) => a.objects,
    );
    const sim = new MeshTrafficSimulator({
      services: await loadSampleProfiles(),
      reader: new StaticMeshReader(objects),
      writer: discard,
      now: () => NOW,
    });

    // Act
    await sim.simulate({ from: NOW - 10 * 60_000, to: NOW, stepSeconds: 15 });

    // Assess: 10 rps for 600 s into each entry service, every hop once per request.
    expect(sim.countRequests({ destination_service_namespace: 'bookinfo' }, 'destination_workload')).toEqual({
      'productpage-v1': 6000,
      'details-v1': 6000,
      'reviews-v1': 6000,
    });
    expect(sim.countRequests({ destination_service_namespace: 'weather' }, 'destination_workload')).toEqual({
      'frontend-v1': 5400,
      'frontend-v2': 600,
      'forecast-v1': 5400,
      'forecast-v2': 600,
      'recommendation-v1': 6000,
    });
    expect(sim.countRequests({ destination_service_namespace: 'apps' }, 'destination_service_name')).toEqual({
      'apps-svc-v1': 6000,
    });
  });
});
