/**
 * The bed's Prometheus and traffic simulator: remote writes answer exact PromQL at a fixed time, and the
 * simulator follows the live VirtualService on the bed's API server.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { KubernetesMeshReader } from '../../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter, RemoteWriteError } from '../../local/traffic/remote-write.js';
import { loadSampleProfiles } from '../../local/traffic/samples.js';
import { type FlowSnapshot, MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { setWeights } from '../support/mesh-writes.js';

let bed: BedState;
let admin: k8s.KubeConfig;
const run = Date.now().toString(36);
const namespace = uniqueNamespace('traffic-bookinfo');

/** An instant query at a fixed time: one number per series, keyed by the `by` label. */
async function instantQuery(query: string, timeMs: number, by?: string): Promise<Record<string, number>> {
  const url = `${bed.prometheus.url}/api/v1/query?${new URLSearchParams({ query, time: String(timeMs / 1000) })}`;
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

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  await deploySample(admin, 'bookinfo', namespace);
});

afterAll(async () => {
  await admin.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
});

describe('remote write into the bed Prometheus', () => {
  it('stores a known series at explicit timestamps, exactly as queried at a fixed time', async () => {
    // Prepare
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 5 * 60_000;
    const writer = new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url });

    // Act
    await writer.write([
      {
        metric: 'canary_bot_probe_total',
        labels: { job: 'bed-test', run },
        samples: [
          { value: 1, timestampMs: t0 - 60_000 },
          { value: 5, timestampMs: t0 - 30_000 },
          { value: 7, timestampMs: t0 },
        ],
      },
    ]);

    // Assess
    const series = `canary_bot_probe_total{job="bed-test",run="${run}"}`;
    expect(await instantQuery(series, t0)).toEqual({ '': 7 });
    expect(await instantQuery(series, t0 - 30_000)).toEqual({ '': 5 });
    // Samples sit exactly on both ends of the window, so increase() needs no extrapolation.
    expect(await instantQuery(`increase(${series}[1m])`, t0)).toEqual({ '': 6 });
  });

  it("surfaces Prometheus' refusal of an out-of-order sample as RemoteWriteError", async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 4 * 60_000;
    const writer = new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url });
    const series = (value: number, timestampMs: number) => ({
      metric: 'canary_bot_order_total',
      labels: { job: 'bed-test', run },
      samples: [{ value, timestampMs }],
    });
    await writer.write([series(1, t0)]);

    const error = await writer.write([series(2, t0 - 10_000)]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RemoteWriteError);
    expect((error as RemoteWriteError).status).toBe(400);
    expect((error as RemoteWriteError).responseText).toMatch(/out of order/);
  });
});

describe('traffic simulator following the live VirtualService', () => {
  it('sends 10% of reviews requests to v2 when the VirtualService says 90/10, exactly in deterministic mode', async () => {
    // Prepare: the live reviews route at 90/10, written through the bot's own router.
    await setWeights(
      new IstioTrafficRouter(admin),
      { namespace, name: 'reviews', route: { kind: 'default' } },
      [
        { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
        { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
      ],
    );
    const services = (await loadSampleProfiles(['bookinfo'], { bookinfo: namespace })).filter(
      (p) => p.name === 'reviews',
    );
    const simulator = new MeshTrafficSimulator({
      // reviews alone at 10 rps: its calls to ratings are not under test here.
      services: services.map((s) => ({
        ...s,
        rps: 10,
        calls: [],
        versions: s.versions.map((v) => ({ ...v, calls: [] })),
      })),
      reader: KubernetesMeshReader.fromKubeConfig(admin),
      writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
    });
    const to = Math.floor(Date.now() / 1000) * 1000 - 2_000;
    const from = to - 10 * 60_000;

    // Act: ten minutes of traffic, compressed.
    const report = await simulator.simulate({ from, to, stepSeconds: 15 });

    // Assess: 10 rps x 600 s = 6000 requests; integer counts carried without drift make the split exact.
    expect(report).toMatchObject({ steps: 41, lastStepMs: to });
    const byVersion = await instantQuery(
      `sum by (destination_version)(increase(istio_requests_total{reporter="destination",destination_service_namespace="${namespace}",destination_service_name="reviews"}[10m]))`,
      to,
      'destination_version',
    );
    expect(byVersion).toEqual({ v1: 5400, v2: 600 });
    // Stated tolerance: within 0.05 percentage points of 10% (exact here; the margin only absorbs float rounding).
    expect(Math.abs(byVersion.v2! / (byVersion.v1! + byVersion.v2!) - 0.1)).toBeLessThan(0.0005);

    // Prometheus' p99 from the buckets equals the same interpolation over the simulator's own counters.
    const v1 = simulator.snapshot().find((f: FlowSnapshot) => f.labels.destination_version === 'v1')!;
    const p99 = await instantQuery(
      `histogram_quantile(0.99, sum by (le)(increase(istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_namespace="${namespace}",destination_service_name="reviews",destination_version="v1"}[10m])))`,
      to,
    );
    expect(p99['']).toBeCloseTo(bucketQuantile(0.99, v1.buckets), 6);
  });
});
