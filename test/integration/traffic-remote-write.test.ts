/**
 * The remote writer and the mesh traffic simulator against a real Prometheus 2.42 (Debian's binary),
 * started here with the remote-write receiver. The VirtualService comes from an in-memory stub
 * (StaticMeshReader) until the bed's API server exists; a version reading the live object follows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationRule, VirtualService } from '../bed/traffic/istio-types.js';
import { StaticMeshReader } from '../bed/traffic/mesh-reader.js';
import type { ServiceProfile } from '../bed/traffic/profile.js';
import { PrometheusRemoteWriter, RemoteWriteError } from '../bed/traffic/remote-write.js';
import { type FlowSnapshot, MeshTrafficSimulator } from '../bed/traffic/simulator.js';

const PROMETHEUS_BIN = '/usr/bin/prometheus';

let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let dataDir = '';
let baseUrl = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (prometheus?.exitCode !== null) throw new Error(`Prometheus exited early:\n${prometheusLog}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Prometheus not ready after ${timeoutMs} ms:\n${prometheusLog}`);
}

/** An instant query at a fixed time: one number per series, keyed by the `by` label. */
async function instantQuery(query: string, timeMs: number, by?: string): Promise<Record<string, number>> {
  const url = `${baseUrl}/api/v1/query?${new URLSearchParams({ query, time: String(timeMs / 1000) })}`;
  const body = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error}`);
  return Object.fromEntries(
    body.data.result.map((r) => [by ? (r.metric[by] ?? '') : '', Number(r.value[1])]),
  );
}

/** Prometheus' histogram_quantile over cumulative buckets, done by hand from the simulator's counters. */
function bucketQuantile(q: number, buckets: readonly { le: string; count: number }[]): number {
  const bounds = buckets.map((b) => ({ upper: Number(b.le), count: b.count }));
  const total = bounds.at(-1)!.count;
  let rank = q * total;
  const b = bounds.findIndex((x) => x.count >= rank);
  if (b === bounds.length - 1) return bounds[bounds.length - 2]!.upper;
  const start = b === 0 ? 0 : bounds[b - 1]!.upper;
  let count = bounds[b]!.count;
  if (b > 0) {
    count -= bounds[b - 1]!.count;
    rank -= bounds[b - 1]!.count;
  }
  return start + (bounds[b]!.upper - start) * (rank / count);
}

function reviewsProfile(namespace: string): ServiceProfile {
  return {
    name: 'reviews',
    namespace,
    rps: 10,
    versions: [
      { version: 'v1', workload: 'reviews-v1', latency: { kind: 'lognormal', medianMs: 20, p99Ms: 80 } },
      { version: 'v2', workload: 'reviews-v2', latency: { kind: 'lognormal', medianMs: 30, p99Ms: 300 } },
    ],
  };
}

function ninetyTen(namespace: string): unknown[] {
  const vs: VirtualService = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace },
    spec: {
      hosts: ['reviews'],
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
          ],
        },
      ],
    },
  };
  const dr: DestinationRule = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace },
    spec: {
      host: 'reviews',
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    },
  };
  return [vs, dr];
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'canary-bot-prometheus-'));
  const config = join(dataDir, 'prometheus.yml');
  // No scrape jobs: everything in this Prometheus comes from the remote writes below.
  await writeFile(config, 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (chunk) => {
    prometheusLog += chunk;
  });
  prometheus.stderr?.on('data', (chunk) => {
    prometheusLog += chunk;
  });
  await waitUntilReady(baseUrl, 90_000);
}, 120_000);

afterAll(async () => {
  const child = prometheus;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

describe('remote write into a real Prometheus', () => {
  it('stores a known series at explicit timestamps, exactly as queried at a fixed time', async () => {
    // Prepare
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 5 * 60_000;
    const writer = new PrometheusRemoteWriter({ prometheusUrl: baseUrl });

    // Act
    await writer.write([
      {
        metric: 'canary_bot_probe_total',
        labels: { job: 'traffic-test', instance: 'a' },
        samples: [
          { value: 1, timestampMs: t0 - 60_000 },
          { value: 5, timestampMs: t0 - 30_000 },
          { value: 7, timestampMs: t0 },
        ],
      },
    ]);

    // Assess
    expect(await instantQuery('canary_bot_probe_total{job="traffic-test"}', t0)).toEqual({ '': 7 });
    expect(await instantQuery('canary_bot_probe_total{job="traffic-test"}', t0 - 30_000)).toEqual({ '': 5 });
    // Samples sit exactly on both ends of the window, so increase() needs no extrapolation.
    expect(await instantQuery('increase(canary_bot_probe_total{job="traffic-test"}[1m])', t0)).toEqual({
      '': 6,
    });
  });

  it("surfaces Prometheus' refusal of an out-of-order sample as RemoteWriteError", async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 4 * 60_000;
    const writer = new PrometheusRemoteWriter({ prometheusUrl: baseUrl });
    const series = (value: number, timestampMs: number) => ({
      metric: 'canary_bot_order_total',
      labels: { job: 'traffic-test' },
      samples: [{ value, timestampMs }],
    });
    await writer.write([series(1, t0)]);

    const error = await writer.write([series(2, t0 - 10_000)]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RemoteWriteError);
    expect((error as RemoteWriteError).status).toBe(400);
    expect((error as RemoteWriteError).responseText).toMatch(/out of order/);
  });
});

describe('traffic simulator into a real Prometheus, VirtualService from an in-memory stub (live API server version pending)', () => {
  // Steps on whole seconds, ending a little in the past so nothing is written in the future.
  const to = Math.floor(Date.now() / 1000) * 1000 - 2_000;
  const from = to - 10 * 60_000;
  const requests = (ns: string) =>
    `sum by (destination_version)(increase(istio_requests_total{reporter="destination",destination_service_namespace="${ns}",destination_service_name="reviews"}[10m]))`;

  it('shows 10% of requests at v2 for 90/10 weights (deterministic mode: exact)', async () => {
    // Prepare
    const namespace = 'bookinfo-exact';
    const sim = new MeshTrafficSimulator({
      services: [reviewsProfile(namespace)],
      reader: new StaticMeshReader(ninetyTen(namespace)),
      writer: new PrometheusRemoteWriter({ prometheusUrl: baseUrl }),
    });

    // Act
    const started = performance.now();
    const report = await sim.simulate({ from, to, stepSeconds: 15 });
    const elapsedMs = performance.now() - started;

    // Assess: every series starts at 0 at `from`, so increase() over exactly 10m needs no extrapolation.
    expect(report).toMatchObject({ steps: 41, lastStepMs: to });
    expect(elapsedMs).toBeLessThan(5_000);
    const byVersion = await instantQuery(requests(namespace), to, 'destination_version');
    expect(byVersion).toEqual({ v1: 5400, v2: 600 });
    // Tolerance: integer counts carried without drift are off by less than 1 request per series, i.e.
    // under 1/6000 of the share; 0.0005 allows that with room and still fails at 9.95% or 10.05%.
    const share = byVersion.v2! / (byVersion.v1! + byVersion.v2!);
    expect(Math.abs(share - 0.1)).toBeLessThan(0.0005);

    // The p99 Prometheus interpolates from the buckets equals the same interpolation over the simulator's counters.
    const v1 = sim.snapshot().find((f: FlowSnapshot) => f.labels.destination_version === 'v1')!;
    const p99 = await instantQuery(
      `histogram_quantile(0.99, sum by (le)(increase(istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_namespace="${namespace}",destination_version="v1"}[10m])))`,
      to,
    );
    const expected = bucketQuantile(0.99, v1.buckets);
    expect(p99['']).toBeCloseTo(expected, 6);
    // The true p99 is 80 ms; Istio's buckets put it in (50, 100], linear interpolation lands near 94 ms.
    expect(expected).toBeGreaterThan(50);
    expect(expected).toBeLessThanOrEqual(100);
  });

  it('shows about 10% at v2 with seeded Poisson traffic', async () => {
    // Prepare
    const namespace = 'bookinfo-poisson';
    const sim = new MeshTrafficSimulator({
      services: [reviewsProfile(namespace)],
      reader: new StaticMeshReader(ninetyTen(namespace)),
      writer: new PrometheusRemoteWriter({ prometheusUrl: baseUrl }),
      mode: { kind: 'poisson', seed: 20260115 },
    });

    // Act
    await sim.simulate({ from, to, stepSeconds: 15 });

    // Assess: Prometheus holds exactly what the simulator drew.
    const byVersion = await instantQuery(requests(namespace), to, 'destination_version');
    expect(byVersion).toEqual(
      sim.countRequests({ destination_service_namespace: namespace }, 'destination_version'),
    );
    // Tolerance: ~6000 requests, share sd = sqrt(0.1 * 0.9 / 6000) ~ 0.0039; 0.015 is ~4 sd.
    const share = byVersion.v2! / (byVersion.v1! + byVersion.v2!);
    expect(Math.abs(share - 0.1)).toBeLessThan(0.015);
  });
});
