import type { JudgeConfig } from '../domain/judge/index.js';
import type { ApprovalPolicy, Release } from '../domain/release/index.js';
import type { Logger } from './logger.js';
import type { MetricsReader } from './ports/metrics-reader.js';
import type { ReleaseNotifier } from './ports/release-notifier.js';
import type { BotStore } from './ports/release-store.js';
import type { TrafficRouter } from './ports/traffic-router.js';

/**
 * What the use cases work with, built once per Lambda container (or process) by a handler.
 *
 * @example
 * const deps: ReleaseDependencies = { store, routers, metrics, notifier, policy, clock: () => new Date(), ... };
 */
export interface ReleaseDependencies {
  store: BotStore<Release>;
  /** The traffic router of a cluster (`undefined`: the default cluster). */
  routers: (cluster?: string) => Promise<TrafficRouter>;
  metrics: MetricsReader;
  notifier: ReleaseNotifier;
  policy: ApprovalPolicy;
  /** Group ids of a Slack user (for `S…` principals in the policy). */
  groupsOf: (userId: string) => Promise<readonly string[]>;
  clock: () => Date;
  newId: () => string;
  log: Logger;
  judge?: JudgeConfig;
  /** Namespace used when a command names none. */
  defaultNamespace: string;
}

/** A release id: 1 to 40 letters and digits (it is part of route names), sortable by time. */
export function newReleaseId(now: Date = new Date()): string {
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `r${now.getTime().toString(36)}${random}`;
}
