import type { DestinationRule, HttpRoute, VirtualService } from '../../local/traffic/istio-types.js';
import {
  decideRoutes,
  matchesString,
  type RequestAttributes,
  type RouteDecision,
} from '../../local/traffic/routing.js';
import { destinationRuleOf, serviceProfileOf } from '../support/istio-objects.js';

const reviews = serviceProfileOf('reviews', 'bookinfo', ['v1', 'v2', 'v3']);
const reviewsRule = destinationRuleOf('reviews', 'bookinfo', ['v1', 'v2', 'v3']);

function virtualService(http: HttpRoute[], namespace = 'bookinfo', name = 'reviews'): VirtualService {
  return { kind: 'VirtualService', metadata: { name, namespace }, spec: { hosts: [name], http } };
}

function subset(version: string, weight?: number) {
  return weight === undefined
    ? { destination: { host: 'reviews', subset: version } }
    : { destination: { host: 'reviews', subset: version }, weight };
}

/** Primary shares as `version -> fraction`, to compare by value. */
function primary(decision: RouteDecision): Record<string, number> {
  return Object.fromEntries(decision.shares.filter((s) => !s.mirrored).map((s) => [s.version, s.fraction]));
}

function mirrored(decision: RouteDecision): Record<string, number> {
  return Object.fromEntries(decision.shares.filter((s) => s.mirrored).map((s) => [s.version, s.fraction]));
}

function route(
  vs: VirtualService | undefined,
  request: RequestAttributes = {},
  service = reviews,
): RouteDecision {
  return decideRoutes({
    ...(vs ? { virtualService: vs } : {}),
    destinationRules: [reviewsRule],
    service,
    request,
  });
}

describe('decideRoutes: weights', () => {
  it('splits 90/10 between subsets', () => {
    // Prepare
    const vs = virtualService([{ route: [subset('v1', 90), subset('v2', 10)] }]);

    // Act
    const decision = route(vs);

    // Assess
    expect(primary(decision)).toEqual({ v1: 0.9, v2: 0.1 });
    expect(decision.shares.map((s) => s.workload)).toEqual(['reviews-v1', 'reviews-v2']);
    expect(decision.unrouted).toEqual([]);
    expect(decision.routeIndex).toBe(0);
  });

  it('gives a lone destination without weight all the traffic', () => {
    const decision = route(virtualService([{ route: [subset('v3')] }]));

    expect(primary(decision)).toEqual({ v3: 1 });
  });

  it('normalises weights that do not add up to 100 and skips zero weights', () => {
    const decision = route(
      virtualService([{ route: [subset('v1', 30), subset('v2', 0), subset('v3', 10)] }]),
    );

    expect(primary(decision)).toEqual({ v1: 0.75, v3: 0.25 });
  });

  it('reports zero-weight when several destinations carry no weight', () => {
    const decision = route(virtualService([{ route: [subset('v1'), subset('v2')] }]));

    expect(decision.shares).toEqual([]);
    expect(decision.unrouted).toEqual([{ reason: 'zero-weight', fraction: 1, mirrored: false }]);
  });

  it('adds up two destinations that reach the same version', () => {
    const decision = route(
      virtualService([
        { route: [subset('v1', 50), { destination: { host: 'reviews', subset: 'v1' }, weight: 50 }] },
      ]),
    );

    expect(decision.shares).toHaveLength(1);
    expect(primary(decision)).toEqual({ v1: 1 });
  });
});

