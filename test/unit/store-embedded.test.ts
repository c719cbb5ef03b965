import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RouteBusyError, StoreError, StoreUnavailableError } from '../../src/app/ports/store-errors.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { type ConformanceState, defineStoreConformance } from '../store-conformance.js';

let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'canary-bot-store-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

defineStoreConformance('embedded store in memory', async ({ now }) => new EmbeddedStore({ now }));
defineStoreConformance('embedded store in a file', async ({ now }) =>
  EmbeddedStore.open(join(dir, `conformance-${++files}.json`), { now }),
);

describe('embedded store file', () => {
  const release = (id: string, service: string) => ({
    id,
    namespace: 'shop',
    service,
    routeKey: `prod/shop/${service}/primary`,
    active: true,
    state: { phase: 'progressing', step: 1 },
  });

  it('survives a restart with releases, route locks, audit, claims and records', async () => {
    // Prepare
    let nowMs = Date.parse('2031-01-01T00:00:00.000Z');
    const now = () => nowMs;
    const file = join(dir, 'restart', 'store.json');
    const before = await EmbeddedStore.open<ConformanceState>(file, { now });
    await before.create(release('rel-a', 'reviews'));
    const finished = await before.create(release('rel-b', 'ratings'));
    await before.update({ id: finished.id, active: false, state: { phase: 'succeeded', step: 3 } }, 1);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        before.appendAudit({ releaseId: 'rel-a', actor: `U${i}`, action: 'advance' }),
      ),
    );
    await before.claim('long', 3600);
    await before.claim('short', 1);
    await before.putRecord('subscription', 'C1:shop', { every: '1h' });
    nowMs += 2000;

    // Act
    const after = await EmbeddedStore.open<ConformanceState>(file, { now });
    const busy = after.create(release('rel-c', 'reviews'));

    // Assess
    expect(await after.get('rel-a')).toEqual(await before.get('rel-a'));
    expect((await after.listActive()).map((r) => r.id)).toEqual(['rel-a']);
    await expect(busy).rejects.toBeInstanceOf(RouteBusyError);
    expect((await after.history('shop', 'ratings', 5))[0]).toMatchObject({
      id: 'rel-b',
      rowVersion: 2,
      active: false,
    });
    expect(await after.listAudit('rel-a')).toEqual(await before.listAudit('rel-a'));
    expect(await after.listAudit('rel-a')).toHaveLength(20);
    expect(await after.claim('long', 3600)).toBe(false);
    expect(await after.claim('short', 1)).toBe(true);
    expect(await after.getRecord('subscription', 'C1:shop')).toMatchObject({
      version: 1,
      value: { every: '1h' },
    });
  });

  it('replaces the file atomically and leaves no temporary file behind', async () => {
    // Prepare
    const file = join(dir, 'atomic', 'store.json');
    const store = await EmbeddedStore.open<ConformanceState>(file);

    // Act
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.create(release(`rel-${i}`, `svc-${i}`))));

    // Assess
    expect(await readdir(join(dir, 'atomic'))).toEqual(['store.json']);
    const snapshot = JSON.parse(await readFile(file, 'utf8'));
    expect(snapshot).toMatchObject({ format: 'canary-bot-embedded-store', formatVersion: 1 });
    expect(snapshot.releases).toHaveLength(30);
  });

  it('refuses a file that is not a store', async () => {
    // Prepare
    const file = join(dir, 'not-a-store.json');
    await writeFile(file, '{"hello": "world"}');

    // Act
    const opening = EmbeddedStore.open(file);

    // Assess
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    await expect(opening).rejects.toMatchObject({ code: 'failed' });
  });

  it('reports a file it cannot write as unavailable', async () => {
    // Prepare: once opened, the folder of the store file turns into a plain file
    const blocker = join(dir, 'blocker');
    const store = await EmbeddedStore.open<ConformanceState>(join(blocker, 'store.json'));
    await writeFile(blocker, 'x');

    // Act
    const creating = store.create(release('rel-x', 'reviews'));

    // Assess
    await expect(creating).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(creating).rejects.toHaveProperty('cause.code', 'EEXIST');
  });
});
