import type { RouteApi } from '../../domain/routing/route-api.js';
/**
 * What the bot persists: releases (with an opaque state), their audit trail, idempotency claims and small
 * versioned records. One small interface per capability; `BotStore` is all of them, as both the DynamoDB
 * and the embedded implementation provide them with the same semantics (see test/store-conformance.ts).
 *
 * Values (`state`, audit `detail`, record `value`) must be JSON-serialisable: the store keeps them as JSON
 * text, so what you read back is what `JSON.parse(JSON.stringify(value))` gives.
 */

/** A release as stored. Key fields never change after `create`; `state` is the domain's business. */
export interface StoredRelease<S> {
  id: string;
  /** `cluster/namespace/virtualservice/route`: at most one active release holds it at a time. See {@link routeKeyOf}. */
  routeKey: string;
  namespace: string;
  service: string;
  /** True until the release reaches a final phase; an inactive release never becomes active again. */
  active: boolean;
  /**
   * The store row's version, for optimistic concurrency: 1 after `create`, +1 on every `update`. Not the
   * release's state version (`Release.version`), which only `decide` moves and people's buttons carry.
   */
  rowVersion: number;
  /** ISO 8601 UTC, set by the store. */
  createdAt: string;
  updatedAt: string;
  state: S;
}

/** What `create` needs; the store sets `rowVersion`, `createdAt` and `updatedAt`. */
export type NewRelease<S> = Pick<
  StoredRelease<S>,
  'id' | 'routeKey' | 'namespace' | 'service' | 'active' | 'state'
>;

/** What `update` may change. */
export type ReleaseChange<S> = Pick<StoredRelease<S>, 'id' | 'active' | 'state'>;

/** Releases, with one active release per VirtualService route. */
export interface ReleaseStore<S> {
  /**
   * Stores a new release at version 1 (with its `audit` entries, in the same atomic write). If it is active it
   * takes its route.
   * Throws ReleaseExistsError if the id is taken, RouteBusyError if another active release holds the route.
   *
   * @example
   * const release = await store.create({ id, routeKey: routeKeyOf('shop', 'reviews', 'primary'),
   *   namespace: 'shop', service: 'reviews', active: true, state: initialState });
   */
  create(release: NewRelease<S>, options?: { audit?: readonly NewAuditEntry[] }): Promise<StoredRelease<S>>;

  /**
   * The release, or undefined. Strongly consistent.
   *
   * @example
   * const release = await store.get('rel-42');
   */
  get(id: string): Promise<StoredRelease<S> | undefined>;

  /**
   * The active release holding a route, or undefined when the route is free. Strongly consistent.
   *
   * @example
   * const running = await store.activeForRoute('shop/reviews/primary');
   */
  activeForRoute(routeKey: string): Promise<StoredRelease<S> | undefined>;

  /**
   * Writes `next` if the stored row version is still `expectedRowVersion`, and returns it at `expectedRowVersion + 1`.
   * Setting `active: false` frees the route in the same atomic write. `audit` entries are appended in that same
   * atomic write: a decision and its audit trail are stored together or not at all (a worker that dies after
   * the write loses neither).
   * Throws VersionConflictError (someone else wrote first: re-read and decide again), ReleaseNotFoundError,
   * or ReleaseFinishedError when asked to reactivate a finished release.
   *
   * @example
   * const saved = await store.update({ id: r.id, active: !isFinal(next), state: next }, r.rowVersion);
   */
  update(
    next: ReleaseChange<S>,
    expectedRowVersion: number,
    options?: { audit?: readonly NewAuditEntry[] },
  ): Promise<StoredRelease<S>>;

  /**
   * Every active release, oldest first. On DynamoDB it reads a sparse index, so a write made a moment ago
   * may not be visible yet; `get` before acting on one.
   *
   * @example
   * for (const release of await store.listActive()) await tick(release);
   */
  listActive(): Promise<StoredRelease<S>[]>;

  /**
   * The latest `limit` releases of a service (active and finished), newest first.
   *
   * @example
   * const last10 = await store.history('shop', 'reviews', 10);
   */
  history(namespace: string, service: string, limit: number): Promise<StoredRelease<S>[]>;

  /**
   * Finished releases of every namespace last written at or after `since` (ISO 8601), the latest first
   * (`updatedAt`, then id, descending), at most `limit`. A finished release's last write is its end, so this
   * is what ended recently. Bounded: `limit` from 1 to 100, `since` at most {@link RECENT_DAYS_MAX} days ago.
   * On DynamoDB it reads an index, so a release that ended a moment ago may not be listed yet.
   *
   * @example
   * const ended = await store.recentlyFinished(20, new Date(Date.now() - 7 * 86_400_000).toISOString());
   */
  recentlyFinished(limit: number, since: string): Promise<StoredRelease<S>[]>;
}

/** How far back {@link ReleaseStore.recentlyFinished} may look, in days (one index partition a day). */
export const RECENT_DAYS_MAX = 31;

