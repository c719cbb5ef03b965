/** The benchmark's results as Markdown tables. */
import type { BenchmarkResult, CellResult, JudgeSummary } from './benchmark.js';

/** The aim: within 1.5 times the oracle's bad requests wherever Flagger is beaten. */
const ORACLE_AIM = 1.5;

/** Markdown: bad canaries (bad requests, rollback times, false passes), then healthy ones. */
export function renderMarkdown(result: BenchmarkResult): string {
  const titles = new Map(result.scenarios.map((s) => [s.id, s.title]));
  const title = (cell: CellResult) => titles.get(cell.scenario) ?? cell.scenario;
  const lines: string[] = [
    '**Bad canaries**: bad requests served before rollback (mean; errors, or requests slower than 400 ms), median minutes to rollback (`> 30`: half or more were not rolled back), and false passes (promoted while bad). ✓ / ✗: within 1.5 times the oracle where Flagger is beaten.',
    '',
    '| canary | rps | bad requests: ours / oracle / Flagger / Kayenta / Argo | ours ÷ oracle | ours ÷ Flagger | minutes to rollback: ours / oracle / Flagger / Kayenta / Argo | false passes: ours / Flagger / Kayenta / Argo | Argo paused |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const cell of result.cells.filter((c) => c.kind === 'bad')) {
    const { ours, flagger, kayenta, argo } = cell.judges;
    const judges = [ours, cell.oracle, flagger, kayenta, argo];
    const versusOracle = ratio(ours, cell.oracle);
    const versusFlagger = ratio(ours, flagger);
    const mark = versusFlagger < 1 ? (versusOracle <= ORACLE_AIM ? ' ✓' : ' ✗') : '';
    lines.push(
      `| ${title(cell)} | ${cell.canaryRps} | ${judges.map((j) => formatNumber(j.meanBadRequests)).join(' / ')} | ${formatRatio(versusOracle)}${mark} | ${formatRatio(versusFlagger)} | ${judges.map((j) => minutes(j.medianRollbackSeconds)).join(' / ')} | ${[ours, flagger, kayenta, argo].map((j) => percent(j.passRate)).join(' / ')} | ${percent(argo.paused / cell.trials)} |`,
    );
  }
  lines.push(
    '',
    '**Healthy canaries**: false rollbacks within the 30-minute analysis (ours with its 95% upper bound), and median minutes to pass (`> 30`: half or more never passed).',
    '',
    '| canary | rps | trials | false rollbacks: ours | Flagger / Kayenta / Argo | minutes to pass: ours / oracle / Flagger / Kayenta / Argo | Argo paused |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const cell of result.cells.filter((c) => c.kind === 'healthy')) {
    const { ours, flagger, kayenta, argo } = cell.judges;
    lines.push(
      `| ${title(cell)} | ${cell.canaryRps} | ${cell.trials} | ${rollbacks(ours)} | ${[flagger, kayenta, argo].map((j) => percent(j.rollbackRate)).join(' / ')} | ${[ours, cell.oracle, flagger, kayenta, argo].map((j) => minutes(j.medianPassSeconds)).join(' / ')} | ${percent(argo.paused / cell.trials)} |`,
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
    `pass at ${config.passConfidence * 100}% confidence within max(${config.errorTolerance.passFloorPercent}%, ${config.passMargin * config.errorTolerance.ratio}x baseline) errors and ${config.passMargin}x the latency tolerances, Flagger's limits as observed. ` +
    `Oracle: SPRT on the true distributions, tuned to ours' false-rollback rate (95% upper bound) at each rate; passes against a 1%-errors canary with ${result.oracleFalsePass * 100}% false passes. ` +
    `Flagger: success rate >= ${flagger.minSuccessRatePercent}%, p99 <= ${flagger.maxP99Ms} ms over the last minute, threshold ${flagger.threshold}. ` +
    `Kayenta: Mann-Whitney at ${kayenta.confidenceLevel * 100}%, error ratio and p99 per minute, judged every ${kayenta.intervalMinutes} min over a ${kayenta.lifetimeMinutes}-min lifetime, marginal ${kayenta.marginal}, pass ${kayenta.pass}. ` +
    `Argo: success rate >= ${argo.minSuccessRate} and p99 <= ${argo.maxP99Ms} ms (>= ${argo.failP99Ms} fails) over the last 15 s every ${argo.intervalMinutes} min, failureLimit ${argo.failureLimit}, inconclusiveLimit ${argo.inconclusiveLimit}, pause ${argo.pauseMinutes} min. ` +
    `${result.elapsedSeconds} s.`
  );
}

function ratio(ours: JudgeSummary, other: JudgeSummary): number {
  return other.meanBadRequests > 0 ? ours.meanBadRequests / other.meanBadRequests : Number.NaN;
}

function formatRatio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
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
