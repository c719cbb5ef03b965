/**
 * Benchmark of batched RED reads on the test bed's Prometheus (start the bed first: `npm run bed -- up`).
 *
 *   tsx bench/metrics/run.ts [--services 500] [--naive-services 50] [--naive-concurrency 8] [--runs 7]
 *                            [--naive-runs 3] [--window-minutes 10] [--step 60] [--out bench/results/metrics.json]
 *
 * Writes simulated Istio traffic under a namespace unique to the run, prints a Markdown table and writes
 * the full results as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { requireBed } from '../../local/bed/bed.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { runBenchmark } from './benchmark.js';
import { renderMarkdown } from './report.js';

const DEFAULT_OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../results/metrics.json');

/** A command-line value is not what the benchmark expects. */
export class BenchmarkUsageError extends Error {
  override readonly name = 'BenchmarkUsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function positive(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new BenchmarkUsageError(`--${name} must be an integer >= 1`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      services: { type: 'string' },
      'naive-services': { type: 'string' },
      'naive-concurrency': { type: 'string' },
      runs: { type: 'string' },
      'naive-runs': { type: 'string' },
      'window-minutes': { type: 'string' },
      step: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const services = positive(values.services, 500, 'services');
  const windowMinutes = positive(values['window-minutes'], 10, 'window-minutes');
  // Prometheus refuses samples older than about an hour behind its newest.
  if (windowMinutes > 50) throw new BenchmarkUsageError('--window-minutes must be at most 50');
  const bed = await requireBed();
  const result = await runBenchmark({
    prometheusUrl: bed.prometheus.url,
    namespace: uniqueNamespace('bench-metrics'),
    services,
    naiveServices: Math.min(services, positive(values['naive-services'], 50, 'naive-services')),
    naiveConcurrency: positive(values['naive-concurrency'], 8, 'naive-concurrency'),
    runs: positive(values.runs, 7, 'runs'),
    naiveRuns: positive(values['naive-runs'], 3, 'naive-runs'),
    windowMinutes,
    stepSeconds: positive(values.step, 60, 'step'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${renderMarkdown(result)}\n`);
  const out = resolve(values.out ?? DEFAULT_OUT);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`results written to ${out}\n`);
}

await main();
