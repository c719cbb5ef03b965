import {
  type GatewayHttpRoute,
  type GatewayHttpRule,
  httpRouteAsVirtualService,
} from '../../local/traffic/gateway-api-routing.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import { decideRoutes, type RequestAttributes, type RouteDecision } from '../../local/traffic/routing.js';
import { loadSampleApp } from '../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import { serviceProfileOf } from '../support/istio-objects.js';

const reviews = serviceProfileOf('reviews', 'shop', ['v1', 'v2', 'v3'], {
  hosts: { 'reviews-v1': 'v1', 'reviews-v2': 'v2', 'reviews-v3': 'v3' },
});

function httpRoute(rules: GatewayHttpRule[]): GatewayHttpRoute {
  return {
    metadata: { name: 'reviews', namespace: 'shop' },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }], rules },
  };
}

const to = (version: string, weight?: number) => ({
  name: `reviews-${version}`,
  port: 9080,
  ...(weight !== undefined ? { weight } : {}),
});

function route(rules: GatewayHttpRule[], request: RequestAttributes = {}): RouteDecision {
  return decideRoutes({
    virtualService: httpRouteAsVirtualService(httpRoute(rules)),
    service: reviews,
    request,
  });
}

const primary = (d: RouteDecision) =>
  Object.fromEntries(d.shares.filter((s) => !s.mirrored).map((s) => [s.version, s.fraction]));
const mirrored = (d: RouteDecision) =>
  Object.fromEntries(d.shares.filter((s) => s.mirrored).map((s) => [s.version, s.fraction]));

describe('the simulator obeys HTTPRoutes as Gateway API defines them', () => {
  it('splits by relative weights, not percentages (900000 : 100000 is 90 : 10)', () => {
    expect(primary(route([{ backendRefs: [to('v1', 900_000), to('v2', 100_000)] }]))).toEqual({
      v1: 0.9,
      v2: 0.1,
    });
    expect(primary(route([{ backendRefs: [to('v1', 3), to('v2', 1)] }]))).toEqual({ v1: 0.75, v2: 0.25 });
    // A backend without a weight weighs 1.
    expect(primary(route([{ backendRefs: [to('v1'), to('v2')] }]))).toEqual({ v1: 0.5, v2: 0.5 });
  });

  it('sends a header match to its rule even when a catch-all rule is listed first (specificity, not order)', () => {
    const rules: GatewayHttpRule[] = [
      { name: 'primary', backendRefs: [to('v1')] },
      {
        name: 'jason',
        matches: [{ headers: [{ type: 'Exact', name: 'End-User', value: 'jason' }] }],
        backendRefs: [to('v2')],
      },
    ];
    expect(primary(route(rules, { headers: { 'end-user': 'jason' } }))).toEqual({ v2: 1 });
    expect(primary(route(rules, { headers: { 'end-user': 'alice' } }))).toEqual({ v1: 1 });
  });

  it('prefers an exact path to a prefix, a longer prefix to a shorter, and prefixes match whole segments', () => {
    const rules: GatewayHttpRule[] = [
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [to('v1')] },
      { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [to('v2')] },
      { matches: [{ path: { type: 'Exact', value: '/api/health' } }], backendRefs: [to('v3')] },
    ];
    expect(primary(route(rules, { uri: '/api/health' }))).toEqual({ v3: 1 });
    expect(primary(route(rules, { uri: '/api/books' }))).toEqual({ v2: 1 });
    expect(primary(route(rules, { uri: '/api' }))).toEqual({ v2: 1 });
    expect(primary(route(rules, { uri: '/apix' }))).toEqual({ v1: 1 });
  });

  it('mirrors the fraction or percent a RequestMirror filter says', () => {
    const mirror = (requestMirror: NonNullable<GatewayHttpRule['filters']>[number]['requestMirror']) =>
      mirrored(
        route([
          {
            filters: [{ type: 'RequestMirror', ...(requestMirror ? { requestMirror } : {}) }],
            backendRefs: [to('v1')],
          },
        ]),
      );
    expect(
      mirror({ backendRef: { name: 'reviews-v2', port: 9080 }, fraction: { numerator: 1, denominator: 5 } }),
    ).toEqual({ v2: 0.2 });
    expect(mirror({ backendRef: { name: 'reviews-v2', port: 9080 }, percent: 20 })).toEqual({ v2: 0.2 });
    expect(mirror({ backendRef: { name: 'reviews-v2', port: 9080 } })).toEqual({ v2: 1 });
  });

  it('answers nothing for a request no rule matches, and nothing for a rule without backends', () => {
    const rules: GatewayHttpRule[] = [
      { matches: [{ path: { type: 'Exact', value: '/only' } }], backendRefs: [to('v1')] },
    ];
    expect(route(rules, { uri: '/other' }).shares).toEqual([]);
    expect(route([{ backendRefs: [] }]).shares).toEqual([]);
  });

  it('runs the Gateway API Bookinfo sample from its own HTTPRoute: every reviews request to reviews-v1', async () => {
    const app = await loadSampleApp('bookinfo-gw');
    const profile = app.profiles.find((p) => p.name === 'reviews');
    expect(profile?.httpRoute).toBe('reviews');
    const now = Date.parse('2026-06-01T12:00:00Z');
    const sim = new MeshTrafficSimulator({
      services: app.profiles,
      reader: new StaticMeshReader(app.objects),
      writer: { write: async () => {} },
      now: () => now,
    });
    await sim.simulate({ from: now - 10 * 60_000, to: now, stepSeconds: 15 });
    expect(
      sim.countRequests(
        { destination_service_namespace: 'bookinfo-gw', destination_app: 'reviews' },
        'destination_workload',
      ),
    ).toEqual({ 'reviews-v1': 6000 });
  });
});