describe('decideRoutes: matches, first match wins', () => {
  const jasonFirst = virtualService([
    { name: 'jason', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [subset('v2')] },
    { name: 'default', route: [subset('v1')] },
  ]);

  it('sends the exact header match to its route', () => {
    const decision = route(jasonFirst, { headers: { 'end-user': 'jason' } });

    expect(primary(decision)).toEqual({ v2: 1 });
    expect(decision.routeIndex).toBe(0);
    expect(decision.routeName).toBe('jason');
  });

  it('falls through to the default route for other users and no header', () => {
    const other = route(jasonFirst, { headers: { 'end-user': 'jason2' } });
    const none = route(jasonFirst);

    expect(primary(other)).toEqual({ v1: 1 });
    expect(other.routeName).toBe('default');
    expect(primary(none)).toEqual({ v1: 1 });
  });

  it('compares header names without case, values with case', () => {
    expect(primary(route(jasonFirst, { headers: { 'End-User': 'jason' } }))).toEqual({ v2: 1 });
    expect(primary(route(jasonFirst, { headers: { 'end-user': 'Jason' } }))).toEqual({ v1: 1 });
  });

  it('uses the first matching route even when a later one matches too', () => {
    const vs = virtualService([
      { match: [{ headers: { 'end-user': { prefix: 'ja' } } }], route: [subset('v3')] },
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [subset('v2')] },
      { route: [subset('v1')] },
    ]);

    expect(primary(route(vs, { headers: { 'end-user': 'jason' } }))).toEqual({ v3: 1 });
  });

  it('ORs the entries of a match list and ANDs the conditions inside one entry', () => {
    const vs = virtualService([
      {
        match: [
          { headers: { 'end-user': { exact: 'jason' }, 'x-beta': { exact: '1' } } },
          { headers: { 'user-agent': { regex: '.*Mobile.*' } } },
        ],
        route: [subset('v2')],
      },
      { route: [subset('v1')] },
    ]);

    expect(primary(route(vs, { headers: { 'end-user': 'jason' } }))).toEqual({ v1: 1 });
    expect(primary(route(vs, { headers: { 'end-user': 'jason', 'x-beta': '1' } }))).toEqual({ v2: 1 });
    expect(primary(route(vs, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' } }))).toEqual({
      v2: 1,
    });
  });

  it('reports no-route when nothing matches and there is no default route', () => {
    const vs = virtualService([
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [subset('v2')] },
    ]);

    const decision = route(vs, { headers: { 'end-user': 'kim' } });

    expect(decision.shares).toEqual([]);
    expect(decision.unrouted).toEqual([{ reason: 'no-route', fraction: 1, mirrored: false }]);
    expect(decision.routeIndex).toBeUndefined();
  });

  it('excludes requests carrying a withoutHeaders header', () => {
    const vs = virtualService([
      { match: [{ withoutHeaders: { 'x-canary': { exact: 'off' } } }], route: [subset('v2')] },
      { route: [subset('v1')] },
    ]);

    expect(primary(route(vs, { headers: { 'x-canary': 'off' } }))).toEqual({ v1: 1 });
    expect(primary(route(vs, { headers: { 'x-canary': 'on' } }))).toEqual({ v2: 1 });
    expect(primary(route(vs))).toEqual({ v2: 1 });
  });

  it('treats an empty StringMatch as "header present"', () => {
    const vs = virtualService([
      { match: [{ headers: { 'x-debug': {} } }], route: [subset('v3')] },
      { route: [subset('v1')] },
    ]);

    expect(primary(route(vs, { headers: { 'x-debug': '' } }))).toEqual({ v3: 1 });
    expect(primary(route(vs))).toEqual({ v1: 1 });
  });

  it('matches uri prefixes and methods, with / and GET by default', () => {
    const vs = virtualService([
      { match: [{ uri: { prefix: '/api' }, method: { exact: 'POST' } }], route: [subset('v2')] },
      { route: [subset('v1')] },
    ]);

    expect(primary(route(vs, { uri: '/api/v1', method: 'POST' }))).toEqual({ v2: 1 });
    expect(primary(route(vs, { uri: '/api/v1' }))).toEqual({ v1: 1 });
  });

  it('never matches conditions a simulated request cannot carry, nor gateway-only matches', () => {
    const vs = virtualService([
      { match: [{ queryParams: { debug: { exact: '1' } } }], route: [subset('v2')] },
      { match: [{ gateways: ['istio-system/public'] }], route: [subset('v3')] },
      { route: [subset('v1')] },
    ]);

    expect(primary(route(vs))).toEqual({ v1: 1 });
  });

  it('ignores a VirtualService bound only to gateways', () => {
    const vs = virtualService([{ route: [subset('v2')] }]);
    vs.spec.gateways = ['bookinfo-gateway'];

    expect(primary(route(vs))).toEqual({ v1: 1 / 3, v2: 1 / 3, v3: 1 / 3 });
  });
});

