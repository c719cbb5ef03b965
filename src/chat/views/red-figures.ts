/** RED figures (rate, errors, duration) of baseline and canary, as the card shows them. */

import type { RedFigures, VersionFigures } from '../../app/ports/release-notifier.js';
import {
  formatCount,
  formatDuration,
  formatMilliseconds,
  formatPercent,
} from '../../domain/judge/wording.js';
import type { Block } from './block-kit.js';
import { fields } from './block-kit.js';

export type { RedFigures, VersionFigures } from '../../app/ports/release-notifier.js';

function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a';
  return `${Number(perSecond.toPrecision(3))}/s`;
}

function cells(figures: VersionFigures): [string, string, string] {
  return [
    `Requests: ${Number.isFinite(figures.requests) ? formatCount(figures.requests) : 'n/a'} (${rate(figures.requestRate)})`,
    `Errors: ${figures.errorRate === undefined ? 'n/a' : formatPercent(figures.errorRate)}`,
    `p99: ${figures.latencyMs === undefined ? 'n/a' : formatMilliseconds(figures.latencyMs.p99)}`,
  ];
}

/**
 * A two-column table: baseline on the left, canary on the right.
 *
 * @example redTable(figures, 'v1', 'v2') // section fields: '*Baseline v1* (last 5 min)', '*Canary v2*', 'Requests: 9000 (30/s)', ...
 */
export function redTable(red: RedFigures, baselineVersion: string, canaryVersion: string): Block {
  const left = cells(red.baseline);
  const right = cells(red.canary);
  return fields([
    `*Baseline ${baselineVersion}* (last ${formatDuration(red.windowSeconds)})`,
    `*Canary ${canaryVersion}*`,
    ...left.flatMap((cell, i) => [cell, right[i] as string]),
  ]);
}
