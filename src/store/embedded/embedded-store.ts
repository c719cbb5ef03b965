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
  StoreUnavailableError,
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
  type PreparedAuditEntry,
  prepareAuditEntry,
  type StoredReleaseText,
} from '../store-input.js';
import { readSnapshotText, writeSnapshotAtomically } from './snapshot-file.js';

type ReleaseRow = StoredReleaseText;

interface RecordRow {
  kind: string;
  id: string;
  version: number;
  updatedAt: string;
  valueText: string;
}

/** The file format; `formatVersion` changes when the shape does. */
interface Snapshot {
  format: 'canary-bot-embedded-store';
  formatVersion: 1;
  releases: ReleaseRow[];
  routeLocks: Record<string, string>;
  audit: PreparedAuditEntry[];
  claims: Record<string, number>;
  records: RecordRow[];
}

/** Options of the embedded store. */
export interface EmbeddedStoreOptions {
  /** Milliseconds since the epoch; tests inject a fake clock. */
  now?: () => number;
}

/** Byte order of UTF-8, the order DynamoDB sorts keys in. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const createdOrder = (a: ReleaseRow, b: ReleaseRow): number =>
  compareKeys(`${a.createdAt}#${a.id}`, `${b.createdAt}#${b.id}`);

/**
 * The store for local runs: in memory, with exactly the semantics of the DynamoDB store (conditional writes,
 * one active release per route, ordering, claim expiry). `open({ file })` also keeps it in a JSON file, replaced
 * atomically after every write, so a restart of `npm start` loses nothing. One process per file.
 *
 * @example
 * const store = await EmbeddedStore.open<ReleaseState>('.canary-bot/store.json');
 * const memoryOnly = new EmbeddedStore<ReleaseState>();
 */
export class EmbeddedStore<S> implements BotStore<S> {
  private readonly now: () => number;
  private file: string | undefined;
  private readonly releases = new Map<string, ReleaseRow>();
  private readonly routeLocks = new Map<string, string>();
  private readonly audit = new Map<string, PreparedAuditEntry[]>();
  private readonly claims = new Map<string, number>();
  private readonly records = new Map<string, Map<string, RecordRow>>();
  private lastWrite: Promise<void> = Promise.resolve();
  private nextWrite: Promise<void> | undefined;

