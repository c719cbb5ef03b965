/**
 * RED from the bed's Prometheus: the traffic simulator (deterministic, compressed time) writes known
 * traffic under namespaces unique to this run, and the reader must return the exact numbers at a fixed
 * time; quantiles must equal Prometheus' own histogram_quantile. A private Prometheus, stopped mid-test,
 * gives the typed "unavailable" outcome.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import {
  type BedProcess,
  freePort,
  isAlive,
  startDetached,
  stopProcess,
  waitUntil,
} from '../../local/bed/processes.js';
import type { DestinationRule, VirtualService } from '../../local/traffic/istio-types.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import type { ServiceProfile } from '../../local/traffic/profile.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { loadSampleApp } from '../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import {
  BadQueryError,
  NoDataError,
  PrometheusUnavailableError,
} from '../../src/app/ports/metrics-errors.js';
import type { RedReport, VersionRed } from '../../src/app/ports/red-metrics.js';
import { ISTIO_QUERIES } from '../../src/metrics/istio-queries.js';
import { PrometheusClient } from '../../src/metrics/prometheus-client.js';
import { PrometheusMetricsReader } from '../../src/metrics/prometheus-metrics-reader.js';
import { renderQuery } from '../../src/metrics/promql-template.js';
import { requireVersion } from '../../src/metrics/red-assembly.js';

const bookinfo = uniqueNamespace('metrics-bookinfo');
const apps = uniqueNamespace('metrics-apps');
// Steps on whole seconds, ending a little in the past: nothing is written in the future.
const to = Math.floor(Date.now() / 1000) * 1000 - 2_000;
const from = to - 10 * 60_000;
const WINDOW = 600;

let bed: BedState;
let client: PrometheusClient;
let reader: PrometheusMetricsReader;
let simulator: MeshTrafficSimulator;

function subsetObjects(namespace: string): unknown[] {
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

function subsetProfiles(namespace: string): ServiceProfile[] {
  return [
    {
      name: 'reviews',
      namespace,
      rps: 10,
      versions: [
        {
          version: 'v1',
          workload: 'reviews-v1',
          errorRate: 0.01,
          errorCode: 500,
          latency: { kind: 'lognormal', medianMs: 20, p99Ms: 80 },
        },
        {
          version: 'v2',
          workload: 'reviews-v2',
          errorRate: 0.1,
          errorCode: 503,
          latency: { kind: 'lognormal', medianMs: 30, p99Ms: 300 },
        },
      ],
    },
    // No VirtualService: every request goes to its only version, none fails.
    {
      name: 'details',
      namespace,
      rps: 2,
      virtualService: null,
      versions: [{ version: 'v1', workload: 'details-v1', latency: { kind: 'uniform', minMs: 1, maxMs: 9 } }],
    },
  ];
}

/** Prometheus' answer for a per-service template, one number per version. */
async function perService(
  name: 'service-requests' | 'service-errors' | 'service-duration-quantile',
  variables: Record<string, string | number>,
  at: number,
): Promise<Record<string, number>> {
  const samples = await client.instantQuery(renderQuery(ISTIO_QUERIES[name], variables), at);
  return Object.fromEntries(samples.map((s) => [s.labels.destination_version ?? '', s.value]));
}

function byVersion(report: RedReport, service: string): Record<string, VersionRed> {
  return Object.fromEntries(report.versions.filter((v) => v.service === service).map((v) => [v.version, v]));
}

beforeAll(async () => {
  // Prepare: 10 minutes of traffic at 15 s steps; every series starts at 0 exactly at `from`, so
  // increase() over [from, to] needs no extrapolation and the counts are exact.
  bed = await requireBed();
  client = new PrometheusClient({ url: bed.prometheus.url, retries: 1 });
  reader = new PrometheusMetricsReader(client);
  const twoHost = await loadSampleApp('two-host', { namespace: apps });
  const twoHostVs = twoHost.objects.find(
    (o) => (o as VirtualService).kind === 'VirtualService',
  ) as VirtualService;
  twoHostVs.spec.http![0]!.route = [
    { destination: { host: 'apps-svc-v1' }, weight: 80 },
    { destination: { host: 'apps-svc-v2' }, weight: 20 },
  ];
  simulator = new MeshTrafficSimulator({
    services: [...subsetProfiles(bookinfo), ...twoHost.profiles],
    reader: new StaticMeshReader([...subsetObjects(bookinfo), ...twoHost.objects]),
    writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
  });
  simulator.setBehaviour(apps, 'apps-svc-all', 'v2', { errorRate: 0.05, errorCode: 500 });
  const report = await simulator.simulate({ from, to, stepSeconds: 15 });
  expect(report).toMatchObject({ steps: 41, lastStepMs: to });
});

