/** One summary as data: a subscription's period, its services compared, and its active releases. */
import type { Release } from '../release/release.js';
import {
  compareServices,
  DEFAULT_WORSE_THRESHOLDS,
  type ServiceChange,
  type VersionPeriod,
  type WorseThresholds,
} from './red-change.js';
import type { DueSummary, ScheduleSlot } from './schedule-slots.js';
import { inSubject, type Subscription } from './subscription.js';

/** What a digest message shows. */
export interface Digest {
  readonly subscription: Subscription;
  readonly slot: ScheduleSlot;
  /** Worse first, then by namespace and name. */
  readonly services: readonly ServiceChange[];
  /** Active releases of the subject now, oldest first. */
  readonly releases: readonly Release[];
}

/** A version drawn on a digest's chart. */
export interface ChartedVersion {
  readonly namespace: string;
  readonly service: string;
  readonly version: string;
}

/**
 * The digest of one due summary from RED of both periods (any superset: what is outside the subject is
 * left out) and the active releases (likewise).
 *
 * @example buildDigest({ subscription, slot }, current.versions, previous.versions, active)
 */
export function buildDigest(
  due: DueSummary,
  current: readonly VersionPeriod[],
  previous: readonly VersionPeriod[],
  releases: readonly Release[],
  thresholds: WorseThresholds = DEFAULT_WORSE_THRESHOLDS,
): Digest {
  const { subject } = due.subscription;
  const mine = (v: VersionPeriod) => inSubject(subject, v.namespace, v.service);
  return {
    subscription: due.subscription,
    slot: due.slot,
    services: compareServices(current.filter(mine), previous.filter(mine), thresholds),
    releases: releases.filter((r) => inSubject(subject, r.target.namespace, r.target.service)),
  };
}

/** Services of a digest that got worse. */
export function worseServices(digest: Digest): readonly ServiceChange[] {
  return digest.services.filter((s) => s.worse.length > 0);
}

/**
 * The versions a digest's chart draws, at most `max`: the services in the digest's order (worse first),
 * every version of a service that served requests this period, as long as the whole service fits.
 *
 * @example chartedVersions(digest, 8) // [{ namespace: 'bookinfo', service: 'reviews', version: 'v1' }, ...]
 */
export function chartedVersions(digest: Digest, max: number): ChartedVersion[] {
  const chosen: ChartedVersion[] = [];
  for (const service of digest.services) {
    const versions = service.versions.filter((v) => v.current !== undefined && v.current.requests > 0);
    if (versions.length === 0) continue;
    if (chosen.length + versions.length > max) {
      if (chosen.length > 0) break;
      versions.length = max;
    }
    for (const v of versions)
      chosen.push({ namespace: service.namespace, service: service.service, version: v.version });
  }
  return chosen;
}
