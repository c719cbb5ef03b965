/** The benchmark's results as Markdown tables. */
import type { BenchmarkResult, CellResult, JudgeSummary } from './benchmark.js';

/** Markdown: bad requests, rollback times and false passes of bad canaries, then healthy ones. */
export function renderMarkdown(result: BenchmarkResult): string {
  const titles = new Map(result.scenarios.map((s) => [s.id, s.title]));
  const bad = result.cells.filter((c) => c.kind === 'bad');
  const healthy = result.cells.filter((c) => c.kind === 'healthy');
  const title = (cell: CellResult) => titles.get(cell.scenario) ?? cell.scenario;
  const lines: string[] = [];
  lines.push(
    '**Bad canaries: bad requests served before rollback** (mean; errors, or requests slower than 400 ms)',
    '',
    '| canary | rps | ours | oracle | Flagger | Kayenta | Argo | ours / oracle | ours / Flagger |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const cell of bad) {
    const { ours, flagger, kayenta, argo } = cell.judges;
    lines.push(
      `| ${title(cell)} | ${cell.canaryRps} | ${mean(ours)} | ${mean(cell.oracle)} | ${mean(flagger)} | ${mean(kayenta)} | ${mean(argo)} | ${share(ours, cell.oracle)} | ${share(ours, flagger)} |`,
    );
  }
  lines.push(
    '',
    '**Bad canaries: median time to rollback, and false passes** (promoted while bad; `> 30` = half or more never rolled back)',
    '',
    '| canary | rps | ours | oracle | Flagger | Kayenta | Argo | false passes: ours / Flagger / Kayenta / Argo | Argo paused |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const cell of bad) {
    const { ours, flagger, kayenta, argo } = cell.judges;
    lines.push(
      `| ${title(cell)} | ${cell.canaryRps} | ${minutes(ours.medianRollbackSeconds)} | ${minutes(cell.oracle.medianRollbackSeconds)} | ${minutes(flagger.medianRollbackSeconds)} | ${minutes(kayenta.medianRollbackSeconds)} | ${minutes(argo.medianRollbackSeconds)} | ${[ours, flagger, kayenta, argo].map((s) => percent(s.passRate)).join(' / ')} | ${percent(argo.paused / cell.trials)} |`,
    );
  }
  lines.push(
    '',
    '**Healthy canaries: false rollbacks and median time to pass** (rollbacks with their 95% upper bound; `> 30` = half or more never passed)',
    '',
    '| canary | rps | trials | false rollbacks: ours | Flagger | Kayenta | Argo | time to pass: ours | oracle | Flagger | Kayenta | Argo | Argo paused |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const cell of healthy) {
    const { ours, flagger, kayenta, argo } = cell.judges;
    lines.push(
      `| ${title(cell)} | ${cell.canaryRps} | ${cell.trials} | ${rollbacks(ours)} | ${rollbacks(flagger)} | ${rollbacks(kayenta)} | ${rollbacks(argo)} | ${minutes(ours.medianPassSeconds)} | ${minutes(cell.oracle.medianPassSeconds)} | ${minutes(flagger.medianPassSeconds)} | ${minutes(kayenta.medianPassSeconds)} | ${minutes(argo.medianPassSeconds)} | ${percent(argo.paused / cell.trials)} |`,
    );
  }
  lines.push('', footnote(result));
  return lines.join('\n');
}

function footnote(result: BenchmarkResult): string {
  const config = result.judgeConfig;
  const { kayenta, argo, flagger } = result;
  return (
    `Seed ${result.seed}; baseline 0.1% errors, log-normal latency with median 100 ms and p99 400 ms; ` +
    `baseline traffic ${result.baselineToCanaryTraffic}x the canary's (canary at 10% weight); one look a minute for ${result.horizonMinutes} minutes; ` +
    `ours promotes on the first pass from ${result.minAnalysisSeconds / 60} min. ` +
    `Ours: fail at ${config.failConfidence * 100}% confidence, errors tolerated up to max(${config.errorTolerance.floorPercent}%, ${config.errorTolerance.ratio}x baseline), ` +
    `latency compared at the baseline's ${config.latencyTolerance.quantiles.map((q) => `p${q * 100}`).join(' and ')} (ratio ${config.latencyTolerance.ratio}), ` +
    `pass at ${config.passConfidence * 100}% confidence within ${config.passMargin}x those tolerances. ` +
    `Oracle: SPRT on the true distributions, tuned to ours' false-rollback rate (95% upper bound) at each rate; passes against a 1%-errors canary with ${result.oracleFalsePass * 100}% false passes. ` +
    `Flagger: success rate >= ${flagger.minSuccessRatePercent}%, p99 <= ${flagger.maxP99Ms} ms over the last minute, threshold ${flagger.threshold}. ` +
    `Kayenta: Mann-Whitney at ${kayenta.confidenceLevel * 100}%, error ratio and p99 per minute, judged every ${kayenta.intervalMinutes} min over a ${kayenta.lifetimeMinutes}-min lifetime, marginal ${kayenta.marginal}, pass ${kayenta.pass}. ` +
    `Argo: success rate >= ${argo.minSuccessRate} and p99 <= ${argo.maxP99Ms} ms (>= ${argo.failP99Ms} fails) over the last 15 s every ${argo.intervalMinutes} min, failureLimit ${argo.failureLimit}, inconclusiveLimit ${argo.inconclusiveLimit}, pause ${argo.pauseMinutes} min. ` +
    `${result.elapsedSeconds} s.`
  );
}

function mean(summary: JudgeSummary): string {
  return formatNumber(summary.meanBadRequests);
}

function share(ours: JudgeSummary, other: JudgeSummary): string {
  if (!(other.meanBadRequests > 0)) return 'n/a';
  return (ours.meanBadRequests / other.meanBadRequests).toFixed(2);
}

function minutes(seconds: number | null): string {
  return seconds === null ? '> 30' : formatNumber(seconds / 60);
}

function rollbacks(summary: JudgeSummary): string {
  return summary.rollbacks === 0
    ? `0 (≤ ${percent(summary.rollbackRateUpper95)})`
    : `${percent(summary.rollbackRate)} (≤ ${percent(summary.rollbackRateUpper95)})`;
}

function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(2))}%`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
