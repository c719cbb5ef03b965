/**
 * The simulator's gateway: real HTTP requests routed by the VirtualService with the simulated traffic's own
 * routing code (weights, header and cookie matches), answered with the chosen version's status and latency,
 * and counted in exactly the Istio series the simulator writes at its next step.
 */
import { request } from 'node:http';
import { type MeshGateway, serviceOfHost, startMeshGateway } from '../../local/traffic/gateway.js';
import type { VirtualService } from '../../local/traffic/istio-types.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import type { ServiceProfile } from '../../local/traffic/profile.js';
import type { MetricSeries, SampleWriter } from '../../local/traffic/remote-write.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import { destinationRuleOf } from '../support/istio-objects.js';

/** Every series written, by metric and labels: the last value of each. */
class LastValues implements SampleWriter {
  readonly series: MetricSeries[] = [];
  async write(batch: readonly MetricSeries[]): Promise<void> {
    this.series.push(...batch);
  }
  last(metric: string, match: Record<string, string>): number {
    const latest = new Map<string, number>();
    for (const s of this.series)
      if (s.metric === metric && Object.entries(match).every(([k, v]) => s.labels[k] === v))
        latest.set(JSON.stringify(s.labels), s.samples.at(-1)?.value ?? 0);
    return [...latest.values()].reduce((a, b) => a + b, 0);
  }
}

// A quiet service: no users at all, only what comes through the gateway.
const quiet: ServiceProfile = {
  name: 'reviews',
  namespace: 'bookinfo',
  rps: 0,
  versions: [
    { version: 'v1', workload: 'reviews-v1', latency: { kind: 'fixed', ms: 5 } },
    { version: 'v2', workload: 'reviews-v2', latency: { kind: 'fixed', ms: 40 }, errorRate: 1 },
  ],
};
const rule = destinationRuleOf('reviews', 'bookinfo', ['v1', 'v2']);
const subset = (name: string) => ({ host: 'reviews', subset: name });
const virtualService: VirtualService = {
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: {
    hosts: ['reviews'],
    http: [
      {
        name: 'jason',
        match: [{ headers: { 'end-user': { exact: 'jason' } } }],
        route: [{ destination: subset('v2') }],
      },
      {
        name: 'testers',
        match: [{ headers: { cookie: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }],
        route: [{ destination: subset('v2') }],
      },
      {
        name: 'primary',
        route: [
          { destination: subset('v1'), weight: 75 },
          { destination: subset('v2'), weight: 25 },
        ],
      },
    ],
  },
};

function get(url: string, headers: Record<string, string>): Promise<{ status: number; version?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers['x-served-by-version']
            ? { version: String(res.headers['x-served-by-version']) }
            : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the mesh gateway', () => {
  let gateway: MeshGateway;
  let simulator: MeshTrafficSimulator;
  let writer: LastValues;
  const host = 'reviews.bookinfo.svc.cluster.local';

  beforeEach(async () => {
    writer = new LastValues();
    simulator = new MeshTrafficSimulator({
      services: [quiet],
      reader: new StaticMeshReader([virtualService, rule]),
      writer,
      serveSeed: 7,
    });
    gateway = await startMeshGateway(simulator);
  });
  afterEach(async () => {
    await gateway.close();
  });

  it('splits requests by the route weights and counts each in the Istio series of the version that answered', async () => {
    // Prepare
    const now = Date.now();
    await simulator.simulate({ from: now - 60_000, to: now - 30_000, stepSeconds: 15 });
    // Act
    const answers = [];
    for (let i = 0; i < 400; i++) answers.push(await get(`${gateway.url}/health`, { host }));
    await simulator.simulate({ from: now - 15_000, to: now - 15_000, stepSeconds: 15 });
    // Assess
    const v2 = answers.filter((a) => a.version === 'v2').length;
    expect(v2).toBeGreaterThan(70);
    expect(v2).toBeLessThan(130);
    expect(answers.filter((a) => a.version === 'v1').length).toBe(400 - v2);
    // v2 answers 500 every time (error rate 1), v1 200.
    expect(answers.every((a) => (a.version === 'v2' ? a.status === 500 : a.status === 200))).toBe(true);
    const labels = { destination_service_name: 'reviews', source_workload: 'istio-ingressgateway' };
    expect(
      writer.last('istio_requests_total', { ...labels, destination_version: 'v2', response_code: '500' }),
    ).toBe(v2);
    expect(
      writer.last('istio_requests_total', { ...labels, destination_version: 'v1', response_code: '200' }),
    ).toBe(400 - v2);
    // Latency: v1's 5 ms fall in the 5 ms bucket, v2's 40 ms not below 50.
    expect(
      writer.last('istio_request_duration_milliseconds_bucket', { destination_version: 'v1', le: '5' }),
    ).toBe(400 - v2);
    expect(
      writer.last('istio_request_duration_milliseconds_bucket', { destination_version: 'v2', le: '25' }),
    ).toBe(0);
    expect(
      writer.last('istio_request_duration_milliseconds_bucket', { destination_version: 'v2', le: '50' }),
    ).toBe(v2);
    // A series born between steps starts at 0 at the step before, so increase() counts its first requests.
    const born = writer.series.find(
      (s) => s.metric === 'istio_requests_total' && s.labels.destination_version === 'v2',
    );
    expect(born?.samples[0]).toEqual({ timestampMs: now - 30_000, value: 0 });
    expect(gateway.records()).toHaveLength(400);
  });

  it('follows header and cookie matches as the sidecar does', async () => {
    // Act
    const jason = await get(gateway.url, { host, 'end-user': 'jason' });
    const tester = await get(gateway.url, { host, cookie: 'session=4f2a9c; user=tester; theme=dark' });
    const others = [];
    for (let i = 0; i < 20; i++) others.push(await get(gateway.url, { host, 'end-user': 'mallory' }));
    // Assess
    expect(jason).toEqual({ status: 500, version: 'v2' });
    expect(tester).toEqual({ status: 500, version: 'v2' });
    expect(new Set(others.map((o) => o.version))).toEqual(new Set(['v1', 'v2']));
  });

  it('waits out the version latency before answering', async () => {
    const started = Date.now();
    await get(gateway.url, { host, 'end-user': 'jason' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(38);
  });

  it('answers 404 for a host that names no simulated service, and counts nothing', async () => {
    expect((await get(gateway.url, { host: 'ratings.bookinfo' })).status).toBe(404);
    expect((await get(gateway.url, { host: 'localhost' })).status).toBe(404);
    expect(simulator.countRequests({}, 'destination_version')).toEqual({});
  });

  it('reads the service and namespace from a Host header', () => {
    expect(serviceOfHost('reviews.bookinfo.svc.cluster.local:80')).toEqual({
      service: 'reviews',
      namespace: 'bookinfo',
    });
    expect(serviceOfHost('reviews.bookinfo')).toEqual({ service: 'reviews', namespace: 'bookinfo' });
    expect(serviceOfHost('127.0.0.1:8080')).toBeUndefined();
    expect(serviceOfHost(undefined)).toBeUndefined();
  });
});
