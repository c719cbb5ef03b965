/**
 * The differential check of the traffic simulator: for each VirtualService and request class, where the
 * simulator says requests go, and where real Envoy sends them with the routes Istio's pilot generated.
 *
 * Exact, not statistical: a weighted route's random value comes from a request header, so Envoy is probed
 * at the first and last value of every destination's range; the shares Envoy applies are read from the
 * route pilot generated and confirmed by those probes. A mirror of 100% must deliver a copy to every probe.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DestinationRule, VirtualService } from '../traffic/istio-types.js';
import { decideRoutes, type RoutableService } from '../traffic/routing.js';
import { probeHeader, servedByHeader, startBackend } from './backend.js';
import { randomValueHeader, routeHeader, routeId, startEnvoy } from './envoy.js';
import {
  type EnvoyRoute,
  type EnvoyRouteConfiguration,
  istioRoutes,
  type OracleCaller,
  type OracleVerdict,
} from './istio-oracle.js';

/** A request as a class of requests: its headers and the workload that sends it. */
export interface RequestClass {
  name: string;
  headers: Record<string, string>;
  caller: OracleCaller;
}

/** One service with its routing objects, and the requests to route. */
export interface FidelityCase {
  id: string;
  service: RoutableService;
  port: number;
  virtualService: VirtualService;
  destinationRules: DestinationRule[];
  requests: RequestClass[];
  /** The Kubernetes Services the routes name; default one Service named as the service, on `port`. */
  services?: unknown[];
}

/** Where a share of requests goes: `host/subset` (subset empty without one), or `404`/`503`. */
export type Outcome = Record<string, number>;

export interface Disagreement {
  caseId: string;
  request: string;
  simulator: { primary: Outcome; mirrored: Outcome };
  envoy: { primary: Outcome; mirrored: Outcome };
  why: string;
  /** The VirtualService's http routes, to reproduce the case. */
  http?: unknown;
}

export interface DifferentialReport {
  cases: number;
  requestClasses: number;
  probes: number;
  /** Objects Istio's validation refused (the generator should make none). */
  refused: OracleVerdict[];
  disagreements: Disagreement[];
  /** For each request class, the name of the Envoy route that took its first probe (pilot names it after the http route). */
  matched: { caseId: string; request: string; route?: string; status: number }[];
}

const serviceObject = (c: FidelityCase) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: c.service.name, namespace: c.service.namespace },
  spec: {
    selector: { app: c.service.app ?? c.service.name },
    ports: [{ name: 'http', port: c.port, targetPort: 8080 }],
  },
});