describe('decideRoutes: cookie regex', () => {
  const testers = virtualService([
    { match: [{ headers: { cookie: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }], route: [subset('v2')] },
    { route: [subset('v1')] },
  ]);
  const versionFor = (cookie: string) => primary(route(testers, { headers: { cookie } }));

  it.each(['user=tester', 'session=abc;user=tester', 'user=tester;theme=dark', 'a=1;user=tester;b=2'])(
    'routes cookie %p to v2',
    (cookie) => {
      expect(versionFor(cookie)).toEqual({ v2: 1 });
    },
  );

  it.each([
    'user=testers',
    'xuser=tester',
    'user=test',
    // The usual Istio regex wants no space after ';', as browsers send it; Envoy's RE2 agrees.
    'session=abc; user=tester',
  ])('routes cookie %p to v1', (cookie) => {
    expect(versionFor(cookie)).toEqual({ v1: 1 });
  });

  it('matches a regex against the whole value, as Envoy does', () => {
    expect(matchesString({ regex: 'tester' }, 'user=tester')).toBe(false);
    expect(matchesString({ regex: '.*tester' }, 'user=tester')).toBe(true);
    expect(matchesString({ regex: 'a|b' }, 'ab')).toBe(false);
  });

  it('matches nothing with a regex that does not compile', () => {
    expect(matchesString({ regex: '(' }, '(')).toBe(false);
  });
});

describe('decideRoutes: sourceLabels pinning', () => {
  const forecast = serviceProfileOf('forecast', 'weather', ['v1', 'v2']);
  const forecastRule = destinationRuleOf('forecast', 'weather', ['v1', 'v2']);
  const pinned = virtualService(
    [
      {
        match: [{ sourceLabels: { app: 'frontend', version: 'v2' } }],
        route: [{ destination: { host: 'forecast', subset: 'v2' } }],
      },
      { route: [{ destination: { host: 'forecast', subset: 'v1' } }] },
    ],
    'weather',
    'forecast',
  );
  const from = (sourceLabels: Record<string, string>) =>
    primary(
      decideRoutes({
        virtualService: pinned,
        destinationRules: [forecastRule],
        service: forecast,
        request: { sourceLabels },
      }),
    );

  it('pins calls from frontend v2 to forecast v2', () => {
    expect(from({ app: 'frontend', version: 'v2', 'pod-template-hash': 'abc' })).toEqual({ v2: 1 });
  });

  it('sends calls from frontend v1, other apps, or unlabelled pods to v1', () => {
    expect(from({ app: 'frontend', version: 'v1' })).toEqual({ v1: 1 });
    expect(from({ app: 'mobile-bff', version: 'v2' })).toEqual({ v1: 1 });
    expect(from({ app: 'frontend' })).toEqual({ v1: 1 });
  });

  it('also checks sourceNamespace when given', () => {
    const vs = virtualService([
      { match: [{ sourceNamespace: 'qa' }], route: [subset('v3')] },
      { route: [subset('v1')] },
    ]);

    expect(primary(route(vs, { sourceNamespace: 'qa' }))).toEqual({ v3: 1 });
    expect(primary(route(vs, { sourceNamespace: 'bookinfo' }))).toEqual({ v1: 1 });
  });
});

describe('decideRoutes: mirroring', () => {
  it('mirrors 100% when mirrorPercentage is absent, on top of the primary route', () => {
    const decision = route(
      virtualService([{ route: [subset('v1', 100)], mirror: { host: 'reviews', subset: 'v2' } }]),
    );

    expect(primary(decision)).toEqual({ v1: 1 });
    expect(mirrored(decision)).toEqual({ v2: 1 });
    expect(decision.shares.find((s) => s.mirrored)?.workload).toBe('reviews-v2');
  });

  it('mirrors the given percentage', () => {
    const decision = route(
      virtualService([
        {
          route: [subset('v1', 90), subset('v2', 10)],
          mirror: { host: 'reviews', subset: 'v3' },
          mirrorPercentage: { value: 25 },
        },
      ]),
    );

    expect(primary(decision)).toEqual({ v1: 0.9, v2: 0.1 });
    expect(mirrored(decision)).toEqual({ v3: 0.25 });
  });

  it('reads the mirrors list form too, and ignores 0%', () => {
    const decision = route(
      virtualService([
        {
          route: [subset('v1')],
          mirrors: [
            { destination: { host: 'reviews', subset: 'v2' }, percentage: { value: 50 } },
            { destination: { host: 'reviews', subset: 'v3' }, percentage: { value: 0 } },
          ],
        },
      ]),
    );

    expect(mirrored(decision)).toEqual({ v2: 0.5 });
  });

  it('mirrors only the requests of the route that carries the mirror', () => {
    const vs = virtualService([
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [subset('v2')] },
      { route: [subset('v1')], mirror: { host: 'reviews', subset: 'v3' } },
    ]);

    expect(mirrored(route(vs, { headers: { 'end-user': 'jason' } }))).toEqual({});
    expect(mirrored(route(vs))).toEqual({ v3: 1 });
  });
});

