/**
 * Query time of RED for many services: the batched reader (two PromQL queries whatever the number of
 * services) against the naive way (five queries per service: requests, 5xx, p50, p90, p99 with
 * Prometheus' histogram_quantile), on traffic the simulator writes into the bed's Prometheus.
 */

import type { DestinationRule, VirtualService } from '../../local/traffic/istio-types.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import type { ServiceProfile } from '../../local/traffic/profile.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import type { RedReport, RedSelection } from '../../src/app/ports/red-metrics.js';
import { ISTIO_QUERIES } from '../../src/metrics/istio-queries.js';
import type { InstantSample } from '../../src/metrics/prometheus-api.js';
import { PrometheusClient } from '../../src/metrics/prometheus-client.js';
import { PrometheusMetricsReader, type PromqlRunner } from '../../src/metrics/prometheus-metrics-reader.js';
import { renderQuery } from '../../src/metrics/promql-template.js';
import { assembleRed } from '../../src/metrics/red-assembly.js';

export interface BenchmarkOptions {
  prometheusUrl: string;
  namespace: string;
  services: number;
  /** Services read the naive way; the result is extrapolated to `services`. */
  naiveServices: number;
  /** Naive queries in flight at once in the parallel variant. */
  naiveConcurrency: number;
  runs: number;
  naiveRuns: number;
  windowMinutes: number;
  stepSeconds: number;
  log: (line: string) => void;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export interface ApproachResult {
  approach: string;
  services: number;
  measured: boolean;
  queries: number;
  httpRequests: number;
  timing: Timing;
  note: string;
}

export interface BenchmarkResult {
  prometheusVersion: string;
  namespace: string;
  services: number;
  versionsPerService: number;
  windowSeconds: number;
  at: string;
  write: { series: number; samples: number; seconds: number };
  /** Client-side time to turn the batched answers into RED (parse excluded): median ms. */
  assemblyMedianMs: number;
  /** Versions whose naive answers (requests, 5xx, p50/p90/p99) differ from the batched ones. */
  naiveMismatches: number;
  naiveVersionsCompared: number;
  approaches: ApproachResult[];
  elapsedSeconds: number;
}

const pad = (i: number) => String(i).padStart(3, '0');

/** `count` services with v1 (90%) and v2 (10%, 2% errors), subset-based, 1 request per second each. */
export function benchmarkServices(
  namespace: string,
  count: number,
): { profiles: ServiceProfile[]; objects: unknown[] } {
  const profiles: ServiceProfile[] = [];
  const objects: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const name = `svc-${pad(i)}`;
    profiles.push({
      name,
      namespace,
      rps: 1,
      versions: [
        { version: 'v1', workload: `${name}-v1`, latency: { kind: 'lognormal', medianMs: 20, p99Ms: 120 } },
        {
          version: 'v2',
          workload: `${name}-v2`,
          errorRate: 0.02,
          errorCode: 503,
          latency: { kind: 'lognormal', medianMs: 25, p99Ms: 200 },
        },
      ],
    });
    const vs: VirtualService = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace },
      spec: {
        hosts: [name],
        http: [
          {
            name: 'primary',
            route: [
              { destination: { host: name, subset: 'v1' }, weight: 90 },
              { destination: { host: name, subset: 'v2' }, weight: 10 },
            ],
          },
        ],
      },
    };
    const dr: DestinationRule = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name, namespace },
      spec: {
        host: name,
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    };
    objects.push(vs, dr);
  }
  return { profiles, objects };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { medianMs: median, minMs: sorted[0]!, maxMs: sorted.at(-1)!, runs: sorted.length };
}

function scaled(timing: Timing, factor: number): Timing {
  return {
    medianMs: timing.medianMs * factor,
    minMs: timing.minMs * factor,
    maxMs: timing.maxMs * factor,
    runs: timing.runs,
  };
}

/** Keeps the last answers of the batched queries, to time the client-side assembly on its own. */
class RecordingRunner implements PromqlRunner {
  last: InstantSample[][] = [];
  constructor(private readonly inner: PrometheusClient) {}
  async instantQuery(query: string, at: Date | number): Promise<InstantSample[]> {
    const samples = await this.inner.instantQuery(query, at);
    this.last.push(samples);
    return samples;
  }
  rangeQuery(...args: Parameters<PrometheusClient['rangeQuery']>) {
    return this.inner.rangeQuery(...args);
  }
}

