/**
 * The routes the bot writes, on the seed apps' own VirtualServices, through Istio's pilot and a real Envoy:
 * Istio admits each, and Envoy routes every request class as the simulator assumes. The changes are made
 * with the bot's own route functions (src/domain/routing), as the mesh adapter makes them.
 */
import { type FidelityCase, type RequestClass, runDifferential } from '../../local/fidelity/differential.js';
import type { DestinationRule, VirtualService } from '../../local/traffic/istio-types.js';
import { loadSampleApp, type SampleAppName } from '../../local/traffic/samples.js';
import {
  cookieRegex,
  findRouteIndex,
  type RequestMatch,
  routeAt,
  toMatchRequest,
  withMirror,
  withRouteAt,
  withRouteInserted,
  withWeights,
} from '../../src/domain/routing/route-math.js';
import type { Destination, HttpRoute, VirtualServiceSpec } from '../../src/domain/routing/virtual-service.js';

type BotChange = {
  name: string;
  change: (spec: VirtualServiceSpec, baseline: Destination, canary: Destination) => VirtualServiceSpec;
};

const matchRoute = (name: string, matches: RequestMatch[], canary: Destination): HttpRoute => ({
  name: `canary-bot-fid-${name}`,
  match: matches.map(toMatchRequest),
  route: [{ destination: canary }],
});
const owned = (spec: VirtualServiceSpec) => findRouteIndex(spec, { kind: 'default' });

// What the bot writes: weights at each canary step, A/B match routes, mirrors, source pins, a switch.
const changes: BotChange[] = [
  ...[10, 25, 50].map((w) => ({
    name: `weights-${w}`,
    change: (spec: VirtualServiceSpec, baseline: Destination, canary: Destination) =>
      withRouteAt(
        spec,
        owned(spec),
        withWeights(routeAt(spec, owned(spec)), [
          { destination: baseline, weight: 100 - w },
          { destination: canary, weight: w },
        ]),
      ),
  })),
  {
    name: 'switch',
    change: (spec, _baseline, canary) =>
      withRouteAt(
        spec,
        owned(spec),
        withWeights(routeAt(spec, owned(spec)), [{ destination: canary, weight: 100 }]),
      ),
  },
  {
    name: 'ab',
    change: (spec, _baseline, canary) =>
      withRouteInserted(
        spec,
        owned(spec),
        matchRoute(
          'ab',
          [
            { kind: 'header', name: 'end-user', match: { exact: 'jason' } },
            { kind: 'cookie', regex: cookieRegex('beta=yes') },
            { kind: 'user-agent', regex: '.*Mobile.*' },
          ],
          canary,
        ),
      ),
  },
  {
    name: 'ab-regex',
    change: (spec, _baseline, canary) =>
      withRouteInserted(
        spec,
        owned(spec),
        matchRoute('abr', [{ kind: 'header', name: 'end-user', match: { regex: '(?i)JASON' } }], canary),
      ),
  },
  {
    name: 'pin',
    change: (spec, _baseline, canary) =>
      withRouteInserted(
        spec,
        owned(spec),
        matchRoute('pin', [{ kind: 'source', labels: { app: 'frontend', version: 'v2' } }], canary),
      ),
  },
  ...[50, 100].map((percent) => ({
    name: `mirror-${percent}`,
    change: (spec: VirtualServiceSpec, _baseline: Destination, canary: Destination) =>
      withRouteAt(spec, owned(spec), withMirror(routeAt(spec, owned(spec)), canary, percent)),
  })),
];

const requests = (namespace: string): RequestClass[] => {
  const caller = (app: string, version: string) => ({ namespace, labels: { app, version } });
  return [
    { name: 'plain', headers: {}, caller: caller('gateway', 'v1') },
    { name: 'jason', headers: { 'end-user': 'jason' }, caller: caller('gateway', 'v1') },
    {
      name: 'beta-browser',
      headers: { cookie: 'session=4f2a9c; beta=yes; theme=dark' },
      caller: caller('gateway', 'v1'),
    },
    {
      name: 'tester-browser',
      headers: { cookie: 'session=4f2a9c; user=tester; theme=dark' },
      caller: caller('gateway', 'v1'),
    },
    {
      name: 'mobile',
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' },
      caller: caller('gateway', 'v1'),
    },
    { name: 'frontend-v2', headers: {}, caller: caller('frontend', 'v2') },
  ];
};

/** Baseline and canary of a service: subsets v1 and v2, or the hosts of versions v1 and v2. */
function versionsOf(
  vs: VirtualService,
  rules: DestinationRule[],
  hosts: Record<string, unknown> | undefined,
) {
  const host = vs.spec.hosts?.[0] ?? '';
  const rule = rules.find((r) => r.spec.host === host);
  const subsets = rule?.spec.subsets?.map((s) => s.name) ?? [];
  if (subsets.includes('v1') && subsets.includes('v2'))
    return { baseline: { host, subset: 'v1' }, canary: { host, subset: 'v2' } };
  const byHost = Object.keys(hosts ?? {});
  const v1 = byHost.find((h) => h.endsWith('-v1'));
  const v2 = byHost.find((h) => h.endsWith('-v2'));
  return v1 && v2 ? { baseline: { host: v1 }, canary: { host: v2 } } : undefined;
}

async function botCases(): Promise<FidelityCase[]> {
  const cases: FidelityCase[] = [];
  for (const app of ['bookinfo', 'weather', 'two-host'] as SampleAppName[])
    for (const change of changes) {
      const namespace = `fid-${app}-${change.name}`;
      const sample = await loadSampleApp(app, { namespace });
      const of = (kind: string) => sample.objects.filter((o) => (o as { kind?: string }).kind === kind);
      const services = of('Service');
      const rules = of('DestinationRule') as DestinationRule[];
      for (const vs of of('VirtualService') as VirtualService[]) {
        const profile = sample.profiles.find((p) => p.virtualService === vs.metadata.name);
        const versions = profile && versionsOf(vs, rules, profile.hosts);
        if (!profile || !versions) continue;
        const port = (
          services.find((s) => (s as { metadata: { name: string } }).metadata.name === profile.name) as {
            spec: { ports: { port: number }[] };
          }
        ).spec.ports[0]?.port as number;
        const spec = change.change(vs.spec as VirtualServiceSpec, versions.baseline, versions.canary);
        cases.push({
          id: `${namespace}/${vs.metadata.name}`,
          service: profile,
          port,
          virtualService: { ...vs, spec: spec as VirtualService['spec'] },
          destinationRules: rules.filter((r) => r.spec.host === vs.spec.hosts?.[0]),
          requests: requests(namespace),
          services: services.filter(
            (s) =>
              (s as { metadata: { name: string } }).metadata.name === profile.name ||
              Object.keys(profile.hosts ?? {}).includes((s as { metadata: { name: string } }).metadata.name),
          ),
        });
      }
    }
  return cases;
}

describe('the routes the bot writes, judged by Istio and a real Envoy', () => {
  it('are admitted by Istio and route in Envoy as the simulator assumes, on every seed VirtualService', async () => {
    const cases = await botCases();

    const report = await runDifferential(cases);

    console.log(
      `bot routes: ${report.cases} VirtualServices (${changes.length} kinds of change on the seed apps), ${report.requestClasses} request classes, ${report.probes} requests through Envoy, ${report.disagreements.length} disagreements`,
    );
    expect(report.refused).toEqual([]);
    expect(report.disagreements.slice(0, 5)).toEqual([]);
    expect(report.cases).toBeGreaterThanOrEqual(changes.length * 4);
  });
});