describe('decideRoutes: destinations by subset or by host', () => {
  const apps = serviceProfileOf('apps-svc-all', 'apps', ['v1', 'v2'], {
    workloads: 'apps-svc',
    hosts: { 'apps-svc-v1': 'v1', 'apps-svc-v2': ['v2'] },
  });
  const byHost = (http: HttpRoute[]) =>
    decideRoutes({
      virtualService: virtualService(http, 'apps', 'apps-svc-all'),
      service: apps,
      request: {},
    });

  it('maps hosts to versions without any DestinationRule', () => {
    const decision = byHost([
      {
        route: [
          { destination: { host: 'apps-svc-v1' }, weight: 80 },
          { destination: { host: 'apps-svc-v2' }, weight: 20 },
        ],
      },
    ]);

    expect(primary(decision)).toEqual({ v1: 0.8, v2: 0.2 });
    expect(decision.shares.map((s) => [s.host, s.workload])).toEqual([
      ['apps-svc-v1', 'apps-svc-v1'],
      ['apps-svc-v2', 'apps-svc-v2'],
    ]);
  });

  it('accepts fully qualified hosts', () => {
    const decision = byHost([{ route: [{ destination: { host: 'apps-svc-v2.apps.svc.cluster.local' } }] }]);

    expect(primary(decision)).toEqual({ v2: 1 });
    expect(decision.shares[0]?.host).toBe('apps-svc-v2');
  });

  it('spreads the service host without subset over every version, as Kubernetes does', () => {
    const decision = byHost([{ route: [{ destination: { host: 'apps-svc-all' } }] }]);

    expect(primary(decision)).toEqual({ v1: 0.5, v2: 0.5 });
  });

  it('reports hosts it cannot map, and hosts in another namespace', () => {
    const unknown = byHost([{ route: [{ destination: { host: 'legacy-svc' } }] }]);
    const elsewhere = byHost([{ route: [{ destination: { host: 'apps-svc-v1.other.svc.cluster.local' } }] }]);

    expect(unknown.unrouted).toEqual([
      { reason: 'unknown-host', fraction: 1, mirrored: false, host: 'legacy-svc' },
    ]);
    expect(elsewhere.unrouted[0]?.reason).toBe('unknown-host');
  });

  it('resolves a subset through the DestinationRule labels, not the subset name', () => {
    const rule: DestinationRule = {
      kind: 'DestinationRule',
      metadata: { name: 'reviews', namespace: 'bookinfo' },
      spec: {
        host: 'reviews.bookinfo.svc.cluster.local',
        subsets: [{ name: 'canary', labels: { version: 'v3' } }],
      },
    };

    const decision = decideRoutes({
      virtualService: virtualService([{ route: [subset('canary')] }]),
      destinationRules: [rule],
      service: reviews,
      request: {},
    });

    expect(primary(decision)).toEqual({ v3: 1 });
    expect(decision.shares[0]?.subset).toBe('canary');
  });

  it('reports unknown-subset without a DestinationRule, a subset, or a pod with its labels', () => {
    const vs = virtualService([{ route: [subset('v2', 50), subset('v9', 50)] }]);
    const noRule = decideRoutes({ virtualService: vs, service: reviews, request: {} });
    const partly = route(vs);
    const noPods = decideRoutes({
      virtualService: virtualService([{ route: [subset('v1')] }]),
      destinationRules: [
        {
          ...reviewsRule,
          spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1', track: 'x' } }] },
        },
      ],
      service: reviews,
      request: {},
    });

    expect(noRule.unrouted.map((u) => [u.reason, u.subset, u.fraction])).toEqual([
      ['unknown-subset', 'v2', 0.5],
      ['unknown-subset', 'v9', 0.5],
    ]);
    expect(primary(partly)).toEqual({ v2: 0.5 });
    expect(partly.unrouted).toEqual([
      { reason: 'unknown-subset', fraction: 0.5, mirrored: false, host: 'reviews', subset: 'v9' },
    ]);
    expect(noPods.unrouted[0]?.reason).toBe('unknown-subset');
  });

  it('balances evenly over the versions when there is no VirtualService', () => {
    const decision = route(undefined);

    expect(primary(decision)).toEqual({ v1: 1 / 3, v2: 1 / 3, v3: 1 / 3 });
    expect(decision.routeIndex).toBeUndefined();
  });

  it('reports no-destination for a route that answers by itself', () => {
    const decision = route(virtualService([{ directResponse: { status: 503 } }]));

    expect(decision.unrouted).toEqual([{ reason: 'no-destination', fraction: 1, mirrored: false }]);
  });
});

