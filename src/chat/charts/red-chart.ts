/**
 * The RED chart as SVG, a pure function of the data: three panels (request rate, error rate, p99) over the
 * same time axis, one line per version, a legend, and gaps where a value does not exist (never zeros).
 * The PNG is made from it by {@link renderPng} without a browser.
 */

import type { ChartPoint, ChartSeries, RedChart } from '../../app/ports/summary-publisher.js';
import { wallTimeAt } from '../../domain/summary/time-zone.js';
import { niceTicks, tickLabel, timeTicks } from './chart-axis.js';

export type { ChartPoint, ChartSeries, RedChart } from '../../app/ports/summary-publisher.js';

/** Pixel size of every chart. */
export const RED_CHART_SIZE = { width: 1200, height: 900 } as const;

/** Lines one chart can tell apart. */
export const CHART_MAX_SERIES = 8;

/** Okabe-Ito colours (readable with colour blindness), yellow replaced by purple and grey. */
export const SERIES_COLOURS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#7F3C8D',
  '#4D4D4D',
] as const;

/** The font every text of the chart is drawn in (bundled; see chart-assets.ts). */
export const CHART_FONT_FAMILY = 'Inter';

interface Panel {
  readonly title: string;
  readonly value: (p: ChartPoint) => number | undefined;
}

const PANELS: readonly Panel[] = [
  { title: 'Request rate (req/s)', value: (p) => p.requestRate },
  { title: 'Error rate (%)', value: (p) => (p.errorRate === undefined ? undefined : p.errorRate * 100) },
  { title: 'p99 latency (ms)', value: (p) => p.p99Ms },
];

const LEFT = 90;
const RIGHT = 30;
const PANEL_GAP = 52;
const BOTTOM = 56;

/** `&`, `<`, `>` and quotes escaped for SVG text and attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const px = (n: number) => Number(n.toFixed(1));

/**
 * The chart as an SVG document of {@link RED_CHART_SIZE}.
 *
 * @example redChartSvg({ title: 'reviews.bookinfo', from, to, timeZone: 'UTC', series: [{ label: 'v1', points }] })
 */
export function redChartSvg(chart: RedChart): string {
  const { width, height } = RED_CHART_SIZE;
  const series = chart.series.slice(0, CHART_MAX_SERIES);
  const fromMs = chart.from.getTime();
  const toMs = Math.max(chart.to.getTime(), fromMs + 1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${CHART_FONT_FAMILY}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="36" font-size="22" fill="#1d1c1d">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle)
    out.push(`<text x="${LEFT}" y="60" font-size="14" fill="#616061">${escapeXml(chart.subtitle)}</text>`);
  const legendBottom = legend(out, series, 88);
  const top = legendBottom + 44;
  const plotWidth = width - LEFT - RIGHT;
  const panelHeight = (height - top - BOTTOM - PANEL_GAP * (PANELS.length - 1)) / PANELS.length;
  const x = (t: number) => LEFT + ((t - fromMs) / (toMs - fromMs)) * plotWidth;
  const ticks = timeTicks(fromMs, toMs, 8);
  PANELS.forEach((panel, index) => {
    const panelTop = top + index * (panelHeight + PANEL_GAP);
    const values = series
      .flatMap((s) => s.points.map(panel.value))
      .filter((v): v is number => v !== undefined);
    const yTicks = niceTicks(Math.max(0, ...values), 5);
    const yMax = yTicks.at(-1) as number;
    const y = (v: number) => panelTop + panelHeight - (v / yMax) * panelHeight;
    out.push(
      `<text x="${LEFT}" y="${px(panelTop - 10)}" font-size="15" fill="#1d1c1d">${escapeXml(panel.title)}</text>`,
    );
    for (const tick of yTicks) {
      out.push(
        `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${px(y(tick))}" y2="${px(y(tick))}" stroke="#e8e8e8" stroke-width="1"/>`,
        `<text x="${LEFT - 10}" y="${px(y(tick) + 4)}" font-size="12" fill="#616061" text-anchor="end">${tickLabel(tick)}</text>`,
      );
    }
    for (const t of ticks)
      out.push(
        `<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${px(panelTop)}" y2="${px(panelTop + panelHeight)}" stroke="#f0f0f0" stroke-width="1"/>`,
      );
    out.push(
      `<rect x="${LEFT}" y="${px(panelTop)}" width="${plotWidth}" height="${px(panelHeight)}" fill="none" stroke="#c8c8c8" stroke-width="1"/>`,
    );
    series.forEach((s, i) => {
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length] as string;
      for (const run of runsOf(s.points, panel.value)) {
        if (run.length === 1) {
          const [p] = run as [[number, number]];
          out.push(`<circle cx="${px(x(p[0]))}" cy="${px(y(p[1]))}" r="2.5" fill="${colour}"/>`);
        } else {
          const points = run.map(([t, v]) => `${px(x(t))},${px(y(v))}`).join(' ');
          out.push(
            `<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"/>`,
          );
        }
      }
    });
  });
  const axisY = height - BOTTOM + 22;
  for (const t of ticks)
    out.push(
      `<text x="${px(x(t))}" y="${axisY}" font-size="12" fill="#616061" text-anchor="middle">${timeLabel(t, fromMs, toMs, chart.timeZone)}</text>`,
    );
  out.push(
    `<text x="${LEFT + plotWidth}" y="${axisY + 22}" font-size="12" fill="#616061" text-anchor="end">${escapeXml(chart.timeZone)}</text>`,
    '</svg>',
  );
  return out.join('\n');
}

/** Draws the legend in rows from `top`; returns the y below it. */
function legend(out: string[], series: readonly ChartSeries[], top: number): number {
  const { width } = RED_CHART_SIZE;
  let xPos = LEFT;
  let row = top;
  series.forEach((s, i) => {
    const label = s.label.length > 40 ? `${s.label.slice(0, 39)}…` : s.label;
    // Inter averages about 0.56 em per character at this size.
    const itemWidth = 34 + label.length * 7.6 + 26;
    if (xPos + itemWidth > width - RIGHT && xPos > LEFT) {
      xPos = LEFT;
      row += 24;
    }
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length] as string;
    out.push(
      `<line x1="${px(xPos)}" x2="${px(xPos + 24)}" y1="${row}" y2="${row}" stroke="${colour}" stroke-width="3" stroke-linecap="round"/>`,
      `<text x="${px(xPos + 32)}" y="${row + 5}" font-size="14" fill="#1d1c1d">${escapeXml(label)}</text>`,
    );
    xPos += itemWidth;
  });
  return row + (series.length > 0 ? 14 : 0);
}

/** Consecutive defined values of a series: a gap (undefined, NaN) ends a line. */
function runsOf(
  points: readonly ChartPoint[],
  value: (p: ChartPoint) => number | undefined,
): [number, number][][] {
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  for (const point of [...points].sort((a, b) => a.atMs - b.atMs)) {
    const v = value(point);
    if (v === undefined || !Number.isFinite(v)) {
      if (run.length > 0) runs.push(run);
      run = [];
    } else run.push([point.atMs, v]);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function timeLabel(t: number, fromMs: number, toMs: number, timeZone: string): string {
  const wall = wallTimeAt(t, timeZone);
  const hhmm = `${String(wall.hour).padStart(2, '0')}:${String(wall.minute).padStart(2, '0')}`;
  return toMs - fromMs > 36 * 3_600_000 ? `${wall.month}/${wall.day} ${hhmm}` : hhmm;
}
