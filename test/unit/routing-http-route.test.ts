import fc from 'fast-check';
import {
  awaitedParents,
  blueGreenBackends,
  type DesiredRule,
  type HTTPRoute,
  type HTTPRouteRule,
  MAX_BACKEND_WEIGHT,
  mirrorShareFor,
  ownedRuleOf,
  percentagesOf,
  routeControllers,
  routeVerdict,
  weightsForPercentages,
  withOwnedRule,
  withoutOwnedRule,
} from '../../src/domain/routing/http-route.js';
import {
  effectiveRuleFor,
  findShadowing,
  type GatewayRequest,
  shadowingOf,
} from '../../src/domain/routing/http-route-precedence.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';
import { RouteError } from '../../src/domain/routing/routing-errors.js';

const canary: DesiredRule = {
  backends: [
    { service: 'reviews-v1', port: 9080, percent: 90 },
    { service: 'reviews-v2', port: 9080, percent: 10 },
  ],
};

function route(rules: HTTPRouteRule[], extra: Partial<HTTPRoute['metadata']> = {}): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'reviews', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z', ...extra },
    spec: { parentRefs: [{ kind: 'Service', group: '', name: 'reviews', port: 9080 }], rules },
  };
}

// Arbitrary JSON-ish content the bot does not own: any keys, any values, nested.
const anyJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<unknown>;
const otherRule: fc.Arbitrary<HTTPRouteRule> = fc.record(
  {
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !n.startsWith('canary-bot-')),
    matches: fc.array(
      fc.record({
        path: fc.record({ type: fc.constant('PathPrefix'), value: fc.constantFrom('/', '/api') }),
      }),
    ),
    filters: fc.array(
      fc.record({ type: fc.constantFrom('RequestHeaderModifier', 'URLRewrite'), extra: anyJson }),
    ),
    backendRefs: fc.array(
      fc.record({ name: fc.constantFrom('a', 'b'), port: fc.nat(65535), weight: fc.nat() }),
    ),
    timeouts: fc.record({ request: fc.constantFrom('10s', '1m') }),
    vendor: anyJson,
  },
  { requiredKeys: [] },
);
const anyRoute: fc.Arbitrary<HTTPRoute> = fc
  .record({
    annotations: fc.dictionary(fc.string(), fc.string()),
    // Absent or at least one rule: the CRD refuses an empty list (minItems 1).
    rules: fc.option(fc.array(otherRule, { minLength: 1, maxLength: 10 }), { nil: undefined }),
    parentRefs: fc.array(fc.record({ name: fc.string({ minLength: 1 }), port: fc.nat() })),
    other: anyJson,
  })
  .map(({ annotations, rules, parentRefs, other }) => ({
    metadata: { name: 'web', namespace: 'shop', annotations },
    spec: { parentRefs, ...(rules ? { rules } : {}), other },
    status: { parents: [] },
  }));
const desiredArb: fc.Arbitrary<DesiredRule> = fc
  .tuple(fc.integer({ min: 0, max: 100 }), fc.boolean(), fc.boolean())
  .map(([p, ab, mirror]) => ({
    backends: [
      { service: 'web-v1', port: 80, percent: 100 - p },
      { service: 'web-v2', port: 80, percent: p },
    ],
    ...(ab ? { match: [{ kind: 'cookie' as const, regex: cookieRegex('user=tester') }] } : {}),
    ...(mirror ? { mirror: { service: 'web-v2', port: 80, share: mirrorShareFor(20) } } : {}),
  }));

