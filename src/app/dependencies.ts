import type { JudgeConfig } from '../domain/judge/index.js';
import type { ApprovalPolicy, Release, ReleaseOptions, UserKind } from '../domain/release/index.js';
import type { MetricsByCluster } from './canary-analysis.js';
import type { CustomCheckGate } from './custom-check-gate.js';
import type { Logger } from './logger.js';
import type { ChangeEventOutlet } from './ports/change-events.js';
import type { ReleaseNotifier } from './ports/release-notifier.js';
import type { BotStore } from './ports/release-store.js';
import type { SmokeTraffic } from './ports/smoke-traffic.js';
import type { Telemetry } from './ports/telemetry.js';
import type { TrafficRouter } from './ports/traffic-router.js';

/**
 * What the use cases work with, built once per Lambda container (or process) by the composition root.
 *
 * @example
 * const deps: ReleaseDependencies = { store, routers, metricsFor, notifier, policy, clock: () => new Date(), ... };
 */
export interface ReleaseDependencies {
  store: BotStore<Release>;
  /** The traffic router of a cluster (`undefined`: the default cluster). */
  routers: (cluster?: string) => Promise<TrafficRouter>;
  /** The metrics reader of a cluster (`undefined`: the default cluster). */
  metricsFor: MetricsByCluster;
  notifier: ReleaseNotifier;
  policy: ApprovalPolicy;
  /** Group ids of a Slack user (for `S…` principals in the policy). */
  groupsOf: (userId: string) => Promise<readonly string[]>;
  /**
   * What a Slack user is to the workspace (member, guest, external), for the policy; the worker asks before
   * acting on a person's request. Left out (engine tests): everyone is a member.
   */
  userKindOf?: (userId: string) => Promise<UserKind>;
  clock: () => Date;
  newId: () => string;
  log: Logger;
  judge?: JudgeConfig;
  /** Namespace used when a command names none. */
  defaultNamespace: string;
  /** Cluster used when a command names none (its name is part of every release's identity). */
  defaultCluster?: string;
  /** Options of new releases in a namespace, from the deployment's settings; a command's flags come on top. */
  releaseOptions?: (namespace: string) => Partial<ReleaseOptions>;
  /** Operational counters; none when left out. */
  telemetry?: Telemetry;
  /** Custom checks validated against Prometheus before a release that uses them starts; none when left out. */
  customCheckGate?: CustomCheckGate;
  /** Smoke requests for quiet services, sent by each release's tick job while it is judged; none when left out. */
  smoke?: SmokeTraffic;
  /** Change events of steps, rollbacks and freeze bypasses, for the webhooks; none when left out. */
  changeEvents?: ChangeEventOutlet;
}

/** A release id: 1 to 40 letters and digits (it is part of route names), sortable by time. */
export function newReleaseId(now: Date = new Date()): string {
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `r${now.getTime().toString(36)}${random}`;
}
