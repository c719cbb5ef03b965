/**
 * The chart renderer as it ships: bundled with the Lambda options (lambda-bundle.config.cjs embeds resvg's
 * WebAssembly and the font), copied where no node_modules can be found, and run in a fresh Node 22 process.
 * Needs no bed; it is here because it builds a bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { lambdaEsbuildOptions, SERVICE_DIR } from '../../bench/deploy/lambda-bundles.js';

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'canary-bot-chart-bundle-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

test('a bundled chart renders to a PNG with nothing but the bundle', async () => {
  // Prepare
  await build({
    ...lambdaEsbuildOptions(),
    absWorkingDir: SERVICE_DIR,
    entryPoints: { charts: 'src/chat/charts/index.ts' },
    outdir: work,
    logLevel: 'warning',
  });
  const bundle = readFileSync(join(work, 'charts.mjs'), 'utf8');
  writeFileSync(
    join(work, 'render.mjs'),
    [
      "import { redChartSvg, renderPng, pngSize } from './charts.mjs';",
      'const from = new Date("2025-05-01T10:00:00Z");',
      'const points = [0, 1, 2].map((i) => ({ atMs: from.getTime() + i * 60000, requestRate: i + 1, errorRate: 0.01, p99Ms: 100 }));',
      'const png = await renderPng(redChartSvg({ title: "RED", from, to: new Date(from.getTime() + 120000), timeZone: "UTC", series: [{ label: "v1", points }] }));',
      'console.log(JSON.stringify(pngSize(png)));',
    ].join('\n'),
  );
  // Act
  const output = execFileSync(join(SERVICE_DIR, 'node_modules/.bin/node'), ['render.mjs'], {
    cwd: work,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  // Assess: the renderer read no file of the repository (it is not reachable from here) and drew the chart.
  expect(bundle).not.toContain('node_modules');
  expect(JSON.parse(output)).toEqual({ width: 1200, height: 900 });
});
