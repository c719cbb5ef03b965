/** The benchmark's results as Markdown tables. */
import type { BenchmarkResult, CellResult, JudgeSummary } from './benchmark.js';

/** Target: at these canary rates, at most a third of Flagger's bad requests. */
const TARGET_RATES = new Set([1, 10, 100]);
const TARGET_FALSE_ROLLBACK = 0.001;

/** Markdown: bad canaries, then healthy ones, then the run's parameters. */
export function renderMarkdown(result: BenchmarkResult): string {
  const titles = new Map(result.scenarios.map((s) => [s.id, s.title]));
  const bad = result.cells.filter((c) => c.kind === 'bad');
  const healthy = result.cells.filter((c) => c.kind === 'healthy');
  const lines: string[] = [];
  lines.push(
    '**Bad canaries: bad requests served before rollback** (errors, or requests slower than 400 ms, the baseline p99)',
    '',
    '| canary | rps | trials | ours: mean / median bad | Flagger: mean / median bad | ours / Flagger (mean) | ours: median time to rollback | Flagger: median time to rollback | not rolled back in 30 min (ours / Flagger) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const cell of bad) {
    const share = cell.ours.meanBadRequests / cell.flagger.meanBadRequests;
    const mark = TARGET_RATES.has(cell.canaryRps) ? (share <= 1 / 3 ? ' ✓' : ' ✗') : '';
    lines.push(
      `| ${titles.get(cell.scenario)} | ${cell.canaryRps} | ${cell.trials} | ${badRequests(cell.ours)} | ${badRequests(cell.flagger)} | ${share.toFixed(2)}${mark} | ${rollbackTime(cell.ours)} | ${rollbackTime(cell.flagger)} | ${cell.trials - cell.ours.rollbacks} / ${cell.trials - cell.flagger.rollbacks} |`,
    );
  }
  lines.push(
    '',
    '**Healthy canaries: false rollbacks within a 30-minute analysis** (rate, and 95% upper bound)',
    '',
    '| canary | rps | trials | ours: false rollbacks | Flagger: false rollbacks | ours: median time to `pass` |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const cell of healthy) {
    const target = cell.scenario === 'healthy';
    lines.push(
      `| ${titles.get(cell.scenario)} | ${cell.canaryRps} | ${cell.trials} | ${falseRollbacks(cell.ours, target)} | ${falseRollbacks(cell.flagger, false)} | ${firstPass(cell)} |`,
    );
  }
  const config = result.judgeConfig;
  lines.push(
    '',
    `Seed ${result.seed}; baseline ${result.baseline.errorRate * 100}% errors, log-normal latency with median ${result.baseline.medianMs} ms and p99 ${result.baseline.p99Ms} ms; ` +
      `baseline traffic ${result.baselineToCanaryTraffic}x the canary's (canary at 10% weight); one look a minute for ${result.horizonMinutes} minutes. ` +
      `Flagger: success rate >= ${result.flagger.minSuccessRatePercent}%, p99 <= ${result.flagger.maxP99Ms} ms over the last minute, threshold ${result.flagger.threshold}. ` +
      `Ours: fail at ${config.failConfidence * 100}% confidence, errors tolerated up to max(${config.errorTolerance.floorPercent}%, ${config.errorTolerance.ratio}x baseline), ` +
      `latency compared at the baseline's ${config.latencyTolerance.quantiles.map((q) => `p${q * 100}`).join(' and ')} (tolerance ratio ${config.latencyTolerance.ratio}), ` +
      `p99 <= ${config.maxP99Ms} ms and success rate >= ${config.minSuccessRatePercent}% as hard limits. ${result.elapsedSeconds} s.`,
  );
  return lines.join('\n');
}

function badRequests(summary: JudgeSummary): string {
  return `${summary.meanBadRequests.toFixed(1)} / ${formatNumber(summary.medianBadRequests)}`;
}

function rollbackTime(summary: JudgeSummary): string {
  return summary.medianRollbackSeconds === null ? '> 30 min' : `${summary.medianRollbackSeconds / 60} min`;
}

function falseRollbacks(summary: JudgeSummary, target: boolean): string {
  const mark = target ? (summary.rollbackRateUpper95 <= TARGET_FALSE_ROLLBACK ? ' ✓' : ' ✗') : '';
  return `${summary.rollbacks} = ${percent(summary.rollbackRate)} (≤ ${percent(summary.rollbackRateUpper95)})${mark}`;
}

function firstPass(cell: CellResult): string {
  return cell.oursMedianFirstPassSeconds === null
    ? '> 30 min'
    : `${cell.oursMedianFirstPassSeconds / 60} min`;
}

function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(2))}%`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
