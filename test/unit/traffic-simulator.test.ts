import { ISTIO_DURATION_LE } from '../../local/traffic/istio-metrics.js';
import type { DestinationRule, HttpRoute, VirtualService } from '../../local/traffic/istio-types.js';
import { type MeshReader, StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import type { ServiceProfile } from '../../local/traffic/profile.js';
import type { MetricSeries, SampleWriter } from '../../local/traffic/remote-write.js';
import {
  MeshTrafficSimulator,
  SimulationRangeError,
  type SimulatorOptions,
  TrafficProfileError,
} from '../../local/traffic/simulator.js';
import { destinationRuleOf } from '../support/istio-objects.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

/** Keeps every written sample and checks Prometheus' rule: per series, strictly increasing time. */
class RecordingWriter implements SampleWriter {
  readonly series = new Map<
    string,
    { metric: string; labels: Record<string, string>; samples: [number, number][] }
  >();
  writes = 0;

  async write(batch: readonly MetricSeries[]): Promise<void> {
    this.writes++;
    for (const s of batch) {
      const key = `${s.metric}${JSON.stringify(Object.entries(s.labels).sort())}`;
      const stored = this.series.get(key) ?? { metric: s.metric, labels: { ...s.labels }, samples: [] };
      for (const p of s.samples) {
        const last = stored.samples.at(-1);
        if (last && p.timestampMs <= last[0])
          throw new Error(`out of order sample for ${key} at ${p.timestampMs}`);
        stored.samples.push([p.timestampMs, p.value]);
      }
      this.series.set(key, stored);
    }
  }

  /** Series of a metric whose labels include `match`. */
  find(metric: string, match: Record<string, string> = {}) {
    return [...this.series.values()].filter(
      (s) => s.metric === metric && Object.entries(match).every(([k, v]) => s.labels[k] === v),
    );
  }

  /** Last value summed over the matching series. */
  last(metric: string, match: Record<string, string> = {}): number {
    return this.find(metric, match).reduce((sum, s) => sum + (s.samples.at(-1)?.[1] ?? 0), 0);
  }
}

const reviews: ServiceProfile = {
  name: 'reviews',
  namespace: 'bookinfo',
  rps: 10,
  versions: [
    { version: 'v1', workload: 'reviews-v1', latency: { kind: 'fixed', ms: 30 } },
    { version: 'v2', workload: 'reviews-v2', latency: { kind: 'fixed', ms: 30 } },
  ],
};

const reviewsRule = destinationRuleOf('reviews', 'bookinfo', ['v1', 'v2']);

function weighted(v1: number, v2: number, extra: Partial<HttpRoute> = {}): VirtualService {
  return {
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'bookinfo' },
    spec: {
      hosts: ['reviews'],
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: v1 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: v2 },
          ],
          ...extra,
        },
      ],
    },
  };
}

function simulator(options: Partial<SimulatorOptions> & { writer: SampleWriter }): MeshTrafficSimulator {
  return new MeshTrafficSimulator({
    services: [reviews],
    reader: new StaticMeshReader([weighted(90, 10), reviewsRule]),
    now: () => NOW,
    ...options,
  });
}