/** Actions recorded in the audit trail; open to new ones without changing the store. */
export type AuditAction =
  | 'start'
  | 'approve'
  | 'reject'
  | 'rollback'
  | 'pause'
  | 'resume'
  | 'cancel'
  | 'advance'
  | 'promote'
  | 'drift'
  | (string & {});

/** What `appendAudit` needs. */
export interface NewAuditEntry {
  releaseId: string;
  /** When it happened (ISO 8601); the store's clock if omitted. Stored normalised to UTC with milliseconds. */
  at?: string;
  /** A Slack user id, `system` or `flagger`. */
  actor: string;
  /** The cluster the release runs on: the same names on two clusters are two releases. */
  cluster?: string;
  action: AuditAction;
  /** Index of the step of the plan the action was about. */
  step?: number;
  /** Version of the release the actor saw (or that the action produced). */
  stateVersion?: number;
  /** Whatever makes the entry self-explanatory later, e.g. the metrics the person saw. JSON. */
  detail?: unknown;
}

/** An audit entry as stored. */
export interface AuditEntry extends NewAuditEntry {
  at: string;
  /** Unique and sortable within the release: `<at>#<sequence><random>`. */
  key: string;
}

/** An append-only audit trail per release. */
export interface AuditLog {
  /**
   * Appends an entry; it is never overwritten or dropped.
   *
   * @example
   * await store.appendAudit({ releaseId, actor: 'U024BE7LH', action: 'approve', step: 1, stateVersion: 3,
   *   detail: { successRate: 99.2, p99Ms: 180 } });
   */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;

  /**
   * Every entry of a release in time order (ties keep the order of appends within one process).
   *
   * @example
   * const trail = await store.listAudit(releaseId);
   */
  listAudit(releaseId: string): Promise<AuditEntry[]>;
}

/** Idempotency: the first caller for a key wins until the claim expires. */
export interface ClaimStore {
  /**
   * True for the first caller of `key`, false for everyone else until `ttlSeconds` have passed.
   *
   * @example
   * if (!(await store.claim(`click:${payload.trigger_id}`, 3600))) return; // a duplicate click
   * if (await store.claim(`summary:${channel}:${slotStart}`, 7200)) await postSummary();
   */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}

/** A small versioned value, grouped by kind (subscriptions per channel, Flagger gates...). */
export interface StoredRecord<V> {
  kind: string;
  id: string;
  /** 1 after the first put, +1 on every put. */
  version: number;
  updatedAt: string;
  value: V;
}

/** Optimistic concurrency for records: 0 means "must not exist yet"; omitted means "write whatever is there". */
export interface RecordWriteOptions {
  expectedVersion?: number;
}

/** Versioned key-value records, listed by kind. */
export interface RecordStore {
  /**
   * Creates or replaces a record. Throws VersionConflictError when `expectedVersion` does not match.
   *
   * @example
   * await store.putRecord('subscription', 'C0123:shop', { every: '1h' }, { expectedVersion: 0 });
   */
  putRecord<V>(kind: string, id: string, value: V, options?: RecordWriteOptions): Promise<StoredRecord<V>>;

  /**
   * The record, or undefined. Strongly consistent.
   *
   * @example
   * const gate = await store.getRecord<GateDecision>('flagger-gate', `${namespace}/${name}`);
   */
  getRecord<V>(kind: string, id: string): Promise<StoredRecord<V> | undefined>;

  /**
   * Every record of a kind, ordered by id.
   *
   * @example
   * const subscriptions = await store.listRecords<Subscription>('subscription');
   */
  listRecords<V>(kind: string): Promise<StoredRecord<V>[]>;

  /**
   * Deletes a record; false if there was none. Throws VersionConflictError when `expectedVersion` does not match.
   *
   * @example
   * await store.deleteRecord('subscription', 'C0123:shop');
   */
  deleteRecord(kind: string, id: string, options?: RecordWriteOptions): Promise<boolean>;
}

/** Everything the bot persists. */
export interface BotStore<S> extends ReleaseStore<S>, AuditLog, ClaimStore, RecordStore {}

/**
 * The route key of a route: `cluster/namespace/virtualservice/route`, and for an HTTPRoute
 * `cluster/namespace/httproute:NAME/route`. The cluster is part of a route's identity: the same names in two
 * clusters are two routes, and so are a VirtualService and an HTTPRoute of one name.
 *
 * @example
 * routeKeyOf('prod', 'shop', 'reviews', 'primary'); // 'prod/shop/reviews/primary'
 * routeKeyOf('prod', 'shop', 'reviews', 'primary', 'HTTPRoute'); // 'prod/shop/httproute:reviews/primary'
 */
export function routeKeyOf(
  cluster: string,
  namespace: string,
  routeObject: string,
  route: string,
  api: RouteApi = 'VirtualService',
): string {
  return `${cluster}/${namespace}/${api === 'HTTPRoute' ? `httproute:${routeObject}` : routeObject}/${route}`;
}
