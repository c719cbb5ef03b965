import type { Logger } from '../../src/app/logger.js';
import type { ServiceCatalog } from '../../src/app/ports/service-catalog.js';
import { byName, cachedCatalog, catalogOfRules } from '../../src/mesh/istio/service-catalog.js';

/** A catalog whose reads are answered by hand, counting how many were asked. */
function manualCatalog() {
  const reads: { key: string; resolve: (names: string[]) => void; reject: (error: Error) => void }[] = [];
  const read = (key: string) =>
    new Promise<string[]>((resolve, reject) => {
      reads.push({ key, resolve, reject });
    });
  const catalog: ServiceCatalog = {
    services: (cluster, namespace) => read(`${cluster}/${namespace}`),
    versions: (cluster, namespace, service) => read(`${cluster}/${namespace}/${service}`),
  };
  return { catalog, reads };
}

function recordingLog() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    info: (message, fields) => lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  return { log, lines };
}

/** Lets queued promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('catalogOfRules', () => {
  it('names services by their short host in the namespace, with their subsets sorted as versions count', () => {
    const catalog = catalogOfRules(
      [
        { spec: { host: 'reviews.bookinfo.svc.cluster.local', subsets: [{ name: 'v10' }, { name: 'v2' }] } },
        { spec: { host: 'reviews', subsets: [{ name: 'v1' }, { name: 'v2' }] } },
        { spec: { host: 'ratings.bookinfo', subsets: [] } },
        { spec: { host: 'details.other.svc.cluster.local', subsets: [{ name: 'v1' }] } },
        { spec: { host: 'api.example.com', subsets: [{ name: 'v1' }] } },
        { spec: { subsets: [{ name: 'v1' }] } },
      ],
      'bookinfo',
    );

    expect([...catalog.entries()]).toEqual([
      ['ratings', []],
      ['reviews', ['v1', 'v2', 'v10']],
    ]);
  });

  it('orders names with numbers by value', () => {
    expect(['v10', 'v2', 'v1', 'canary', 'v1'].sort(byName)).toEqual(['canary', 'v1', 'v1', 'v2', 'v10']);
  });
});

describe('cachedCatalog', () => {
  it('serves an answer within its time to live and reads again after it', async () => {
    const { catalog, reads } = manualCatalog();
    let now = 1_000_000;
    const cached = cachedCatalog(catalog, { ttlMs: 30_000, max: 10, now: () => now });

    const first = cached.services('prod', 'bookinfo');
    reads[0]?.resolve(['reviews']);
    expect(await first).toEqual(['reviews']);
    now = 1_029_999;
    expect(await cached.services('prod', 'bookinfo')).toEqual(['reviews']);
    expect(reads).toHaveLength(1);

    now = 1_030_001;
    const refreshed = cached.services('prod', 'bookinfo');
    await settle();
    expect(reads).toHaveLength(2);
    reads[1]?.resolve(['ratings', 'reviews']);
    expect(await refreshed).toEqual(['ratings', 'reviews']);
  });

  it('keys answers by cluster and namespace, and versions by service too', async () => {
    const { catalog, reads } = manualCatalog();
    const cached = cachedCatalog(catalog, { ttlMs: 30_000, max: 10, now: () => 1_000_000 });

    const answers = Promise.all([
      cached.services('prod', 'bookinfo'),
      cached.services('prod', 'weather'),
      cached.services('staging', 'bookinfo'),
      cached.versions('prod', 'bookinfo', 'reviews'),
      cached.versions('prod', 'bookinfo', 'ratings'),
    ]);
    await settle();
    for (const read of reads) read.resolve([read.key]);

    expect(await answers).toEqual([
      ['prod/bookinfo'],
      ['prod/weather'],
      ['staging/bookinfo'],
      ['prod/bookinfo/reviews'],
      ['prod/bookinfo/ratings'],
    ]);
  });

  it('has one read in flight per key, whoever asks meanwhile', async () => {
    const { catalog, reads } = manualCatalog();
    const cached = cachedCatalog(catalog, { ttlMs: 30_000, max: 10, now: () => 1_000_000 });

    const answers = Promise.all([1, 2, 3].map(() => cached.versions('prod', 'bookinfo', 'reviews')));
    await settle();
    expect(reads).toHaveLength(1);
    reads[0]?.resolve(['v1', 'v2']);

    expect(await answers).toEqual([
      ['v1', 'v2'],
      ['v1', 'v2'],
      ['v1', 'v2'],
    ]);
  });

  it('answers nothing when the first read is late, and the late read fills the cache when it ends', async () => {
    const { catalog, reads } = manualCatalog();
    const { log, lines } = recordingLog();
    const cached = cachedCatalog(catalog, {
      ttlMs: 30_000,
      max: 10,
      now: () => 1_000_000,
      answerWithinMs: 20,
      log,
    });

    expect(await cached.services('prod', 'bookinfo')).toEqual([]);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/slow/) }),
    ]);

    reads[0]?.resolve(['reviews']);
    await settle();
    expect(await cached.services('prod', 'bookinfo')).toEqual(['reviews']);
    expect(reads).toHaveLength(1);
  });

  it('answers the expired answer when a read is late or fails, and logs it', async () => {
    const { catalog, reads } = manualCatalog();
    const { log, lines } = recordingLog();
    let now = 1_000_000;
    const cached = cachedCatalog(catalog, { ttlMs: 1000, max: 10, now: () => now, answerWithinMs: 20, log });
    const first = cached.services('prod', 'bookinfo');
    reads[0]?.resolve(['reviews']);
    await first;

    now = 1_005_000;
    expect(await cached.services('prod', 'bookinfo')).toEqual(['reviews']); // read 2 never answers
    reads[1]?.reject(new Error('connect ECONNREFUSED'));
    await settle();
    const failing = cached.services('prod', 'bookinfo');
    await settle();
    reads[2]?.reject(new Error('connect ECONNREFUSED'));

    expect(await failing).toEqual(['reviews']);
    expect(lines.map((l) => l.message)).toEqual([
      'the service catalog was slow to answer',
      'the service catalog could not be read',
    ]);
    expect(lines[1]?.fields).toMatchObject({ error: 'Error: connect ECONNREFUSED', kept: 1 });
  });

  it('answers nothing, and never throws, when a read fails with nothing cached', async () => {
    const { log, lines } = recordingLog();
    const throwing: ServiceCatalog = {
      services: () => {
        throw new Error('no cluster named staging');
      },
      versions: () => Promise.reject(new Error('forbidden')),
    };
    const cached = cachedCatalog(throwing, { ttlMs: 30_000, max: 10, log });

    expect(await cached.services('staging', 'bookinfo')).toEqual([]);
    expect(await cached.versions('staging', 'bookinfo', 'reviews')).toEqual([]);
    expect(lines).toHaveLength(2);
  });

  it('keeps at most max answers, the least recently used going first', async () => {
    let count = 0;
    const counting: ServiceCatalog = {
      services: async (_cluster, namespace) => {
        count++;
        return [namespace];
      },
      versions: async () => [],
    };
    const cached = cachedCatalog(counting, { ttlMs: 30_000, max: 2, now: () => 1_000_000 });

    await cached.services('prod', 'a');
    await cached.services('prod', 'b');
    await cached.services('prod', 'a');
    await cached.services('prod', 'c'); // pushes out b
    await cached.services('prod', 'a');
    expect(count).toBe(3);
    await cached.services('prod', 'b');
    expect(count).toBe(4);
  });
});
