/**
 * The mesh traffic simulator: for every step it reads the live VirtualServices (through a MeshReader),
 * routes each service's request mix, follows downstream calls, and writes what Istio's destination
 * sidecars would report: istio_requests_total and the istio_request_duration_milliseconds histogram.
 *
 * Deterministic mode writes exact expected counts: every series accumulates its expected value as a
 * real number and reports the integer part, so fractions carry over instead of drifting.
 */

import { httpRouteAsVirtualService } from './gateway-api-routing.js';
import {
  ISTIO_DURATION_BUCKETS_MS,
  ISTIO_DURATION_LE,
  istioLabels,
  REQUEST_DURATION,
  REQUESTS_TOTAL,
} from './istio-metrics.js';
import type { DestinationRule, VirtualService } from './istio-types.js';
import { latencyCdf, latencyMean, latencyProblems, sampleLatency } from './latency.js';
import type { MeshReader } from './mesh-reader.js';
import {
  DEFAULT_BEHAVIOUR,
  type DownstreamCall,
  INGRESS_GATEWAY,
  type LatencyModel,
  type ServiceProfile,
  type SourceWorkload,
  serviceKey,
  type VersionBehaviour,
  versionLabels,
} from './profile.js';
import type { MetricSeries, Sample, SampleWriter } from './remote-write.js';
import { decideRoutes, parseHost, type RequestAttributes, type UnroutedReason } from './routing.js';
import { type RandomSource, seededRandom } from './seeded-random.js';

export type TrafficMode = { kind: 'deterministic' } | { kind: 'poisson'; seed: number };

export interface SimulatorOptions {
  services: readonly ServiceProfile[];
  reader: MeshReader;
  writer: SampleWriter;
  /** Default deterministic. */
  mode?: TrafficMode;
  /** Re-read VirtualServices and DestinationRules every N steps; default 1 (every step). */
  rereadEverySteps?: number;
  /** Simulated time covered by one write; default 30 min (Prometheus refuses samples >1 h behind its newest). */
  flushEveryMs?: number;
  /** Oldest `from` accepted, relative to now; default 1 h, for the same reason. */
  maxAgeMs?: number;
  /** Wall clock in ms; samples are never written after it. */
  now?: () => number;
  /** Seed of the choices `serve` makes (route, error, latency) in deterministic mode; default 1. */
  serveSeed?: number;
}

/** A real request the simulated mesh is asked to serve (see {@link MeshTrafficSimulator.serve}). */
export interface ServeRequest {
  namespace: string;
  service: string;
  /** Header names in lower case; the cookie travels as the `cookie` header. */
  headers: Readonly<Record<string, string>>;
  uri?: string;
  method?: string;
}

/** How the simulated mesh answered a real request. */
export type ServedRequest =
  | { kind: 'served'; version: string; status: number; latencyMs: number; mirroredTo: string[] }
  | { kind: 'unrouted'; reason: UnroutedReason; status: number };

export interface SimulationRange {
  /** First step timestamp (ms or Date); must be after the last step already simulated. */
  from: number | Date;
  /** Last step is the largest `from + k * step` not after `to`; `to` must not be in the future. */
  to: number | Date;
  stepSeconds: number;
}

export interface SimulationReport {
  steps: number;
  firstStepMs: number | undefined;
  lastStepMs: number | undefined;
  seriesWritten: number;
  samplesWritten: number;
  /** Expected requests (or mirrored copies) that reached no workload, by reason. */
  unrouted: Partial<Record<UnroutedReason, number>>;
}

/** Current counters of one flow: what Prometheus holds for it after the last write. */
export interface FlowSnapshot {
  labels: Readonly<Record<string, string>>;
  requests: number;
  /** Cumulative bucket counts, `le` as written (`0.5` ... `+Inf`). */
  buckets: readonly { le: string; count: number }[];
  sumMs: number;
}

export interface RunningTraffic {
  /** Stops after the step in flight, if any. */
  stop(): Promise<void>;
}

/** A range that cannot be written: overlapping what was written, in the future, or too old. */
export class SimulationRangeError extends Error {
  override readonly name = 'SimulationRangeError';
}

/** Service profiles that cannot be simulated (unknown callee, call cycle, bad numbers). */
export class TrafficProfileError extends Error {
  override readonly name = 'TrafficProfileError';
}

