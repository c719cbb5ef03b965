/**
 * Subscriptions of channels to scheduled RED summaries, kept in the store's records (kind `subscription`,
 * one per channel and subject). Anyone who can use `/canary` in a channel may subscribe or unsubscribe that
 * channel (and only that one: the channel comes from Slack's signed request); summaries show what
 * `/canary metrics` already shows to that person, and every change is announced in the channel.
 */
import type { Schedule } from '../domain/command/index.js';
import type { Release } from '../domain/release/index.js';
import {
  MAX_SUBSCRIPTIONS_PER_CHANNEL,
  SUBSCRIPTION_RECORD_KIND,
  type Subscription,
  type SummarySubject,
  subjectName,
  subscriptionId,
} from '../domain/summary/index.js';
import type { MetricsByCluster } from './canary-analysis.js';
import { NoDataError } from './ports/metrics-errors.js';
import type { BotStore } from './ports/release-store.js';
import { done, refused, type UseCaseResult } from './use-case-result.js';

/** What the subscription use cases work with. */
export interface SubscriptionDependencies {
  store: Pick<BotStore<Release>, 'putRecord' | 'getRecord' | 'listRecords' | 'deleteRecord'>;
  /** The metrics reader of a cluster (`undefined`: the default cluster). */
  metricsFor: MetricsByCluster;
  clock: () => Date;
  /** Namespace of a service named without `--ns`. */
  defaultNamespace: string;
}

/** `/canary subscribe <service|namespace> [--ns NS] --every …` from a channel. */
export interface SubscribeRequest {
  channelId: string;
  /** A namespace, or a service (with `namespace`, or in the default namespace). */
  subject: string;
  namespace?: string;
  /** The subject's cluster; undefined: the default one. */
  cluster?: string;
  schedule: Schedule;
}

/** A subscription made or changed. */
export interface Subscribed {
  subscription: Subscription;
  /** The subscription it replaced (same channel and subject, another schedule). */
  replaced?: Subscription;
}

/** How far back a name is looked up in the metrics to tell a namespace from a service. */
const LOOKUP_WINDOW_SECONDS = 3600;

/**
 * What a name in `/canary subscribe` means: with `--ns`, a service of that namespace; otherwise a namespace
 * if Istio reported traffic in it during the last hour, else a service of the default namespace if that
 * had traffic. Undefined when neither had any.
 *
 * @example await resolveSubject(deps, 'bookinfo') // { kind: 'namespace', namespace: 'bookinfo' }
 */
export async function resolveSubject(
  deps: Pick<SubscriptionDependencies, 'metricsFor' | 'clock' | 'defaultNamespace'>,
  name: string,
  namespace?: string,
  cluster?: string,
): Promise<SummarySubject | undefined> {
  if (namespace) return { kind: 'service', namespace, service: name };
  const window = { at: deps.clock(), windowSeconds: LOOKUP_WINDOW_SECONDS };
  const hasTraffic = async (selection: { namespaces: string[]; services?: string[] }) => {
    try {
      const report = await deps.metricsFor(cluster).red(selection, window);
      return report.versions.some((v) => v.requests > 0);
    } catch (error) {
      if (error instanceof NoDataError) return false;
      throw error;
    }
  };
  if (await hasTraffic({ namespaces: [name] })) return { kind: 'namespace', namespace: name };
  if (await hasTraffic({ namespaces: [deps.defaultNamespace], services: [name] }))
    return { kind: 'service', namespace: deps.defaultNamespace, service: name };
  return undefined;
}

/**
 * Subscribes a channel to summaries of a namespace or a service; a second subscribe to the same subject
 * changes its schedule.
 *
 * @example await subscribe(deps, { channelId: 'C0123', subject: 'bookinfo', schedule: { kind: 'interval', seconds: 3600 } }, 'U123');
 */
export async function subscribe(
  deps: SubscriptionDependencies,
  request: SubscribeRequest,
  userId: string,
): Promise<UseCaseResult<Subscribed>> {
  const subject = await resolveSubject(deps, request.subject, request.namespace, request.cluster);
  if (!subject)
    return refused(
      `No Istio traffic in the last hour for a namespace named ${request.subject}, nor for a service ${request.subject} in ${deps.defaultNamespace}. Check the name, or name the service's namespace with --ns.`,
    );
  const id = subscriptionId(request.channelId, subject, request.cluster);
  const existing = await deps.store.getRecord<Subscription>(SUBSCRIPTION_RECORD_KIND, id);
  if (!existing) {
    const mine = (await channelSubscriptions(deps, request.channelId)).length;
    if (mine >= MAX_SUBSCRIPTIONS_PER_CHANNEL)
      return refused(
        `This channel already has ${mine} subscriptions, the most it may have; stop one with /canary unsubscribe first.`,
      );
  }
  const subscription: Subscription = {
    id,
    channelId: request.channelId,
    subject,
    ...(request.cluster ? { cluster: request.cluster } : {}),
    schedule: request.schedule,
    createdBy: userId,
    createdAt: deps.clock().toISOString(),
  };
  // The version check makes two people subscribing at once both succeed in some order, never lose a write silently.
  await deps.store.putRecord(SUBSCRIPTION_RECORD_KIND, id, subscription, {
    expectedVersion: existing?.version ?? 0,
  });
  return done(
    { subscription, ...(existing ? { replaced: existing.value } : {}) },
    `${existing ? 'Changed' : 'Subscribed'}: RED summaries of ${subjectName(subject)} in this channel.`,
  );
}

/**
 * Stops a channel's summaries of a subject: a namespace, or a service (with `--ns`, or in the default
 * namespace).
 *
 * @example await unsubscribe(deps, { channelId: 'C0123', subject: 'bookinfo' });
 */
export async function unsubscribe(
  deps: SubscriptionDependencies,
  request: { channelId: string; subject: string; namespace?: string; cluster?: string },
): Promise<UseCaseResult<Subscription>> {
  const candidates: SummarySubject[] = request.namespace
    ? [{ kind: 'service', namespace: request.namespace, service: request.subject }]
    : [
        { kind: 'namespace', namespace: request.subject },
        { kind: 'service', namespace: deps.defaultNamespace, service: request.subject },
      ];
  for (const subject of candidates) {
    const id = subscriptionId(request.channelId, subject, request.cluster);
    const existing = await deps.store.getRecord<Subscription>(SUBSCRIPTION_RECORD_KIND, id);
    if (!existing) continue;
    await deps.store.deleteRecord(SUBSCRIPTION_RECORD_KIND, id);
    return done(existing.value, `Stopped the RED summaries of ${subjectName(subject)} in this channel.`);
  }
  return refused(
    `This channel has no summaries of ${request.subject}${request.namespace ? ` in ${request.namespace}` : ''}; /canary subscriptions lists them.`,
  );
}

/**
 * A channel's subscriptions, ordered by subject.
 *
 * @example await channelSubscriptions(deps, 'C0123');
 */
export async function channelSubscriptions(
  deps: Pick<SubscriptionDependencies, 'store'>,
  channelId: string,
): Promise<Subscription[]> {
  return (await deps.store.listRecords<Subscription>(SUBSCRIPTION_RECORD_KIND))
    .map((r) => r.value)
    .filter((s) => s.channelId === channelId);
}
