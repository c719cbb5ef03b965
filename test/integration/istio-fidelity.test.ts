/**
 * Istio and Envoy judge the simulator and the validator. Needs the Istio binaries built from the pinned
 * module and the pinned Envoy (both built or fetched into the cache on first use), not the API server.
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { type FidelityCase, type RequestClass, runDifferential } from '../../local/fidelity/differential.js';
import { istioRegexVerdicts } from '../../local/fidelity/istio-oracle.js';
import type { HttpMatchRequest, HttpRoute, HttpRouteDestination } from '../../local/traffic/istio-types.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';
import { re2SyntaxError } from '../../src/domain/validation/index.js';
import { fidelityCaseOf } from './support/fidelity-case.js';

const ns = 'fid';
const versions = ['v1', 'v2', 'v3'];
const caller = (app: string, version: string) => ({ namespace: ns, labels: { app, version } });

// Request classes: plain, header and user agent, cookies as browsers send them, callers with labels.
const requestClasses: RequestClass[] = [
  { name: 'plain', headers: {}, caller: caller('productpage', 'v1') },
  {
    name: 'jason-mobile',
    headers: { 'end-user': 'jason', 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' },
    caller: caller('frontend', 'v2'),
  },
  { name: 'browser-cookies', headers: { cookie: 'a=1; user=tester; b=2' }, caller: caller('frontend', 'v1') },
  {
    name: 'lone-cookie',
    headers: { cookie: 'user=tester', 'end-user': 'jane' },
    caller: caller('productpage', 'v1'),
  },
];

const condition: fc.Arbitrary<HttpMatchRequest> = fc.oneof(
  fc.constant({ headers: { 'end-user': { exact: 'jason' } } }),
  fc.constant({ headers: { 'end-user': { prefix: 'ja' } } }),
  fc.constant({ headers: { 'end-user': { regex: '(?i)JASON' } } }),
  fc.constant({ headers: { cookie: { regex: cookieRegex('user=tester') } } }),
  fc.constant({ headers: { cookie: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }),
  fc.constant({ headers: { 'user-agent': { regex: '.*Mobile.*' } } }),
  fc.constant({ withoutHeaders: { 'end-user': { exact: 'jason' } } }),
  fc.constant({ sourceLabels: { app: 'frontend' } }),
  fc.constant({ sourceLabels: { app: 'frontend', version: 'v2' } }),
  fc.constant({ headers: { 'end-user': { exact: 'jason' } }, sourceLabels: { app: 'frontend' } }),
);

const destination = (host: string) =>
  fc
    .constantFrom<string | undefined>(undefined, 'v1', 'v2', 'v3', 'v4')
    .map((subset) => (subset === undefined ? { host } : { host, subset }));

function route(host: string, catchAll: boolean): fc.Arbitrary<HttpRoute> {
  const destinations = fc.uniqueArray(destination(host), {
    minLength: 1,
    maxLength: 3,
    selector: (d) => d.subset ?? '',
  });
  // Weights need not add up to 100: Envoy's shares are relative, and so must the simulator's be.
  const weighted = destinations.chain((ds): fc.Arbitrary<HttpRouteDestination[]> => {
    const [only] = ds;
    if (ds.length === 1 && only)
      return fc.constantFrom([{ destination: only }], [{ destination: only, weight: 100 }]);
    return fc
      .array(fc.integer({ min: 0, max: 100 }), { minLength: ds.length, maxLength: ds.length })
      .filter((ws) => ws.reduce((a, b) => a + b, 0) > 0)
      .map((ws) => ds.map((d, i) => ({ destination: d, weight: ws[i] ?? 0 })));
  });
  const mirror = fc.option(
    fc.record({
      subset: fc.constantFrom('v1', 'v2', 'v3'),
      percent: fc.option(fc.constantFrom(100, 50), { nil: undefined }),
    }),
    { nil: undefined },
  );
  return fc
    .record({
      match: catchAll ? fc.constant(undefined) : fc.array(condition, { minLength: 1, maxLength: 2 }),
      route: weighted,
      mirror,
      named: fc.boolean(),
    })
    .map(({ match, route: r, mirror: m, named }) => {
      const out: HttpRoute = { route: r };
      if (match) out.match = match;
      if (named) out.name = `r${Math.abs(JSON.stringify(match ?? '').length)}`;
      if (m) {
        out.mirror = { host, subset: m.subset };
        if (m.percent !== undefined) out.mirrorPercentage = { value: m.percent };
      }
      return out;
    });
}

function fidelityCase(i: number): fc.Arbitrary<FidelityCase> {
  const host = `svc-${i}`;
  return fc
    .record({
      routes: fc.array(route(host, false), { minLength: 0, maxLength: 3 }),
      catchAll: fc.option(route(host, true), { nil: undefined }),
      subsets: fc.constantFrom(versions, ['v1', 'v2']),
    })
    .filter(({ routes, catchAll }) => routes.length + (catchAll ? 1 : 0) > 0)
    .map(({ routes, catchAll, subsets }) =>
      fidelityCaseOf(ns, host, versions, catchAll ? [...routes, catchAll] : routes, requestClasses, subsets),
    );
}

describe('the traffic simulator routes as real Envoy does with the routes Istio generates', () => {
  it('agrees on 1,000 generated VirtualServices x 4 request classes', async () => {
    const seed = Number(process.env.FIDELITY_SEED ?? 20261204);
    const cases = fc.sample(fc.tuple(...Array.from({ length: 1000 }, (_, i) => fidelityCase(i))), {
      numRuns: 1,
      seed,
    })[0] as FidelityCase[];

    const report = await runDifferential(cases);
    // FIDELITY_REPORT=<file> keeps the whole report, every disagreement with its routes, for a closer look.
    if (process.env.FIDELITY_REPORT)
      writeFileSync(process.env.FIDELITY_REPORT, JSON.stringify(report, null, 1));

    console.log(
      `fidelity (seed ${seed}): ${report.cases} VirtualServices, ${report.requestClasses} request classes, ${report.probes} requests through Envoy, ${report.disagreements.length} disagreements`,
    );
    expect(report.refused).toEqual([]);
    expect(report.disagreements.slice(0, 5)).toEqual([]);
    expect(report.requestClasses).toBe(4000);
  });

  it("routes a browser's cookie header to the A/B version with the route the bot builds", async () => {
    const host = 'frontend';
    const abRoute = (regex: string): FidelityCase =>
      fidelityCaseOf(
        ns,
        host,
        versions,
        [
          { match: [{ headers: { cookie: { regex } } }], route: [{ destination: { host, subset: 'v2' } }] },
          {
            route: [
              { destination: { host, subset: 'v1' }, weight: 90 },
              { destination: { host, subset: 'v2' }, weight: 10 },
            ],
          },
        ],
        [{ name: 'browser', headers: { cookie: 'a=b; user=tester' }, caller: caller('gateway', 'v1') }],
      );
    const { simulatorOutcome } = await import('../../local/fidelity/differential.js');

    // Istio's documented regex misses the browser (90/10 instead of v2), in Envoy and in the simulator alike.
    const documented = abRoute('^(.*?;)?(user=tester)(;.*)?$');
    expect((await runDifferential([documented])).disagreements).toEqual([]);
    expect(simulatorOutcome(documented, documented.requests[0] as RequestClass).primary).toEqual({
      'frontend/v1': 0.9,
      'frontend/v2': 0.1,
    });
    // The bot's route takes the browser to v2, in Envoy as in the simulator.
    const bots = abRoute(cookieRegex('user=tester'));
    expect((await runDifferential([bots])).disagreements).toEqual([]);
    expect(simulatorOutcome(bots, bots.requests[0] as RequestClass).primary).toEqual({ 'frontend/v2': 1 });
  });
});

// Tokens that make valid and invalid RE2 alike: escapes Go's parser refuses, repeats at and past the limit.
const regexToken = fc.oneof(
  fc.constantFrom('a', 'b', 'j', 'Z', '0', '.', '-', '=', ';', ' ', 'é'),
  fc.constantFrom('(', ')', '[', ']', '[^', '{', '}', '|', '*', '+', '?', '^', '$', '\\'),
  fc.constantFrom(
    '\\d',
    '\\w',
    '\\s',
    '\\b',
    '\\B',
    '\\A',
    '\\z',
    '\\Z',
    '\\k<n>',
    '\\y',
    '\\1',
    '\\C',
    '\\Q',
    '\\E',
  ),
  fc.constantFrom('\\pL', '\\p{Greek}', '\\PL', '\\p{Foo}', '\\x41', '\\x{263a}', '\\u0041', '\\0', '\\012'),
  fc.constantFrom(
    '(?i)',
    '(?s)',
    '(?m)',
    '(?U)',
    '(?x)',
    '(?P<n>',
    '(?<n>',
    "(?'n'",
    '(?:',
    '(?=',
    '(?!',
    '(?<=',
  ),
  fc.constantFrom('[[:alpha:]]', '[[:foo:]]', '[a-z]', '[z-a]', '[\\d-z]', '*?', '+?', '??', '**', '++'),
  fc.integer({ min: 0, max: 1100 }).map((n) => `{${n}}`),
  fc
    .tuple(fc.integer({ min: 0, max: 1100 }), fc.integer({ min: 0, max: 1100 }))
    .map(([a, b]) => `{${a},${b}}`),
);
const generatedRegex = fc.oneof(
  fc.array(regexToken, { minLength: 1, maxLength: 12 }).map((tokens) => tokens.join('')),
  fc.string({ minLength: 1, maxLength: 16 }),
  fc.integer({ min: 1000, max: 1030 }).map((n) => 'a'.repeat(n)),
);

describe("the bot's regex validator agrees with Istio's validating webhook", () => {
  it('on 10,000 generated regexes: accepted by both or refused by both', async () => {
    const regexes = fc.sample(generatedRegex, { numRuns: 10_000, seed: 15 });

    const istio = await istioRegexVerdicts(regexes);

    const disagreements = regexes
      .map((regex, i) => ({ regex, ours: re2SyntaxError(regex) ?? '', istio: istio[i] ?? '' }))
      .filter((d) => (d.ours === '') !== (d.istio === ''));
    const refused = istio.filter((e) => e !== '').length;
    console.log(
      `regex agreement: ${regexes.length} regexes, ${refused} refused by Istio, ${disagreements.length} disagreements`,
    );
    expect(disagreements.slice(0, 10)).toEqual([]);
    expect(refused).toBeGreaterThan(1000);
    expect(regexes.length - refused).toBeGreaterThan(1000);
  });

  it("quotes Istio's own reason for the defects found through the front door", async () => {
    const cases = ['a\\Z', '(?<n>a)\\k<n>', '\\y', 'a{1001}', '[^]'];
    const istio = await istioRegexVerdicts(cases);
    cases.forEach((regex, i) => {
      const ours = re2SyntaxError(regex);
      expect(ours).toBeDefined();
      expect(istio[i]).toContain(ours);
    });
    expect(await istioRegexVerdicts(['(?i)jason'])).toEqual(['']);
  });
});
