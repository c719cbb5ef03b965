/**
 * Scheduled RED summaries: for the slot that is due, every subscription gets one digest in its channel.
 * Reads are shared: subscriptions due at the same slot cost four instant queries (this period and the one
 * before, two each) plus two range queries for their charts, whatever the number of subscriptions and
 * services. Each digest is claimed (subscription + slot) just before it is posted, so a retried or
 * overlapping run never posts it twice.
 */

import type { Release } from '../domain/release/index.js';
import {
  buildDigest,
  type ChartedVersion,
  chartedVersions,
  type Digest,
  type DueSummary,
  dueSummaries,
  periodSeconds,
  planReads,
  previousPeriodSeconds,
  type ReadGroup,
  SUBSCRIPTION_RECORD_KIND,
  type Subscription,
  slotClaimKey,
  type VersionPeriod,
  type WorseThresholds,
} from '../domain/summary/index.js';
import type { MetricsByCluster } from './canary-analysis.js';
import { describeError, type Logger } from './logger.js';
import { metricsFailureForPeople, NoDataError } from './ports/metrics-errors.js';
import type { MetricsReader } from './ports/metrics-reader.js';
import type { RedRangeReport, RedReport, RedSelection, VersionRed } from './ports/red-metrics.js';
import type { BotStore } from './ports/release-store.js';
import type { ChartSeries, SummaryPublisher } from './ports/summary-publisher.js';

/** What the summaries use case works with. */
export interface SummaryDependencies {
  store: Pick<BotStore<Release>, 'listRecords' | 'listActive' | 'claim'>;
  /** The metrics reader of a cluster (`undefined`: the default cluster). */
  metricsFor: MetricsByCluster;
  publisher: SummaryPublisher;
  clock: () => Date;
  log: Logger;
  /** Time zone of daily schedules (`daily 09:00`) and of chart axes: an IANA name such as `Europe/Paris`. */
  timeZone: string;
  thresholds?: WorseThresholds;
}

/** How one run looks for due slots. */
export interface SummaryRunOptions {
  /** The run's time (a scheduled event's time, so that a retry finds the same slots); default the clock. */
  now?: Date;
  /** A slot that ended at most this long ago is still posted (covers a late or missed run). Default 600. */
  lookbackSeconds?: number;
  /**
   * A slot whose RED cannot be read and that ended at least this long ago gets no more tries: its channel is
   * told why instead (a summary is never silently missing). Default: the lookback less 300 s (the last run
   * that still sees the slot).
   */
  lastChanceSeconds?: number;
  /** Versions drawn on a chart at most. Default 8. */
  chartVersions?: number;
}

/** One subscription that could not be posted. */
export interface SummaryFailure {
  subscription: string;
  error: string;
  /** True when its slot was claimed before it failed: a retry will not post it. */
  claimed: boolean;
}

/** What a run did. */
export interface SummaryRunReport {
  subscriptions: number;
  due: number;
  posted: number;
  /** Claimed by an earlier (or concurrent) run: not posted again. */
  alreadyPosted: number;
  failed: SummaryFailure[];
  /** PromQL queries issued. */
  queries: number;
  /** Digests without a chart, and why. */
  chartsMissing: number;
  /** Digests that could not be made in time (their channels were told why). */
  unavailable: number;
}

/** Claims outlive any retry and the longest period (a day) by far; DynamoDB deletes them after. */
const CLAIM_TTL_SECONDS = 3 * 86_400;

/**
 * Posts the digest of every subscription whose slot is due.
 *
 * @example const report = await runDueSummaries(deps, { now: new Date(event.time) });
 */
