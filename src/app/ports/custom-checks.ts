import type { BoundedCheck, CustomCheckReading, RatioCheck } from '../../domain/judge/index.js';
import type { RedWindow } from './red-metrics.js';

/**
 * A custom check as configured: the judge's definition plus its PromQL templates. Templates use
 * `{{ namespace }}`, `{{ service }}`, `{{ version }}` (of the side being read: canary or baseline) and
 * `{{ window }}` (the step's window for a ratio, one minute for a bounded check).
 */
export type ConfiguredCheck =
  | (RatioCheck & {
      /** Events over the window (failed checkouts), e.g. `sum(increase(checkout_failed_total{…}[{{ window }}]))`. */
      readonly events: string;
      /** Opportunities over the window (checkouts). */
      readonly total: string;
    })
  | (BoundedCheck & {
      /** One value per minute within [min, max], e.g. `avg(cache_hit_ratio{…})`. */
      readonly query: string;
    });

/** The values a check's templates are rendered with for one side of a release. */
export interface CheckSide {
  readonly namespace: string;
  readonly service: string;
  readonly version: string;
}

/**
 * Reads custom checks from a cluster's metrics (Prometheus implements it beside the RED reader).
 */
export interface CustomCheckReader {
  /**
   * A custom check of the canary and the baseline over the window: a ratio's counts (summed over the series
   * its queries return), or a bounded check's values minute by minute (averaged over its series), paired.
   * A total that matches nothing counts as no opportunity (the judge waits); an events query that matches
   * nothing while its total has data counts 0 events (a counter not created yet).
   * @throws BadQueryError naming the check; PrometheusUnavailableError
   */
  customCheck(
    check: ConfiguredCheck,
    sides: { readonly canary: CheckSide; readonly baseline: CheckSide },
    window: RedWindow,
  ): Promise<CustomCheckReading>;
  /**
   * Sends each of a check's queries, rendered for one side, once: resolves when Prometheus accepts them all.
   * @throws BadQueryError with Prometheus' own error; PrometheusUnavailableError
   */
  probeCustomCheck(check: ConfiguredCheck, side: CheckSide, at: Date | number): Promise<void>;
}

/** The checks that apply to a service: its namespace's, with its own on top. */
export type ChecksOf = (namespace: string, service: string) => readonly ConfiguredCheck[];

/** The judge's definition of a configured check (its queries left out). */
export function definitionOf(check: Extract<ConfiguredCheck, { kind: 'ratio' }>): RatioCheck;
export function definitionOf(check: Extract<ConfiguredCheck, { kind: 'bounded' }>): BoundedCheck;
export function definitionOf(check: ConfiguredCheck): RatioCheck | BoundedCheck;
export function definitionOf(check: ConfiguredCheck): RatioCheck | BoundedCheck {
  if (check.kind === 'ratio') {
    const { name, kind, better, floor, ratio } = check;
    return { name, kind, better, floor, ratio };
  }
  const { name, kind, better, min, max, absolute, relative } = check;
  return { name, kind, better, min, max, absolute, relative };
}

/** The PromQL templates of a check, by the field that holds each. */
export function queriesOf(check: ConfiguredCheck): { field: string; template: string }[] {
  return check.kind === 'ratio'
    ? [
        { field: 'events', template: check.events },
        { field: 'total', template: check.total },
      ]
    : [{ field: 'query', template: check.query }];
}
