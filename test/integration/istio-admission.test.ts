/**
 * Istio's own validating webhook guards the bed: what Istio refuses is refused here with Istio's message,
 * and the bot's mesh adapter turns that refusal into a MeshError('rejected') whose sentence quotes Istio.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { MeshError } from '../../src/app/ports/mesh-errors.js';
import type { RouteRef } from '../../src/app/ports/traffic-router.js';
import type { MatchRoute, MeshTarget } from '../../src/domain/release/index.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';

const weather = uniqueNamespace('admission-weather');
const home = uniqueNamespace('admission-bot');

let bed: BedState;
let admin: k8s.KubeConfig;
let custom: k8s.CustomObjectsApi;

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  await deploySample(admin, 'weather', weather);
});

const virtualService = (name: string, regex: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: weather },
  spec: {
    hosts: [name],
    http: [
      {
        match: [{ headers: { 'end-user': { regex } } }],
        route: [{ destination: { host: name, subset: 'v2' } }],
      },
      { route: [{ destination: { host: name, subset: 'v1' } }] },
    ],
  },
});

/** What a release's first step wants: the owned route as it is (v1 only) and the release's match routes. */
function withRoutes(host: string, release: string, routes: MatchRoute[]): MeshTarget {
  return {
    revision: 1,
    owned: { kind: 'weights', weights: [{ destination: { host, subset: 'v1' }, weight: 100 }] },
    routes,
    routePrefix: `canary-bot-${release}-`,
    fence: { release, stateVersion: 1, final: false },
  };
}

async function create(body: object): Promise<unknown> {
  return await custom.createNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: weather,
    plural: 'virtualservices',
    body,
  });
}

describe("Istio's validating webhook on the bed", () => {
  it('is registered with failurePolicy Fail', async () => {
    const api = admin.makeApiClient(k8s.AdmissionregistrationV1Api);
    const list = await api.listValidatingWebhookConfiguration();
    const ours = list.items.flatMap((c) => c.webhooks ?? []).find((w) => w.name === 'validation.istio.io');
    expect(ours?.failurePolicy).toBe('Fail');
    expect(ours?.clientConfig.url).toBe(bed.istiod.webhook);
  });

  it("refuses a VirtualService with a regex RE2 does not know, with Istio's message", async () => {
    const refusal = await create(virtualService('refused-regex', 'a\\Z')).then(
      () => 'admitted',
      (error: { code?: number; body?: unknown }) => ({ code: error.code, body: String(error.body) }),
    );

    expect(refusal).toMatchObject({ code: 400 });
    expect((refusal as { body: string }).body).toContain(
      'admission webhook \\"validation.istio.io\\" denied the request: configuration is invalid',
    );
    expect((refusal as { body: string }).body).toContain('invalid escape sequence: `\\\\Z`');
  });

  it('admits valid RE2 that JavaScript does not know, such as (?i)', async () => {
    await expect(create(virtualService('admitted-regex', '(?i)jason'))).resolves.toBeDefined();
  });

  it("turns a refusal of the bot's write into MeshError('rejected') quoting Istio; nothing is written", async () => {
    const bot = await botKubeConfig(bed, admin, home, [weather], await botClusterRole());
    const router = new IstioTrafficRouter(bot);
    const forecast: RouteRef = { namespace: weather, name: 'forecast', route: { kind: 'default' } };
    const before = await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: weather,
      plural: 'virtualservices',
      name: 'forecast',
    });

    // A label key Kubernetes and Istio refuse; the router itself does not check source labels' syntax.
    const failure = await router
      .converge(
        forecast,
        withRoutes('forecast', 'adm1', [
          {
            name: 'canary-bot-adm1-pin',
            matches: [{ kind: 'source', labels: { 'not a label!': 'v2' } }],
            destination: { host: 'forecast', subset: 'v2' },
          },
        ]),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(MeshError);
    expect((failure as MeshError).code).toBe('rejected');
    expect((failure as MeshError).message).toMatch(
      /^Istio's validating webhook refused to .+: configuration is invalid: /,
    );
    const after = await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: weather,
      plural: 'virtualservices',
      name: 'forecast',
    });
    expect((after as { spec: unknown }).spec).toEqual((before as { spec: unknown }).spec);
  });

  it('refuses a match route that a route in front would shadow, naming it; nothing is written', async () => {
    const bot = await botKubeConfig(bed, admin, home, [weather], await botClusterRole());
    const router = new IstioTrafficRouter(bot);
    const frontend: RouteRef = { namespace: weather, name: 'frontend', route: { kind: 'default' } };

    // The sample's own `testers` route sends cookie user=tester to frontend v2, in front of the default route.
    const failure = await router
      .converge(
        frontend,
        withRoutes('frontend', 'adm2', [
          {
            name: 'canary-bot-adm2-ab',
            matches: [{ kind: 'cookie', regex: cookieRegex('user=tester') }],
            destination: { host: 'frontend', subset: 'v1' },
          },
        ]),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(MeshError);
    expect((failure as MeshError).code).toBe('invalid');
    expect((failure as MeshError).message).toBe(
      'Route "testers" of the VirtualService already sends these requests elsewhere: requests with cookie: user=tester match it first, so the release\'s route would never see them.',
    );
    const live = (await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: weather,
      plural: 'virtualservices',
      name: 'frontend',
    })) as { spec: { http: { name?: string }[] } };
    expect(live.spec.http.map((r) => r.name)).toEqual(['testers', 'default']);
  });
});
