import {
  buildDigest,
  chartedVersions,
  compareServices,
  planReads,
  type Subscription,
  type VersionPeriod,
} from '../../src/domain/summary/index.js';

const v = (
  service: string,
  version: string,
  requests: number,
  errors: number,
  p99Ms: number | undefined,
  namespace = 'bookinfo',
): VersionPeriod => ({
  namespace,
  service,
  version,
  requests,
  requestRate: requests / 900,
  errors,
  errorRate: requests > 0 ? errors / requests : undefined,
  p99Ms,
});

describe('period over period', () => {
  it('computes the changes of rate, error rate (points) and p99 per version', () => {
    // Act
    const [reviews] = compareServices([v('reviews', 'v1', 1800, 9, 110)], [v('reviews', 'v1', 900, 0, 100)]);
    // Assess
    expect(reviews!.versions[0]).toMatchObject({ requestRateChange: 1, errorRateChange: 0.005 });
    expect(reviews!.versions[0]!.p99Change).toBeCloseTo(0.1, 12);
  });

  it('flags a rise of the error rate that is large in points and in ratio, and only that', () => {
    // Act
    const changes = compareServices(
      [v('a', 'v1', 1000, 30, 100), v('b', 'v1', 1000, 53, 100), v('c', 'v1', 1000, 8, 100)],
      [v('a', 'v1', 1000, 10, 100), v('b', 'v1', 1000, 50, 100), v('c', 'v1', 1000, 4, 100)],
    );
    // Assess: a 1% -> 3% (worse); b 5% -> 5.3% (ratio too small); c 0.4% -> 0.8% (points too small).
    expect(changes.map((c) => [c.service, c.worse.map((w) => w.kind)])).toEqual([
      ['a', ['errors']],
      ['b', []],
      ['c', []],
    ]);
  });

  it('flags a p99 that grew by a quarter and by 25 ms, not noise on a tiny base, not a version with little traffic', () => {
    const changes = compareServices(
      [v('slow', 'v1', 500, 0, 260), v('tiny', 'v1', 500, 0, 9), v('rare', 'v1', 10, 0, 900)],
      [v('slow', 'v1', 500, 0, 120), v('tiny', 'v1', 500, 0, 4), v('rare', 'v1', 10, 0, 100)],
    );
    expect(changes.map((c) => [c.service, c.worse])).toEqual([
      ['slow', [{ kind: 'latency', version: 'v1', fromMs: 120, toMs: 260 }]],
      ['rare', []],
      ['tiny', []],
    ]);
  });

  it('compares a new version with the whole service before, and flags a service that lost its traffic', () => {
    const changes = compareServices(
      [v('reviews', 'v1', 900, 0, 100), v('reviews', 'v3', 300, 60, 100)],
      [v('reviews', 'v1', 1200, 0, 100), v('ratings', 'v1', 900, 0, 20)],
    );
    expect(changes.map((c) => [c.service, c.worse])).toEqual([
      ['ratings', [{ kind: 'no-traffic', previousRate: 1 }]],
      ['reviews', [{ kind: 'errors', version: 'v3', from: 0, to: 0.2 }]],
    ]);
  });

  it('orders worse services by lost traffic, then error rise, then p99 ratio; the rest by name', () => {
    const changes = compareServices(
      [
        v('zeta', 'v1', 1000, 0, 100),
        v('alpha', 'v1', 1000, 0, 100),
        v('latency', 'v1', 1000, 0, 400),
        v('errors-small', 'v1', 1000, 20, 100),
        v('errors-big', 'v1', 1000, 200, 100),
      ],
      [
        v('zeta', 'v1', 1000, 0, 100),
        v('alpha', 'v1', 1000, 0, 100),
        v('latency', 'v1', 1000, 0, 100),
        v('errors-small', 'v1', 1000, 0, 100),
        v('errors-big', 'v1', 1000, 0, 100),
        v('gone', 'v1', 1000, 0, 100),
      ],
    );
    expect(changes.map((c) => c.service)).toEqual([
      'gone',
      'errors-big',
      'errors-small',
      'latency',
      'alpha',
      'zeta',
    ]);
  });
});

describe('digests and shared reads', () => {
  const subscription = (id: string, subject: Subscription['subject'], channelId = 'C1'): Subscription => ({
    id,
    channelId,
    subject,
    schedule: { kind: 'interval', seconds: 900 },
    createdBy: 'U0ALICE001',
    createdAt: '2025-05-01T00:00:00.000Z',
  });
  const slot = {
    at: new Date('2025-05-01T10:00:00Z'),
    periodStart: new Date('2025-05-01T09:45:00Z'),
    previousStart: new Date('2025-05-01T09:30:00Z'),
  };

  it('keeps only the subject of the subscription out of a shared read', () => {
    const due = {
      subscription: subscription('C1:bookinfo/reviews', {
        kind: 'service',
        namespace: 'bookinfo',
        service: 'reviews',
      }),
      slot,
    };
    const digest = buildDigest(
      due,
      [
        v('reviews', 'v1', 900, 0, 100),
        v('details', 'v1', 900, 0, 10),
        v('reviews', 'v1', 900, 0, 100, 'other'),
      ],
      [],
      [],
    );
    expect(digest.services.map((s) => `${s.namespace}/${s.service}`)).toEqual(['bookinfo/reviews']);
  });

  it('charts the worse services first, whole services only, at most N versions', () => {
    const due = {
      subscription: subscription('C1:bookinfo', { kind: 'namespace', namespace: 'bookinfo' }),
      slot,
    };
    const digest = buildDigest(
      due,
      [
        v('a', 'v1', 900, 0, 100),
        v('a', 'v2', 900, 0, 100),
        v('b', 'v1', 900, 0, 100),
        v('c', 'v1', 900, 90, 100),
      ],
      [
        v('a', 'v1', 900, 0, 100),
        v('a', 'v2', 900, 0, 100),
        v('b', 'v1', 900, 0, 100),
        v('c', 'v1', 900, 0, 100),
      ],
      [],
    );
    expect(chartedVersions(digest, 2).map((c) => `${c.service} ${c.version}`)).toEqual(['c v1']);
    expect(chartedVersions(digest, 4).map((c) => `${c.service} ${c.version}`)).toEqual([
      'c v1',
      'a v1',
      'a v2',
      'b v1',
    ]);
  });

  it('shares one read among the subscriptions due at the same slot, over the union of their subjects', () => {
    const hourly = {
      ...slot,
      periodStart: new Date('2025-05-01T09:00:00Z'),
      previousStart: new Date('2025-05-01T08:00:00Z'),
    };
    const groups = planReads([
      {
        subscription: subscription('C1:x/reviews', { kind: 'service', namespace: 'x', service: 'reviews' }),
        slot,
      },
      {
        subscription: subscription('C2:y/details', { kind: 'service', namespace: 'y', service: 'details' }),
        slot,
      },
      { subscription: subscription('C3:z', { kind: 'namespace', namespace: 'z' }), slot: hourly },
    ]);
    expect(groups.map((g) => [g.namespaces, g.services, g.members.length])).toEqual([
      [['x', 'y'], ['details', 'reviews'], 2],
      [['z'], undefined, 1],
    ]);
  });
});
