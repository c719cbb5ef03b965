/** Axes of the charts: round tick values for a value axis from 0, and round times for the time axis. */

/**
 * Ticks from 0 to at least `max` at a round step (1, 2 or 5 times a power of ten), about `count` of them.
 * A max of 0 (or no data) gives the axis 0..1.
 *
 * @example niceTicks(37, 5) // [0, 10, 20, 30, 40]
 */
export function niceTicks(max: number, count = 5): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const rough = top / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let i = 0; ticks.length === 0 || (ticks.at(-1) as number) < top - step * 1e-9; i++)
    ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/**
 * A tick value as a short label: `0`, `0.25`, `12`, `1.5k`, `2M`.
 *
 * @example tickLabel(1500) // '1.5k'
 */
export function tickLabel(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(4)));
}

const MINUTE = 60_000;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * MINUTE);

/**
 * Round times within `[fromMs, toMs]`, at most `maxTicks` of them, on multiples of the step since the
 * epoch (whole minutes, hours or days in UTC).
 *
 * @example timeTicks(Date.parse('2025-05-01T10:00Z'), Date.parse('2025-05-01T11:00Z'), 7) // every 10 min from 10:00
 */
export function timeTicks(fromMs: number, toMs: number, maxTicks = 7): number[] {
  const span = Math.max(toMs - fromMs, MINUTE);
  const step =
    TIME_STEPS.find((s) => span / s <= maxTicks - 1) ??
    Math.ceil(span / (maxTicks - 1) / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) ticks.push(t);
  return ticks;
}