export async function runDueSummaries(
  deps: SummaryDependencies,
  options: SummaryRunOptions = {},
): Promise<SummaryRunReport> {
  const now = options.now ?? deps.clock();
  const subscriptions = (await deps.store.listRecords<Subscription>(SUBSCRIPTION_RECORD_KIND)).map(
    (r) => r.value,
  );
  const due = dueSummaries(subscriptions, now, {
    lookbackSeconds: options.lookbackSeconds ?? 600,
    timeZone: deps.timeZone,
  });
  const report: SummaryRunReport = {
    subscriptions: subscriptions.length,
    due: due.length,
    posted: 0,
    alreadyPosted: 0,
    failed: [],
    queries: 0,
    chartsMissing: 0,
    unavailable: 0,
  };
  if (due.length === 0) return report;
  const releases = (await deps.store.listActive()).map((r) => r.state);
  for (const group of planReads(due)) await runGroup(deps, group, releases, options, report);
  return report;
}

async function runGroup(
  deps: SummaryDependencies,
  group: ReadGroup,
  releases: readonly Release[],
  options: SummaryRunOptions,
  report: SummaryRunReport,
): Promise<void> {
  let digests: { due: DueSummary; digest: Digest }[];
  let series: Map<string, ChartSeries[]>;
  try {
    const read = await readGroup(deps, group);
    report.queries += read.queries;
    digests = group.members.map((due) => ({
      due,
      digest: buildDigest(due, read.current, read.previous, releases, deps.thresholds),
    }));
    const charted = new Map(
      digests.map(({ due, digest }) => [
        due.subscription.id,
        chartedVersions(digest, options.chartVersions ?? 8),
      ]),
    );
    const chart = await readChartSeries(deps, group, [...charted.values()].flat());
    report.queries += chart?.queries ?? 0;
    series = new Map([...charted].map(([id, versions]) => [id, chart ? chartSeriesOf(chart, versions) : []]));
  } catch (error) {
    deps.log.error('summary: reading RED failed', { error: describeError(error), due: group.members.length });
    const now = (options.now ?? deps.clock()).getTime();
    const lastChance = options.lastChanceSeconds ?? Math.max(0, (options.lookbackSeconds ?? 600) - 300);
    for (const due of group.members) {
      if ((now - due.slot.at.getTime()) / 1000 < lastChance) {
        // Nothing was claimed: a later run (or the retry of this one) reads again and posts it.
        report.failed.push({
          subscription: due.subscription.id,
          error: describeError(error),
          claimed: false,
        });
        continue;
      }
      // The last run that sees this slot: tell the channel why there is no digest, once.
      const reason = metricsFailureForPeople(error);
      const claimed = await deps.store.claim(slotClaimKey(due.subscription, due.slot), CLAIM_TTL_SECONDS);
      if (claimed) await deps.publisher.unavailable(due, reason);
      report.failed.push({ subscription: due.subscription.id, error: describeError(error), claimed: true });
      report.unavailable++;
    }
    return;
  }
  for (const { due, digest } of digests) {
    const id = due.subscription.id;
    let claimed = false;
    try {
      const lines = series.get(id) ?? [];
      const prepared = await deps.publisher.prepare(digest, lines.length > 0 ? lines : undefined);
      if (!prepared.chart) report.chartsMissing++;
      if (prepared.chartError)
        deps.log.warn('summary: no chart', { subscription: id, error: prepared.chartError });
      claimed = await deps.store.claim(slotClaimKey(due.subscription, due.slot), CLAIM_TTL_SECONDS);
      if (!claimed) {
        report.alreadyPosted++;
        continue;
      }
      const posted = await deps.publisher.publish(prepared);
      report.posted++;
      deps.log.info('summary posted', {
        subscription: id,
        slot: due.slot.at.toISOString(),
        messages: posted.messages,
        services: digest.services.length,
      });
    } catch (error) {
      report.failed.push({ subscription: id, error: describeError(error), claimed });
      deps.log.error('summary: posting failed', { subscription: id, claimed, error: describeError(error) });
    }
  }
}