describe('MeshTrafficSimulator: exact counts', () => {
  it('writes 5400/600 requests for 10 min of 10 rps split 90/10, starting at 0', async () => {
    // Prepare
    const writer = new RecordingWriter();
    const sim = simulator({ writer });

    // Act
    const report = await sim.simulate({ from: NOW - 10 * MINUTE, to: NOW, stepSeconds: 15 });

    // Assess
    expect(report).toMatchObject({
      steps: 41,
      firstStepMs: NOW - 10 * MINUTE,
      lastStepMs: NOW,
      unrouted: {},
    });
    const v2 = writer.find('istio_requests_total', { destination_version: 'v2' });
    expect(v2).toHaveLength(1);
    expect(v2[0]?.samples.slice(0, 3)).toEqual([
      [NOW - 10 * MINUTE, 0],
      [NOW - 10 * MINUTE + 15_000, 15],
      [NOW - 10 * MINUTE + 30_000, 30],
    ]);
    expect(v2[0]?.samples).toHaveLength(41);
    expect(writer.last('istio_requests_total', { destination_version: 'v1' })).toBe(5400);
    expect(writer.last('istio_requests_total', { destination_version: 'v2' })).toBe(600);
    expect(sim.countRequests({ destination_service_name: 'reviews' }, 'destination_version')).toEqual({
      v1: 5400,
      v2: 600,
    });
  });

  it('carries fractions between steps instead of drifting: 0.1 request per step', async () => {
    // Prepare: 1 rps, 10% to v2, 1 s steps: 0.1 expected v2 requests per step.
    const writer = new RecordingWriter();
    const sim = simulator({ writer, services: [{ ...reviews, rps: 1 }] });

    // Act: in three calls, to also cover continuity across calls.
    await sim.simulate({ from: NOW - 100_000, to: NOW - 90_000, stepSeconds: 1 });
    await sim.simulate({ from: NOW - 89_000, to: NOW - 75_000, stepSeconds: 1 });
    await sim.simulate({ from: NOW - 74_000, to: NOW - 70_000, stepSeconds: 1 });

    // Assess: after k seconds v2 has exactly floor(k / 10) requests; the series is born at 0 at t=0.
    const [v2] = writer.find('istio_requests_total', { destination_version: 'v2' });
    expect(v2?.samples.map(([t, value]) => [(t - (NOW - 100_000)) / 1000, value])).toEqual(
      Array.from({ length: 31 }, (_, k) => [k, Math.floor(k / 10)]),
    );
    expect(writer.last('istio_requests_total', { destination_version: 'v1' })).toBe(27);
  });

  it('fills the histogram consistently: fixed 30 ms lands in le>=50, _sum = 30 ms per request', async () => {
    const writer = new RecordingWriter();
    const sim = simulator({ writer });

    await sim.simulate({ from: NOW - 60_000, to: NOW, stepSeconds: 15 });

    const bucket = (le: string) =>
      writer.last('istio_request_duration_milliseconds_bucket', { destination_version: 'v1', le });
    expect(ISTIO_DURATION_LE.map(bucket)).toEqual(ISTIO_DURATION_LE.map((le) => (Number(le) < 30 ? 0 : 540)));
    expect(writer.last('istio_request_duration_milliseconds_count', { destination_version: 'v1' })).toBe(540);
    expect(writer.last('istio_request_duration_milliseconds_sum', { destination_version: 'v1' })).toBe(
      540 * 30,
    );
    expect(
      writer.find('istio_request_duration_milliseconds_bucket', { destination_version: 'v1' }),
    ).toHaveLength(20);
  });

  it('spreads a uniform 0..100 ms latency over the buckets in exact proportions', async () => {
    // Prepare: 1000 requests to v1.
    const writer = new RecordingWriter();
    const uniform: ServiceProfile = {
      ...reviews,
      rps: 10,
      versions: [
        { version: 'v1', workload: 'reviews-v1', latency: { kind: 'uniform', minMs: 0, maxMs: 100 } },
      ],
    };
    const sim = simulator({ writer, services: [uniform], reader: new StaticMeshReader() });

    // Act
    await sim.simulate({ from: NOW - 100_000, to: NOW, stepSeconds: 10 });

    // Assess
    const [flow] = sim.snapshot();
    expect(flow?.buckets.slice(0, 8)).toEqual([
      { le: '0.5', count: 5 },
      { le: '1', count: 10 },
      { le: '5', count: 50 },
      { le: '10', count: 100 },
      { le: '25', count: 250 },
      { le: '50', count: 500 },
      { le: '100', count: 1000 },
      { le: '250', count: 1000 },
    ]);
    expect(flow?.buckets.at(-1)).toEqual({ le: '+Inf', count: 1000 });
    expect(flow?.sumMs).toBeCloseTo(50_000, 6);
  });

  it('answers an error share with the version error code', async () => {
    // Prepare: v2 fails 20% with 503.
    const writer = new RecordingWriter();
    const bad: ServiceProfile = {
      ...reviews,
      versions: [reviews.versions[0]!, { ...reviews.versions[1]!, errorRate: 0.2, errorCode: 503 }],
    };
    const sim = simulator({ writer, services: [bad] });

    // Act
    await sim.simulate({ from: NOW - 10 * MINUTE, to: NOW, stepSeconds: 15 });

    // Assess
    expect(sim.countRequests({ destination_version: 'v2' }, 'response_code')).toEqual({
      '200': 480,
      '503': 120,
    });
    expect(sim.countRequests({ destination_version: 'v1' }, 'response_code')).toEqual({ '200': 5400 });
  });

  it("labels series with Istio's standard destination-reported labels", async () => {
    const writer = new RecordingWriter();
    const sim = simulator({ writer });

    await sim.simulate({ from: NOW - 30_000, to: NOW, stepSeconds: 15 });

    const [series] = writer.find('istio_requests_total', { destination_version: 'v2' });
    expect(series?.labels).toEqual({
      reporter: 'destination',
      source_workload: 'istio-ingressgateway',
      source_workload_namespace: 'istio-system',
      source_app: 'istio-ingressgateway',
      source_version: 'unknown',
      source_canonical_service: 'istio-ingressgateway',
      source_canonical_revision: 'latest',
      source_cluster: 'Kubernetes',
      destination_workload: 'reviews-v2',
      destination_workload_namespace: 'bookinfo',
      destination_app: 'reviews',
      destination_version: 'v2',
      destination_service: 'reviews.bookinfo.svc.cluster.local',
      destination_service_name: 'reviews',
      destination_service_namespace: 'bookinfo',
      destination_canonical_service: 'reviews',
      destination_canonical_revision: 'v2',
      destination_cluster: 'Kubernetes',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'mutual_tls',
    });
  });
});

