/**
 * Monte Carlo benchmark of the canary judge against Flagger's default analysis.
 *
 *   tsx bench/judge/run.ts [--seed 1] [--trials 500] [--healthy-trials 5000] [--other-healthy-trials 1000]
 *                          [--rates 0.1,1,10,100] [--scenarios healthy,errors-5pct] [--quick]
 *                          [--workers 2] [--out bench/results/judge.json]
 *
 * Cells run on --workers threads (default: the machine's cores); the results do not depend on it.
 *
 * --quick runs 40 / 200 / 100 trials per cell and writes judge-quick.json.
 *
 * Prints a Markdown table and writes the full results as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  assemble,
  type BenchmarkOptions,
  type BenchmarkResult,
  type CellTask,
  cellTasks,
  type RawCell,
  runBenchmark,
} from './benchmark.js';
import { renderMarkdown } from './report.js';
import { SCENARIOS } from './scenarios.js';

const RESULTS = resolve(dirname(fileURLToPath(import.meta.url)), '../results');

/** A command-line value is not what the benchmark expects. */
export class BenchmarkUsageError extends Error {
  override readonly name = 'BenchmarkUsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new BenchmarkUsageError(`--${name} must be an integer >= 0`);
  return value;
}

function parseOptions(argv: string[]): BenchmarkOptions & { out: string; workers: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      trials: { type: 'string' },
      'healthy-trials': { type: 'string' },
      'other-healthy-trials': { type: 'string' },
      scenarios: { type: 'string' },
      rates: { type: 'string' },
      quick: { type: 'boolean', default: false },
      workers: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const known = new Set(SCENARIOS.map((s) => s.id));
  const unknown = (values.scenarios ?? '').split(',').filter((id) => id !== '' && !known.has(id));
  if (unknown.length > 0)
    throw new BenchmarkUsageError(
      `--scenarios: unknown ${unknown.join(', ')}; known: ${[...known].join(', ')}`,
    );
  const rates = (values.rates ?? '0.1,1,10,100').split(',').map(Number);
  if (rates.some((r) => !(r > 0)))
    throw new BenchmarkUsageError('--rates must be positive numbers, e.g. 0.1,1,10');
  return {
    seed: positiveInteger(values.seed, 1, 'seed'),
    rates,
    badTrials: positiveInteger(values.trials, quick ? 40 : 500, 'trials'),
    healthyTrials: positiveInteger(values['healthy-trials'], quick ? 200 : 5000, 'healthy-trials'),
    otherHealthyTrials: positiveInteger(
      values['other-healthy-trials'],
      quick ? 100 : 1000,
      'other-healthy-trials',
    ),
    ...(values.scenarios === undefined ? {} : { scenarios: values.scenarios.split(',') }),
    workers: Math.max(1, positiveInteger(values.workers, availableParallelism(), 'workers')),
    // A quick run must not overwrite the published results.
    out: resolve(values.out ?? `${RESULTS}/${quick ? 'judge-quick.json' : 'judge.json'}`),
  };
}

/** Runs the cells on `workers` threads, the most expensive first, and assembles the result. */
async function runInWorkers(options: BenchmarkOptions, workers: number): Promise<BenchmarkResult> {
  const started = performance.now();
  // Healthy trials run all 30 looks of every judge; bad ones stop early for some: a rough cost.
  const cost = (task: CellTask) => task.trials * (task.scenarioId.startsWith('healthy') ? 2 : 1);
  const queue = cellTasks(options).sort((a, b) => cost(b) - cost(a));
  const results: RawCell[] = [];
  const threads = Array.from(
    { length: Math.min(workers, queue.length) },
    () =>
      new Worker(new URL('./cell-worker.ts', import.meta.url), {
        // The same loader flags as this process (tsx), so that the worker can load TypeScript.
        execArgv: process.execArgv,
      }),
  );
  await Promise.all(
    threads.map(
      (thread) =>
        new Promise<void>((done, fail) => {
          const next = () => {
            const task = queue.shift();
            if (task === undefined) {
              void thread.terminate().then(() => done());
              return;
            }
            thread.postMessage(task);
          };
          thread.on('message', (cell: RawCell) => {
            results.push(cell);
            progress(cell);
            next();
          });
          thread.on('error', fail);
          next();
        }),
    ),
  );
  return assemble(options, results, (performance.now() - started) / 1000);
}

function progress(cell: RawCell): void {
  const { ours, flagger, kayenta, argo } = cell.judges;
  process.stderr.write(
    `${cell.scenarioId} @ ${cell.rate} rps: ${cell.trials} trials, rollbacks ours ${ours.rollbacks}, Flagger ${flagger.rollbacks}, Kayenta ${kayenta.rollbacks}, Argo ${argo.rollbacks}\n`,
  );
}

async function main(): Promise<void> {
  const { out, workers, ...options } = parseOptions(process.argv.slice(2));
  const result =
    workers > 1 ? await runInWorkers(options, workers) : runBenchmark({ ...options, onCell: progress });
  process.stdout.write(`${renderMarkdown(result)}\n`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`results written to ${out}\n`);
}

await main();
