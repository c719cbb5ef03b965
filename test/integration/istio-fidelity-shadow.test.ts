/**
 * The shadowed-route analysis (src/domain/routing/shadowed-route.ts) against real Envoy: for generated
 * VirtualServices with other teams' routes in front of a release's match route, the analysis says a
 * request class is taken elsewhere exactly when Envoy, with pilot's routes, sends it to a route in front
 * that goes elsewhere.
 */
import fc from 'fast-check';
import { type FidelityCase, type RequestClass, runDifferential } from '../../local/fidelity/differential.js';
import type { HttpMatchRequest, HttpRoute } from '../../local/traffic/istio-types.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';
import { findShadowingRoute, requestClassesOf } from '../../src/domain/routing/shadowed-route.js';
import type { VirtualServiceSpec } from '../../src/domain/routing/virtual-service.js';
import { fidelityCaseOf } from './support/fidelity-case.js';

const ns = 'shadow';
const versions = ['v1', 'v2', 'v3'];

const condition: fc.Arbitrary<HttpMatchRequest> = fc.oneof(
  fc.constant({ headers: { 'end-user': { exact: 'jason' } } }),
  fc.constant({ headers: { 'end-user': { prefix: 'ja' } } }),
  fc.constant({ headers: { 'end-user': { regex: '(?i)J.*' } } }),
  fc.constant({ headers: { cookie: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }),
  fc.constant({ headers: { cookie: { regex: cookieRegex('user=tester') } } }),
  fc.constant({ headers: { cookie: { regex: '.*tester.*' } } }),
  fc.constant({ withoutHeaders: { 'end-user': { exact: 'jason' } } }),
  fc.constant({ sourceLabels: { app: 'frontend' } }),
  fc.constant({ sourceLabels: { app: 'frontend', version: 'v2' } }),
);
const releaseMatch: fc.Arbitrary<HttpMatchRequest> = fc.constantFrom<HttpMatchRequest>(
  { headers: { 'end-user': { exact: 'jason' } } },
  { headers: { 'end-user': { prefix: 'jas' } } },
  { headers: { cookie: { regex: cookieRegex('user=tester') } } },
  { sourceLabels: { app: 'frontend', version: 'v2' } },
  { headers: { 'end-user': { exact: 'jason' } }, sourceLabels: { app: 'frontend' } },
);

function shadowCase(i: number): fc.Arbitrary<FidelityCase & { releaseIndex: number; releaseSubset: string }> {
  const host = `svc-${i}`;
  const others = fc.array(
    fc.record({
      match: fc.array(condition, { minLength: 1, maxLength: 2 }),
      subset: fc.constantFrom(...versions),
    }),
    { minLength: 0, maxLength: 3 },
  );
  return fc
    .record({
      others,
      release: fc.array(releaseMatch, { minLength: 1, maxLength: 2 }),
      releaseSubset: fc.constantFrom('v2', 'v3'),
    })
    .map(({ others: theirs, release, releaseSubset }) => {
      const http: HttpRoute[] = [
        ...theirs.map((o, k) => ({
          name: `team-${k}`,
          match: o.match,
          route: [{ destination: { host, subset: o.subset } }],
        })),
        {
          name: 'canary-bot-r1-ab',
          match: release,
          route: [{ destination: { host, subset: releaseSubset } }],
        },
        { name: 'default', route: [{ destination: { host, subset: 'v1' } }] },
      ];
      const requests: RequestClass[] = requestClassesOf(release as VirtualServiceSpec['http'] & object).map(
        (c, k) => ({
          name: `c${k}:${c.description}`,
          headers: c.headers,
          caller: {
            namespace: ns,
            labels:
              Object.keys(c.sourceLabels).length > 0 ? c.sourceLabels : { app: 'gateway', version: 'v1' },
          },
        }),
      );
      return {
        ...fidelityCaseOf(ns, host, versions, http, requests),
        releaseIndex: theirs.length,
        releaseSubset,
      };
    });
}

describe("the shadowed-route analysis agrees with Envoy's first match", () => {
  it('on 300 generated VirtualServices with routes in front of the release route', async () => {
    const cases = fc.sample(fc.tuple(...Array.from({ length: 300 }, (_, i) => shadowCase(i))), {
      numRuns: 1,
      seed: 16,
    })[0] as (FidelityCase & { releaseIndex: number; releaseSubset: string })[];

    const report = await runDifferential(cases);

    const disagreements: string[] = [];
    let shadowed = 0;
    for (const c of cases) {
      const http = c.virtualService.spec.http as VirtualServiceSpec['http'] & object;
      const release = { host: c.id, subset: c.releaseSubset };
      const classes = requestClassesOf(http[c.releaseIndex]?.match ?? []);
      classes.forEach((cls, k) => {
        const finding = findShadowingRoute(http, c.releaseIndex, [cls], release);
        const envoy = report.matched.find((m) => m.caseId === c.id && m.request.startsWith(`c${k}:`));
        const taker = http.find((r) => r.name === envoy?.route);
        // Envoy takes the request elsewhere when the route it matched is in front and sends it elsewhere.
        const elsewhere =
          taker !== undefined &&
          http.indexOf(taker) < c.releaseIndex &&
          !(taker.route ?? []).every((d) => d.destination.subset === c.releaseSubset);
        if (finding) shadowed++;
        if (Boolean(finding) !== elsewhere || (finding && finding.route !== `"${envoy?.route}"`))
          disagreements.push(
            `${c.id} ${cls.description}: analysis ${finding?.route ?? 'none'}, Envoy ${envoy?.route}`,
          );
      });
    }
    console.log(
      `shadow analysis: ${cases.length} VirtualServices, ${report.requestClasses} request classes, ${shadowed} shadowed, ${disagreements.length} disagreements with Envoy`,
    );
    expect(report.refused).toEqual([]);
    expect(report.disagreements.slice(0, 5)).toEqual([]);
    expect(disagreements.slice(0, 10)).toEqual([]);
    expect(shadowed).toBeGreaterThan(20);
    expect(report.requestClasses - shadowed).toBeGreaterThan(20);
  });
});