  constructor(options: EmbeddedStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /**
   * A store kept in `file` (created on the first write), loaded from it if it exists.
   *
   * @example
   * const store = await EmbeddedStore.open<ReleaseState>('.canary-bot/store.json');
   */
  static async open<S>(file: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore<S>> {
    const store = new EmbeddedStore<S>(options);
    let text: string | undefined;
    try {
      text = await readSnapshotText(file);
    } catch (error) {
      throw new StoreUnavailableError(`Cannot read the store file ${file}.`, { cause: error });
    }
    if (text !== undefined) store.load(file, text);
    store.file = file;
    return store;
  }

  async create(
    release: NewRelease<S>,
    options: { audit?: readonly NewAuditEntry[] } = {},
  ): Promise<StoredRelease<S>> {
    const stateText = checkNewRelease(release);
    const entries = (options.audit ?? []).map((entry) => prepareAuditEntry(entry, this.now()));
    if (this.releases.has(release.id)) throw new ReleaseExistsError(release.id);
    const holder = this.routeLocks.get(release.routeKey);
    if (release.active && holder !== undefined) throw new RouteBusyError(release.routeKey, holder);
    const at = new Date(this.now()).toISOString();
    const row: ReleaseRow = {
      id: release.id,
      routeKey: release.routeKey,
      namespace: release.namespace,
      service: release.service,
      active: release.active,
      rowVersion: 1,
      createdAt: at,
      updatedAt: at,
      stateText,
    };
    this.releases.set(row.id, row);
    if (row.active) this.routeLocks.set(row.routeKey, row.id);
    for (const prepared of entries) {
      const trail = this.audit.get(prepared.releaseId) ?? [];
      trail.push(prepared);
      this.audit.set(prepared.releaseId, trail);
    }
    await this.persist();
    return releaseOf(row);
  }

  async get(id: string): Promise<StoredRelease<S> | undefined> {
    const row = this.releases.get(id);
    return row ? releaseOf(row) : undefined;
  }

  async activeForRoute(routeKey: string): Promise<StoredRelease<S> | undefined> {
    const holder = this.routeLocks.get(routeKey);
    const row = holder === undefined ? undefined : this.releases.get(holder);
    return row?.active ? releaseOf(row) : undefined;
  }

  async update(
    next: ReleaseChange<S>,
    expectedVersion: number,
    options: { audit?: readonly NewAuditEntry[] } = {},
  ): Promise<StoredRelease<S>> {
    const stateText = checkReleaseChange(next, expectedVersion);
    // Checked before anything is written: the release and its audit entries land together or not at all.
    const entries = (options.audit ?? []).map((entry) => prepareAuditEntry(entry, this.now()));
    const row = this.releases.get(next.id);
    if (!row) throw new ReleaseNotFoundError(next.id);
    if (row.rowVersion !== expectedVersion) {
      throw new VersionConflictError(`Release ${next.id}`, expectedVersion, row.rowVersion);
    }
    if (!row.active && next.active) throw new ReleaseFinishedError(next.id);
    const updated: ReleaseRow = {
      ...row,
      active: next.active,
      rowVersion: expectedVersion + 1,
      updatedAt: new Date(this.now()).toISOString(),
      stateText,
    };
    this.releases.set(updated.id, updated);
    if (!updated.active && this.routeLocks.get(updated.routeKey) === updated.id) {
      this.routeLocks.delete(updated.routeKey);
    }
    for (const prepared of entries) {
      const trail = this.audit.get(prepared.releaseId) ?? [];
      trail.push(prepared);
      this.audit.set(prepared.releaseId, trail);
    }
    await this.persist();
    return releaseOf(updated);
  }

  async listActive(): Promise<StoredRelease<S>[]> {
    return [...this.releases.values()]
      .filter((row) => row.active)
      .sort(createdOrder)
      .map((row) => releaseOf<S>(row));
  }

  async history(namespace: string, service: string, limit: number): Promise<StoredRelease<S>[]> {
    checkHistoryQuery(namespace, service, limit);
    return [...this.releases.values()]
      .filter((row) => row.namespace === namespace && row.service === service)
      .sort((a, b) => createdOrder(b, a))
      .slice(0, limit)
      .map((row) => releaseOf<S>(row));
  }

  async recentlyFinished(limit: number, since: string): Promise<StoredRelease<S>[]> {
    const sinceMs = checkRecentQuery(limit, since, this.now());
    return [...this.releases.values()]
      .filter((row) => !row.active && Date.parse(row.updatedAt) >= sinceMs)
      .sort((a, b) => compareKeys(`${b.updatedAt}#${b.id}`, `${a.updatedAt}#${a.id}`))
      .slice(0, limit)
      .map((row) => releaseOf<S>(row));
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const prepared = prepareAuditEntry(entry, this.now());
    const trail = this.audit.get(prepared.releaseId) ?? [];
    trail.push(prepared);
    this.audit.set(prepared.releaseId, trail);
    await this.persist();
    return auditEntryOf(prepared);
  }

  async listAudit(releaseId: string): Promise<AuditEntry[]> {
    const trail = this.audit.get(releaseId) ?? [];
    return [...trail].sort((a, b) => compareKeys(a.key, b.key)).map(auditEntryOf);
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    checkClaim(key, ttlSeconds);
    const now = this.now();
    const expiresAtMs = this.claims.get(key);
    if (expiresAtMs !== undefined && expiresAtMs > now) return false;
    this.claims.set(key, now + Math.ceil(ttlSeconds * 1000));
    await this.persist();
    return true;
  }

  async putRecord<V>(
    kind: string,
    id: string,
    value: V,
    options: RecordWriteOptions = {},
  ): Promise<StoredRecord<V>> {
    checkRecordKey(kind, id, options.expectedVersion);
    const valueText = jsonText(value, `value of record ${kind}/${id}`);
    const ofKind = this.records.get(kind) ?? new Map<string, RecordRow>();
    const existing = ofKind.get(id);
    checkRecordVersion(kind, id, existing, options.expectedVersion);
    const row: RecordRow = {
      kind,
      id,
      version: (existing?.version ?? 0) + 1,
      updatedAt: new Date(this.now()).toISOString(),
      valueText,
    };
    ofKind.set(id, row);
    this.records.set(kind, ofKind);
    await this.persist();
    return recordOf(row);
  }

  async getRecord<V>(kind: string, id: string): Promise<StoredRecord<V> | undefined> {
    checkRecordKey(kind, id, undefined);
    const row = this.records.get(kind)?.get(id);
    return row ? recordOf(row) : undefined;
  }

  async listRecords<V>(kind: string): Promise<StoredRecord<V>[]> {
    checkRecordKey(kind, '-', undefined);
    return [...(this.records.get(kind)?.values() ?? [])]
      .sort((a, b) => compareKeys(a.id, b.id))
      .map((row) => recordOf<V>(row));
  }

  async deleteRecord(kind: string, id: string, options: RecordWriteOptions = {}): Promise<boolean> {
    checkRecordKey(kind, id, options.expectedVersion);
    const ofKind = this.records.get(kind);
    const existing = ofKind?.get(id);
    checkRecordVersion(kind, id, existing, options.expectedVersion);
    if (!ofKind || !existing) return false;
    ofKind.delete(id);
    await this.persist();
    return true;
  }

  /** Writes a snapshot that includes every change made so far; concurrent callers share one write. */
  private persist(): Promise<void> {
    const file = this.file;
    if (file === undefined) return Promise.resolve();
    if (this.nextWrite) return this.nextWrite;
    const write = this.lastWrite
      .catch(() => undefined)
      .then(async () => {
        // From here on, changes need a later write: the snapshot below is taken now.
        this.nextWrite = undefined;
        try {
          await writeSnapshotAtomically(file, JSON.stringify(this.snapshot()));
        } catch (error) {
          throw new StoreUnavailableError(`Cannot write the store file ${file}.`, { cause: error });
        }
      });
    this.nextWrite = write;
    this.lastWrite = write;
    return write;
  }

  private snapshot(): Snapshot {
    const now = this.now();
    return {
      format: 'canary-bot-embedded-store',
      formatVersion: 1,
      releases: [...this.releases.values()],
      routeLocks: Object.fromEntries(this.routeLocks),
      audit: [...this.audit.values()].flat(),
      // Expired claims are free anyway; dropping them is the embedded store's TTL deletion.
      claims: Object.fromEntries([...this.claims].filter(([, expiresAtMs]) => expiresAtMs > now)),
      records: [...this.records.values()].flatMap((ofKind) => [...ofKind.values()]),
    };
  }

  private load(file: string, text: string): void {
    let snapshot: Snapshot;
    try {
      snapshot = JSON.parse(text) as Snapshot;
    } catch (error) {
      throw new StoreError('failed', `The store file ${file} is not JSON.`, { cause: error });
    }
    if (snapshot?.format !== 'canary-bot-embedded-store' || snapshot.formatVersion !== 1) {
      throw new StoreError('failed', `The file ${file} is not a canary-bot store (format version 1).`);
    }
    // Files written before the row version had its own name kept it as `version`.
    for (const row of snapshot.releases)
      this.releases.set(row.id, {
        ...row,
        rowVersion: row.rowVersion ?? (row as { version?: number }).version ?? 1,
      });
    for (const [routeKey, id] of Object.entries(snapshot.routeLocks)) this.routeLocks.set(routeKey, id);
    for (const entry of snapshot.audit) {
      const trail = this.audit.get(entry.releaseId) ?? [];
      trail.push(entry);
      this.audit.set(entry.releaseId, trail);
    }
    for (const [key, expiresAtMs] of Object.entries(snapshot.claims)) this.claims.set(key, expiresAtMs);
    for (const row of snapshot.records) {
      const ofKind = this.records.get(row.kind) ?? new Map<string, RecordRow>();
      ofKind.set(row.id, row);
      this.records.set(row.kind, ofKind);
    }
  }
}

function checkRecordVersion(
  kind: string,
  id: string,
  existing: RecordRow | undefined,
  expectedVersion: number | undefined,
): void {
  if (expectedVersion === undefined) return;
  const actual = existing?.version;
  if ((actual ?? 0) !== expectedVersion) {
    throw new VersionConflictError(`Record ${kind}/${id}`, expectedVersion, actual);
  }
}

function releaseOf<S>(row: ReleaseRow): StoredRelease<S> {
  return {
    id: row.id,
    routeKey: row.routeKey,
    namespace: row.namespace,
    service: row.service,
    active: row.active,
    rowVersion: row.rowVersion,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    state: JSON.parse(row.stateText) as S,
  };
}

function recordOf<V>(row: RecordRow): StoredRecord<V> {
  return {
    kind: row.kind,
    id: row.id,
    version: row.version,
    updatedAt: row.updatedAt,
    value: JSON.parse(row.valueText) as V,
  };
}