describe('the owned rule of an HTTPRoute', () => {
  it('leaves every other rule, filter, timeout, parentRef and annotation byte for byte, and is removed exactly', () => {
    fc.assert(
      fc.property(anyRoute, desiredArb, desiredArb, (before, first, second) => {
        const once = withOwnedRule(before, 'r1', first);
        const twice = withOwnedRule(once, 'r1', second);
        const others = (r: HTTPRoute) => (r.spec.rules ?? []).filter((x) => x.name !== 'canary-bot-r1');
        expect(JSON.stringify(others(twice))).toBe(JSON.stringify(before.spec.rules ?? []));
        expect(JSON.stringify({ ...twice, spec: { ...twice.spec, rules: undefined } })).toBe(
          JSON.stringify({ ...before, spec: { ...before.spec, rules: undefined } }),
        );
        expect((twice.spec.rules ?? []).filter((x) => x.name === 'canary-bot-r1')).toHaveLength(1);
        expect(JSON.stringify(withoutOwnedRule(twice, 'r1'))).toBe(JSON.stringify(before));
      }),
    );
  });

  it('is put first when new and replaced in place afterwards', () => {
    const live = route([{ name: 'main', backendRefs: [{ name: 'reviews', port: 9080 }] }]);
    const added = withOwnedRule(live, 'r1', canary);
    expect(added.spec.rules?.map((r) => r.name)).toEqual(['canary-bot-r1', 'main']);
    expect(added.spec.rules?.[1]).toBe(live.spec.rules?.[0]);
    const moved = { ...added, spec: { ...added.spec, rules: [...(added.spec.rules ?? [])].reverse() } };
    expect(withOwnedRule(moved, 'r1', canary).spec.rules?.map((r) => r.name)).toEqual([
      'main',
      'canary-bot-r1',
    ]);
    expect(withoutOwnedRule(live, 'r1')).toBe(live);
  });

  it('sends weighted backendRefs to the per-version Services, 10/90 exactly', () => {
    const rule = ownedRuleOf(withOwnedRule(route([]), 'r1', canary), 'r1');
    expect(rule).toEqual({
      name: 'canary-bot-r1',
      matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      backendRefs: [
        { name: 'reviews-v1', port: 9080, weight: 900_000 },
        { name: 'reviews-v2', port: 9080, weight: 100_000 },
      ],
    });
    expect(percentagesOf(rule ?? {})).toEqual([90, 10]);
  });

  it('turns any percentage split into weights within the CRD range whose shares are exact', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1_000_000), { minLength: 1, maxLength: 8 }), (raw) => {
        // A split of 100 % in ten-thousandths of a percent.
        const total = raw.reduce((a, b) => a + b, 0) || 1;
        const units = raw.map((r) => Math.floor((r * 1_000_000) / total));
        units[0] = (units[0] ?? 0) + 1_000_000 - units.reduce((a, b) => a + b, 0);
        const percentages = units.map((u) => u / 10_000);
        const weights = weightsForPercentages(percentages);
        expect(weights.every((w) => Number.isInteger(w) && w >= 0 && w <= MAX_BACKEND_WEIGHT)).toBe(true);
        expect(weights).toEqual(units);
        expect(weights.reduce((a, b) => a + b, 0)).toBe(MAX_BACKEND_WEIGHT);
      }),
    );
  });

  it('refuses shares that are not a split of 100 or too fine, with a sentence', () => {
    expect(() => weightsForPercentages([10, 80])).toThrow('Shares must add up to 100, not 90 (10, 80).');
    expect(() => weightsForPercentages([33.33333, 66.66667])).toThrow(/at most four decimals/);
    expect(() => weightsForPercentages([-10, 110])).toThrow(RouteError);
  });

  it('reads relative weights as Gateway API does: an absent weight is 1', () => {
    expect(
      percentagesOf({
        backendRefs: [
          { name: 'a', weight: 1 },
          { name: 'b', weight: 3 },
        ],
      }),
    ).toEqual([25, 75]);
    expect(percentagesOf({ backendRefs: [{ name: 'a' }, { name: 'b' }] })).toEqual([50, 50]);
    expect(percentagesOf({ backendRefs: [{ name: 'a', weight: 0 }] })).toEqual([0]);
  });

  it('matches A/B by header exact or regex, cookie and user agent as regexes on Cookie and User-Agent', () => {
    const rule = ownedRuleOf(
      withOwnedRule(route([]), 'r1', {
        ...canary,
        match: [
          { kind: 'header', name: 'X-Group', match: { exact: 'beta' } },
          { kind: 'header', name: 'x-tier', match: { regex: 'gold|silver' } },
          { kind: 'cookie', regex: cookieRegex('user=te.ster') },
          { kind: 'user-agent', regex: '.*Firefox.*' },
        ],
      }),
      'r1',
    );
    expect(rule?.matches?.[0]?.headers).toEqual([
      { type: 'Exact', name: 'x-group', value: 'beta' },
      { type: 'RegularExpression', name: 'x-tier', value: 'gold|silver' },
      { type: 'RegularExpression', name: 'Cookie', value: '^(.*?;\\s*)?(user=te\\.ster)(;.*)?$' },
      { type: 'RegularExpression', name: 'User-Agent', value: '.*Firefox.*' },
    ]);
  });

  it('matches any one of several A/B alternatives, one matches entry each on the same path', () => {
    const rule = ownedRuleOf(
      withOwnedRule(route([]), 'r1', {
        backends: [{ service: 'reviews-v2', port: 9080, percent: 100 }],
        path: { type: 'PathPrefix', value: '/api' },
        anyOf: [
          [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }],
          [{ kind: 'cookie', regex: cookieRegex('user=tester') }],
        ],
      }),
      'r1',
    );
    expect(rule?.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/api' },
        headers: [{ type: 'Exact', name: 'end-user', value: 'jason' }],
      },
      {
        path: { type: 'PathPrefix', value: '/api' },
        headers: [{ type: 'RegularExpression', name: 'Cookie', value: '^(.*?;\\s*)?(user=tester)(;.*)?$' }],
      },
    ]);
    expect(() => withOwnedRule(route([]), 'r1', { ...canary, anyOf: [] })).toThrow(
      /needs at least one set of conditions/,
    );
  });

  it('refuses a source-label pin, an invalid regex and a header matched twice, changing nothing', () => {
    const live = route([]);
    const snapshot = JSON.stringify(live);
    expect(() =>
      withOwnedRule(live, 'r1', { ...canary, match: [{ kind: 'source', labels: { app: 'x' } }] }),
    ).toThrow(/cannot match on the caller's labels/);
    expect(() =>
      withOwnedRule(live, 'r1', { ...canary, match: [{ kind: 'user-agent', regex: '(' }] }),
    ).toThrow(/not valid RE2/);
    expect(() =>
      withOwnedRule(live, 'r1', {
        ...canary,
        match: [
          { kind: 'cookie', regex: cookieRegex('a=b') },
          { kind: 'header', name: 'cookie', match: { exact: 'a=b' } },
        ],
      }),
    ).toThrow('Header cookie is matched twice; Gateway API considers only the first condition on a header.');
    expect(JSON.stringify(live)).toBe(snapshot);
  });

  it('mirrors with RequestMirror: a whole percent as percent, finer as an exact fraction', () => {
    expect(mirrorShareFor(20)).toEqual({ percent: 20 });
    expect(mirrorShareFor(0.5)).toEqual({ numerator: 5, denominator: 1000 });
    expect(mirrorShareFor(12.3456)).toEqual({ numerator: 123456, denominator: 1_000_000 });
    expect(() => mirrorShareFor(0)).toThrow('Mirror percentage must be above 0 and at most 100, not 0.');
    const rule = ownedRuleOf(
      withOwnedRule(route([]), 'r1', {
        ...canary,
        mirror: { service: 'reviews-v2', port: 9080, share: mirrorShareFor(0.5) },
      }),
      'r1',
    );
    expect(rule?.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { name: 'reviews-v2', port: 9080 },
          fraction: { numerator: 5, denominator: 1000 },
        },
      },
    ]);
    expect(() =>
      withOwnedRule(route([]), 'r1', {
        ...canary,
        mirror: { service: 'reviews-v2', port: 9080, share: { numerator: 3, denominator: 2 } },
      }),
    ).toThrow('Mirror fraction must be whole numbers with 0 < numerator <= denominator, not 3/2.');
  });

  it('switches blue/green by weights only, the idle Service staying referenced', () => {
    const green = withOwnedRule(route([]), 'r1', {
      backends: blueGreenBackends({ service: 'web-green', port: 80 }, { service: 'web-blue', port: 80 }),
    });
    expect(ownedRuleOf(green, 'r1')?.backendRefs).toEqual([
      { name: 'web-green', port: 80, weight: 1_000_000 },
      { name: 'web-blue', port: 80, weight: 0 },
    ]);
  });

  it('refuses a 17th rule and a release name that cannot name a rule', () => {
    const full = route(Array.from({ length: 16 }, (_, i) => ({ name: `r${i}` })));
    expect(() => withOwnedRule(full, 'r1', canary)).toThrow(
      'HTTPRoute shop/reviews already has 16 rules, the most Gateway API allows; the release needs one more.',
    );
    expect(() => withOwnedRule(route([]), 'R_1', canary)).toThrow(/cannot name an HTTPRoute rule/);
  });
});

