import { randomBytes } from 'node:crypto';
import type {
  AuditEntry,
  NewAuditEntry,
  NewRelease,
  ReleaseChange,
  StoredRelease,
} from '../app/ports/release-store.js';
import { RECENT_DAYS_MAX } from '../app/ports/release-store.js';
import { StoreInputError } from '../app/ports/store-errors.js';

/**
 * Largest JSON text of one value (state, detail, record value). DynamoDB items stop at 400 KB; the rest of the
 * item is small. Both implementations enforce it so that local runs fail where AWS would.
 */
/** A release as both stores keep it: the key fields, and the state as JSON text. */
export type StoredReleaseText = Omit<StoredRelease<unknown>, 'state'> & { stateText: string };

export const MAX_VALUE_BYTES = 350_000;

/**
 * The JSON text of a value, or a StoreInputError if it has none or is too large.
 *
 * @example
 * const text = jsonText(release.state, 'state of release rel-1');
 */
export function jsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new StoreInputError(`The ${what} is not JSON-serialisable.`, { cause: error });
  }
  if (text === undefined)
    throw new StoreInputError(`The ${what} is not JSON-serialisable (${typeof value}).`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new StoreInputError(
      `The ${what} is ${bytes} bytes of JSON; the store keeps at most ${MAX_VALUE_BYTES}.`,
    );
  }
  return text;
}

function requireText(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new StoreInputError(`The ${what} must be a non-empty string of at most 512 characters.`);
  }
}

function requireVersion(value: unknown, what: string, minimum: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < minimum) {
    throw new StoreInputError(`The ${what} must be an integer >= ${minimum}, not ${String(value)}.`);
  }
}

/** Refuses a release that cannot be stored; returns the JSON text of its state. */
export function checkNewRelease(release: NewRelease<unknown>): string {
  requireText(release.id, 'release id');
  requireText(release.namespace, 'namespace');
  requireText(release.service, 'service');
  requireText(release.routeKey, 'route key');
  if (release.routeKey.split('/').filter((part) => part.length > 0).length !== 4) {
    throw new StoreInputError(
      `The route key must be cluster/namespace/virtualservice/route, not ${release.routeKey}.`,
    );
  }
  if (typeof release.active !== 'boolean') throw new StoreInputError('`active` must be a boolean.');
  return jsonText(release.state, `state of release ${release.id}`);
}

/** Refuses a change that cannot be stored; returns the JSON text of its state. */
export function checkReleaseChange(next: ReleaseChange<unknown>, expectedVersion: number): string {
  requireText(next.id, 'release id');
  requireVersion(expectedVersion, 'expected version', 1);
  if (typeof next.active !== 'boolean') throw new StoreInputError('`active` must be a boolean.');
  return jsonText(next.state, `state of release ${next.id}`);
}

/** Refuses an invalid history limit. */
export function checkHistoryQuery(namespace: string, service: string, limit: number): void {
  requireText(namespace, 'namespace');
  requireText(service, 'service');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
    throw new StoreInputError(`The history limit must be an integer from 1 to 1000, not ${limit}.`);
  }
}

/**
 * Refuses an invalid query of recently finished releases: `limit` from 1 to 100, `since` an ISO 8601 time at
 * most {@link RECENT_DAYS_MAX} days before `nowMs` (later than now is fine: nothing matches).
 */
export function checkRecentQuery(limit: number, since: string, nowMs: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) {
    throw new StoreInputError(`The limit of recently finished releases must be from 1 to 100, not ${limit}.`);
  }
  const sinceMs = typeof since === 'string' ? Date.parse(since) : Number.NaN;
  if (!Number.isFinite(sinceMs)) throw new StoreInputError(`"${String(since)}" is not an ISO 8601 time.`);
  if (sinceMs < nowMs - RECENT_DAYS_MAX * 86_400_000) {
    throw new StoreInputError(
      `Recently finished releases go back at most ${RECENT_DAYS_MAX} days, not to ${since}.`,
    );
  }
  return sinceMs;
}

/** Refuses an invalid claim. */
export function checkClaim(key: string, ttlSeconds: number): void {
  requireText(key, 'claim key');
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new StoreInputError(`The claim TTL must be a positive number of seconds, not ${ttlSeconds}.`);
  }
}

/** Refuses an invalid record key or expected version. */
export function checkRecordKey(kind: string, id: string, expectedVersion: number | undefined): void {
  requireText(kind, 'record kind');
  requireText(id, 'record id');
  if (expectedVersion !== undefined) requireVersion(expectedVersion, 'expected version', 0);
}

/** An audit entry ready to store: `at` normalised, `detail` as JSON text (undefined when omitted). */
export interface PreparedAuditEntry {
  releaseId: string;
  at: string;
  key: string;
  actor: string;
  action: string;
  cluster: string | undefined;
  step: number | undefined;
  stateVersion: number | undefined;
  detailText: string | undefined;
}

let auditSequence = 0;

/**
 * Validates an entry and gives it its sortable key: time first, then a per-process sequence so that entries of
 * the same millisecond keep their append order, then randomness so that two processes never collide.
 */
export function prepareAuditEntry(entry: NewAuditEntry, nowMs: number): PreparedAuditEntry {
  requireText(entry.releaseId, 'release id of the audit entry');
  requireText(entry.actor, 'actor');
  requireText(entry.action, 'action');
  if (entry.cluster !== undefined) requireText(entry.cluster, 'cluster');
  if (entry.step !== undefined) requireVersion(entry.step, 'step', 0);
  if (entry.stateVersion !== undefined) requireVersion(entry.stateVersion, 'state version', 0);
  const at = new Date(entry.at ?? nowMs);
  if (Number.isNaN(at.getTime())) throw new StoreInputError(`The audit time ${entry.at} is not a date.`);
  const iso = at.toISOString();
  auditSequence = (auditSequence + 1) % 36 ** 8;
  const key = `${iso}#${auditSequence.toString(36).padStart(8, '0')}${randomBytes(5).toString('hex')}`;
  return {
    releaseId: entry.releaseId,
    at: iso,
    key,
    actor: entry.actor,
    action: entry.action,
    cluster: entry.cluster,
    step: entry.step,
    stateVersion: entry.stateVersion,
    detailText:
      entry.detail === undefined ? undefined : jsonText(entry.detail, `detail of the ${entry.action} entry`),
  };
}

/** The entry as callers see it (optional fields left out when absent). */
export function auditEntryOf(prepared: PreparedAuditEntry): AuditEntry {
  const entry: AuditEntry = {
    releaseId: prepared.releaseId,
    at: prepared.at,
    key: prepared.key,
    actor: prepared.actor,
    action: prepared.action,
  };
  if (prepared.cluster !== undefined) entry.cluster = prepared.cluster;
  if (prepared.step !== undefined) entry.step = prepared.step;
  if (prepared.stateVersion !== undefined) entry.stateVersion = prepared.stateVersion;
  if (prepared.detailText !== undefined) entry.detail = JSON.parse(prepared.detailText);
  return entry;
}