describe('MeshTrafficSimulator: routing follows the live VirtualService', () => {
  it('picks up a weight change between calls, with a new series born at 0', async () => {
    // Prepare: v1 only first.
    const writer = new RecordingWriter();
    const reader = new StaticMeshReader([weighted(100, 0), reviewsRule]);
    const sim = simulator({ writer, reader });
    await sim.simulate({ from: NOW - 10 * MINUTE, to: NOW - 5 * MINUTE, stepSeconds: 15 });
    expect(writer.find('istio_requests_total', { destination_version: 'v2' })).toEqual([]);

    // Act: the bot moves 50% to v2.
    reader.put(weighted(50, 50));
    await sim.simulate({ from: NOW - 5 * MINUTE + 15_000, to: NOW, stepSeconds: 15 });

    // Assess
    const [v2] = writer.find('istio_requests_total', { destination_version: 'v2' });
    expect(v2?.samples[0]).toEqual([NOW - 5 * MINUTE, 0]);
    expect(v2?.samples.at(-1)).toEqual([NOW, 1500]);
    expect(writer.last('istio_requests_total', { destination_version: 'v1' })).toBe(3000 + 1500);
    const [v1] = writer.find('istio_requests_total', { destination_version: 'v1' });
    expect(v1?.samples).toHaveLength(41);
  });

  it('re-reads the VirtualService every N steps within one compressed run', async () => {
    // Prepare: a reader that switches to 0/100 from its third read on.
    let reads = 0;
    const reader: MeshReader = {
      getVirtualService: async () => (++reads >= 3 ? weighted(0, 100) : weighted(100, 0)),
      getDestinationRule: async () => reviewsRule,
    };
    const writer = new RecordingWriter();
    const sim = simulator({ writer, reader, rereadEverySteps: 5 });

    // Act: steps 0..20, reads at steps 0, 5, 10, 15, 20.
    await sim.simulate({ from: NOW - 20_000, to: NOW, stepSeconds: 1 });

    // Assess: the third read (step 10) routes the interval ending at step 10 and later to v2.
    expect(reads).toBe(5);
    expect(sim.countRequests({}, 'destination_version')).toEqual({ v1: 90, v2: 110 });
  });

  it('counts mirrored copies at the mirror destination on top of the primary traffic', async () => {
    const writer = new RecordingWriter();
    const reader = new StaticMeshReader([
      weighted(100, 0, { mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: 100 } }),
      reviewsRule,
    ]);
    const sim = simulator({ writer, reader });

    await sim.simulate({ from: NOW - 10 * MINUTE, to: NOW, stepSeconds: 15 });

    expect(sim.countRequests({}, 'destination_version')).toEqual({ v1: 6000, v2: 6000 });
  });

  it('reports requests no route takes, and balances evenly without a VirtualService', async () => {
    const onlyJason: VirtualService = {
      ...weighted(0, 100),
      spec: {
        hosts: ['reviews'],
        http: [
          {
            match: [{ headers: { 'end-user': { exact: 'jason' } } }],
            route: [{ destination: { host: 'reviews', subset: 'v2' } }],
          },
        ],
      },
    };
    const jasonWriter = new RecordingWriter();
    const jason = simulator({
      writer: jasonWriter,
      reader: new StaticMeshReader([onlyJason, reviewsRule]),
      services: [{ ...reviews, mix: [{ fraction: 0.25, headers: { 'end-user': 'jason' } }] }],
    });
    const plain = simulator({ writer: new RecordingWriter(), reader: new StaticMeshReader() });

    const report = await jason.simulate({ from: NOW - 100_000, to: NOW, stepSeconds: 10 });
    await plain.simulate({ from: NOW - 100_000, to: NOW, stepSeconds: 10 });

    expect(jason.countRequests({}, 'destination_version')).toEqual({ v2: 250 });
    expect(report.unrouted['no-route']).toBeCloseTo(750, 9);
    expect(plain.countRequests({}, 'destination_version')).toEqual({ v1: 500, v2: 500 });
  });
});