interface FlowState {
  labels: Record<string, string>;
  latency: LatencyModel;
  expected: number;
  bucketExpected: number[];
  requests: number;
  bucketCounts: number[];
  sumMs: number;
  pending: { total: Sample[]; buckets: Sample[][]; sum: Sample[]; count: Sample[] };
}

interface Demand {
  source: SourceWorkload;
  headers: Record<string, string>;
  expected: number;
}

interface MeshView {
  virtualService: VirtualService | undefined;
  destinationRules: DestinationRule[];
}

/**
 * Simulates Istio mesh traffic into Prometheus.
 * @example
 * const sim = new MeshTrafficSimulator({ services, reader, writer });
 * await sim.simulate({ from: Date.now() - 600_000, to: Date.now(), stepSeconds: 15 });
 */
export class MeshTrafficSimulator {
  private readonly services = new Map<string, ServiceProfile>();
  private readonly order: string[];
  private readonly flows = new Map<string, FlowState>();
  private readonly mesh = new Map<string, MeshView>();
  private readonly behaviours = new Map<string, VersionBehaviour>();
  private readonly rates = new Map<string, number>();
  private readonly random: RandomSource | undefined;
  private readonly serveRandom: RandomSource;
  private readonly meshReads = new Map<string, { at: number; read: Promise<void> }>();
  private readonly reader: MeshReader;
  private readonly writer: SampleWriter;
  private readonly rereadEverySteps: number;
  private readonly flushEveryMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private lastStep: number | undefined;
  private stepCount = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SimulatorOptions) {
    for (const profile of options.services) {
      const key = serviceKey(profile.namespace, profile.name);
      if (this.services.has(key)) throw new TrafficProfileError(`service ${key} is listed twice`);
      this.services.set(key, structuredClone(profile) as ServiceProfile);
      this.rates.set(key, profile.rps ?? 0);
      for (const version of profile.versions)
        this.setBehaviour(profile.namespace, profile.name, version.version, {});
    }
    for (const profile of this.services.values()) checkProfile(profile);
    this.order = callOrder(this.services);
    this.reader = options.reader;
    this.writer = options.writer;
    this.random = options.mode?.kind === 'poisson' ? seededRandom(options.mode.seed) : undefined;
    this.serveRandom = this.random ?? seededRandom(options.serveSeed ?? 1);
    this.rereadEverySteps = Math.max(1, Math.floor(options.rereadEverySteps ?? 1));
    this.flushEveryMs = options.flushEveryMs ?? 30 * 60_000;
    this.maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Timestamp of the last step written, if any. */
  get lastStepMs(): number | undefined {
    return this.lastStep;
  }

  /** Changes the external request rate of a service from the next step on. */
  setRate(namespace: string, service: string, rps: number): void {
    const key = this.requireService(namespace, service);
    if (!(rps >= 0)) throw new TrafficProfileError(`rate of ${key} must be >= 0, got ${rps}`);
    this.rates.set(key, rps);
  }

  /** Changes how a version behaves from the next step on, e.g. `{ errorRate: 0.2 }` for a bad canary. */
  setBehaviour(namespace: string, service: string, version: string, patch: Partial<VersionBehaviour>): void {
    const key = this.requireService(namespace, service);
    const profile = this.services.get(key)!;
    const versionProfile = profile.versions.find((v) => v.version === version);
    if (!versionProfile) throw new TrafficProfileError(`${key} has no version ${version}`);
    const current = this.behaviours.get(`${key}/${version}`) ?? {
      errorRate: versionProfile.errorRate ?? DEFAULT_BEHAVIOUR.errorRate,
      errorCode: versionProfile.errorCode ?? DEFAULT_BEHAVIOUR.errorCode,
      latency: versionProfile.latency ?? DEFAULT_BEHAVIOUR.latency,
    };
    const next = { ...current, ...patch };
    const problems = behaviourProblems(next);
    if (problems.length > 0) throw new TrafficProfileError(`${key} ${version}: ${problems.join('; ')}`);
    this.behaviours.set(`${key}/${version}`, next);
  }

  /** Every version served and how it behaves now (the local Slack page's traffic controls show them). */
  versions(): { namespace: string; service: string; version: string; behaviour: VersionBehaviour }[] {
    return [...this.services.values()].flatMap((profile) =>
      profile.versions.map((v) => ({
        namespace: profile.namespace,
        service: profile.name,
        version: v.version,
        behaviour: this.behaviours.get(`${serviceKey(profile.namespace, profile.name)}/${v.version}`)!,
      })),
    );
  }

  /**
   * Writes a sample for every step timestamp in [from, to], as fast as Prometheus takes them. The
   * traffic of a step is what happened since the previous step (of this call or an earlier one).
   */
  simulate(range: SimulationRange): Promise<SimulationReport> {
    const run = this.queue.then(() => this.simulateNow(range));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs in real time: one step every `stepSeconds` at the wall clock, until stopped. Errors (Prometheus
   * or the API server away) go to `onError` and the next step tries again.
   */
  start(options: { stepSeconds: number; onError?: (error: unknown) => void }): RunningTraffic {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<unknown> = Promise.resolve();
    const tick = () => {
      const at = Math.floor(this.now());
      const step =
        this.lastStep !== undefined && at <= this.lastStep
          ? Promise.resolve()
          : this.simulate({ from: at, to: at, stepSeconds: options.stepSeconds }).catch((error) =>
              options.onError?.(error),
            );
      inFlight = step.then(() => {
        if (!stopped) timer = setTimeout(tick, options.stepSeconds * 1000);
      });
    };
    tick();
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await inFlight;
        clearTimeout(timer);
      },
    };
  }

  /** Counters of every flow written so far. */
  snapshot(): FlowSnapshot[] {
    return [...this.flows.values()].map((flow) => ({
      labels: { ...flow.labels },
      requests: flow.requests,
      buckets: ISTIO_DURATION_LE.map((le, i) => ({
        le,
        count: i < ISTIO_DURATION_BUCKETS_MS.length ? flow.bucketCounts[i]! : flow.requests,
      })),
      sumMs: flow.sumMs,
    }));
  }

  /**
   * Requests counted so far, summed by one label over the flows that carry every `filter` label.
   * @example sim.countRequests({ destination_service_name: 'reviews' }, 'destination_version') // { v1: 5400, v2: 600 }
   */
  countRequests(filter: Readonly<Record<string, string>>, groupBy: string): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const flow of this.flows.values()) {
      if (!Object.entries(filter).every(([name, value]) => flow.labels[name] === value)) continue;
      const group = flow.labels[groupBy] ?? '';
      totals[group] = (totals[group] ?? 0) + flow.requests;
    }
    return totals;
  }

  /**
   * Serves one real request as the mesh would: routes it by the live VirtualService (read at most once a
   * second per service) with the same routing code as the simulated traffic, picks a destination by weight,
   * answers with that version's error rate and latency, and counts it in the version's Istio metrics, which
   * the next step writes. The caller waits `latencyMs` before answering.
   *
   * @example const answer = await sim.serve({ namespace: 'shop', service: 'catalog', headers: {} });
   */
  async serve(request: ServeRequest): Promise<ServedRequest> {
    const key = this.requireService(request.namespace, request.service);
    const profile = this.services.get(key)!;
    await this.freshMesh(key, profile);
    const decision = this.route(key, profile, INGRESS_GATEWAY, {
      headers: request.headers,
      ...(request.uri ? { uri: request.uri } : {}),
      ...(request.method ? { method: request.method } : {}),
    });
    const random = this.serveRandom;
    const primary = [
      ...decision.shares.filter((s) => !s.mirrored),
      ...decision.unrouted.filter((u) => !u.mirrored),
    ];
    const draw = random.uniform();
    let below = 0;
    const chosen =
      primary.find((share) => {
        below += share.fraction;
        return draw < below;
      }) ?? primary.at(-1);
    if (!chosen || !('version' in chosen))
      return {
        kind: 'unrouted',
        reason: chosen?.reason ?? 'no-route',
        status: chosen?.reason === 'no-route' ? 404 : 503,
      };
    const answer = this.countServed(key, profile, chosen);
    const mirroredTo: string[] = [];
    for (const copy of decision.shares.filter((s) => s.mirrored))
      if (random.uniform() < copy.fraction) {
        this.countServed(key, profile, copy);
        mirroredTo.push(copy.version);
      }
    return { kind: 'served', version: chosen.version, ...answer, mirroredTo };
  }

  /** Counts one request served by a version, as its destination sidecar reports it. */
  private countServed(
    key: string,
    profile: ServiceProfile,
    share: { version: string; host: string },
  ): { status: number; latencyMs: number } {
    const version = profile.versions.find((v) => v.version === share.version)!;
    const behaviour = this.behaviours.get(`${key}/${share.version}`)!;
    const random = this.serveRandom;
    const status = random.uniform() < behaviour.errorRate ? behaviour.errorCode : 200;
    const latencyMs = sampleLatency(behaviour.latency, random.uniform, random.normal);
    const labels = istioLabels({
      source: INGRESS_GATEWAY,
      service: profile,
      version,
      host: share.host,
      responseCode: status,
    });
    const flowKey = labelKey(labels);
    let flow = this.flows.get(flowKey);
    if (!flow) {
      flow = newFlow({ labels, latency: behaviour.latency });
      this.flows.set(flowKey, flow);
      // A new series starts at 0 at the last step, so increase() sees its first requests.
      if (this.lastStep !== undefined) pushSamples(flow, this.lastStep, true);
    }
    if (!this.random) flow.expected += 1;
    flow.requests = this.random ? flow.requests + 1 : wholePart(flow.expected);
    for (const [b, le] of ISTIO_DURATION_BUCKETS_MS.entries()) {
      if (latencyMs > le) continue;
      if (this.random) flow.bucketCounts[b]!++;
      else {
        flow.bucketExpected[b]! += 1;
        flow.bucketCounts[b] = wholePart(flow.bucketExpected[b]!);
      }
    }
    flow.sumMs += latencyMs;
    return { status, latencyMs };
  }

  /** The service's VirtualService and DestinationRules, read again when the last read is a second old. */
  private async freshMesh(key: string, profile: ServiceProfile): Promise<void> {
    const last = this.meshReads.get(key);
    if (last && Date.now() - last.at < 1000) return await last.read;
    const read = this.readServiceMesh(profile).then((view) => {
      this.mesh.set(key, view);
    });
    this.meshReads.set(key, { at: Date.now(), read: read.catch(() => undefined) });
    await read;
  }

  private async simulateNow(range: SimulationRange): Promise<SimulationReport> {
    const steps = this.stepTimestamps(range);
    const report: SimulationReport = {
      steps: steps.length,
      firstStepMs: steps[0],
      lastStepMs: steps.at(-1),
      seriesWritten: 0,
      samplesWritten: 0,
      unrouted: {},
    };
    let writeStart = steps[0] ?? 0;
    try {
      for (const at of steps) {
        if (at - writeStart > this.flushEveryMs) {
          await this.flush(report);
          writeStart = at;
        }
        await this.step(at, report);
      }
    } finally {
      // Whatever was computed is written, so counters in Prometheus match the simulator's state.
      await this.flush(report);
    }
    return report;
  }

  private stepTimestamps(range: SimulationRange): number[] {
    const from = Math.floor(Number(range.from));
    const to = Math.floor(Number(range.to));
    const stepMs = Math.round(range.stepSeconds * 1000);
    const now = this.now();
    if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
      throw new SimulationRangeError(`from (${range.from}) must be a time at or before to (${range.to})`);
    }
    if (!(stepMs >= 1))
      throw new SimulationRangeError(`stepSeconds must be positive, got ${range.stepSeconds}`);
    if (this.lastStep !== undefined && from <= this.lastStep) {
      throw new SimulationRangeError(
        `from ${new Date(from).toISOString()} is not after the last step written (${new Date(this.lastStep).toISOString()}); samples per series must be strictly increasing`,
      );
    }
    if (to > now) throw new SimulationRangeError(`to ${new Date(to).toISOString()} is in the future`);
    if (from < now - this.maxAgeMs) {
      throw new SimulationRangeError(
        `from ${new Date(from).toISOString()} is more than ${this.maxAgeMs / 60_000} min old; Prometheus would refuse it`,
      );
    }
    const steps: number[] = [];
    for (let at = from; at <= to; at += stepMs) steps.push(at);
    return steps;
  }

  private async step(at: number, report: SimulationReport): Promise<void> {
    if (this.stepCount % this.rereadEverySteps === 0 || this.mesh.size === 0) await this.readMesh();
    this.stepCount++;
    const previous = this.lastStep;
    this.lastStep = at;
    if (previous === undefined) return;

    const seconds = (at - previous) / 1000;
    const increments = new Map<string, { flow: FlowSeed; expected: number }>();
    const inbound = new Map<string, Map<string, Demand>>();
    for (const key of this.order) {
      const profile = this.services.get(key)!;
      const demands = [...this.externalDemands(key, profile, seconds), ...(inbound.get(key)?.values() ?? [])];
      for (const demand of demands) this.routeDemand(key, profile, demand, increments, inbound, report);
    }
    const born: FlowState[] = [];
    for (const [flowKey, increment] of increments) {
      let flow = this.flows.get(flowKey);
      if (!flow) {
        flow = newFlow(increment.flow);
        this.flows.set(flowKey, flow);
        born.push(flow);
      }
      flow.latency = increment.flow.latency;
      this.count(flow, increment.expected);
    }
    // A new series starts at 0 one step earlier, so increase() sees its first requests.
    for (const flow of born) pushSamples(flow, previous, true);
    for (const flow of this.flows.values()) pushSamples(flow, at, false);
  }

  private externalDemands(key: string, profile: ServiceProfile, seconds: number): Demand[] {
    const total = (this.rates.get(key) ?? 0) * seconds;
    if (total <= 0) return [];
    const source = profile.source ?? INGRESS_GATEWAY;
    const demands: Demand[] = [];
    let plain = 1;
    for (const requestClass of profile.mix ?? []) {
      plain -= requestClass.fraction;
      const headers: Record<string, string> = { ...requestClass.headers };
      if (requestClass.cookie !== undefined) headers.cookie = requestClass.cookie;
      if (requestClass.userAgent !== undefined) headers['user-agent'] = requestClass.userAgent;
      demands.push({
        source: requestClass.source ?? source,
        headers,
        expected: total * requestClass.fraction,
      });
    }
    // Rounding of the class fractions must not create a sliver of negative traffic.
    if (plain > 1e-12) demands.push({ source, headers: {}, expected: total * plain });
    return demands;
  }

  /** Where the mesh as last read sends a request from `source`. */
  private route(
    key: string,
    profile: ServiceProfile,
    source: SourceWorkload,
    request: Pick<RequestAttributes, 'headers' | 'uri' | 'method'>,
  ) {
    const view = this.mesh.get(key) ?? { virtualService: undefined, destinationRules: [] };
    return decideRoutes({
      ...(view.virtualService ? { virtualService: view.virtualService } : {}),
      destinationRules: view.destinationRules,
      service: profile,
      request: {
        ...request,
        sourceLabels: source.labels ?? { app: source.app, version: source.version },
        sourceNamespace: source.namespace,
      },
    });
  }

  private routeDemand(
    key: string,
    profile: ServiceProfile,
    demand: Demand,
    increments: Map<string, { flow: FlowSeed; expected: number }>,
    inbound: Map<string, Map<string, Demand>>,
    report: SimulationReport,
  ): void {
    const decision = this.route(key, profile, demand.source, { headers: demand.headers });
    for (const unrouted of decision.unrouted) {
      report.unrouted[unrouted.reason] =
        (report.unrouted[unrouted.reason] ?? 0) + demand.expected * unrouted.fraction;
    }
    for (const share of decision.shares) {
      const version = profile.versions.find((v) => v.version === share.version)!;
      const behaviour = this.behaviours.get(`${key}/${share.version}`)!;
      const served = demand.expected * share.fraction;
      const outcomes: [number, number][] = [
        [200, served * (1 - behaviour.errorRate)],
        [behaviour.errorCode, served * behaviour.errorRate],
      ];
      for (const [responseCode, expected] of outcomes) {
        if (expected <= 0) continue;
        const labels = istioLabels({
          source: demand.source,
          service: profile,
          version,
          host: share.host,
          responseCode,
        });
        const flowKey = labelKey(labels);
        const increment = increments.get(flowKey) ?? {
          flow: { labels, latency: behaviour.latency },
          expected: 0,
        };
        increment.expected += expected;
        increments.set(flowKey, increment);
      }
      // Shadow copies run the real code path too, so they call downstream like any request.
      const calls = version.calls ?? profile.calls ?? [];
      const caller: SourceWorkload = {
        workload: version.workload,
        namespace: profile.namespace,
        app: versionLabels(profile, version).app ?? profile.app ?? profile.name,
        version: version.version,
        labels: versionLabels(profile, version),
      };
      const headers = profile.propagateHeaders === false ? {} : demand.headers;
      for (const call of calls) {
        const callee = calleeKey(profile, call);
        const demands = inbound.get(callee) ?? new Map<string, Demand>();
        inbound.set(callee, demands);
        const demandKey = `${caller.namespace}/${caller.workload}|${labelKey(headers)}`;
        const existing = demands.get(demandKey) ?? { source: caller, headers, expected: 0 };
        existing.expected += served * (call.perRequest ?? 1);
        demands.set(demandKey, existing);
      }
    }
  }

  private count(flow: FlowState, expected: number): void {
    if (this.random) {
      const n = this.random.poisson(expected);
      for (let i = 0; i < n; i++) {
        const ms = sampleLatency(flow.latency, this.random.uniform, this.random.normal);
        flow.sumMs += ms;
        for (const [b, le] of ISTIO_DURATION_BUCKETS_MS.entries()) if (ms <= le) flow.bucketCounts[b]!++;
      }
      flow.requests += n;
      return;
    }
    flow.expected += expected;
    flow.requests = wholePart(flow.expected);
    for (const [b, le] of ISTIO_DURATION_BUCKETS_MS.entries()) {
      flow.bucketExpected[b]! += expected * latencyCdf(flow.latency, le);
      flow.bucketCounts[b] = wholePart(flow.bucketExpected[b]!);
    }
    flow.sumMs += expected * latencyMean(flow.latency);
  }

  private async readMesh(): Promise<void> {
    const reads = [...this.services.entries()].map(
      async ([key, profile]) => [key, await this.readServiceMesh(profile)] as const,
    );
    for (const [key, view] of await Promise.all(reads)) this.mesh.set(key, view);
  }

  private async readServiceMesh(profile: ServiceProfile): Promise<MeshView> {
    const vsName = profile.virtualService === undefined ? profile.name : profile.virtualService;
    const httpRoute =
      profile.httpRoute === undefined
        ? undefined
        : await this.reader.getHttpRoute?.(profile.namespace, profile.httpRoute);
    // An HTTPRoute is obeyed as the VirtualService that routes as it does (see gateway-api-routing.ts).
    const virtualService = httpRoute
      ? httpRouteAsVirtualService(httpRoute)
      : vsName === null || profile.httpRoute !== undefined
        ? undefined
        : await this.reader.getVirtualService(profile.namespace, vsName);
    const ruleNames = new Set<string>();
    for (const route of virtualService?.spec.http ?? []) {
      const destinations = [
        ...(route.route ?? []).map((r) => r.destination),
        ...(route.mirror ? [route.mirror] : []),
        ...(route.mirrors ?? []).map((m) => m.destination),
      ];
      for (const destination of destinations) {
        if (destination?.subset === undefined) continue;
        const host = parseHost(destination.host, virtualService?.metadata.namespace ?? profile.namespace);
        if (host.namespace !== profile.namespace) continue;
        ruleNames.add(profile.destinationRules?.[host.name] ?? host.name);
      }
    }
    const rules = await Promise.all(
      [...ruleNames].map((name) => this.reader.getDestinationRule(profile.namespace, name)),
    );
    return {
      virtualService,
      destinationRules: rules.filter((r): r is DestinationRule => r !== undefined),
    };
  }

  private async flush(report: SimulationReport): Promise<void> {
    const series: MetricSeries[] = [];
    for (const flow of this.flows.values()) {
      if (flow.pending.total.length === 0) continue;
      const { labels, pending } = flow;
      series.push({ metric: REQUESTS_TOTAL, labels, samples: pending.total });
      for (const [b, le] of ISTIO_DURATION_LE.entries()) {
        series.push({
          metric: `${REQUEST_DURATION}_bucket`,
          labels: { ...labels, le },
          samples: pending.buckets[b]!,
        });
      }
      series.push({ metric: `${REQUEST_DURATION}_sum`, labels, samples: pending.sum });
      series.push({ metric: `${REQUEST_DURATION}_count`, labels, samples: pending.count });
      flow.pending = emptyPending();
    }
    if (series.length === 0) return;
    report.seriesWritten += series.length;
    report.samplesWritten += series.reduce((n, s) => n + s.samples.length, 0);
    await this.writer.write(series);
  }

  private requireService(namespace: string, name: string): string {
    const key = serviceKey(namespace, name);
    if (!this.services.has(key)) throw new TrafficProfileError(`no service ${key} in the simulation`);
    return key;
  }
}

