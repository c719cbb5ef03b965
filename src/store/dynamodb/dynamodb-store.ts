import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  AuditEntry,
  BotStore,
  NewAuditEntry,
  NewRelease,
  RecordWriteOptions,
  ReleaseChange,
  StoredRecord,
  StoredRelease,
} from '../../app/ports/release-store.js';
import {
  ReleaseExistsError,
  ReleaseFinishedError,
  ReleaseNotFoundError,
  RouteBusyError,
  StoreError,
  VersionConflictError,
} from '../../app/ports/store-errors.js';
import {
  auditEntryOf,
  checkClaim,
  checkHistoryQuery,
  checkNewRelease,
  checkRecentQuery,
  checkRecordKey,
  checkReleaseChange,
  jsonText,
  prepareAuditEntry,
} from '../store-input.js';
import {
  cancellationReasons,
  conditionFailure,
  isTransactionConflict,
  storeErrorOf,
} from './dynamodb-errors.js';
import {
  auditFromItem,
  auditPrefix,
  b,
  claimKey,
  endedPartition,
  type Item,
  n,
  readOptionalNumber,
  recordFromItem,
  recordKey,
  recordPartition,
  releaseFromItem,
  releaseItem,
  releaseKey,
  releasePartition,
  routeLockKey,
  s,
  servicePartition,
  tableLayout,
} from './table-items.js';

/** Options of the DynamoDB store. */
export interface DynamoDbStoreOptions {
  /** Built once per container and shared; its retry settings apply to every call. */
  client: DynamoDBClient;
  /** From configuration; the table must look like `storeTableDefinition` says. */
  tableName: string;
  /** Milliseconds since the epoch; tests inject a fake clock (claims compare expiry with it). */
  now?: () => number;
  /** Items per Query page; DynamoDB's default (1 MB) if omitted. Tests set it low to cross pages. */
  pageSize?: number;
  /** Attempts of a write that collides with a concurrent transaction (TransactionConflict). */
  conflictAttempts?: number;
}

/**
 * The store on DynamoDB, single-table (see table-items.ts): conditional writes for every change, a transaction
 * where a release and its route lock change together, an index of the active and the recently finished releases.
 *
 * @example
 * const store = new DynamoDbStore<ReleaseState>({ client: new DynamoDBClient({}), tableName: config.tableName });
 */
export class DynamoDbStore<S> implements BotStore<S> {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly now: () => number;
  private readonly pageSize: number | undefined;
  private readonly conflictAttempts: number;

  constructor(options: DynamoDbStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.now = options.now ?? Date.now;
    this.pageSize = options.pageSize;
    this.conflictAttempts = options.conflictAttempts ?? 8;
  }