/** RED of this period and the one before for a group's selection; no data is an empty period, not an error. */
async function readGroup(
  deps: SummaryDependencies,
  group: ReadGroup,
): Promise<{ current: VersionPeriod[]; previous: VersionPeriod[]; queries: number }> {
  const selection: RedSelection = {
    namespaces: group.namespaces,
    ...(group.services ? { services: group.services } : {}),
  };
  const { slot } = group;
  const [current, previous] = await Promise.all([
    readPeriod(deps.metricsFor(group.cluster), selection, slot.at, periodSeconds(slot)),
    readPeriod(deps.metricsFor(group.cluster), selection, slot.periodStart, previousPeriodSeconds(slot)),
  ]);
  return {
    current: current.versions,
    previous: previous.versions,
    queries: current.queries + previous.queries,
  };
}

async function readPeriod(
  metrics: MetricsReader,
  selection: RedSelection,
  at: Date,
  windowSeconds: number,
): Promise<{ versions: VersionPeriod[]; queries: number }> {
  let report: RedReport;
  try {
    report = await metrics.red(selection, { at, windowSeconds });
  } catch (error) {
    if (error instanceof NoDataError) return { versions: [], queries: 2 };
    throw error;
  }
  return { versions: mergeWorkloads(report.versions), queries: report.queries };
}

/**
 * One entry per namespace, service and version: a version served by several workloads (rare) is summed,
 * its p99 being the largest of theirs (an upper bound, never an invented average).
 */
function mergeWorkloads(versions: readonly VersionRed[]): VersionPeriod[] {
  const merged = new Map<string, VersionPeriod>();
  for (const v of versions) {
    const key = `${v.namespace}\u0000${v.service}\u0000${v.version}`;
    const seen = merged.get(key);
    const p99 = v.latencyMs?.p99;
    if (!seen) {
      merged.set(key, {
        namespace: v.namespace,
        service: v.service,
        version: v.version,
        requests: v.requests,
        requestRate: v.requestRate,
        errors: v.errors,
        errorRate: v.errorRate,
        p99Ms: p99,
      });
      continue;
    }
    const requests = seen.requests + v.requests;
    const errors = seen.errors + v.errors;
    merged.set(key, {
      ...seen,
      requests,
      requestRate: seen.requestRate + v.requestRate,
      errors,
      errorRate: requests > 0 ? errors / requests : undefined,
      p99Ms: seen.p99Ms === undefined ? p99 : p99 === undefined ? seen.p99Ms : Math.max(seen.p99Ms, p99),
    });
  }
  return [...merged.values()];
}

/** One range read for every version charted in a group; undefined when there is nothing to chart or no data. */
async function readChartSeries(
  deps: SummaryDependencies,
  group: ReadGroup,
  versions: readonly ChartedVersion[],
): Promise<RedRangeReport | undefined> {
  if (versions.length === 0) return undefined;
  const { slot } = group;
  const seconds = periodSeconds(slot);
  try {
    return await deps.metricsFor(group.cluster).redRange(
      {
        namespaces: [...new Set(versions.map((v) => v.namespace))].sort(),
        services: [...new Set(versions.map((v) => v.service))].sort(),
      },
      { start: slot.periodStart, end: slot.at, stepSeconds: chartStepSeconds(seconds) },
    );
  } catch (error) {
    if (error instanceof NoDataError) return undefined;
    throw error;
  }
}

/**
 * About 60 points per line, on whole multiples of 15 s (the usual scrape interval).
 *
 * @example chartStepSeconds(900) // 15
 */
export function chartStepSeconds(periodSeconds: number): number {
  return Math.max(15, Math.ceil(periodSeconds / 60 / 15) * 15);
}

/** The chart lines of some versions, in their order, labelled `v2` or `reviews v2` when services differ. */
function chartSeriesOf(range: RedRangeReport, versions: readonly ChartedVersion[]): ChartSeries[] {
  const oneService = new Set(versions.map((v) => `${v.namespace}/${v.service}`)).size === 1;
  return versions.flatMap((v) => {
    const lines = range.series.filter(
      (s) => s.namespace === v.namespace && s.service === v.service && s.version === v.version,
    );
    return lines.map((line, i) => ({
      label: `${oneService ? '' : `${v.service} `}${v.version}${lines.length > 1 ? ` (${line.workload || i})` : ''}`,
      points: line.points,
    }));
  });
}