describe('batched RED on the bed Prometheus', () => {
  it('returns the exact counts, rates and error ratios of the simulated traffic', async () => {
    // Act
    const report = await reader.red({ namespaces: [bookinfo, apps] }, { at: to, windowSeconds: WINDOW });

    // Assess: 10 rps x 600 s split 90/10, 2 rps to details, 10 rps split 80/20 across two hosts.
    expect(report.queries).toBe(2);
    expect(
      report.versions.map((v) => [v.namespace, v.service, v.version, v.workload, v.requests, v.errors]),
    ).toEqual([
      [apps, 'apps-svc-v1', 'v1', 'apps-svc-v1', 4800, 0],
      [apps, 'apps-svc-v2', 'v2', 'apps-svc-v2', 1200, 60],
      [bookinfo, 'details', 'v1', 'details-v1', 1200, 0],
      [bookinfo, 'reviews', 'v1', 'reviews-v1', 5400, 54],
      [bookinfo, 'reviews', 'v2', 'reviews-v2', 600, 60],
    ]);
    const reviews = byVersion(report, 'reviews');
    expect(reviews.v1).toMatchObject({ requestRate: 9, errorRate: 0.01 });
    expect(reviews.v2).toMatchObject({ requestRate: 1, errorRate: 0.1 });
    expect(byVersion(report, 'details').v1).toMatchObject({ requestRate: 2, errorRate: 0 });
    expect(byVersion(report, 'apps-svc-v2').v2).toMatchObject({ requestRate: 2, errorRate: 0.05 });
  });

  it("gives the simulator's bucket counts, and quantiles equal to Prometheus' histogram_quantile", async () => {
    // Act
    const report = await reader.red(
      { namespaces: [bookinfo], services: ['reviews'] },
      { at: to, windowSeconds: WINDOW },
    );

    // Assess
    for (const version of ['v1', 'v2']) {
      const red = requireVersion(report, { service: 'reviews', version });
      // The window covers every sample since the series began, so increase() = the simulator's counters.
      const flows = simulator
        .snapshot()
        .filter(
          (f) =>
            f.labels.destination_workload_namespace === bookinfo &&
            f.labels.destination_service_name === 'reviews' &&
            f.labels.destination_version === version,
        );
      const expected = flows[0]!.buckets.map((b, i) => ({
        le: Number(b.le === '+Inf' ? Number.POSITIVE_INFINITY : b.le),
        count: flows.reduce((sum, f) => sum + f.buckets[i]!.count, 0),
      }));
      expect(red.buckets).toEqual(expected);
      for (const [q, ours] of [
        [0.5, red.latencyMs!.p50],
        [0.9, red.latencyMs!.p90],
        [0.99, red.latencyMs!.p99],
      ] as const) {
        const prometheus = await perService(
          'service-duration-quantile',
          { namespace: bookinfo, service: 'reviews', window: WINDOW, quantile: q },
          to,
        );
        expect(ours).toBe(prometheus[version]);
      }
    }
    // Sanity of the model: v1's true p99 is 80 ms, v2's 300 ms; the buckets put them in (50, 100] and (250, 500].
    expect(requireVersion(report, { version: 'v1' }).latencyMs!.p99).toBeGreaterThan(50);
    expect(requireVersion(report, { version: 'v1' }).latencyMs!.p99).toBeLessThanOrEqual(100);
    expect(requireVersion(report, { version: 'v2' }).latencyMs!.p99).toBeGreaterThan(250);
  });

  it('matches the per-service queries, service by service', async () => {
    // Prepare
    const services = [
      [bookinfo, 'reviews'],
      [bookinfo, 'details'],
      [apps, 'apps-svc-v1'],
      [apps, 'apps-svc-v2'],
    ] as const;

    // Act
    const batched = await reader.red({ namespaces: [bookinfo, apps] }, { at: to, windowSeconds: WINDOW });

    // Assess
    for (const [namespace, service] of services) {
      const variables = { namespace, service, window: WINDOW };
      const requests = await perService('service-requests', variables, to);
      const errors = await perService('service-errors', variables, to);
      const p99 = await perService('service-duration-quantile', { ...variables, quantile: 0.99 }, to);
      const rows = batched.versions.filter((v) => v.namespace === namespace && v.service === service);
      expect(Object.fromEntries(rows.map((v) => [v.version, v.requests]))).toEqual(requests);
      // No 5xx series at all means Prometheus has no error row; the batched read says 0 errors.
      for (const row of rows) expect(row.errors).toBe(errors[row.version] ?? 0);
      expect(Object.fromEntries(rows.map((v) => [v.version, v.latencyMs!.p99]))).toEqual(p99);
    }
  });

  it('reports services without series as without data, and nothing at all as NoDataError', async () => {
    const partial = await reader.red(
      { namespaces: [bookinfo], services: ['reviews', 'ratings'] },
      { at: to, windowSeconds: WINDOW },
    );
    const nothing = await reader
      .red({ namespaces: [`${bookinfo}-void`] }, { at: to, windowSeconds: WINDOW })
      .catch((e: unknown) => e);

    expect(partial.servicesWithoutData).toEqual(['ratings']);
    expect(nothing).toBeInstanceOf(NoDataError);
    expect(nothing).toMatchObject({ code: 'no-data' });
  });

  it('escapes label values: quotes, backslashes and regex metacharacters match literally', async () => {
    // Prepare: two services whose names differ only where an unescaped "." would match anything.
    const namespace = uniqueNamespace('metrics-odd');
    const odd = 'we"ird\\svc.v1|x';
    const sibling = 'we"ird\\svcXv1|x';
    const labels = (service: string) => ({
      reporter: 'destination',
      destination_workload_namespace: namespace,
      destination_service_name: service,
      destination_version: 'v1',
      destination_workload: 'odd-v1',
      response_code: '200',
    });
    await new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }).write(
      [odd, sibling].map((service, i) => ({
        metric: 'istio_requests_total',
        labels: labels(service),
        samples: [
          { value: 0, timestampMs: to - 60_000 },
          { value: 7 + i, timestampMs: to },
        ],
      })),
    );

    // Act
    const report = await reader.red(
      { namespaces: [namespace], services: [odd] },
      { at: to, windowSeconds: 60 },
    );

    // Assess
    expect(report.versions.map((v) => [v.service, v.requests])).toEqual([[odd, 7]]);
  });
});