describe('Gateway API precedence', () => {
  const ab = (match: DesiredRule['match']) =>
    withOwnedRule(route([{ name: 'main' }]), 'r1', { ...canary, match });
  const tester = { kind: 'cookie' as const, regex: cookieRegex('user=tester') };

  it('is by specificity, not list order: a longer prefix elsewhere takes the release requests', () => {
    const owner = ab([tester]);
    const api: HTTPRoute = {
      ...route([{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }] }], {
        name: 'api',
      }),
    };
    const request: GatewayRequest = { path: '/api/x', headers: { cookie: 'a=1; user=tester' } };
    expect(effectiveRuleFor([owner, api], request)).toEqual({
      route: 'shop/api',
      ruleIndex: 0,
      ruleName: 'api',
      matchIndex: 0,
    });
    expect(effectiveRuleFor([owner, api], { path: '/', headers: { cookie: 'user=tester' } })?.ruleName).toBe(
      'canary-bot-r1',
    );
    expect(shadowingOf([owner, api], owner, 'r1')).toBe(
      'Requests like GET /api, cookie: user=tester match release r1\'s rule but go to rule "api" of HTTPRoute shop/api, which Gateway API prefers for a longer path prefix.',
    );
  });

  it('breaks ties by the oldest route, then namespace/name, then rule order', () => {
    const owner = withOwnedRule(route([{ name: 'main' }]), 'r1', canary);
    const older = route([{ name: 'old' }], { name: 'zz', creationTimestamp: '2025-01-01T00:00:00Z' });
    expect(effectiveRuleFor([owner, older], { path: '/' })?.ruleName).toBe('old');
    expect(shadowingOf([owner, older], owner, 'r1')).toMatch(
      /an equally specific match on an older route\.$/,
    );
    const sameAge = route([{ name: 'first' }], { name: 'aa' });
    expect(effectiveRuleFor([owner, sameAge], { path: '/' })?.ruleName).toBe('first');
    expect(effectiveRuleFor([owner], { path: '/' })?.ruleName).toBe('canary-bot-r1');
  });

  it('reads whole-value regexes, case-insensitive header names and element-wise prefixes', () => {
    const r = route([
      {
        name: 'ua',
        matches: [{ headers: [{ type: 'RegularExpression', name: 'User-Agent', value: 'Fire.*' }] }],
      },
      { name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api/' } }] },
    ]);
    expect(effectiveRuleFor([r], { path: '/', headers: { 'user-agent': 'Firefox' } })?.ruleName).toBe('ua');
    expect(effectiveRuleFor([r], { path: '/', headers: { 'user-agent': 'My Firefox' } })).toBeUndefined();
    expect(effectiveRuleFor([r], { path: '/api' })?.ruleName).toBe('api');
    expect(effectiveRuleFor([r], { path: '/apix' })).toBeUndefined();
  });

  // Other rules and routes drawn from small sets, so that they often compete with the owned rule.
  const path = fc.oneof(
    fc.record({
      type: fc.constant('PathPrefix' as const),
      value: fc.constantFrom('/', '/api', '/api/v1', '/web'),
    }),
    fc.record({ type: fc.constant('Exact' as const), value: fc.constantFrom('/', '/api', '/api/v1') }),
  );
  const header = fc.record({
    name: fc.constantFrom('x-user', 'cookie', 'x-tier'),
    value: fc.constantFrom('tester', 'user=tester', 'gold'),
  });
  const competingMatch = fc.record(
    {
      path,
      headers: fc.uniqueArray(header, { maxLength: 2, selector: (h) => h.name }),
      method: fc.constantFrom('GET', 'POST'),
    },
    { requiredKeys: ['path'] },
  );
  const competingRoute = fc
    .record({
      name: fc.constantFrom('a', 'b', 'reviews', 'zz'),
      created: fc.constantFrom('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
      rules: fc.array(
        fc.record({ name: fc.constantFrom('x', 'y'), matches: fc.array(competingMatch, { maxLength: 2 }) }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    })
    .map(({ name, created, rules }) => route(rules, { name, creationTimestamp: created }));
  const ownedMatch = fc.subarray([
    tester,
    { kind: 'header' as const, name: 'x-tier', match: { exact: 'gold' } },
  ]);
  const request: fc.Arbitrary<GatewayRequest> = fc.record({
    path: fc.constantFrom('/', '/api', '/api/v1', '/api/v1/x', '/web', '/webx'),
    method: fc.constantFrom('GET', 'POST'),
    headers: fc.record(
      {
        'x-user': fc.constantFrom('tester', 'other'),
        cookie: fc.constantFrom('user=tester', 'a=1; user=tester; b=2', 'user=testers'),
        'x-tier': fc.constantFrom('gold', 'silver'),
      },
      { requiredKeys: [] },
    ),
  });

  it('gives the owned A/B rule every request it matches unless shadowingOf names the rule that takes them, and never others', () => {
    fc.assert(
      fc.property(
        ownedMatch,
        fc.array(competingRoute, { maxLength: 3 }),
        fc.array(request, { minLength: 1, maxLength: 10 }),
        (match, others, requests) => {
          const owner = withOwnedRule(
            route([{ name: 'main', matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]),
            'r1',
            { ...canary, match },
          );
          const routes = [owner, ...others.filter((o) => o.metadata.name !== 'reviews')];
          const ownedMatchSpec = ownedRuleOf(owner, 'r1')?.matches?.[0] ?? {};
          const shadowing = findShadowing(routes, owner, 'r1');
          for (const r of requests) {
            const winner = effectiveRuleFor(routes, r);
            const mine = winner?.route === 'shop/reviews' && winner.ruleName === 'canary-bot-r1';
            const meant =
              effectiveRuleFor([route([{ name: 'only', matches: [ownedMatchSpec] }])], r) !== undefined;
            if (mine) expect(meant).toBe(true);
            if (meant && !mine) expect(shadowing).toBeDefined();
          }
          if (shadowing) {
            // The request named in the sentence is one the owned rule matches, and another rule takes it.
            const only = route([{ name: 'only', matches: [ownedMatchSpec] }]);
            expect(effectiveRuleFor([only], shadowing.request)).toBeDefined();
            expect(effectiveRuleFor(routes, shadowing.request)).toEqual(shadowing.winner);
            expect(
              shadowing.winner.ruleName === 'canary-bot-r1' && shadowing.winner.route === 'shop/reviews',
            ).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the controller verdict from status.parents', () => {
  const parent = (conditions: unknown[]) => ({
    parentRef: { kind: 'Service', name: 'reviews' },
    controllerName: 'istio.io/gateway-controller',
    conditions,
  });
  const cond = (
    type: string,
    status: string,
    observedGeneration: number,
    reason = 'Accepted',
    message = '',
  ) => ({
    type,
    status,
    observedGeneration,
    reason,
    message,
  });
  const at = (parents: unknown[]): HTTPRoute => ({ ...route([]), status: { parents } }) as HTTPRoute;

  it('is accepted when every parent accepts and resolves the generation written', () => {
    expect(
      routeVerdict(at([parent([cond('Accepted', 'True', 3), cond('ResolvedRefs', 'True', 3)])]), 3),
    ).toBe('accepted');
  });

  it('is pending without status, or with status for an older generation', () => {
    expect(routeVerdict(at([]), 3)).toBe('pending');
    expect(
      routeVerdict(at([parent([cond('Accepted', 'True', 2), cond('ResolvedRefs', 'True', 2)])]), 3),
    ).toBe('pending');
    expect(routeVerdict(at([parent([cond('Accepted', 'False', 2, 'NotAllowedByListeners')])]), 3)).toBe(
      'pending',
    );
    expect(routeVerdict(at([parent([cond('Accepted', 'True', 3)])]), 3)).toBe('pending');
  });

  it("is refused with the controller's reason and message", () => {
    expect(
      routeVerdict(
        at([
          parent([
            cond('Accepted', 'True', 3),
            cond('ResolvedRefs', 'False', 3, 'BackendNotFound', 'backend(reviews-v3.shop) not found'),
          ]),
        ]),
        3,
      ),
    ).toEqual({
      refused:
        'istio.io/gateway-controller could not resolve its backends on Service reviews (BackendNotFound: backend(reviews-v3.shop) not found).',
    });
    expect(routeVerdict(at([parent([cond('Accepted', 'False', 4, 'NoMatchingParent')])]), 3)).toEqual({
      refused: 'istio.io/gateway-controller did not accept the route on Service reviews (NoMatchingParent).',
    });
  });

  it('knows a route has a controller once any controller wrote a condition, whatever the generation', () => {
    expect(routeControllers(at([]))).toEqual([]);
    expect(routeControllers(at([{ ...parent([]), controllerName: 'example.com/silent' }]))).toEqual([]);
    expect(
      routeControllers(
        at([
          parent([cond('Accepted', 'True', 1)]),
          { ...parent([cond('Accepted', 'True', 1)]), controllerName: 'example.com/mesh' },
          parent([cond('ResolvedRefs', 'True', 1)]),
        ]),
      ),
    ).toEqual(['example.com/mesh', 'istio.io/gateway-controller']);
  });

  it('names the parents that still owe a verdict on the generation written', () => {
    const other = (conditions: unknown[]) => ({
      parentRef: { kind: 'Gateway', namespace: 'edge', name: 'public' },
      controllerName: 'example.com/gateway',
      conditions,
    });
    const both = (status: string, generation: number) => [
      cond('Accepted', status, generation),
      cond('ResolvedRefs', status, generation),
    ];

    expect(awaitedParents(at([parent(both('True', 3)), other(both('True', 2))]), 3)).toEqual([
      'example.com/gateway on Gateway edge/public',
    ]);
    expect(awaitedParents(at([parent(both('Unknown', 3)), other(both('False', 3))]), 3)).toEqual([
      'istio.io/gateway-controller on Service reviews',
    ]);
    expect(awaitedParents(at([parent([cond('Accepted', 'True', 3)])]), 3)).toEqual([
      'istio.io/gateway-controller on Service reviews',
    ]);
    expect(awaitedParents(at([parent(both('True', 4))]), 3)).toEqual([]);
  });
});
