/**
 * Latency of the release store on DynamoDB Local (and the embedded store for scale).
 *
 *   tsx bench/store/run.ts [--endpoint http://127.0.0.1:8000] [--releases 500] [--updates 500]
 *                          [--rounds 20] [--out bench/results/store.json]
 *
 * Without --endpoint it uses the DynamoDB Local of the running test bed. It creates a table of its own and
 * deletes it at the end. Prints a Markdown table and writes the results as JSON.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readBedState } from '../../local/bed/bed.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store.js';
import { createStoreTable, deleteStoreTable } from '../../src/store/dynamodb/store-table.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';

const DEFAULT_OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../results/store.json');

/** A command-line value is not what the benchmark expects. */
export class BenchmarkUsageError extends Error {
  override readonly name = 'BenchmarkUsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface Options {
  endpoint: string | undefined;
  releases: number;
  updates: number;
  rounds: number;
  out: string;
}

/** One measured operation. */
interface Measurement {
  backend: 'dynamodb-local' | 'embedded';
  operation: string;
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new BenchmarkUsageError(`--${name} must be an integer >= 1`);
  return value;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      endpoint: { type: 'string' },
      releases: { type: 'string' },
      updates: { type: 'string' },
      rounds: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const releases = positiveInteger(values.releases, 500, 'releases');
  const updates = positiveInteger(values.updates, 500, 'updates');
  if (updates > releases) throw new BenchmarkUsageError('--updates must not exceed --releases');
  return {
    endpoint: values.endpoint,
    releases,
    updates,
    rounds: positiveInteger(values.rounds, 20, 'rounds'),
    out: resolve(values.out ?? DEFAULT_OUT),
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function summarise(backend: Measurement['backend'], operation: string, durations: number[]): Measurement {
  const sorted = [...durations].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    backend,
    operation,
    samples: sorted.length,
    medianMs: round(quantile(sorted, 0.5)),
    p95Ms: round(quantile(sorted, 0.95)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Creates `releases` active releases, then times listActive and single conditional updates. */
async function measure(
  backend: Measurement['backend'],
  store: BotStore<{ step: number }>,
  options: Options,
): Promise<Measurement[]> {
  const run = randomBytes(3).toString('hex');
  const ids = Array.from({ length: options.releases }, (_, i) => `bench-${run}-${i}`);
  const creates: number[] = [];
  // 10 at a time: enough to fill the table quickly without measuring DynamoDB Local's queueing.
  for (let start = 0; start < ids.length; start += 10) {
    const batch = ids.slice(start, start + 10);
    creates.push(
      ...(await Promise.all(
        batch.map((id) =>
          timed(() =>
            store.create({
              id,
              namespace: 'bench',
              service: id,
              routeKey: `bench/${id}/primary`,
              active: true,
              state: { step: 0 },
            }),
          ),
        ),
      )),
    );
  }
  const lists: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    let count = 0;
    lists.push(await timed(async () => (count = (await store.listActive()).length)));
    if (count < options.releases)
      throw new Error(`listActive returned ${count} of ${options.releases} releases`);
  }
  const updates: number[] = [];
  for (const id of ids.slice(0, options.updates)) {
    updates.push(await timed(() => store.update({ id, active: true, state: { step: 1 } }, 1)));
  }
  return [
    summarise(backend, 'create (transaction: release + route lock), 10 in flight', creates),
    summarise(backend, `listActive over ${options.releases} active releases`, lists),
    summarise(backend, 'update (conditional on version)', updates),
  ];
}

function renderMarkdown(measurements: Measurement[]): string {
  const lines = [
    '| backend | operation | samples | median ms | p95 ms | max ms |',
    '|---|---|---:|---:|---:|---:|',
    ...measurements.map(
      (m) => `| ${m.backend} | ${m.operation} | ${m.samples} | ${m.medianMs} | ${m.p95Ms} | ${m.maxMs} |`,
    ),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const endpoint = options.endpoint ?? (await readBedState())?.dynamodb.endpoint;
  if (!endpoint) throw new BenchmarkUsageError('no --endpoint and no running test bed (`npm run bed -- up`)');
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const tableName = `store-bench-${Date.now().toString(36)}`;
  const measurements: Measurement[] = [];
  await createStoreTable(client, tableName);
  try {
    measurements.push(
      ...(await measure('dynamodb-local', new DynamoDbStore({ client, tableName }), options)),
    );
  } finally {
    await deleteStoreTable(client, tableName);
    client.destroy();
  }
  measurements.push(...(await measure('embedded', new EmbeddedStore(), options)));
  process.stdout.write(`${renderMarkdown(measurements)}\n`);
  const result = { endpoint, at: new Date().toISOString(), node: process.version, options, measurements };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`results written to ${options.out}\n`);
}

await main();