const callerKey = (caller: OracleCaller) =>
  `${caller.namespace}|${Object.entries(caller.labels)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

/** `outbound|80|v2|reviews.bookinfo.svc.cluster.local` -> `reviews/v2`. */
function clusterOutcome(cluster: string, known: ReadonlySet<string>): string {
  if (!known.has(cluster)) return '503';
  const [, , subset = '', fqdn = ''] = cluster.split('|');
  return `${fqdn.split('.')[0]}/${subset}`;
}

function add(outcome: Outcome, key: string, fraction: number) {
  outcome[key] = (outcome[key] ?? 0) + fraction;
}

/** The simulator's answer, in the same terms as Envoy's. */
export function simulatorOutcome(
  c: FidelityCase,
  request: RequestClass,
): { primary: Outcome; mirrored: Outcome } {
  const decision = decideRoutes({
    virtualService: c.virtualService,
    destinationRules: c.destinationRules,
    service: c.service,
    request: {
      headers: request.headers,
      sourceLabels: request.caller.labels,
      sourceNamespace: request.caller.namespace,
    },
  });
  const primary: Outcome = {};
  const mirrored: Outcome = {};
  for (const share of decision.shares)
    add(share.mirrored ? mirrored : primary, `${share.host}/${share.subset ?? ''}`, share.fraction);
  for (const share of decision.unrouted) {
    if (share.mirrored) continue; // a mirror to nowhere is dropped by Envoy: nothing to see
    add(primary, share.reason === 'no-route' ? '404' : '503', share.fraction);
  }
  return { primary, mirrored };
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => Math.abs((a[k] ?? 0) - (b[k] ?? 0)) < 1e-9);
}

function fractionOf(policy: NonNullable<NonNullable<EnvoyRoute['route']>['requestMirrorPolicies']>[number]) {
  const value = policy.runtimeFraction?.defaultValue;
  if (!value) return 1;
  const denominator =
    { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[value.denominator ?? 'HUNDRED'] ?? 100;
  return Math.min(1, (value.numerator ?? 0) / denominator);
}

interface ProbeResult {
  status: number;
  route?: string;
  servedBy?: string;
}

/**
 * Runs every case through pilot and Envoy and compares with the simulator.
 *
 * @example const report = await runDifferential(cases) // report.disagreements: []
 */
export async function runDifferential(cases: readonly FidelityCase[]): Promise<DifferentialReport> {
  const objects = cases.flatMap((c) => [
    ...(c.services ?? [serviceObject(c)]),
    ...c.destinationRules,
    c.virtualService,
  ]);
  const callers = new Map<string, OracleCaller>();
  for (const c of cases) for (const r of c.requests) callers.set(callerKey(r.caller), r.caller);
  const callerList = [...callers.entries()];
  const answers = await istioRoutes(callerList.map(([key, caller]) => ({ id: key, objects, caller })));
  const refused = (answers[0]?.verdicts ?? []).filter((v) => v.error);
  for (const answer of answers) if (answer.error) throw new Error(`istio-oracle: ${answer.error}`);

  // One listener per (caller, route configuration): the route configuration is named by the port.
  const listeners: { caller: string; routeConfig: EnvoyRouteConfiguration }[] = [];
  const clusters = new Set<string>();
  answers.forEach((answer, i) => {
    for (const routeConfig of answer.routes)
      listeners.push({ caller: callerList[i]?.[0] ?? '', routeConfig });
    for (const cluster of answer.clusters) clusters.add(cluster);
  });
  const envoyRoutes = new Map<string, EnvoyRoute>();
  for (const [i, l] of listeners.entries())
    for (const host of l.routeConfig.virtualHosts ?? [])
      for (const [index, route] of (host.routes ?? []).entries())
        envoyRoutes.set(routeId(i, host.name, index), route);

  const dir = await mkdtemp(join(tmpdir(), 'fidelity-'));
  const backend = await startBackend();
  const envoy = await startEnvoy(
    dir,
    listeners.map((l) => l.routeConfig),
    [...clusters],
    backend.port,
  ).catch(async (error) => {
    await backend.close();
    throw error;
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let probes = 0;
  const probe = (port: number, host: string, headers: Record<string, string>, id: string, random: number) =>
    new Promise<ProbeResult>((resolve, reject) => {
      probes++;
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          agent,
          headers: { ...headers, host, [probeHeader]: id, [randomValueHeader]: String(random) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const result: ProbeResult = { status: res.statusCode ?? 0 };
            const route = res.headers[routeHeader];
            const servedBy = res.headers[servedByHeader];
            if (typeof route === 'string') result.route = route;
            if (typeof servedBy === 'string') result.servedBy = servedBy;
            resolve(result);
          });
        },
      );
      req.on('error', reject);
      req.end();
    });

  const disagreements: Disagreement[] = [];
  const matched: DifferentialReport['matched'] = [];
  // Copies each probe must deliver to a cluster: its mirrors, plus the probe itself where it was served.
  const mirrorChecks: {
    id: string;
    cluster: string;
    c: FidelityCase;
    request: string;
    copies: number;
  }[] = [];
  let requestClasses = 0;
  try {
    const work = cases.flatMap((c) => c.requests.map((request) => ({ c, request })));
    const runOne = async ({ c, request }: (typeof work)[number]) => {
      requestClasses++;
      const key = callerKey(request.caller);
      const listenerIndex = listeners.findIndex(
        (l) => l.caller === key && l.routeConfig.name === String(c.port),
      );
      const port = envoy.ports[listenerIndex];
      const sim = simulatorOutcome(c, request);
      const fail = (why: string, envoyOutcome = { primary: {}, mirrored: {} }) =>
        disagreements.push({
          caseId: c.id,
          request: request.name,
          simulator: sim,
          envoy: envoyOutcome,
          why,
          http: c.virtualService.spec.http,
        });
      if (port === undefined) return fail(`pilot generated no routes for port ${c.port} of this caller`);
      const host = `${c.service.name}.${c.service.namespace}.svc.cluster.local`;
      const probeId = `${c.id}|${request.name}`;
      const first = await probe(port, host, request.headers, `${probeId}|0`, 0);
      const matchedRoute = first.route === undefined ? undefined : envoyRoutes.get(first.route)?.name;
      matched.push({
        caseId: c.id,
        request: request.name,
        status: first.status,
        ...(matchedRoute === undefined ? {} : { route: matchedRoute }),
      });
      const primary: Outcome = {};
      const mirrored: Outcome = {};
      if (first.route === undefined) {
        add(primary, String(first.status), 1);
      } else {
        const route = envoyRoutes.get(first.route)?.route;
        const weighted = route?.weightedClusters?.clusters;
        const ranges: { cluster: string; from: number; to: number }[] = [];
        if (weighted) {
          const total = weighted.reduce((sum, w) => sum + (w.weight ?? 0), 0);
          let from = 0;
          for (const w of weighted) {
            const weight = w.weight ?? 0;
            if (weight > 0) ranges.push({ cluster: w.name, from, to: from + weight - 1 });
            if (weight > 0) add(primary, clusterOutcome(w.name, clusters), weight / total);
            from += weight;
          }
        } else if (route?.cluster) {
          ranges.push({ cluster: route.cluster, from: 0, to: 0 });
          add(primary, clusterOutcome(route.cluster, clusters), 1);
        } else {
          add(primary, String(first.status), 1);
        }
        // Envoy must follow its own ranges: each destination answers at both ends of its range.
        for (const range of ranges)
          for (const random of new Set([range.from, range.to])) {
            const id = `${probeId}|${random}`;
            const got = random === 0 ? first : await probe(port, host, request.headers, id, random);
            const expected = clusterOutcome(range.cluster, clusters);
            const seen =
              got.status === 200 ? clusterOutcome(got.servedBy ?? '', clusters) : String(got.status);
            if (seen !== expected || got.route !== first.route)
              fail(`Envoy sent random value ${random} to ${seen} (route ${got.route}), not ${expected}`);
            for (const policy of route?.requestMirrorPolicies ?? [])
              if (fractionOf(policy) >= 1 && clusters.has(policy.cluster) && got.status === 200) {
                const copies = (route?.requestMirrorPolicies ?? []).filter(
                  (p) => p.cluster === policy.cluster,
                ).length;
                const served = got.servedBy === policy.cluster ? 1 : 0;
                mirrorChecks.push({
                  id,
                  cluster: policy.cluster,
                  c,
                  request: request.name,
                  copies: copies + served,
                });
              }
          }
        // Envoy mirrors what it forwards: requests for a cluster that does not exist get a 503 and no copy.
        const forwarded = Object.entries(primary).reduce(
          (sum, [k, v]) => (/^\d+$/.test(k) ? sum : sum + v),
          0,
        );
        for (const policy of route?.requestMirrorPolicies ?? [])
          if (clusters.has(policy.cluster) && forwarded > 0)
            add(mirrored, clusterOutcome(policy.cluster, clusters), fractionOf(policy) * forwarded);
      }
      if (!sameOutcome(primary, sim.primary) || !sameOutcome(mirrored, sim.mirrored))
        fail('the simulator and Envoy route this request differently', { primary, mirrored });
    };
    const queue = [...work];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await runOne(next);
      }),
    );
    // Mirrored copies arrive on their own time; the client never sees them.
    const deadline = Date.now() + 5000;
    const copiesSeen = () => {
      const seen = new Map<string, number>();
      for (const hit of backend.hits) {
        const k = `${hit.probe}#${hit.servedBy}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      return seen;
    };
    let missing = mirrorChecks;
    while (Date.now() < deadline) {
      const seen = copiesSeen();
      missing = mirrorChecks.filter((m) => (seen.get(`${m.id}#${m.cluster}`) ?? 0) < m.copies);
      if (missing.length === 0) break;
      await sleep(100);
    }
    for (const m of missing)
      disagreements.push({
        caseId: m.c.id,
        request: m.request,
        simulator: { primary: {}, mirrored: {} },
        envoy: { primary: {}, mirrored: {} },
        why: `${m.copies} copies should have reached ${m.cluster} for probe ${m.id}, ${copiesSeen().get(`${m.id}#${m.cluster}`) ?? 0} did`,
        http: m.c.virtualService.spec.http,
      });
  } finally {
    agent.destroy();
    await envoy.stop();
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { cases: cases.length, requestClasses, probes, refused, disagreements, matched };
}
