/**
 * Monte Carlo benchmark of the canary judge against Flagger's default analysis.
 *
 *   tsx bench/judge/run.ts [--seed 1] [--trials 500] [--healthy-trials 5000] [--edge-trials 1000]
 *                          [--rates 0.1,1,10,100] [--quick] [--out bench/results/judge.json]
 *
 * --quick runs 40 / 200 / 100 trials per cell (a few seconds) and writes judge-quick.json.
 *
 * Prints a Markdown table and writes the full results as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchmarkOptions, runBenchmark } from './benchmark.js';
import { renderMarkdown } from './report.js';

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

function parseOptions(argv: string[]): BenchmarkOptions & { out: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      trials: { type: 'string' },
      'healthy-trials': { type: 'string' },
      'edge-trials': { type: 'string' },
      rates: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const rates = (values.rates ?? '0.1,1,10,100').split(',').map(Number);
  if (rates.some((r) => !(r > 0)))
    throw new BenchmarkUsageError('--rates must be positive numbers, e.g. 0.1,1,10');
  return {
    seed: positiveInteger(values.seed, 1, 'seed'),
    rates,
    badTrials: positiveInteger(values.trials, quick ? 40 : 500, 'trials'),
    healthyTrials: positiveInteger(values['healthy-trials'], quick ? 200 : 5000, 'healthy-trials'),
    edgeTrials: positiveInteger(values['edge-trials'], quick ? 100 : 1000, 'edge-trials'),
    // A quick run must not overwrite the published results.
    out: resolve(values.out ?? `${RESULTS}/${quick ? 'judge-quick.json' : 'judge.json'}`),
  };
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const result = runBenchmark({
    ...options,
    onCell: (cell) =>
      process.stderr.write(
        `${cell.scenario} @ ${cell.canaryRps} rps: ${cell.trials} trials, ours ${cell.ours.rollbacks} rollbacks, Flagger ${cell.flagger.rollbacks}\n`,
      ),
  });
  process.stdout.write(`${renderMarkdown(result)}\n`);
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`results written to ${options.out}\n`);
}

main();
