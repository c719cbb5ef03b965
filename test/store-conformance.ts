/**
 * The behaviour every BotStore must have, as jest tests: the embedded store (test/unit/store-embedded.test.ts)
 * and the DynamoDB store (test/integration/store-dynamodb.test.ts) run the same suite.
 */
import { randomBytes } from 'node:crypto';
import type { BotStore, NewRelease, StoredRelease } from '../src/app/ports/release-store.js';
import {
  ReleaseExistsError,
  ReleaseFinishedError,
  ReleaseNotFoundError,
  RouteBusyError,
  StoreInputError,
  VersionConflictError,
} from '../src/app/ports/store-errors.js';
import { MAX_VALUE_BYTES } from '../src/store/store-input.js';

/** The opaque state the suite stores; the store must not care what it is. */
export interface ConformanceState {
  phase: string;
  step: number;
  weights?: number[];
  note?: string;
}

/** How the suite opens a store: with its fake clock and a small page size (to cross query pages). */
export type ConformanceStoreFactory = (options: {
  now: () => number;
  pageSize: number;
}) => Promise<BotStore<ConformanceState>>;

const PAGE_SIZE = 25;

/** The error a promise rejects with (or a failure if it does not), awaited at once so no rejection is left unhandled. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise was fulfilled');
}

/** Runs `count` tasks, at most `parallel` at a time (DynamoDB Local is slow under a 150-way burst). */
async function inBatches<T>(
  count: number,
  parallel: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, (_, i) => task(start + i));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/**
 * Defines the conformance tests of a store. `open` is called once per test with the suite's fake clock; the
 * backend may be shared by all tests (they use unique ids, routes and services).
 *
 * @example
 * defineStoreConformance('embedded store', async (options) => new EmbeddedStore(options));
 */