describe('MeshTrafficSimulator: calls between services', () => {
  it('pins frontend v2 to forecast v2 through sourceLabels, following the cookie route', async () => {
    // Prepare: 10% testers reach frontend v2, which calls forecast; forecast pins frontend-v2 callers to v2.
    const versions = (app: string) => [
      { version: 'v1', workload: `${app}-v1` },
      { version: 'v2', workload: `${app}-v2` },
    ];
    const frontend: ServiceProfile = {
      name: 'frontend',
      namespace: 'weather',
      rps: 10,
      mix: [{ fraction: 0.1, cookie: 'user=tester' }],
      calls: [{ service: 'forecast' }],
      versions: versions('frontend'),
    };
    const forecast: ServiceProfile = {
      name: 'forecast',
      namespace: 'weather',
      versions: versions('forecast'),
    };
    const rule = (host: string): DestinationRule => ({
      kind: 'DestinationRule',
      metadata: { name: host, namespace: 'weather' },
      spec: {
        host,
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    });
    const vs = (
      host: string,
      match: NonNullable<VirtualService['spec']['http']>[number]['match'],
    ): VirtualService => ({
      kind: 'VirtualService',
      metadata: { name: host, namespace: 'weather' },
      spec: {
        hosts: [host],
        http: [
          { ...(match ? { match } : {}), route: [{ destination: { host, subset: 'v2' } }] },
          { route: [{ destination: { host, subset: 'v1' } }] },
        ],
      },
    });
    const reader = new StaticMeshReader([
      vs('frontend', [{ headers: { cookie: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }]),
      vs('forecast', [{ sourceLabels: { app: 'frontend', version: 'v2' } }]),
      rule('frontend'),
      rule('forecast'),
    ]);
    const writer = new RecordingWriter();
    // Listed callee first, to show the simulator orders services by calls.
    const sim = new MeshTrafficSimulator({ services: [forecast, frontend], reader, writer, now: () => NOW });

    // Act
    await sim.simulate({ from: NOW - 10 * MINUTE, to: NOW, stepSeconds: 15 });

    // Assess
    expect(sim.countRequests({ destination_app: 'frontend' }, 'destination_version')).toEqual({
      v1: 5400,
      v2: 600,
    });
    expect(sim.countRequests({ destination_app: 'forecast' }, 'destination_version')).toEqual({
      v1: 5400,
      v2: 600,
    });
    expect(sim.countRequests({ destination_workload: 'forecast-v2' }, 'source_workload')).toEqual({
      'frontend-v2': 600,
    });
    const [pinned] = writer.find('istio_requests_total', { destination_workload: 'forecast-v2' });
    expect(pinned?.labels).toMatchObject({
      source_app: 'frontend',
      source_version: 'v2',
      source_workload_namespace: 'weather',
    });
  });

  it('refuses call cycles and calls to services it does not simulate', () => {
    const a: ServiceProfile = {
      name: 'a',
      namespace: 'n',
      versions: [{ version: 'v1', workload: 'a-v1' }],
      calls: [{ service: 'b' }],
    };
    const b: ServiceProfile = {
      name: 'b',
      namespace: 'n',
      versions: [{ version: 'v1', workload: 'b-v1' }],
      calls: [{ service: 'a' }],
    };
    const writer = new RecordingWriter();

    expect(() => simulator({ writer, services: [a, b] })).toThrow(/cycle: n\/a -> n\/b -> n\/a/);
    expect(() => simulator({ writer, services: [a] })).toThrow(TrafficProfileError);
  });
});

describe('MeshTrafficSimulator: time rules Prometheus enforces', () => {
  it('refuses a range that does not start after the last step written', async () => {
    const sim = simulator({ writer: new RecordingWriter() });
    await sim.simulate({ from: NOW - 60_000, to: NOW - 30_000, stepSeconds: 15 });

    await expect(sim.simulate({ from: NOW - 30_000, to: NOW, stepSeconds: 15 })).rejects.toThrow(
      SimulationRangeError,
    );
    await expect(sim.simulate({ from: NOW - 29_999, to: NOW, stepSeconds: 15 })).resolves.toMatchObject({
      steps: 2,
    });
  });

  it('refuses the future and ranges older than the age limit', async () => {
    const sim = simulator({ writer: new RecordingWriter() });

    await expect(sim.simulate({ from: NOW, to: NOW + 1, stepSeconds: 15 })).rejects.toThrow(/in the future/);
    await expect(sim.simulate({ from: NOW - 61 * MINUTE, to: NOW, stepSeconds: 15 })).rejects.toThrow(
      /min old/,
    );
  });

  it('splits a long compressed run into writes of at most flushEveryMs of simulated time', async () => {
    const writer = new RecordingWriter();
    const sim = simulator({ writer, flushEveryMs: 10 * MINUTE });

    await sim.simulate({ from: NOW - 40 * MINUTE, to: NOW, stepSeconds: 15 });

    expect(writer.writes).toBe(4);
    expect(writer.last('istio_requests_total')).toBe(24_000);
  });
});

describe('MeshTrafficSimulator: behaviour changes and random mode', () => {
  it('makes v2 bad from the next step on with setBehaviour', async () => {
    const writer = new RecordingWriter();
    const sim = simulator({ writer });
    await sim.simulate({ from: NOW - 10 * MINUTE, to: NOW - 5 * MINUTE, stepSeconds: 15 });

    sim.setBehaviour('bookinfo', 'reviews', 'v2', { errorRate: 0.5, errorCode: 500 });
    sim.setRate('bookinfo', 'reviews', 20);
    await sim.simulate({ from: NOW - 5 * MINUTE + 15_000, to: NOW, stepSeconds: 15 });

    expect(sim.countRequests({ destination_version: 'v2' }, 'response_code')).toEqual({
      '200': 300 + 300,
      '500': 300,
    });
    expect(() => sim.setBehaviour('bookinfo', 'reviews', 'v2', { errorRate: 2 })).toThrow(
      TrafficProfileError,
    );
    expect(() => sim.setBehaviour('bookinfo', 'reviews', 'v9', {})).toThrow(/no version v9/);
  });

  it('repeats a seeded Poisson run exactly and stays near the expected counts', async () => {
    const run = async (seed: number) => {
      const sim = simulator({
        writer: new RecordingWriter(),
        mode: { kind: 'poisson', seed },
        services: [
          {
            ...reviews,
            versions: reviews.versions.map((v) => ({
              ...v,
              latency: { kind: 'lognormal', medianMs: 20, p99Ms: 80 } as const,
            })),
          },
        ],
      });
      await sim.simulate({ from: NOW - 10 * MINUTE, to: NOW, stepSeconds: 15 });
      return sim.snapshot();
    };

    const first = await run(42);
    const again = await run(42);
    const other = await run(43);

    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const v2 = first.find((f) => f.labels.destination_version === 'v2')!;
    // 600 expected; Poisson sd ~24.5, so +-100 is a 4-sigma band.
    expect(Math.abs(v2.requests - 600)).toBeLessThan(100);
    expect(v2.buckets.at(-1)?.count).toBe(v2.requests);
    const le25 = v2.buckets.find((b) => b.le === '25')!.count;
    // P(latency <= 25 ms) for median 20, p99 80 is ~0.64.
    expect(le25 / v2.requests).toBeGreaterThan(0.5);
    expect(le25 / v2.requests).toBeLessThan(0.78);
  });
});

describe('MeshTrafficSimulator: real time', () => {
  it('writes one step per tick at the wall clock until stopped', async () => {
    // Prepare: 1000 rps all to v1, i.e. exactly one request per elapsed millisecond.
    const writer = new RecordingWriter();
    const errors: unknown[] = [];
    const sim = new MeshTrafficSimulator({
      services: [{ ...reviews, rps: 1000 }],
      reader: new StaticMeshReader([weighted(100, 0), reviewsRule]),
      writer,
    });

    // Act
    const running = sim.start({ stepSeconds: 0.02, onError: (e) => errors.push(e) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await running.stop();
    const stepsAtStop = writer.find('istio_requests_total')[0]?.samples.length ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 60));

    // Assess
    expect(errors).toEqual([]);
    const [v1] = writer.find('istio_requests_total', { destination_version: 'v1' });
    const samples = v1?.samples ?? [];
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(samples.length).toBe(stepsAtStop);
    const [firstAt] = samples[0]!;
    const [lastAt, lastValue] = samples.at(-1)!;
    expect(lastValue).toBe(lastAt - firstAt);
    expect(sim.lastStepMs).toBe(lastAt);
  });
});
