/** Traffic weights as text bars that line up in a code block. */

/** One row of the bar chart. */
export interface WeightRow {
  readonly label: string;
  /** Percent, 0 to 100. */
  readonly weight: number;
}

const FULL = '█';
const EMPTY = '░';

/**
 * One line per destination, labels padded, bars `width` cells wide. A weight above 0 shows at least one
 * cell and a weight under 100 leaves at least one empty, so 1% and 99% never read as 0% and 100%.
 *
 * @example weightBars([{ label: 'v1', weight: 90 }, { label: 'v2', weight: 10 }], 10)
 * // 'v1 █████████░  90%\nv2 █░░░░░░░░░  10%'
 */
export function weightBars(rows: readonly WeightRow[], width = 20): string {
  const labels = rows.map((r) => (r.label.length > 24 ? `${r.label.slice(0, 23)}…` : r.label));
  const pad = Math.max(0, ...labels.map((l) => l.length));
  return rows
    .map((row, i) => {
      const weight = Math.min(100, Math.max(0, row.weight));
      let cells = Math.round((weight / 100) * width);
      if (weight > 0) cells = Math.max(1, cells);
      if (weight < 100) cells = Math.min(width - 1, cells);
      const percent = `${Number(weight.toFixed(1))}%`.padStart(4);
      return `${(labels[i] as string).padEnd(pad)} ${FULL.repeat(cells)}${EMPTY.repeat(width - cells)} ${percent}`;
    })
    .join('\n');
}