export function defineStoreConformance(name: string, open: ConformanceStoreFactory): void {
  describe(`${name} conformance`, () => {
    const run = randomBytes(4).toString('hex');
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${run}-${++counter}`;
    let nowMs = Date.parse('2031-03-01T10:00:00.000Z');
    const clock = { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
    let store: BotStore<ConformanceState>;

    beforeEach(async () => {
      store = await open({ now: clock.now, pageSize: PAGE_SIZE });
    });

    const newRelease = (
      overrides: Partial<NewRelease<ConformanceState>> = {},
    ): NewRelease<ConformanceState> => {
      const service = overrides.service ?? unique('svc');
      return {
        id: unique('rel'),
        namespace: 'shop',
        service,
        routeKey: `prod/shop/${service}/primary`,
        active: true,
        state: { phase: 'progressing', step: 0, weights: [90, 10] },
        ...overrides,
      };
    };

    it('creates a release at version 1 and reads it back', async () => {
      // Prepare
      const input = newRelease();
      const at = new Date(clock.now()).toISOString();

      // Act
      const created = await store.create(input);
      const read = await store.get(input.id);
      const missing = await store.get(unique('nobody'));

      // Assess
      const expected: StoredRelease<ConformanceState> = {
        ...input,
        rowVersion: 1,
        createdAt: at,
        updatedAt: at,
      };
      expect(created).toEqual(expected);
      expect(read).toEqual(expected);
      expect(missing).toBeUndefined();
    });

    it('refuses a duplicate id and keeps the original', async () => {
      // Prepare
      const original = await store.create(newRelease());

      // Act
      const duplicate = await rejection(
        store.create(newRelease({ id: original.id, state: { phase: 'other', step: 9 } })),
      );

      // Assess
      expect(duplicate).toBeInstanceOf(ReleaseExistsError);
      expect(duplicate).toMatchObject({ name: 'ReleaseExistsError', releaseId: original.id });
      expect(await store.get(original.id)).toEqual(original);
    });

    it('keeps one active release per route, and frees the route when it finishes', async () => {
      // Prepare
      const first = await store.create(newRelease());
      const second = newRelease({ service: first.service, routeKey: first.routeKey });

      // Act
      const whileBusy = await rejection(store.create(second));
      const holderWhileBusy = await store.activeForRoute(first.routeKey);
      const finished = await store.update(
        { id: first.id, active: false, state: { phase: 'succeeded', step: 3 } },
        1,
      );
      const holderAfterFinish = await store.activeForRoute(first.routeKey);
      const next = await store.create(second);
      const holderAtTheEnd = await store.activeForRoute(first.routeKey);

      // Assess
      expect(whileBusy).toBeInstanceOf(RouteBusyError);
      expect(whileBusy).toMatchObject({ routeKey: first.routeKey, activeReleaseId: first.id });
      expect(holderWhileBusy?.id).toBe(first.id);
      expect(finished).toMatchObject({ active: false, rowVersion: 2 });
      expect(holderAfterFinish).toBeUndefined();
      expect(next.active).toBe(true);
      expect(holderAtTheEnd?.id).toBe(second.id);
    });

    it('locks a route per cluster: the same namespace, VirtualService and route on two clusters are two routes', async () => {
      // Prepare
      const service = unique('svc');
      const inProd = newRelease({ service, routeKey: `prod/shop/${service}/primary` });
      const inStaging = newRelease({ service, routeKey: `staging/shop/${service}/primary` });
      const secondInStaging = newRelease({ service, routeKey: inStaging.routeKey });

      // Act
      await store.create(inProd);
      await store.create(inStaging);
      const busy = await rejection(store.create(secondInStaging));
      await store.update({ id: inProd.id, active: false, state: { phase: 'succeeded', step: 3 } }, 1);

      // Assess
      expect(busy).toBeInstanceOf(RouteBusyError);
      expect(busy).toMatchObject({ routeKey: inStaging.routeKey, activeReleaseId: inStaging.id });
      expect(await store.activeForRoute(inProd.routeKey)).toBeUndefined();
      expect((await store.activeForRoute(inStaging.routeKey))?.id).toBe(inStaging.id);
      expect(await store.get(secondInStaging.id)).toBeUndefined();
    });

    it('lets exactly one of 50 concurrent creates take a route', async () => {
      // Prepare
      const service = unique('svc');
      const contenders = Array.from({ length: 50 }, () => newRelease({ service }));

      // Act
      const outcomes = await Promise.allSettled(contenders.map((release) => store.create(release)));

      // Assess
      const winners = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.id] : []));
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(winners).toHaveLength(1);
      expect(refusals.every((e) => e instanceof RouteBusyError)).toBe(true);
      expect((await store.activeForRoute(`prod/shop/${service}/primary`))?.id).toBe(winners[0]);
    });

    it('refuses an update with a stale version and changes nothing', async () => {
      // Prepare
      const created = await store.create(newRelease());
      clock.advance(1000);
      const updated = await store.update(
        { id: created.id, active: true, state: { phase: 'waiting', step: 1 } },
        1,
      );

      // Act
      const stale = await rejection(
        store.update({ id: created.id, active: true, state: { phase: 'stale', step: 7 } }, 1),
      );
      const unknown = await rejection(
        store.update({ id: unique('nobody'), active: true, state: { phase: 'x', step: 0 } }, 1),
      );

      // Assess
      expect(stale).toBeInstanceOf(VersionConflictError);
      expect(stale).toMatchObject({ expected: 1, actual: 2 });
      expect(unknown).toBeInstanceOf(ReleaseNotFoundError);
      expect(updated).toMatchObject({ rowVersion: 2, createdAt: created.createdAt });
      expect(updated.updatedAt).toBe(new Date(clock.now()).toISOString());
      expect(await store.get(created.id)).toEqual(updated);
    });

    it('stores a decision and its audit entries together, or neither of them', async () => {
      // Prepare
      const release = await store.create(newRelease());
      const entry = (action: string, stateVersion: number) => ({
        releaseId: release.id,
        actor: 'U2',
        action,
        stateVersion,
        detail: { why: action },
      });

      // Act
      const updated = await store.update(
        { id: release.id, active: true, state: { phase: 'applying', step: 1 } },
        release.rowVersion,
        { audit: [entry('approve', 1), entry('advance', 1)] },
      );
      const conflict = await rejection(
        store.update(
          { id: release.id, active: true, state: { phase: 'lost', step: 9 } },
          release.rowVersion,
          { audit: [entry('lost', 1)] },
        ),
      );
      const finished = await store.update(
        { id: release.id, active: false, state: { phase: 'done', step: 2 } },
        updated.rowVersion,
        { audit: [entry('promote', 2)] },
      );

      // Assess
      expect(conflict).toBeInstanceOf(VersionConflictError);
      expect(finished.active).toBe(false);
      const trail = await store.listAudit(release.id);
      expect(trail.map((e) => e.action)).toEqual(['approve', 'advance', 'promote']);
      expect((await store.get(release.id))?.state).toEqual({ phase: 'done', step: 2 });
    });

    it('creates a release with its first audit entry in the same write', async () => {
      // Prepare
      const release = newRelease();

      // Act
      const created = await store.create(release, {
        audit: [{ releaseId: release.id, actor: 'U1', action: 'start', stateVersion: 1 }],
      });
      const busy = await rejection(
        store.create(
          { ...newRelease(), routeKey: release.routeKey },
          {
            audit: [{ releaseId: 'nobody', actor: 'U1', action: 'start', stateVersion: 1 }],
          },
        ),
      );

      // Assess
      expect(busy).toBeInstanceOf(RouteBusyError);
      expect((await store.listAudit(created.id)).map((e) => e.action)).toEqual(['start']);
      expect(await store.listAudit('nobody')).toEqual([]);
    });

    it('never reactivates a finished release', async () => {
      // Prepare
      const created = await store.create(newRelease());
      await store.update({ id: created.id, active: false, state: { phase: 'failed', step: 1 } }, 1);

      // Act
      const reactivate = await rejection(
        store.update({ id: created.id, active: true, state: { phase: 'progressing', step: 1 } }, 2),
      );
      const annotate = await store.update(
        { id: created.id, active: false, state: { phase: 'failed', step: 1, note: 'x' } },
        2,
      );

      // Assess
      expect(reactivate).toBeInstanceOf(ReleaseFinishedError);
      expect(annotate).toMatchObject({ active: false, rowVersion: 3, state: { note: 'x' } });
      expect(await store.activeForRoute(created.routeKey)).toBeUndefined();
    });

    it('lets exactly one of 50 concurrent updates with the same expected version win', async () => {
      // Prepare
      const created = await store.create(newRelease());

      // Act: half of them also finish the release, which is a transaction on two items
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          store.update({ id: created.id, active: i % 2 === 0, state: { phase: `writer-${i}`, step: i } }, 1),
        ),
      );

      // Assess
      const winners = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(winners).toHaveLength(1);
      expect(refusals.every((e) => e instanceof VersionConflictError)).toBe(true);
      const stored = await store.get(created.id);
      expect(stored).toEqual(winners[0]);
      expect(stored?.rowVersion).toBe(2);
      expect((await store.activeForRoute(created.routeKey))?.id).toBe(
        stored?.active ? created.id : undefined,
      );
    });

    it('lists every active release and no finished one, across query pages', async () => {
      // Prepare: more active releases than fit in several pages, some of them finished again
      const releases = await inBatches(150, 25, () => store.create(newRelease()));
      const finished = releases.filter((_, i) => i % 5 === 0);
      await inBatches(finished.length, 25, (i) =>
        store.update({ id: finished[i]!.id, active: false, state: { phase: 'done', step: 4 } }, 1),
      );
      const finishedIds = new Set(finished.map((r) => r.id));
      const ours = new Set(releases.map((r) => r.id));

      // Act
      const active = await store.listActive();

      // Assess
      const activeOfOurs = active.filter((r) => ours.has(r.id)).map((r) => r.id);
      const expected = releases.filter((r) => !finishedIds.has(r.id)).map((r) => r.id);
      expect(active.length).toBeGreaterThan(PAGE_SIZE * 4);
      expect(active.every((r) => r.active)).toBe(true);
      expect(activeOfOurs.sort()).toEqual(expected.sort());
      const order = active.map((r) => `${r.createdAt}#${r.id}`);
      expect(order).toEqual([...order].sort());
    });

    it('gives the history of a service newest first, finished ones included', async () => {
      // Prepare
      const service = unique('svc');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const release = await store.create(newRelease({ service }));
        ids.push(release.id);
        clock.advance(1000);
        await store.update({ id: release.id, active: false, state: { phase: 'done', step: i } }, 1);
      }
      await store.create(
        newRelease({ namespace: 'other', routeKey: `prod/other/${service}/primary`, service }),
      );

      // Act
      const all = await store.history('shop', service, 10);
      const latestTwo = await store.history('shop', service, 2);

      // Assess
      expect(all.map((r) => r.id)).toEqual([...ids].reverse());
      expect(all.every((r) => !r.active && r.rowVersion === 2)).toBe(true);
      expect(latestTwo.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    });

    it('lists the releases finished recently in every namespace, the latest first, bounded', async () => {
      // Prepare: past every other test's releases, four ends over three days and one still active
      clock.advance(40 * 86_400_000);
      const since = new Date(clock.now()).toISOString();
      const ended: string[] = [];
      for (const [i, namespace] of ['shop', 'pay', 'shop', 'ops'].entries()) {
        const service = unique('svc');
        const release = await store.create(
          newRelease({ namespace, service, routeKey: `prod/${namespace}/${service}/primary` }),
        );
        clock.advance(i === 1 ? 1000 : 86_400_000);
        await store.update({ id: release.id, active: false, state: { phase: 'done', step: i } }, 1);
        ended.push(release.id);
      }
      const running = await store.create(newRelease());
      const finishedAtOnce = await store.create(newRelease({ active: false }));

      // Act
      const all = await store.recentlyFinished(100, since);
      const latestTwo = await store.recentlyFinished(2, since);
      const sinceThirdEnd = await store.recentlyFinished(
        100,
        new Date(clock.now() - 86_400_000).toISOString(),
      );
      const future = await store.recentlyFinished(100, new Date(clock.now() + 1000).toISOString());

      // Assess
      expect(all.map((r) => r.id)).toEqual([finishedAtOnce.id, ...[...ended].reverse()]);
      expect(all.every((r) => !r.active)).toBe(true);
      expect(all.map((r) => r.id)).not.toContain(running.id);
      expect(latestTwo.map((r) => r.id)).toEqual([finishedAtOnce.id, ended[3]]);
      expect(sinceThirdEnd.map((r) => r.id)).toEqual([finishedAtOnce.id, ended[3], ended[2]]);
      expect(future).toEqual([]);
      await expect(store.recentlyFinished(0, since)).rejects.toBeInstanceOf(StoreInputError);
      await expect(store.recentlyFinished(101, since)).rejects.toBeInstanceOf(StoreInputError);
      await expect(store.recentlyFinished(5, 'yesterday')).rejects.toBeInstanceOf(StoreInputError);
      const tooFarBack = new Date(clock.now() - 32 * 86_400_000).toISOString();
      await expect(store.recentlyFinished(5, tooFarBack)).rejects.toBeInstanceOf(StoreInputError);
    });

    it('keeps the cluster of an audit entry, whichever write appended it', async () => {
      // Prepare
      const input = newRelease();

      // Act
      const created = await store.create(input, {
        audit: [{ releaseId: input.id, actor: 'U1', action: 'start', cluster: 'prod-eu' }],
      });
      await store.update({ id: created.id, active: true, state: { phase: 'progressing', step: 1 } }, 1, {
        audit: [{ releaseId: input.id, actor: 'U2', action: 'approve', step: 0, cluster: 'prod-eu' }],
      });
      await store.appendAudit({
        releaseId: input.id,
        actor: 'U3',
        action: 'refused-approve',
        cluster: 'prod-eu',
      });
      await store.appendAudit({ releaseId: input.id, actor: 'system', action: 'advance' });
      const trail = await store.listAudit(input.id);

      // Assess
      expect(trail.map((e) => [e.action, e.cluster])).toEqual([
        ['start', 'prod-eu'],
        ['approve', 'prod-eu'],
        ['refused-approve', 'prod-eu'],
        ['advance', undefined],
      ]);
      expect(trail[3]).not.toHaveProperty('cluster');
    });

    it('keeps the audit trail complete and in time order under 50 concurrent appends', async () => {
      // Prepare
      const releaseId = unique('rel');
      const earlier = new Date(clock.now() - 60_000).toISOString();

      // Act
      const appended = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.appendAudit({ releaseId, actor: `U${i}`, action: 'advance', step: i, stateVersion: i + 1 }),
        ),
      );
      const first = await store.appendAudit({
        releaseId,
        at: earlier,
        actor: 'U024BE7LH',
        action: 'approve',
        step: 0,
        stateVersion: 1,
        detail: { successRate: 99.5, p99Ms: 180, codes: ['200', '503'] },
      });
      const trail = await store.listAudit(releaseId);
      const otherTrail = await store.listAudit(unique('rel'));

      // Assess
      expect(trail).toHaveLength(51);
      expect(trail[0]).toEqual({
        releaseId,
        at: earlier,
        key: first.key,
        actor: 'U024BE7LH',
        action: 'approve',
        step: 0,
        stateVersion: 1,
        detail: { successRate: 99.5, p99Ms: 180, codes: ['200', '503'] },
      });
      // Same millisecond: the order of the appends within this process.
      expect(trail.slice(1).map((e) => e.actor)).toEqual(appended.map((e) => e.actor));
      expect(new Set(trail.map((e) => e.key)).size).toBe(51);
      expect(otherTrail).toEqual([]);
    });

    it('grants a claim to exactly one of 50 callers, and again once it expired', async () => {
      // Prepare
      const key = unique('click');
      const claimAll = () => Promise.all(Array.from({ length: 50 }, () => store.claim(key, 60)));

      // Act
      const first = await claimAll();
      clock.advance(59_999);
      const beforeExpiry = await store.claim(key, 60);
      clock.advance(1);
      const afterExpiry = await claimAll();

      // Assess
      expect(first.filter(Boolean)).toHaveLength(1);
      expect(beforeExpiry).toBe(false);
      expect(afterExpiry.filter(Boolean)).toHaveLength(1);
      expect(await store.claim(unique('other'), 60)).toBe(true);
    });

    it('versions records and lists them by kind', async () => {
      // Prepare
      const kind = unique('subscription');

      // Act
      const created = await store.putRecord(kind, 'C2:shop', { every: '1h' }, { expectedVersion: 0 });
      const duplicate = await rejection(
        store.putRecord(kind, 'C2:shop', { every: '2h' }, { expectedVersion: 0 }),
      );
      const second = await store.putRecord(kind, 'C2:shop', { every: '30m' }, { expectedVersion: 1 });
      const stale = await rejection(
        store.putRecord(kind, 'C2:shop', { every: '5m' }, { expectedVersion: 1 }),
      );
      const overwrite = await store.putRecord(kind, 'C2:shop', { every: '15m' });
      await store.putRecord(kind, 'C1:shop', { every: '1d' });
      const listed = await store.listRecords<{ every: string }>(kind);
      const staleDelete = await rejection(store.deleteRecord(kind, 'C1:shop', { expectedVersion: 5 }));
      const deleted = await store.deleteRecord(kind, 'C1:shop', { expectedVersion: 1 });
      const deletedAgain = await store.deleteRecord(kind, 'C1:shop');

      // Assess
      expect(created).toMatchObject({ kind, id: 'C2:shop', version: 1, value: { every: '1h' } });
      expect(duplicate).toMatchObject({ name: 'VersionConflictError', expected: 0, actual: 1 });
      expect(second.version).toBe(2);
      expect(stale).toMatchObject({ name: 'VersionConflictError', expected: 1, actual: 2 });
      expect(overwrite).toMatchObject({ version: 3, value: { every: '15m' } });
      expect(listed.map((r) => [r.id, r.version, r.value.every])).toEqual([
        ['C1:shop', 1, '1d'],
        ['C2:shop', 3, '15m'],
      ]);
      expect(staleDelete).toMatchObject({ name: 'VersionConflictError', expected: 5, actual: 1 });
      expect(deleted).toBe(true);
      expect(deletedAgain).toBe(false);
      expect(await store.getRecord(kind, 'C1:shop')).toBeUndefined();
      expect(await store.getRecord(kind, 'C2:shop')).toEqual(overwrite);
    });

    it('lets exactly one of 50 concurrent record creations win', async () => {
      // Prepare
      const kind = unique('gate');

      // Act
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          store.putRecord(kind, 'shop/reviews', { by: i }, { expectedVersion: 0 }),
        ),
      );

      // Assess
      const winners = outcomes.filter((o) => o.status === 'fulfilled');
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(winners).toHaveLength(1);
      expect(refusals.every((e) => e instanceof VersionConflictError)).toBe(true);
      expect((await store.getRecord(kind, 'shop/reviews'))?.version).toBe(1);
    });

    it('refuses input it cannot store, and stores nothing', async () => {
      // Prepare
      const tooLarge = newRelease({ state: { phase: 'x'.repeat(MAX_VALUE_BYTES), step: 0 } });
      const badRoute = newRelease({ routeKey: 'shop/reviews' });

      // Act
      const outcomes = await Promise.allSettled([store.create(tooLarge), store.create(badRoute)]);

      // Assess
      expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value))).toEqual([
        expect.any(StoreInputError),
        expect.any(StoreInputError),
      ]);
      expect(await store.get(tooLarge.id)).toBeUndefined();
      expect(await store.activeForRoute(tooLarge.routeKey)).toBeUndefined();
    });
  });
}
