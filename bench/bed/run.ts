/**
 * Warm start of the whole test bed: from nothing running (binaries cached) to every component ready.
 *
 *   tsx bench/bed/run.ts [--runs 5] [--out bench/results/bed.json]
 *
 * Stops a running bed first, and leaves one running at the end only if one was running before.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bedDown, bedUp, readBedState } from '../../local/bed/bed.js';
import { median, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/bed.json') },
  },
});
const runs = Number(values.runs);
const wasRunning = (await readBedState()) !== undefined;

const seconds: number[] = [];
for (let i = 0; i < runs; i++) {
  await bedDown();
  const t0 = performance.now();
  await bedUp();
  seconds.push((performance.now() - t0) / 1000);
}
if (!wasRunning) await bedDown();

const result = {
  date: new Date().toISOString(),
  runs,
  seconds,
  medianSeconds: median(seconds),
  maxSeconds: quantile(seconds, 1),
};
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `| warm start of the whole bed | median ${result.medianSeconds.toFixed(1)} s | max ${result.maxSeconds.toFixed(1)} s | ${runs} runs |\n`,
);