interface FlowSeed {
  labels: Record<string, string>;
  latency: LatencyModel;
}

function newFlow(identity: FlowSeed): FlowState {
  const buckets = ISTIO_DURATION_BUCKETS_MS.length;
  return {
    labels: identity.labels,
    latency: identity.latency,
    expected: 0,
    bucketExpected: new Array<number>(buckets).fill(0),
    requests: 0,
    bucketCounts: new Array<number>(buckets).fill(0),
    sumMs: 0,
    pending: emptyPending(),
  };
}

function emptyPending(): FlowState['pending'] {
  return { total: [], buckets: ISTIO_DURATION_LE.map(() => []), sum: [], count: [] };
}

function pushSamples(flow: FlowState, timestampMs: number, zero: boolean): void {
  const value = (n: number) => ({ value: zero ? 0 : n, timestampMs });
  flow.pending.total.push(value(flow.requests));
  for (const [b, bucket] of flow.pending.buckets.entries()) {
    bucket.push(value(b < ISTIO_DURATION_BUCKETS_MS.length ? flow.bucketCounts[b]! : flow.requests));
  }
  flow.pending.sum.push(value(flow.sumMs));
  flow.pending.count.push(value(flow.requests));
}

// Integer part of an accumulated expectation, forgiving the float error of sums like 0.1 + 0.2.
function wholePart(x: number): number {
  return Math.floor(x + 1e-9 * Math.max(1, Math.abs(x)));
}

function labelKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function calleeKey(caller: ServiceProfile, call: DownstreamCall): string {
  return call.service.includes('/') ? call.service : serviceKey(caller.namespace, call.service);
}

function behaviourProblems(behaviour: VersionBehaviour): string[] {
  const problems = latencyProblems(behaviour.latency);
  if (!(behaviour.errorRate >= 0 && behaviour.errorRate <= 1)) {
    problems.push(`errorRate must be within 0..1, got ${behaviour.errorRate}`);
  }
  return problems;
}

function checkProfile(profile: ServiceProfile): void {
  const key = serviceKey(profile.namespace, profile.name);
  const problems: string[] = [];
  if (profile.versions.length === 0) problems.push('no versions');
  const mixTotal = (profile.mix ?? []).reduce((sum, c) => sum + c.fraction, 0);
  if ((profile.mix ?? []).some((c) => !(c.fraction >= 0)) || mixTotal > 1 + 1e-9) {
    problems.push(`request mix fractions must be >= 0 and sum to at most 1, got ${mixTotal}`);
  }
  if (!((profile.rps ?? 0) >= 0)) problems.push(`rps must be >= 0, got ${profile.rps}`);
  const names = new Set(profile.versions.map((v) => v.version));
  if (names.size !== profile.versions.length) problems.push('a version is listed twice');
  for (const [host, versions] of Object.entries(profile.hosts ?? {})) {
    for (const v of typeof versions === 'string' ? [versions] : versions) {
      if (!names.has(v)) problems.push(`host ${host} maps to unknown version ${v}`);
    }
  }
  if (problems.length > 0) throw new TrafficProfileError(`service ${key}: ${problems.join('; ')}`);
}

// Callers before callees, so a step's downstream demand is complete before a callee is routed.
function callOrder(services: ReadonlyMap<string, ServiceProfile>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, path: string[]) => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      throw new TrafficProfileError(`services call each other in a cycle: ${[...path, key].join(' -> ')}`);
    }
    state.set(key, 'visiting');
    const profile = services.get(key)!;
    const calls = [...(profile.calls ?? []), ...profile.versions.flatMap((v) => v.calls ?? [])];
    for (const call of calls) {
      const callee = calleeKey(profile, call);
      if (!services.has(callee))
        throw new TrafficProfileError(`${key} calls ${callee}, which is not simulated`);
      visit(callee, [...path, key]);
    }
    state.set(key, 'done');
    order.unshift(key);
  };
  for (const key of services.keys()) visit(key, []);
  return order;
}