describe("Flagger's built-in checks", () => {
  it('give the success rate and the p99 of the canary workload over the interval', async () => {
    // Act
    const checks = await reader.flaggerChecks(
      { namespace: bookinfo, workload: 'reviews-v2' },
      { at: to, interval: '1m' },
    );
    const lastMinute = await reader.red(
      { namespaces: [bookinfo], services: ['reviews'] },
      { at: to, windowSeconds: 60 },
    );

    // Assess: 10% of reviews-v2's requests fail, so 90% succeed.
    const successRate = checks['request-success-rate'];
    const duration = checks['request-duration'];
    expect(successRate.kind).toBe('value');
    expect(successRate.kind === 'value' && successRate.value).toBeCloseTo(90, 9);
    // Quantiles of rates equal quantiles of increases (same buckets scaled by 1/60).
    const p99 = requireVersion(lastMinute, { version: 'v2' }).latencyMs!.p99;
    expect(duration.kind === 'value' && duration.value).toBeCloseTo(p99, 9);
  });

  it('say no data (never a number) for a workload without traffic', async () => {
    const checks = await reader.flaggerChecks({ namespace: bookinfo, workload: 'reviews-v9' }, { at: to });

    expect(checks['request-success-rate']).toMatchObject({ kind: 'no-data' });
    expect(checks['request-duration']).toMatchObject({ kind: 'no-data' });
  });
});

