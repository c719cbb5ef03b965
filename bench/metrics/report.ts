/** The metrics benchmark as a Markdown table. */
import type { BenchmarkResult } from './benchmark.js';

/** One row per approach, then the run's parameters. */
export function renderMarkdown(result: BenchmarkResult): string {
  const ms = (value: number) =>
    value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
  const lines = [
    `**RED of ${result.services} services x ${result.versionsPerService} versions, ${result.windowSeconds / 60}-minute window, Prometheus ${result.prometheusVersion}**`,
    '',
    '| approach | services | PromQL queries | HTTP requests | median | min | max | runs | note |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const a of result.approaches) {
    const value = (text: string) => (a.measured ? text : `*${text}*`);
    lines.push(
      `| ${a.approach} | ${a.services} | ${value(String(a.queries))} | ${value(String(a.httpRequests))} | ${value(ms(a.timing.medianMs))} | ${value(ms(a.timing.minMs))} | ${value(ms(a.timing.maxMs))} | ${a.measured ? a.timing.runs : '-'} | ${a.note} |`,
    );
  }
  const batched = result.approaches[0]!;
  const naive = result.approaches.find((a) => a.approach === 'naive, sequential' && !a.measured)!;
  lines.push(
    '',
    `Batched is ${(naive.timing.medianMs / batched.timing.medianMs).toFixed(0)}x faster than the naive sequential reads (extrapolated), ` +
      `with ${batched.queries} queries instead of ${naive.queries}. Client-side assembly of the batched answers (quantiles included): ` +
      `${result.assemblyMedianMs.toFixed(1)} ms. Naive vs batched answers (requests, 5xx, p50/p90/p99) compared on ` +
      `${result.naiveVersionsCompared} versions: ${result.naiveMismatches} differ. ` +
      `Traffic: ${result.write.series} series, ${result.write.samples} samples written in ${result.write.seconds} s ` +
      `(namespace ${result.namespace}, evaluated at ${result.at}). Italics: extrapolated, not measured. Whole run ${result.elapsedSeconds} s.`,
  );
  return lines.join('\n');
}
