/**
 * A scheduled digest of 1000 services (2 versions each) from the bed's Prometheus: the whole run of
 * runDueSummaries for one namespace subscription (RED of this period and the previous one, the chart's range
 * read, the views, the PNG, and the posts into a Slack emulator with its limits), with the PromQL queries
 * counted at the client, the time split by stage, and the memory it takes. Then the chart alone: its first
 * render in a process (resvg's start included) and warm renders. Each digest runs in a process of its own
 * (bench/summary/digest-run.ts), so that its peak memory is its own and not the traffic writer's.
 *
 *   tsx bench/summary/run.ts [--services 1000] [--runs 3] [--out bench/results/summary.json]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bedDown, bedUp } from '../../local/bed/bed.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { startSlackEmulator } from '../../local/slack/slack-emulator.js';
import { StaticMeshReader } from '../../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import { redChartSvg, renderPng } from '../../src/chat/charts/index.js';
import { benchmarkServices } from '../metrics/benchmark.js';
import { median, ms } from '../stats.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/summary.json'),
    },
  },
});
const count = Number(values.services);
const runs = Number(values.runs);
const PERIOD = 300_000;

/** What digest-run.ts prints. */
interface DigestRun {
  totalMs: number;
  queries: number;
  reportedQueries: number;
  posted: number;
  queryMs: number;
  prepareMs: number;
  publishMs: number;
  messages: number;
  pngKB: number;
  rssBeforeMB: number;
  maxRssMB: number;
  heapUsedAfterMB: number;
}

const SERVICE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const { state, started } = await bedUp();
const slack = await startSlackEmulator({ signingSecret: 'bench-summary-signing-secret-0123456789' });
const namespace = uniqueNamespace('bench-summary');
try {
  // Chart alone first: the first render of the process starts resvg (WebAssembly, font).
  const from = Date.now() - PERIOD;
  const series = Array.from({ length: 8 }, (_, s) => ({
    label: `svc-${s} v${(s % 2) + 1}`,
    points: Array.from({ length: 61 }, (_, i) => ({
      atMs: from + i * 5000,
      requestRate: 1 + s + Math.sin(i / 5),
      errorRate: 0.001 * s,
      p99Ms: 100 + 10 * s,
    })),
  }));
  const svg = redChartSvg({
    title: 'RED',
    from: new Date(from),
    to: new Date(from + PERIOD),
    timeZone: 'UTC',
    series,
  });
  let t = performance.now();
  await renderPng(svg);
  const firstRenderMs = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    await renderPng(svg);
    warm.push(performance.now() - t);
  }

  // Two 5-minute periods of traffic for `count` services; every 20th service's v2 fails in the second.
  const end = Math.floor((Date.now() - 5_000) / PERIOD) * PERIOD;
  const { profiles, objects } = benchmarkServices(namespace, count);
  const simulator = new MeshTrafficSimulator({
    services: profiles,
    reader: new StaticMeshReader(objects),
    writer: new PrometheusRemoteWriter({ prometheusUrl: state.prometheus.url }),
  });
  t = performance.now();
  const first = await simulator.simulate({ from: end - 2 * PERIOD, to: end - PERIOD, stepSeconds: 15 });
  for (let i = 0; i < count; i += 20)
    simulator.setBehaviour(namespace, `svc-${String(i).padStart(3, '0')}`, 'v2', { errorRate: 0.2 });
  const second = await simulator.simulate({ from: end - PERIOD + 15_000, to: end, stepSeconds: 15 });
  const writeSeconds = (performance.now() - t) / 1000;
  console.error(
    `wrote ${first.seriesWritten + second.seriesWritten} series / ${first.samplesWritten + second.samplesWritten} samples in ${writeSeconds.toFixed(1)} s`,
  );

  const results: DigestRun[] = [];
  for (let run = 0; run < runs; run++) {
    // A process per run, as a Lambda invocation: its memory is the digest's own (plus Node and tsx).
    const output = await new Promise<string>((done, fail) => {
      execFile(
        join(SERVICE_DIR, 'node_modules/.bin/tsx'),
        [
          join(SERVICE_DIR, 'bench/summary/digest-run.ts'),
          JSON.stringify({
            prometheusUrl: state.prometheus.url,
            slackUrl: slack.url,
            botToken: slack.botToken,
            namespace,
            endMs: end,
            periodSeconds: PERIOD / 1000,
          }),
        ],
        { cwd: SERVICE_DIR, maxBuffer: 1 << 20 },
        (error, stdout, stderr) => (error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout)),
      );
    });
    const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as DigestRun;
    if (result.posted !== 1) throw new Error(`run ${run}: ${output}`);
    results.push(result);
    console.error(
      `run ${run + 1}: ${ms(result.totalMs)} ms, ${result.queries} queries, max RSS ${result.maxRssMB.toFixed(0)} MB`,
    );
  }
  const summary = {
    benchmark: 'summary',
    at: new Date().toISOString(),
    node: process.version,
    machine: `${process.platform}/${process.arch}`,
    services: count,
    versions: count * 2,
    periodSeconds: PERIOD / 1000,
    runs,
    medianTotalMs: median(results.map((r) => r.totalMs)),
    queries: results.map((r) => r.queries),
    reportedQueries: results.map((r) => r.reportedQueries),
    medianQueryWaitMs: median(results.map((r) => r.queryMs)),
    medianPrepareMs: median(results.map((r) => r.prepareMs)),
    medianPublishMs: median(results.map((r) => r.publishMs)),
    messages: results[0]?.messages,
    pngKB: results[0]?.pngKB,
    digestProcessMaxRssMB: Math.max(...results.map((r) => r.maxRssMB)),
    digestProcessRssBeforeMB: median(results.map((r) => r.rssBeforeMB)),
    digestProcessHeapAfterMB: median(results.map((r) => r.heapUsedAfterMB)),
    chartFirstRenderMs: firstRenderMs,
    chartWarmRenderMedianMs: median(warm),
    note: 'queries counted at the client; query wait = time in PromQL requests (the 2 instant reads of a period run in parallel, so waits overlap); prepare = views + chart PNG; publish = posts and upload into an in-process Slack emulator; memory: max RSS of the process that ran the digest (Node + tsx + the bot modules, measured before the run too)',
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `### Digest of ${count} services (${count * 2} versions), ${PERIOD / 60_000}-minute periods, median of ${runs}\n`,
  );
  console.log('| measure | value |');
  console.log('|---|---:|');
  console.log(
    `| whole run (reads, chart, views, PNG, ${summary.messages} messages + chart posted) | ${ms(summary.medianTotalMs)} ms |`,
  );
  console.log(`| PromQL queries (counted at the client) | ${summary.queries.join(', ')} |`);
  console.log(
    `| time in PromQL requests (summed; parallel pairs overlap) | ${ms(summary.medianQueryWaitMs)} ms |`,
  );
  console.log(`| views and chart PNG (prepare) | ${ms(summary.medianPrepareMs)} ms |`);
  console.log(`| posting into the Slack emulator (publish) | ${ms(summary.medianPublishMs)} ms |`);
  console.log(
    `| peak memory: max RSS of the digest's own process (${summary.digestProcessRssBeforeMB.toFixed(0)} MB before the run) | ${summary.digestProcessMaxRssMB.toFixed(0)} MB |`,
  );
  console.log(`| chart: first render in a process (resvg start included) | ${ms(firstRenderMs)} ms |`);
  console.log(
    `| chart: warm render, median of 5 (1200x900, 8 lines) | ${ms(summary.chartWarmRenderMedianMs)} ms |`,
  );
} finally {
  await slack.close();
  if (started) await bedDown();
}