describe('RED over a range, for charts', () => {
  it('gives rate, error rate and p99 per version at every step', async () => {
    // Act
    const start = from + 120_000;
    const range = await reader.redRange(
      { namespaces: [bookinfo], services: ['reviews'] },
      { start, end: to, stepSeconds: 60, windowSeconds: 60 },
    );

    // Assess: 9 points (minutes 2..10); steady traffic; v2 gets whole requests every minute (54 + 6), so its points are exact.
    expect(range.queries).toBe(2);
    const [v1, v2] = range.series;
    expect(v1!.points.map((p) => p.atMs)).toEqual(Array.from({ length: 9 }, (_, i) => start + i * 60_000));
    for (const point of v1!.points) {
      // A minute of v1 is 534.6 + 5.4 expected requests in two series, each written as whole requests:
      // each series is off by less than one request, so the rate by less than 2/60 and the error rate by 1/540.
      expect(Math.abs(point.requestRate! - 9)).toBeLessThan(2 / 60);
      expect(Math.abs(point.errorRate! - 0.01)).toBeLessThanOrEqual(1 / 540 + 1e-12);
    }
    for (const point of v2!.points) {
      expect(point.requestRate).toBeCloseTo(1, 9);
      expect(point.errorRate).toBeCloseTo(0.1, 9);
    }
    const atEnd = await reader.red(
      { namespaces: [bookinfo], services: ['reviews'] },
      { at: to, windowSeconds: 60 },
    );
    expect(v2!.points.at(-1)!.p99Ms).toBeCloseTo(requireVersion(atEnd, { version: 'v2' }).latencyMs!.p99, 9);
  });
});

describe('failures', () => {
  it('does not retry a bad query (HTTP 400) and hands over Prometheus’ error', async () => {
    const fresh = new PrometheusClient({ url: bed.prometheus.url, retries: 3 });

    const error = await fresh.instantQuery('sum by (destination_version) (', to).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BadQueryError);
    expect((error as BadQueryError).prometheusError).toMatch(/parse error/);
    expect(fresh.stats).toEqual({ queries: 1, httpRequests: 1 });
  });

  describe('a private Prometheus stopped mid-test', () => {
    let dir = '';
    let prometheus: BedProcess | undefined;
    let url = '';

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'canary-bot-metrics-prometheus-'));
      const config = join(dir, 'prometheus.yml');
      await writeFile(config, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      prometheus = startDetached(
        'metrics-test-prometheus',
        'prometheus',
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-remote-write-receiver',
          '--log.level=warn',
        ],
        join(dir, 'prometheus.log'),
      );
      await waitUntil(prometheus, async () => (await fetch(`${url}/-/ready`)).ok, 60_000);
    }, 90_000);

    afterAll(async () => {
      if (prometheus && isAlive(prometheus.pid)) await stopProcess(prometheus.pid);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('answers while up, then gives PrometheusUnavailableError once stopped', async () => {
      // Prepare
      const namespace = uniqueNamespace('metrics-private');
      await new PrometheusRemoteWriter({ prometheusUrl: url }).write([
        {
          metric: 'istio_requests_total',
          labels: {
            reporter: 'destination',
            destination_workload_namespace: namespace,
            destination_service_name: 'reviews',
            destination_version: 'v1',
            destination_workload: 'reviews-v1',
            response_code: '200',
          },
          samples: [
            { value: 0, timestampMs: to - 60_000 },
            { value: 30, timestampMs: to },
          ],
        },
      ]);
      const privateReader = PrometheusMetricsReader.fromConfig({
        url,
        timeoutMs: 2_000,
        retries: 2,
        retryBaseDelayMs: 50,
      });
      const selection = { namespaces: [namespace] };
      const before = await privateReader.red(selection, { at: to, windowSeconds: 60 });
      expect(before.versions.map((v) => v.requests)).toEqual([30]);

      // Act
      await stopProcess(prometheus!.pid);
      const error = await privateReader
        .red(selection, { at: to, windowSeconds: 60 })
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(PrometheusUnavailableError);
      expect(error).toMatchObject({ code: 'unavailable', reason: 'connection', attempts: 3 });
    });
  });
});