  async create(
    release: NewRelease<S>,
    options: { audit?: readonly NewAuditEntry[] } = {},
  ): Promise<StoredRelease<S>> {
    const stateText = checkNewRelease(release);
    const audit = (options.audit ?? []).map((entry) => auditItem(prepareAuditEntry(entry, this.now())));
    const at = new Date(this.now()).toISOString();
    const fields = { ...release, rowVersion: 1, createdAt: at, updatedAt: at, stateText };
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: releaseItem(fields),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (release.active) {
      items.push({
        Put: {
          TableName: this.table,
          Item: { ...routeLockKey(release.routeKey), type: s('route-lock'), releaseId: s(release.id) },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    for (const item of audit)
      items.push({
        Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
      });
    await this.transact(items, `creating release ${release.id}`, (reasons) => {
      if (reasons[0]?.code === 'ConditionalCheckFailed') return new ReleaseExistsError(release.id);
      if (reasons[1]?.code === 'ConditionalCheckFailed') {
        return new RouteBusyError(release.routeKey, reasons[1].item?.releaseId?.S);
      }
      return undefined;
    });
    return releaseFromItem<S>(releaseItem(fields));
  }

  async get(id: string): Promise<StoredRelease<S> | undefined> {
    const item = await this.getItem(releaseKey(id), `reading release ${id}`);
    return item ? releaseFromItem<S>(item) : undefined;
  }

  async activeForRoute(routeKey: string): Promise<StoredRelease<S> | undefined> {
    const lock = await this.getItem(routeLockKey(routeKey), `reading the lock of route ${routeKey}`);
    const holder = lock?.releaseId?.S;
    if (holder === undefined) return undefined;
    const release = await this.get(holder);
    // The holder may have finished between the two reads.
    return release?.active ? release : undefined;
  }

  async update(
    next: ReleaseChange<S>,
    expectedVersion: number,
    options: { audit?: readonly NewAuditEntry[] } = {},
  ): Promise<StoredRelease<S>> {
    const stateText = checkReleaseChange(next, expectedVersion);
    const updatedAt = new Date(this.now()).toISOString();
    const audit = (options.audit ?? []).map((entry) => auditItem(prepareAuditEntry(entry, this.now())));
    if (!next.active) {
      // Finishing frees the route: the lock's key is in the item, so read it (consistently) first.
      const current = await this.get(next.id);
      if (!current) throw new ReleaseNotFoundError(next.id);
      if (current.rowVersion !== expectedVersion) {
        throw new VersionConflictError(`Release ${next.id}`, expectedVersion, current.rowVersion);
      }
      if (current.active) return this.finish(current, stateText, updatedAt, audit);
    }
    const writeId = randomUUID();
    const names: Record<string, string> = {
      '#version': 'version',
      '#active': 'active',
      '#state': 'state',
      '#updatedAt': 'updatedAt',
      '#writeId': 'writeId',
    };
    const values: Item = {
      ':expected': n(expectedVersion),
      ':next': n(expectedVersion + 1),
      ':active': b(next.active),
      ':state': s(stateText),
      ':updatedAt': s(updatedAt),
      ':writeId': s(writeId),
    };
    let condition = '#version = :expected';
    if (next.active) condition += ' AND #active = :active';
    let update =
      'SET #version = :next, #active = :active, #state = :state, #updatedAt = :updatedAt, #writeId = :writeId';
    if (!next.active) {
      // A finished release stays in the partition of the day of its last write (see recentlyFinished).
      names['#activePk'] = 'activePk';
      values[':activePk'] = s(endedPartition(updatedAt));
      update += ', #activePk = :activePk';
    }
    if (audit.length > 0) {
      // The decision and its audit entries in one transaction: both or neither.
      await this.transact(
        [
          {
            Update: {
              TableName: this.table,
              Key: releaseKey(next.id),
              UpdateExpression: update,
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          ...audit.map((item) => ({
            Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
          })),
        ],
        `updating release ${next.id}`,
        (reasons) =>
          reasons[0]?.code === 'ConditionalCheckFailed'
            ? this.releaseConflict(next, expectedVersion, reasons[0].item ?? null, undefined)
            : undefined,
      );
      const written = await this.get(next.id);
      if (!written) throw new ReleaseNotFoundError(next.id);
      return written;
    }
    try {
      const output = await this.withConflictRetry(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: releaseKey(next.id),
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return releaseFromItem<S>(output.Attributes ?? {});
    } catch (error) {
      const stored = conditionFailure(error);
      if (stored === undefined) throw storeErrorOf(error, `updating release ${next.id}`);
      // An SDK retry of a write that did succeed finds its own write.
      if (stored?.writeId?.S === writeId) return releaseFromItem<S>(stored);
      throw this.releaseConflict(next, expectedVersion, stored, error);
    }
  }

  async listActive(): Promise<StoredRelease<S>[]> {
    const items = await this.query(
      {
        IndexName: tableLayout.activeIndex,
        KeyConditionExpression: 'activePk = :active',
        ExpressionAttributeValues: { ':active': s(tableLayout.activePartition) },
      },
      Number.POSITIVE_INFINITY,
      'listing active releases',
    );
    // Only active releases are in this partition; a filter still guards against a stale projection of a finished one.
    return items.map((item) => releaseFromItem<S>(item)).filter((release) => release.active);
  }

  async history(namespace: string, service: string, limit: number): Promise<StoredRelease<S>[]> {
    checkHistoryQuery(namespace, service, limit);
    const items = await this.query(
      {
        IndexName: tableLayout.serviceIndex,
        KeyConditionExpression: 'servicePk = :service',
        ExpressionAttributeValues: { ':service': s(servicePartition(namespace, service)) },
        ScanIndexForward: false,
      },
      limit,
      `reading the history of ${namespace}/${service}`,
    );
    return items.map((item) => releaseFromItem<S>(item));
  }

  async recentlyFinished(limit: number, since: string): Promise<StoredRelease<S>[]> {
    const nowMs = this.now();
    const sinceMs = checkRecentQuery(limit, since, nowMs);
    const found: StoredRelease<S>[] = [];
    // One partition per day, the latest day first; a day is read whole, as the index sorts it by creation.
    for (
      let day = Math.floor(nowMs / DAY_MS) * DAY_MS;
      day >= Math.floor(sinceMs / DAY_MS) * DAY_MS;
      day -= DAY_MS
    ) {
      const partition = endedPartition(new Date(day).toISOString());
      const items = await this.query(
        {
          IndexName: tableLayout.activeIndex,
          KeyConditionExpression: 'activePk = :ended',
          ExpressionAttributeValues: { ':ended': s(partition) },
        },
        Number.POSITIVE_INFINITY,
        `listing the releases finished on ${partition.slice('ENDED#'.length)}`,
      );
      found.push(
        ...items
          .map((item) => releaseFromItem<S>(item))
          .filter((release) => !release.active && Date.parse(release.updatedAt) >= sinceMs)
          .sort((a, b) => latestFirst(a, b)),
      );
      if (found.length >= limit) break;
    }
    return found.slice(0, limit);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const prepared = prepareAuditEntry(entry, this.now());
    const item = auditItem(prepared);
    const writeId = item.writeId?.S;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          // Append-only: an entry is never overwritten.
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      const stored = conditionFailure(error);
      if (stored?.writeId?.S !== writeId) {
        throw storeErrorOf(error, `appending to the audit trail of ${prepared.releaseId}`);
      }
    }
    return auditEntryOf(prepared);
  }

  async listAudit(releaseId: string): Promise<AuditEntry[]> {
    const items = await this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': s(releasePartition(releaseId)), ':prefix': s(auditPrefix) },
        ConsistentRead: true,
      },
      Number.POSITIVE_INFINITY,
      `reading the audit trail of ${releaseId}`,
    );
    return items.map(auditFromItem);
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    checkClaim(key, ttlSeconds);
    const now = this.now();
    const expiresAtMs = now + Math.ceil(ttlSeconds * 1000);
    const owner = randomUUID();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...claimKey(key),
            type: s('claim'),
            claimKey: s(key),
            expiresAtMs: n(expiresAtMs),
            [tableLayout.ttlAttribute]: n(Math.ceil(expiresAtMs / 1000)),
            owner: s(owner),
          },
          // DynamoDB deletes expired items late (DynamoDB Local never): an expired claim counts as free.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs <= :now',
          ExpressionAttributeValues: { ':now': n(now) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      const stored = conditionFailure(error);
      if (stored === undefined) throw storeErrorOf(error, `claiming ${key}`);
      return stored?.owner?.S === owner;
    }
  }

  async putRecord<V>(
    kind: string,
    id: string,
    value: V,
    options: RecordWriteOptions = {},
  ): Promise<StoredRecord<V>> {
    const { expectedVersion } = options;
    checkRecordKey(kind, id, expectedVersion);
    const valueText = jsonText(value, `value of record ${kind}/${id}`);
    const writeId = randomUUID();
    const values: Item = {
      ':kind': s(kind),
      ':value': s(valueText),
      ':updatedAt': s(new Date(this.now()).toISOString()),
      ':writeId': s(writeId),
      ':zero': n(0),
      ':one': n(1),
    };
    const condition = this.recordCondition(expectedVersion, values);
    try {
      const output = await this.withConflictRetry(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: recordKey(kind, id),
            UpdateExpression:
              'SET #type = :type, #kind = :kind, #value = :value, #updatedAt = :updatedAt, #writeId = :writeId, #version = if_not_exists(#version, :zero) + :one',
            ConditionExpression: condition,
            ExpressionAttributeNames: {
              '#type': 'type',
              '#kind': 'kind',
              '#value': 'value',
              '#updatedAt': 'updatedAt',
              '#writeId': 'writeId',
              '#version': 'version',
            },
            ExpressionAttributeValues: { ...values, ':type': s('record') },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return recordFromItem<V>(output.Attributes ?? {});
    } catch (error) {
      const stored = conditionFailure(error);
      if (stored === undefined) throw storeErrorOf(error, `writing record ${kind}/${id}`);
      if (stored?.writeId?.S === writeId) return recordFromItem<V>(stored);
      throw new VersionConflictError(
        `Record ${kind}/${id}`,
        expectedVersion ?? 0,
        readOptionalNumber(stored ?? undefined, 'version'),
        {
          cause: error,
        },
      );
    }
  }

  async getRecord<V>(kind: string, id: string): Promise<StoredRecord<V> | undefined> {
    checkRecordKey(kind, id, undefined);
    const item = await this.getItem(recordKey(kind, id), `reading record ${kind}/${id}`);
    return item ? recordFromItem<V>(item) : undefined;
  }

  async listRecords<V>(kind: string): Promise<StoredRecord<V>[]> {
    checkRecordKey(kind, '-', undefined);
    const items = await this.query(
      {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': s(recordPartition(kind)) },
        ConsistentRead: true,
      },
      Number.POSITIVE_INFINITY,
      `listing records of kind ${kind}`,
    );
    return items.map((item) => recordFromItem<V>(item));
  }

  async deleteRecord(kind: string, id: string, options: RecordWriteOptions = {}): Promise<boolean> {
    const { expectedVersion } = options;
    checkRecordKey(kind, id, expectedVersion);
    const values: Item = {};
    const condition = this.recordCondition(expectedVersion, values);
    try {
      const output = await this.withConflictRetry(() =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: recordKey(kind, id),
            ConditionExpression: condition,
            ExpressionAttributeNames: condition ? { '#version': 'version' } : undefined,
            ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return output.Attributes !== undefined;
    } catch (error) {
      const stored = conditionFailure(error);
      if (stored === undefined) throw storeErrorOf(error, `deleting record ${kind}/${id}`);
      throw new VersionConflictError(
        `Record ${kind}/${id}`,
        expectedVersion ?? 0,
        readOptionalNumber(stored ?? undefined, 'version'),
        { cause: error },
      );
    }
  }

  /** The update that ends a release: the item and the release of its route lock, atomically. */
  private async finish(
    current: StoredRelease<S>,
    stateText: string,
    updatedAt: string,
    audit: readonly Item[] = [],
  ): Promise<StoredRelease<S>> {
    const next = { ...current, active: false, rowVersion: current.rowVersion + 1, updatedAt, stateText };
    await this.transact(
      [
        {
          Put: {
            TableName: this.table,
            Item: releaseItem(next),
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': n(current.rowVersion) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Delete: {
            TableName: this.table,
            Key: routeLockKey(current.routeKey),
            ConditionExpression: 'attribute_not_exists(pk) OR releaseId = :id',
            ExpressionAttributeValues: { ':id': s(current.id) },
          },
        },
        ...audit.map((item) => ({
          Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
        })),
      ],
      `finishing release ${current.id}`,
      (reasons) => {
        const [release, lock] = reasons;
        if (release?.code === 'ConditionalCheckFailed') {
          return this.releaseConflict(next, current.rowVersion, release.item ?? null, undefined);
        }
        if (lock?.code === 'ConditionalCheckFailed') {
          return new StoreError(
            'failed',
            `Route ${current.routeKey} is locked by another release than ${current.id}.`,
          );
        }
        return undefined;
      },
    );
    return releaseFromItem<S>(releaseItem(next));
  }

  private releaseConflict(
    next: ReleaseChange<S>,
    expectedVersion: number,
    stored: Item | null,
    cause: unknown,
  ): StoreError {
    if (!stored) return new ReleaseNotFoundError(next.id, { cause });
    const actual = readOptionalNumber(stored, 'version');
    if (actual !== expectedVersion) {
      return new VersionConflictError(`Release ${next.id}`, expectedVersion, actual, { cause });
    }
    return new ReleaseFinishedError(next.id, { cause });
  }

  /** The condition of a record write; adds its values to `values`. */
  private recordCondition(expectedVersion: number | undefined, values: Item): string | undefined {
    if (expectedVersion === undefined) return undefined;
    if (expectedVersion === 0) return 'attribute_not_exists(pk)';
    values[':expected'] = n(expectedVersion);
    return '#version = :expected';
  }

  /**
   * Runs a transaction; a failed condition becomes the error `explain` returns. The token makes the SDK's own
   * retries idempotent (a retried success is not mistaken for a conflict).
   */
  private async transact(
    items: TransactWriteItem[],
    operation: string,
    explain: (reasons: NonNullable<ReturnType<typeof cancellationReasons>>) => StoreError | undefined,
  ): Promise<void> {
    try {
      await this.withConflictRetry(() =>
        this.client.send(
          new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: randomUUID() }),
        ),
      );
    } catch (error) {
      const reasons = cancellationReasons(error);
      const explained = reasons ? explain(reasons) : undefined;
      if (explained) {
        explained.cause ??= error;
        throw explained;
      }
      throw storeErrorOf(error, operation);
    }
  }

  /** Retries a write that collided with a concurrent transaction, with jittered backoff. */
  private async withConflictRetry<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isTransactionConflict(error) || attempt >= this.conflictAttempts) throw error;
        await sleep(Math.random() * 20 * 2 ** Math.min(attempt, 6));
      }
    }
  }

  private async getItem(key: Item, operation: string): Promise<Item | undefined> {
    try {
      const output = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
      );
      return output.Item;
    } catch (error) {
      throw storeErrorOf(error, operation);
    }
  }

  /** Every item of a query, page after page, up to `limit`. */
  private async query(
    input: Omit<QueryCommandInput, 'TableName'>,
    limit: number,
    operation: string,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    try {
      do {
        const remaining = limit - items.length;
        const pageLimit = Math.min(this.pageSize ?? remaining, remaining);
        const output = await this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.table,
            ExclusiveStartKey: startKey,
            Limit: Number.isFinite(pageLimit) ? pageLimit : undefined,
          }),
        );
        items.push(...(output.Items ?? []));
        startKey = output.LastEvaluatedKey;
      } while (startKey && items.length < limit);
    } catch (error) {
      throw storeErrorOf(error, operation);
    }
    return items;
  }
}

