/**
 * The release use cases' dependencies, built from the configuration: what the worker runs every job with.
 * Only the worker builds these (its bundle carries the Kubernetes client).
 */
import { type MetricsByCluster, redFiguresOf } from '../../src/app/canary-analysis.js';
import { newReleaseId, type ReleaseDependencies } from '../../src/app/dependencies.js';
import type { Logger } from '../../src/app/logger.js';
import type { FlaggerNotifier } from '../../src/app/ports/flagger-notifier.js';
import type { ReleaseNotifier } from '../../src/app/ports/release-notifier.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import type { TrafficRouter } from '../../src/app/ports/traffic-router.js';
import { getsSmoke } from '../../src/app/tick.js';
import { SlackFlaggerNotifier } from '../../src/chat/slack/flagger-slack-notifier.js';
import { SlackReleaseNotifier } from '../../src/chat/slack/slack-notifier.js';
import { userDirectory } from '../../src/chat/slack/slack-users.js';
import type { BotConfig } from '../../src/config.js';
import { approvalRuleOf, type Release } from '../../src/domain/release/index.js';
import { HttpSmokeSender } from '../../src/smoke/http-smoke-sender.js';
import { smokeTemplateOf } from '../../src/smoke/smoke-setting.js';
import { routersOf } from './mesh.js';
import {
  customCheckGateOf,
  customChecksFrom,
  groupDirectory,
  metricsByCluster,
  type Overrides,
  releaseOptionsOf,
  slackWebClient,
  storeOf,
} from './parts.js';

/** What a local run or a test may put in place for the release use cases. */
export interface ReleaseOverrides extends Overrides {
  notifier?: ReleaseNotifier;
  store?: BotStore<Release>;
  routers?: (cluster?: string) => Promise<TrafficRouter>;
  metricsFor?: MetricsByCluster;
}

/** The release use cases' dependencies, and the Slack pieces the worker also needs. */
export interface ReleaseRuntime {
  deps: ReleaseDependencies;
  slack: ReturnType<typeof slackWebClient>;
  flaggerNotifier: FlaggerNotifier;
}

/**
 * Builds the release use cases' dependencies from the configuration (every setting wired here, once).
 *
 * @example const { deps } = await releaseRuntime(await loadConfig(), { log });
 */
export async function releaseRuntime(
  config: BotConfig,
  log: Logger,
  overrides: ReleaseOverrides = {},
): Promise<ReleaseRuntime> {
  // Answers to people (ephemeral messages, lookups) wait out Slack's Retry-After within the worker's budget.
  const slack = slackWebClient(config, { maxRetryMs: 20_000, user: 'the worker' });
  // Cards and threads never do: a 429 or an outage leaves them to the release's next job (chat-outbox), so a
  // worker is never held by Slack while other releases' rollbacks wait for it.
  const releaseChat = slackWebClient(config, {
    maxRetryMs: 3000,
    timeoutMs: 5000,
    user: 'the worker',
    rejectRateLimitedCalls: true,
  });
  const clock = overrides.clock ?? (() => new Date());
  const readers = metricsByCluster(config);
  const metricsFor = overrides.metricsFor ?? readers;
  const customCheckGate = await customCheckGateOf(config, customChecksFrom(config, readers), log, clock);
  const smokeTemplate = smokeTemplateOf(config.smoke);
  const notifier =
    overrides.notifier ??
    new SlackReleaseNotifier(releaseChat, {
      ...(config.slack.channel ? { defaultChannel: config.slack.channel } : {}),
      // The card's RED table: baseline vs canary over the release's analysis window, from its own cluster.
      red: (release) => redFiguresOf({ metricsFor, clock }, release),
      smoke: (release) => {
        const template = getsSmoke(release)
          ? smokeTemplate(release.target.namespace, release.target.service)
          : undefined;
        return template ? { rate: template.rate } : undefined;
      },
      // The quorum line and the buttons that ask for a reason, from the policy of the release's namespace.
      rule: (release) => approvalRuleOf(config.policy, release),
    });
  const deps: ReleaseDependencies = {
    store: overrides.store ?? (await storeOf(config, overrides)),
    routers: overrides.routers ?? routersOf(config),
    metricsFor,
    notifier,
    policy: config.policy,
    groupsOf: groupDirectory(slack, config),
    userKindOf: userDirectory(slack),
    clock,
    newId: () => newReleaseId(),
    log,
    defaultNamespace: config.defaultNamespace,
    defaultCluster: config.defaultCluster,
    releaseOptions: releaseOptionsOf(config),
    ...(overrides.telemetry ? { telemetry: overrides.telemetry } : {}),
    ...(customCheckGate ? { customCheckGate } : {}),
    ...(hasSmoke(config) ? { smoke: new HttpSmokeSender({ templateOf: smokeTemplate }) } : {}),
  };
  const flaggerNotifier = new SlackFlaggerNotifier(slack, {
    ...(config.slack.channel ? { channel: config.slack.channel } : {}),
  });
  return { deps, slack, flaggerNotifier };
}

/** Smoke traffic is configured for at least one namespace or service. */
function hasSmoke(config: BotConfig): boolean {
  return (
    Object.keys(config.smoke.namespaces ?? {}).length + Object.keys(config.smoke.services ?? {}).length > 0
  );
}
