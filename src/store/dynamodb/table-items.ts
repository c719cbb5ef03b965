import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AuditEntry, StoredRecord, StoredRelease } from '../../app/ports/release-store.js';
import { StoreError } from '../../app/ports/store-errors.js';
import { auditEntryOf, type StoredReleaseText } from '../store-input.js';

/**
 * Single-table layout. Everything of a release (its item and its audit trail) shares one partition, so the trail
 * is one Query; route locks, claims and records live in their own partitions.
 *
 * | item       | pk                 | sk                  | also                                          |
 * |------------|--------------------|---------------------|-----------------------------------------------|
 * | release    | `REL#<id>`         | `REL`               | activePk (`ACTIVE` while active, then `ENDED#<day of updatedAt>`), servicePk (`SVC#<ns>/<service>`), createdSk (`<createdAt>#<id>`) |
 * | audit      | `REL#<releaseId>`  | `AUD#<at>#<seq>`    | the entry; detail as JSON text               |
 * | route lock | `ROUTE#<routeKey>` | `LOCK`              | releaseId                                     |
 * | claim      | `CLAIM#<key>`      | `CLAIM`             | expiresAtMs, ttl (epoch seconds, DynamoDB TTL) |
 * | record     | `REC#<kind>`       | `<id>`              | version, updatedAt, value as JSON text        |
 *
 * GSI `active` (activePk, createdSk) holds the active releases in one partition, and finished ones in one
 * partition per UTC day of their last write (a finished release's end), so what ended recently is a few
 * Queries. GSI `by-service` (servicePk, createdSk) gives the history of a service. Both project every
 * attribute.
 */
export const tableLayout = {
  activeIndex: 'active',
  serviceIndex: 'by-service',
  activePartition: 'ACTIVE',
  ttlAttribute: 'ttl',
} as const;

/** A DynamoDB item in its wire form. */
export type Item = Record<string, AttributeValue>;

/** Primary key of an item. */
export type ItemKey = { pk: { S: string }; sk: { S: string } };

const key = (pk: string, sk: string): ItemKey => ({ pk: { S: pk }, sk: { S: sk } });

/** Key of a release item. */
export const releaseKey = (id: string): ItemKey => key(`REL#${id}`, 'REL');
/** Partition of a release and its audit trail. */
export const releasePartition = (id: string): string => `REL#${id}`;
/** Sort key prefix of audit entries. */
export const auditPrefix = 'AUD#';
/** Key of a route lock. */
export const routeLockKey = (routeKey: string): ItemKey => key(`ROUTE#${routeKey}`, 'LOCK');
/** Key of a claim. */
export const claimKey = (claim: string): ItemKey => key(`CLAIM#${claim}`, 'CLAIM');
/** Partition of the records of a kind. */
export const recordPartition = (kind: string): string => `REC#${kind}`;
/** Key of a record. */
export const recordKey = (kind: string, id: string): ItemKey => key(recordPartition(kind), id);
/** Partition of a service in the `by-service` index. */
export const servicePartition = (namespace: string, service: string): string => `SVC#${namespace}/${service}`;

/**
 * Partition of the `active` index holding the releases finished on a UTC day.
 *
 * @example endedPartition('2031-03-01T10:00:00.000Z') // 'ENDED#2031-03-01'
 */
export const endedPartition = (isoTime: string): string => `ENDED#${isoTime.slice(0, 10)}`;

/** A string attribute. */
export const s = (value: string): AttributeValue => ({ S: value });
/** A number attribute. */
export const n = (value: number): AttributeValue => ({ N: String(value) });
/** A boolean attribute. */
export const b = (value: boolean): AttributeValue => ({ BOOL: value });

function malformed(item: Item, name: string, type: string): StoreError {
  return new StoreError('failed', `Item ${item.pk?.S}/${item.sk?.S} has no ${type} attribute ${name}.`);
}

/** A string attribute of an item, or a StoreError. */
export function readString(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw malformed(item, name, 'string');
  return value;
}

/** A number attribute of an item, or a StoreError. */
export function readNumber(item: Item, name: string): number {
  const value = item[name]?.N;
  if (value === undefined) throw malformed(item, name, 'number');
  return Number(value);
}

/** A number attribute of an item, or undefined. */
export function readOptionalNumber(item: Item | undefined, name: string): number | undefined {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
}

function readBoolean(item: Item, name: string): boolean {
  const value = item[name]?.BOOL;
  if (value === undefined) throw malformed(item, name, 'boolean');
  return value;
}

/** What a release item holds, with the state still as JSON text. */
export type ReleaseFields = StoredReleaseText;

/**
 * The item of a release, with its index attributes.
 *
 * @example
 * const item = releaseItem({ id: 'rel-1', routeKey: 'prod/shop/reviews/primary', ..., stateText: '{}' });
 */
export function releaseItem(fields: ReleaseFields): Item {
  const item: Item = {
    ...releaseKey(fields.id),
    type: s('release'),
    id: s(fields.id),
    routeKey: s(fields.routeKey),
    namespace: s(fields.namespace),
    service: s(fields.service),
    active: b(fields.active),
    version: n(fields.rowVersion),
    createdAt: s(fields.createdAt),
    updatedAt: s(fields.updatedAt),
    state: s(fields.stateText),
    servicePk: s(servicePartition(fields.namespace, fields.service)),
    createdSk: s(`${fields.createdAt}#${fields.id}`),
  };
  item.activePk = s(fields.active ? tableLayout.activePartition : endedPartition(fields.updatedAt));
  return item;
}

/**
 * The release an item holds.
 *
 * @example
 * const release = releaseFromItem<MyState>(output.Item);
 */
export function releaseFromItem<S>(item: Item): StoredRelease<S> {
  return {
    id: readString(item, 'id'),
    routeKey: readString(item, 'routeKey'),
    namespace: readString(item, 'namespace'),
    service: readString(item, 'service'),
    active: readBoolean(item, 'active'),
    rowVersion: readNumber(item, 'version'),
    createdAt: readString(item, 'createdAt'),
    updatedAt: readString(item, 'updatedAt'),
    state: JSON.parse(readString(item, 'state')) as S,
  };
}

/** The audit entry an item holds. */
export function auditFromItem(item: Item): AuditEntry {
  return auditEntryOf({
    releaseId: readString(item, 'releaseId'),
    at: readString(item, 'at'),
    key: readString(item, 'sk').slice(auditPrefix.length),
    actor: readString(item, 'actor'),
    action: readString(item, 'action'),
    cluster: item.cluster?.S,
    step: readOptionalNumber(item, 'step'),
    stateVersion: readOptionalNumber(item, 'stateVersion'),
    detailText: item.detail?.S,
  });
}

/** The record an item holds. */
export function recordFromItem<V>(item: Item): StoredRecord<V> {
  return {
    kind: readString(item, 'kind'),
    id: readString(item, 'sk'),
    version: readNumber(item, 'version'),
    updatedAt: readString(item, 'updatedAt'),
    value: JSON.parse(readString(item, 'value')) as V,
  };
}