interface NaiveVersion {
  requests?: number;
  errors?: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

/** The naive way: five queries per service, `concurrency` in flight. */
async function naiveRed(
  client: PrometheusClient,
  namespace: string,
  services: readonly string[],
  at: number,
  windowSeconds: number,
  concurrency: number,
): Promise<Map<string, NaiveVersion>> {
  const found = new Map<string, NaiveVersion>();
  const record = (service: string, samples: InstantSample[], field: keyof NaiveVersion) => {
    for (const s of samples) {
      const id = `${service}/${s.labels.destination_version}`;
      found.set(id, { ...found.get(id), [field]: s.value });
    }
  };
  const tasks = services.flatMap((service) => {
    const variables = { namespace, service, window: windowSeconds };
    const quantile = (q: number, field: keyof NaiveVersion) => async () =>
      record(
        service,
        await client.instantQuery(
          renderQuery(ISTIO_QUERIES['service-duration-quantile'], { ...variables, quantile: q }),
          at,
        ),
        field,
      );
    return [
      async () =>
        record(
          service,
          await client.instantQuery(renderQuery(ISTIO_QUERIES['service-requests'], variables), at),
          'requests',
        ),
      async () =>
        record(
          service,
          await client.instantQuery(renderQuery(ISTIO_QUERIES['service-errors'], variables), at),
          'errors',
        ),
      quantile(0.5, 'p50'),
      quantile(0.9, 'p90'),
      quantile(0.99, 'p99'),
    ];
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
  return found;
}

function mismatches(
  batched: RedReport,
  naive: Map<string, NaiveVersion>,
): { compared: number; differing: number } {
  let differing = 0;
  for (const [id, expected] of naive) {
    const [service, version] = id.split('/');
    const row = batched.versions.find((v) => v.service === service && v.version === version);
    const same =
      row !== undefined &&
      row.requests === expected.requests &&
      row.errors === (expected.errors ?? 0) &&
      row.latencyMs?.p50 === expected.p50 &&
      row.latencyMs?.p90 === expected.p90 &&
      row.latencyMs?.p99 === expected.p99;
    if (!same) differing++;
  }
  return { compared: naive.size, differing };
}

/** Writes the traffic, then times the batched and the naive reads. */
export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const started = performance.now();
  const { namespace, log } = options;
  const windowSeconds = options.windowMinutes * 60;

  // Prepare: one simulated traffic history ending a little in the past.
  const to = Math.floor(Date.now() / 1000) * 1000 - 2_000;
  const from = to - windowSeconds * 1000;
  const { profiles, objects } = benchmarkServices(namespace, options.services);
  const simulator = new MeshTrafficSimulator({
    services: profiles,
    reader: new StaticMeshReader(objects),
    writer: new PrometheusRemoteWriter({
      prometheusUrl: options.prometheusUrl,
      maxSamplesPerRequest: 20_000,
    }),
  });
  log(
    `writing ${options.windowMinutes} min of traffic for ${options.services} services x 2 versions into ${namespace}...`,
  );
  const write = await timed(() => simulator.simulate({ from, to, stepSeconds: options.stepSeconds }));
  log(
    `  ${write.value.seriesWritten} series, ${write.value.samplesWritten} samples in ${(write.ms / 1000).toFixed(1)} s`,
  );

  const client = new PrometheusClient({ url: options.prometheusUrl, timeoutMs: 60_000, retries: 0 });
  const recorder = new RecordingRunner(client);
  const reader = new PrometheusMetricsReader(recorder);
  const build = (await fetch(`${options.prometheusUrl}/api/v1/status/buildinfo`)
    .then((r) => r.json())
    .catch(() => undefined)) as { data?: { version?: string } } | undefined;
  const window = { at: to, windowSeconds };
  const serviceNames = profiles.map((p) => p.name);

  // Act 1: batched, selected by namespace, then by the full list of service names.
  const batchedRuns = async (selection: RedSelection, label: string) => {
    await reader.red(selection, window); // warm-up: first touch of the chunks
    const before = client.stats;
    const times: number[] = [];
    let report: RedReport | undefined;
    for (let run = 0; run < options.runs; run++) {
      const { ms, value } = await timed(() => reader.red(selection, window));
      times.push(ms);
      report = value;
    }
    const after = client.stats;
    log(`  ${label}: median ${summarize(times).medianMs.toFixed(0)} ms`);
    return {
      report: report!,
      timing: summarize(times),
      queries: (after.queries - before.queries) / options.runs,
      httpRequests: (after.httpRequests - before.httpRequests) / options.runs,
    };
  };
  log('batched RED...');
  const byNamespace = await batchedRuns({ namespaces: [namespace] }, 'namespace regex');
  const byServices = await batchedRuns({ namespaces: [namespace], services: serviceNames }, 'service list');
  if (byNamespace.report.versions.length !== options.services * 2) {
    throw new Error(`expected ${options.services * 2} versions, got ${byNamespace.report.versions.length}`);
  }

  // Client-side share: assembling RED from the last answers, without HTTP and JSON parsing.
  const [requestsByCode, buckets] = recorder.last.slice(-2);
  const assembly: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const t0 = performance.now();
    assembleRed({ requestsByCode: requestsByCode!, buckets: buckets!, windowSeconds, errorCodes: ['5xx'] });
    assembly.push(performance.now() - t0);
  }

  // Act 2: naive, five queries per service, on a subset.
  const subset = serviceNames.slice(0, options.naiveServices);
  const naive = async (concurrency: number, label: string) => {
    log(`naive RED of ${subset.length} services, ${concurrency} in flight...`);
    const before = client.stats;
    const times: number[] = [];
    let answers = new Map<string, NaiveVersion>();
    for (let run = 0; run < options.naiveRuns; run++) {
      const { ms, value } = await timed(() =>
        naiveRed(client, namespace, subset, to, windowSeconds, concurrency),
      );
      times.push(ms);
      answers = value;
    }
    const after = client.stats;
    log(`  ${label}: median ${summarize(times).medianMs.toFixed(0)} ms`);
    return {
      answers,
      timing: summarize(times),
      queries: (after.queries - before.queries) / options.naiveRuns,
      httpRequests: (after.httpRequests - before.httpRequests) / options.naiveRuns,
    };
  };
  const sequential = await naive(1, 'sequential');
  const parallel = await naive(options.naiveConcurrency, 'parallel');
  const check = mismatches(byNamespace.report, sequential.answers);
  const factor = options.services / subset.length;

  const approaches: ApproachResult[] = [
    {
      approach: 'batched, namespace regex',
      services: options.services,
      measured: true,
      queries: byNamespace.queries,
      httpRequests: byNamespace.httpRequests,
      timing: byNamespace.timing,
      note: 'RED of every service in the namespace',
    },
    {
      approach: `batched, ${options.services} service names listed`,
      services: options.services,
      measured: true,
      queries: byServices.queries,
      httpRequests: byServices.httpRequests,
      timing: byServices.timing,
      note: 'regex alternation of every name (POST body)',
    },
    {
      approach: 'naive, sequential',
      services: subset.length,
      measured: true,
      queries: sequential.queries,
      httpRequests: sequential.httpRequests,
      timing: sequential.timing,
      note: '5 queries per service, one at a time',
    },
    {
      approach: 'naive, sequential',
      services: options.services,
      measured: false,
      queries: sequential.queries * factor,
      httpRequests: sequential.httpRequests * factor,
      timing: scaled(sequential.timing, factor),
      note: `extrapolated x${factor} from ${subset.length} services`,
    },
    {
      approach: `naive, ${options.naiveConcurrency} in flight`,
      services: subset.length,
      measured: true,
      queries: parallel.queries,
      httpRequests: parallel.httpRequests,
      timing: parallel.timing,
      note: '5 queries per service, in parallel',
    },
    {
      approach: `naive, ${options.naiveConcurrency} in flight`,
      services: options.services,
      measured: false,
      queries: parallel.queries * factor,
      httpRequests: parallel.httpRequests * factor,
      timing: scaled(parallel.timing, factor),
      note: `extrapolated x${factor} from ${subset.length} services`,
    },
  ];

  return {
    prometheusVersion: build?.data?.version ?? 'unknown',
    namespace,
    services: options.services,
    versionsPerService: 2,
    windowSeconds,
    at: new Date(to).toISOString(),
    write: {
      series: write.value.seriesWritten,
      samples: write.value.samplesWritten,
      seconds: Math.round(write.ms) / 1000,
    },
    assemblyMedianMs: summarize(assembly).medianMs,
    naiveMismatches: check.differing,
    naiveVersionsCompared: check.compared,
    approaches,
    elapsedSeconds: Math.round(performance.now() - started) / 1000,
  };
}
