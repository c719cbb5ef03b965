/**
 * Period over period: RED of every version of every service in this period against the previous one,
 * which versions got worse, and the order a digest lists services in (worse first).
 */

/** RED of one version over one period (the shape of the metrics reader's answer, reduced to what is compared). */
export interface VersionPeriod {
  readonly namespace: string;
  readonly service: string;
  readonly version: string;
  readonly requests: number;
  /** Requests per second over the period. */
  readonly requestRate: number;
  readonly errors: number;
  /** errors / requests; undefined without requests. */
  readonly errorRate: number | undefined;
  /** undefined without requests. */
  readonly p99Ms: number | undefined;
}

/** Why a service is flagged. */
export type WorseReason =
  | { readonly kind: 'errors'; readonly version: string; readonly from: number; readonly to: number }
  | { readonly kind: 'latency'; readonly version: string; readonly fromMs: number; readonly toMs: number }
  /** The service served requests in the previous period and none in this one. */
  | { readonly kind: 'no-traffic'; readonly previousRate: number };

/** One version in both periods. */
export interface VersionChange {
  readonly version: string;
  /** Undefined: no series in this period (the version served nothing). */
  readonly current: VersionPeriod | undefined;
  /** Undefined: the version is new. */
  readonly previous: VersionPeriod | undefined;
  /** current / previous - 1; undefined unless both have a rate above zero. */
  readonly requestRateChange: number | undefined;
  /** current - previous, as a proportion (0.25 = 25 percentage points); undefined unless both have one. */
  readonly errorRateChange: number | undefined;
  /** current / previous - 1 of the p99; undefined unless both have one. */
  readonly p99Change: number | undefined;
}

/** One service in both periods. */
export interface ServiceChange {
  readonly namespace: string;
  readonly service: string;
  /** Sorted by version. */
  readonly versions: readonly VersionChange[];
  /** Empty when the service did not get worse. */
  readonly worse: readonly WorseReason[];
}

/**
 * When a version counts as worse than in the previous period. Both conditions of a check must hold, so
 * that neither a tiny absolute change nor noise on a tiny base flags a service.
 */
export interface WorseThresholds {
  /** Error rate up by at least this much (a proportion: 0.005 = 0.5 percentage points)... */
  readonly errorRatePoints: number;
  /** ...and to at least this many times the previous error rate. */
  readonly errorRateFactor: number;
  /** p99 up to at least this many times the previous p99... */
  readonly p99Factor: number;
  /** ...and by at least this many milliseconds. */
  readonly p99Ms: number;
  /** Versions with fewer requests in this period are never flagged (too little evidence). */
  readonly minRequests: number;
}

export const DEFAULT_WORSE_THRESHOLDS: WorseThresholds = {
  errorRatePoints: 0.005,
  errorRateFactor: 1.5,
  p99Factor: 1.25,
  p99Ms: 25,
  minRequests: 20,
};

const serviceKey = (v: { namespace: string; service: string }) => `${v.namespace}\u0000${v.service}`;
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every service seen in either period, with its versions compared; services that got worse first
 * (lost traffic, then the largest rise of an error rate, then the largest rise of a p99), the others by
 * namespace and name.
 *
 * @example compareServices(currentVersions, previousVersions)[0]?.worse // [{ kind: 'errors', version: 'v2', from: 0, to: 0.25 }]
 */
export function compareServices(
  current: readonly VersionPeriod[],
  previous: readonly VersionPeriod[],
  thresholds: WorseThresholds = DEFAULT_WORSE_THRESHOLDS,
): ServiceChange[] {
  const services = new Map<string, { namespace: string; service: string }>();
  for (const v of [...current, ...previous]) services.set(serviceKey(v), v);
  const changes = [...services.entries()].map(([key, { namespace, service }]) =>
    compareService(
      namespace,
      service,
      current.filter((v) => serviceKey(v) === key),
      previous.filter((v) => serviceKey(v) === key),
      thresholds,
    ),
  );
  return changes.sort(worstFirst);
}