// Both found by the differential test against pilot's routes in real Envoy (integration/istio-fidelity).
describe('decideRoutes: what pilot and Envoy do that a plain reading of the VirtualService misses', () => {
  it('routes as without a VirtualService when no route is meant for this caller', () => {
    const vs = virtualService([{ match: [{ sourceLabels: { app: 'frontend' } }], route: [subset('v2')] }]);

    expect(primary(route(vs, { sourceLabels: { app: 'productpage' } }))).toEqual({
      v1: 1 / 3,
      v2: 1 / 3,
      v3: 1 / 3,
    });
    expect(primary(route(vs, { sourceLabels: { app: 'frontend' } }))).toEqual({ v2: 1 });
  });

  it('answers 404 when routes are meant for this caller but none matches', () => {
    const vs = virtualService([
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [subset('v2')] },
    ]);

    expect(route(vs).unrouted).toEqual([{ reason: 'no-route', fraction: 1, mirrored: false }]);
  });

  it('mirrors only the requests that reach a destination', () => {
    const vs = virtualService([
      {
        route: [subset('v1', 75), subset('v9', 25)],
        mirror: { host: 'reviews', subset: 'v3' },
      },
    ]);

    expect(primary(route(vs))).toEqual({ v1: 0.75 });
    expect(mirrored(route(vs))).toEqual({ v3: 0.75 });
  });
});
