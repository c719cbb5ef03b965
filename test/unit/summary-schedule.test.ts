import {
  dueSummaries,
  instantOf,
  isTimeZone,
  latestSlot,
  nextSlotAt,
  periodSeconds,
  previousPeriodSeconds,
  type Subscription,
  slotClaimKey,
} from '../../src/domain/summary/index.js';

const iso = (d: Date) => d.toISOString();
const subscription = (id: string, schedule: Subscription['schedule']): Subscription => ({
  id,
  channelId: 'C0RELEASES',
  subject: { kind: 'namespace', namespace: 'bookinfo' },
  schedule,
  createdBy: 'U0ALICE001',
  createdAt: '2025-05-01T00:00:00.000Z',
});

describe('schedule slots', () => {
  it('cuts intervals on multiples of the interval since the epoch (UTC)', () => {
    // Act
    const slot = latestSlot(
      { kind: 'interval', seconds: 900 },
      new Date('2025-05-01T10:07:30Z'),
      'Europe/Paris',
    );
    // Assess
    expect([iso(slot.at), iso(slot.periodStart), iso(slot.previousStart)]).toEqual([
      '2025-05-01T10:00:00.000Z',
      '2025-05-01T09:45:00.000Z',
      '2025-05-01T09:30:00.000Z',
    ]);
  });

  it('puts a slot that ends exactly now in this run', () => {
    const slot = latestSlot({ kind: 'interval', seconds: 3600 }, new Date('2025-05-01T10:00:00Z'), 'UTC');
    expect(iso(slot.at)).toBe('2025-05-01T10:00:00.000Z');
  });

  it('reads daily times on the wall clock of the time zone, yesterday before the time', () => {
    // Prepare: 09:00 in Paris is 07:00 UTC in summer.
    const daily = { kind: 'daily', hour: 9, minute: 0 } as const;
    // Act
    const after = latestSlot(daily, new Date('2025-05-01T07:30:00Z'), 'Europe/Paris');
    const before = latestSlot(daily, new Date('2025-05-01T06:30:00Z'), 'Europe/Paris');
    // Assess
    expect([iso(after.at), iso(after.periodStart)]).toEqual([
      '2025-05-01T07:00:00.000Z',
      '2025-04-30T07:00:00.000Z',
    ]);
    expect(iso(before.at)).toBe('2025-04-30T07:00:00.000Z');
  });

  it('makes the day clocks go forward 23 hours long, and compares it with a 24-hour day', () => {
    // Prepare: Paris moves to summer time on 2025-03-30 at 02:00.
    const slot = latestSlot(
      { kind: 'daily', hour: 9, minute: 0 },
      new Date('2025-03-30T12:00:00Z'),
      'Europe/Paris',
    );
    // Assess
    expect(iso(slot.at)).toBe('2025-03-30T07:00:00.000Z');
    expect(iso(slot.periodStart)).toBe('2025-03-29T08:00:00.000Z');
    expect(periodSeconds(slot)).toBe(23 * 3600);
    expect(previousPeriodSeconds(slot)).toBe(24 * 3600);
  });

  it('reads a time that does not exist after the change, and the first of a time that happens twice', () => {
    // 02:30 does not exist on 2025-03-30 in Paris: 03:30 summer time (01:30 UTC).
    expect(
      new Date(
        instantOf({ year: 2025, month: 3, day: 30, hour: 2, minute: 30 }, 'Europe/Paris'),
      ).toISOString(),
    ).toBe('2025-03-30T01:30:00.000Z');
    // 02:30 happens twice on 2025-10-26: the first (summer time, 00:30 UTC).
    expect(
      new Date(
        instantOf({ year: 2025, month: 10, day: 26, hour: 2, minute: 30 }, 'Europe/Paris'),
      ).toISOString(),
    ).toBe('2025-10-26T00:30:00.000Z');
  });

  it('lists a subscription as due while its latest slot ended within the lookback, once per run', () => {
    // Prepare
    const subs = [
      subscription('C1:a', { kind: 'interval', seconds: 900 }),
      subscription('C1:b', { kind: 'interval', seconds: 300 }),
      subscription('C1:c', { kind: 'daily', hour: 9, minute: 0 }),
    ];
    // Act
    const due = dueSummaries(subs, new Date('2025-05-01T10:12:00Z'), {
      lookbackSeconds: 600,
      timeZone: 'UTC',
    });
    // Assess: 10:00 is 12 min ago (late), 10:10 is 2 min ago, 09:00 is long gone.
    expect(due.map((d) => [d.subscription.id, iso(d.slot.at)])).toEqual([
      ['C1:b', '2025-05-01T10:10:00.000Z'],
    ]);
    expect(slotClaimKey(due[0]!.subscription, due[0]!.slot)).toBe('summary:C1:b:2025-05-01T10:10:00.000Z');
  });

  it('gives the same slot to a retry of the run, whenever it runs within the lookback', () => {
    const subs = [subscription('C1:a', { kind: 'interval', seconds: 3600 })];
    const first = dueSummaries(subs, new Date('2025-05-01T10:01:00Z'), {
      lookbackSeconds: 600,
      timeZone: 'UTC',
    });
    const retry = dueSummaries(subs, new Date('2025-05-01T10:04:00Z'), {
      lookbackSeconds: 600,
      timeZone: 'UTC',
    });
    expect(slotClaimKey(subs[0]!, retry[0]!.slot)).toBe(slotClaimKey(subs[0]!, first[0]!.slot));
  });

  it('tells when the next summary is due', () => {
    const now = new Date('2025-05-01T10:07:00Z');
    expect(iso(nextSlotAt({ kind: 'interval', seconds: 900 }, now, 'UTC'))).toBe('2025-05-01T10:15:00.000Z');
    expect(iso(nextSlotAt({ kind: 'daily', hour: 9, minute: 0 }, now, 'UTC'))).toBe(
      '2025-05-02T09:00:00.000Z',
    );
    expect(iso(nextSlotAt({ kind: 'daily', hour: 18, minute: 30 }, now, 'Asia/Kolkata'))).toBe(
      '2025-05-01T13:00:00.000Z',
    );
  });

  it('knows time zones by their IANA names', () => {
    expect([isTimeZone('UTC'), isTimeZone('Europe/Paris'), isTimeZone('Mars/Olympus')]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