const DAY_MS = 86_400_000;

/** The latest write first, then the greater id (the byte order DynamoDB sorts keys in). */
function latestFirst(a: StoredRelease<unknown>, b: StoredRelease<unknown>): number {
  return Buffer.compare(
    Buffer.from(`${b.updatedAt}#${b.id}`, 'utf8'),
    Buffer.from(`${a.updatedAt}#${a.id}`, 'utf8'),
  );
}

/** The item of an audit entry, with a write id so that an SDK retry of a write that landed finds it. */
function auditItem(prepared: ReturnType<typeof prepareAuditEntry>): Item {
  const item: Item = {
    pk: s(releasePartition(prepared.releaseId)),
    sk: s(`${auditPrefix}${prepared.key}`),
    type: s('audit'),
    releaseId: s(prepared.releaseId),
    at: s(prepared.at),
    actor: s(prepared.actor),
    action: s(prepared.action),
    writeId: s(randomUUID()),
  };
  if (prepared.cluster !== undefined) item.cluster = s(prepared.cluster);
  if (prepared.step !== undefined) item.step = n(prepared.step);
  if (prepared.stateVersion !== undefined) item.stateVersion = n(prepared.stateVersion);
  if (prepared.detailText !== undefined) item.detail = s(prepared.detailText);
  return item;
}
