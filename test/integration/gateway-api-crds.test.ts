/**
 * Gateway API on the bed: the standard-channel CRDs (v1.6.3) are served by the bed's kube-apiserver, and the
 * routes the bot writes pass the HTTPRoute CRD's own schema and validation rules, while a weight above the
 * bot's constant is refused there too: the constants match the schema.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { noControllerLabels } from '../../local/bed/istiod.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import {
  type HTTPRoute,
  MAX_BACKEND_WEIGHT,
  mirrorShareFor,
  ownedRuleOf,
  withOwnedRule,
  withoutOwnedRule,
} from '../../src/domain/routing/http-route.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';

const namespace = uniqueNamespace('gateway-api');
const group = 'gateway.networking.k8s.io';

let bed: BedState;
let admin: k8s.KubeConfig;
let custom: k8s.CustomObjectsApi;

/**
 * A team's own route (GAMMA: parentRef to the Service), with fields the bot must never touch. Kept away from
 * the bed's Gateway API controller (its status writes would race these writes): the schema is the subject.
 */
function teamRoute(name: string): HTTPRoute {
  return {
    apiVersion: `${group}/v1`,
    kind: 'HTTPRoute',
    metadata: {
      name,
      namespace,
      labels: { ...noControllerLabels },
      annotations: { 'team.example.com/owner': 'reviews' },
    },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
      rules: [
        {
          name: 'team-debug',
          matches: [
            { path: { type: 'PathPrefix', value: '/debug' }, headers: [{ name: 'x-debug', value: '1' }] },
          ],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { set: [{ name: 'x-route', value: 'debug' }] },
            },
          ],
          backendRefs: [{ name: 'reviews-v3', port: 9080 }],
          timeouts: { request: '10s' },
        },
        { name: 'main', backendRefs: [{ name: 'reviews', port: 9080 }] },
      ],
    },
  };
}

const where = { group, version: 'v1', namespace, plural: 'httproutes' };

async function create(route: HTTPRoute): Promise<HTTPRoute> {
  return (await custom.createNamespacedCustomObject({ ...where, body: route })) as HTTPRoute;
}

async function replace(route: HTTPRoute): Promise<HTTPRoute> {
  return (await custom.replaceNamespacedCustomObject({
    ...where,
    name: route.metadata.name,
    body: route,
  })) as HTTPRoute;
}

/** The API server's refusal of a write, as its message. */
async function refusal(write: Promise<unknown>): Promise<string> {
  try {
    await write;
  } catch (error) {
    const { code, body } = error as { code?: number; body?: unknown };
    return `${code} ${typeof body === 'string' ? body : JSON.stringify(body)}`;
  }
  throw new Error('the API server accepted the write');
}

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  await admin.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await admin?.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
});

describe('the Gateway API CRDs on the bed', () => {
  it('are the standard channel of v1.6.3, established and serving HTTPRoute v1', async () => {
    const api = admin.makeApiClient(k8s.ApiextensionsV1Api);
    const crd = await api.readCustomResourceDefinition({ name: `httproutes.${group}` });
    expect(crd.metadata?.annotations).toMatchObject({
      'gateway.networking.k8s.io/bundle-version': 'v1.6.3',
      'gateway.networking.k8s.io/channel': 'standard',
    });
    expect(crd.spec.versions.filter((v) => v.served).map((v) => v.name)).toContain('v1');
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const names = (await api.listCustomResourceDefinition()).items
      .map((c) => c.metadata?.name ?? '')
      .filter((n) => n.endsWith(`.${group}`))
      .sort();
    expect(names).toEqual(
      expect.arrayContaining([
        `gatewayclasses.${group}`,
        `gateways.${group}`,
        `httproutes.${group}`,
        `referencegrants.${group}`,
      ]),
    );
  });

  it("accept the owned rule (name, weights, header and cookie matches, RequestMirror with a fraction) and keep the team's rules", async () => {
    const live = await create(teamRoute('reviews'));
    const desired = withOwnedRule(live, 'r1', {
      backends: [
        { service: 'reviews-v1', port: 9080, percent: 90 },
        { service: 'reviews-v2', port: 9080, percent: 10 },
      ],
      match: [
        { kind: 'header', name: 'x-group', match: { exact: 'beta' } },
        { kind: 'cookie', regex: cookieRegex('user=tester') },
        { kind: 'user-agent', regex: '.*Firefox.*' },
      ],
      mirror: { service: 'reviews-v2', port: 9080, share: mirrorShareFor(0.5) },
    });
    const written = await replace(desired);

    const owned = ownedRuleOf(written, 'r1');
    expect(owned?.backendRefs?.map((b) => [b.name, b.weight])).toEqual([
      ['reviews-v1', 900_000],
      ['reviews-v2', 100_000],
    ]);
    expect(owned?.filters?.[0]?.requestMirror?.fraction).toEqual({ numerator: 5, denominator: 1000 });
    expect(owned?.matches?.[0]?.headers?.map((h) => h.name)).toEqual(['x-group', 'Cookie', 'User-Agent']);
    // The team's rules as the server keeps them, before and after: the same JSON.
    expect(JSON.stringify(written.spec.rules?.slice(1))).toBe(JSON.stringify(live.spec.rules));
    expect(written.metadata.annotations).toEqual(live.metadata.annotations);

    const restored = await replace(withoutOwnedRule(written, 'r1'));
    expect(JSON.stringify(restored.spec)).toBe(JSON.stringify(live.spec));
  });

  it(`accepts a weight of ${MAX_BACKEND_WEIGHT} and refuses one above it, as the bot's constant says`, async () => {
    const route = teamRoute('weights');
    const rule = (weight: number) => ({ name: 'w', backendRefs: [{ name: 'reviews', port: 9080, weight }] });
    await create({ ...route, spec: { ...route.spec, rules: [rule(MAX_BACKEND_WEIGHT)] } });
    const message = await refusal(
      create({
        ...route,
        metadata: { ...route.metadata, name: 'weights-too-high' },
        spec: { ...route.spec, rules: [rule(MAX_BACKEND_WEIGHT + 1)] },
      }),
    );
    expect(message).toMatch(/^422 /);
    expect(message).toMatch(/weight: Invalid value: 1000001: .*less than or equal to 1000000/);
  });

  it('refuses a mirror with both percent and fraction, which the bot never writes', async () => {
    const route = teamRoute('mirror-both');
    const message = await refusal(
      create({
        ...route,
        spec: {
          ...route.spec,
          rules: [
            {
              filters: [
                {
                  type: 'RequestMirror',
                  requestMirror: {
                    backendRef: { name: 'reviews-v2', port: 9080 },
                    percent: 5,
                    fraction: { numerator: 1, denominator: 20 },
                  },
                },
              ],
              backendRefs: [{ name: 'reviews', port: 9080 }],
            },
          ],
        },
      }),
    );
    expect(message).toMatch(/^422 .*Only one of percent or fraction may be specified/);
  });
});