function compareService(
  namespace: string,
  service: string,
  current: readonly VersionPeriod[],
  previous: readonly VersionPeriod[],
  thresholds: WorseThresholds,
): ServiceChange {
  const names = [...new Set([...current, ...previous].map((v) => v.version))].sort(compareText);
  const versions = names.map((version) => {
    const now = current.find((v) => v.version === version);
    const before = previous.find((v) => v.version === version);
    return versionChange(version, now, before);
  });
  const worse: WorseReason[] = [];
  const requestsNow = current.reduce((sum, v) => sum + v.requests, 0);
  const previousRate = previous.reduce((sum, v) => sum + v.requestRate, 0);
  if (requestsNow === 0 && previousRate > 0) worse.push({ kind: 'no-traffic', previousRate });
  // A new version (a canary that appeared this period) is compared with the whole service before.
  const serviceBefore = aggregate(previous);
  for (const change of versions) {
    const now = change.current;
    if (!now || now.requests < thresholds.minRequests) continue;
    const before = change.previous ?? serviceBefore;
    if (
      now.errorRate !== undefined &&
      before?.errorRate !== undefined &&
      now.errorRate - before.errorRate >= thresholds.errorRatePoints &&
      now.errorRate >= thresholds.errorRateFactor * before.errorRate
    )
      worse.push({ kind: 'errors', version: change.version, from: before.errorRate, to: now.errorRate });
    const beforeP99 = change.previous?.p99Ms;
    if (
      now.p99Ms !== undefined &&
      beforeP99 !== undefined &&
      now.p99Ms >= thresholds.p99Factor * beforeP99 &&
      now.p99Ms - beforeP99 >= thresholds.p99Ms
    )
      worse.push({ kind: 'latency', version: change.version, fromMs: beforeP99, toMs: now.p99Ms });
  }
  return { namespace, service, versions, worse };
}

function versionChange(
  version: string,
  current: VersionPeriod | undefined,
  previous: VersionPeriod | undefined,
): VersionChange {
  const ratio = (now: number | undefined, before: number | undefined) =>
    now !== undefined && before !== undefined && before > 0 ? now / before - 1 : undefined;
  return {
    version,
    current,
    previous,
    requestRateChange: ratio(current?.requestRate, previous?.requestRate),
    errorRateChange:
      current?.errorRate !== undefined && previous?.errorRate !== undefined
        ? current.errorRate - previous.errorRate
        : undefined,
    p99Change: ratio(current?.p99Ms, previous?.p99Ms),
  };
}

/** The service's error rate over all its versions; undefined without requests. */
function aggregate(versions: readonly VersionPeriod[]): { errorRate: number | undefined } | undefined {
  if (versions.length === 0) return undefined;
  const requests = versions.reduce((sum, v) => sum + v.requests, 0);
  const errors = versions.reduce((sum, v) => sum + v.errors, 0);
  return { errorRate: requests > 0 ? errors / requests : undefined };
}

/** Sort key of a service that got worse: lost traffic, then error rise, then p99 ratio. */
function severity(change: ServiceChange): [number, number, number] {
  let lostTraffic = 0;
  let errorRise = 0;
  let latencyRatio = 0;
  for (const reason of change.worse) {
    if (reason.kind === 'no-traffic') lostTraffic = 1;
    else if (reason.kind === 'errors') errorRise = Math.max(errorRise, reason.to - reason.from);
    else latencyRatio = Math.max(latencyRatio, reason.toMs / reason.fromMs);
  }
  return [lostTraffic, errorRise, latencyRatio];
}

function worstFirst(a: ServiceChange, b: ServiceChange): number {
  const aWorse = a.worse.length > 0;
  const bWorse = b.worse.length > 0;
  if (aWorse !== bWorse) return aWorse ? -1 : 1;
  if (aWorse) {
    const sa = severity(a);
    const sb = severity(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return (sb[i] ?? 0) - (sa[i] ?? 0);
  }
  return compareText(a.namespace, b.namespace) || compareText(a.service, b.service);
}
