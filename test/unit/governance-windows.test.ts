import fc from 'fast-check';
import { RRuleTemporal } from 'rrule-temporal';
import {
  type Freeze,
  type FreezeState,
  type FreezeWindow,
  freezeAt,
  type GovernedAction,
  type HeldRelease,
  heldByFreeze,
  parseFreezeWindows,
  STOP_THE_LINE,
  type StopTheLine,
  windowsHolding,
} from '../../src/domain/governance/index.js';
import { addDays, instantOf, wallTimeAt } from '../../src/domain/summary/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const payments = { cluster: 'prod', namespace: 'payments', service: 'api' };

/** Parses windows that must be valid, and fails the test with the sentences when they are not. */
function windows(definitions: unknown[]): readonly FreezeWindow[] {
  const parsed = parseFreezeWindows(definitions);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.windows;
}

/** The sentences for definitions that must be refused. */
function errorsOf(input: unknown): readonly string[] {
  const parsed = parseFreezeWindows(input);
  if (parsed.ok) throw new Error('the windows were accepted');
  return parsed.errors;
}

const at = (iso: string) => new Date(iso);
const untilOf = (state: FreezeState) => (state.frozen ? state.until?.toISOString() : 'not frozen');

/** A recurring deny window of the payments namespace (or of `scope`). */
const deny = (name: string, rrule: string, duration: string, scope: object = { namespace: 'payments' }) => ({
  name,
  scope,
  kind: 'deny',
  rrule,
  duration,
});

const weekend = (duration: string) => ({
  name: 'weekend',
  scope: { namespace: 'payments' },
  kind: 'deny',
  rrule: 'DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=FR',
  duration,
  reason: 'No promotions Friday 16:00 to Monday 08:00.',
});
const yearEnd = {
  name: 'year-end',
  scope: { cluster: 'prod' },
  kind: 'deny',
  start: '2026-12-20',
  end: '2027-01-04',
  timeZone: 'Europe/Berlin',
};
const office = {
  name: 'office-hours',
  scope: { namespace: 'payments' },
  kind: 'allow',
  rrule: 'DTSTART;TZID=America/New_York:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH',
  duration: 'PT8H',
};

describe('the examples of the policy', () => {
  it('holds promotions from Friday 16:00 to Monday 08:00 in Berlin, and names the window and its end', () => {
    const ws = windows([weekend('P2DT16H')]);
    // A winter weekend: Berlin is UTC+1.
    expect(freezeAt(ws, payments, at('2026-01-09T14:59:59Z'))).toEqual({ frozen: false });
    expect(freezeAt(ws, payments, at('2026-01-09T15:00:00Z'))).toEqual({
      frozen: true,
      window: 'weekend',
      kind: 'deny',
      until: at('2026-01-12T07:00:00Z'),
      reason: 'No promotions Friday 16:00 to Monday 08:00.',
    });
    expect(untilOf(freezeAt(ws, payments, at('2026-01-11T23:00:00Z')))).toBe('2026-01-12T07:00:00.000Z');
    expect(freezeAt(ws, payments, at('2026-01-12T07:00:00Z'))).toEqual({ frozen: false });
  });

  it('holds a one-off window from 2026-12-20 to 2027-01-04 (the end excluded), across the new year', () => {
    const ws = windows([yearEnd]);
    expect(freezeAt(ws, payments, at('2026-12-19T22:59:59Z'))).toEqual({ frozen: false });
    expect(untilOf(freezeAt(ws, payments, at('2026-12-19T23:00:00Z')))).toBe('2027-01-03T23:00:00.000Z');
    expect(untilOf(freezeAt(ws, payments, at('2027-01-01T00:00:00Z')))).toBe('2027-01-03T23:00:00.000Z');
    expect(freezeAt(ws, payments, at('2027-01-03T23:00:00Z'))).toEqual({ frozen: false });
  });

  it('reads one-off instants with an offset without a time zone', () => {
    const ws = windows([
      { ...yearEnd, start: '2026-12-20T08:00+01:00', end: '2027-01-04T00:00Z', timeZone: undefined },
    ]);
    expect(freezeAt(ws, payments, at('2026-12-20T06:59:00Z')).frozen).toBe(false);
    expect(untilOf(freezeAt(ws, payments, at('2026-12-20T07:00:00Z')))).toBe('2027-01-04T00:00:00.000Z');
  });

  it('allows promotions only Monday to Thursday 09:00 to 17:00 in New York, and freezes outside', () => {
    const ws = windows([office]);
    // Tuesday 10:00 EDT is inside; Tuesday 17:00 is the first minute outside, until Wednesday 09:00.
    expect(freezeAt(ws, payments, at('2026-03-10T14:00:00Z'))).toEqual({ frozen: false });
    expect(freezeAt(ws, payments, at('2026-03-10T21:00:00Z'))).toEqual({
      frozen: true,
      window: 'office-hours',
      kind: 'allow',
      until: at('2026-03-11T13:00:00Z'),
      reason: 'Promotions only inside the allow window "office-hours".',
    });
    // Friday noon: frozen until Monday 09:00.
    expect(untilOf(freezeAt(ws, payments, at('2026-03-13T16:00:00Z')))).toBe('2026-03-16T13:00:00.000Z');
  });

  it('applies a window only to its scope', () => {
    const ws = windows([
      weekend('P2DT16H'),
      { ...yearEnd, name: 'staging-only', scope: { cluster: 'staging' } },
      { ...yearEnd, name: 'one-service', scope: { namespace: 'shop', service: 'cart' } },
    ]);
    const friday = at('2026-12-25T17:00:00Z');
    expect(freezeAt(ws, { cluster: 'prod', namespace: 'shop', service: 'web' }, friday)).toEqual({
      frozen: false,
    });
    expect(freezeAt(ws, { cluster: 'prod', namespace: 'shop', service: 'cart' }, friday)).toMatchObject({
      window: 'one-service',
    });
    expect(freezeAt(ws, { cluster: 'staging', namespace: 'shop', service: 'web' }, friday)).toMatchObject({
      window: 'staging-only',
    });
    expect(freezeAt(ws, { namespace: 'payments', service: 'api' }, friday)).toMatchObject({
      window: 'weekend',
    });
  });
});

describe('daylight saving changes', () => {
  it('keeps Monday 08:00 on the Berlin clock with a duration in days, and counts exact hours with PT64H', () => {
    const nominal = windows([weekend('P2DT16H')]);
    const exact = windows([weekend('PT64H')]);
    // Spring: clocks go forward on Sunday 2026-03-29; Friday 16:00 is UTC+1, Monday 08:00 is UTC+2.
    expect(untilOf(freezeAt(nominal, payments, at('2026-03-27T15:00:00Z')))).toBe('2026-03-30T06:00:00.000Z');
    expect(untilOf(freezeAt(exact, payments, at('2026-03-27T15:00:00Z')))).toBe('2026-03-30T07:00:00.000Z');
    // Autumn: clocks go back on Sunday 2026-10-25; Friday 16:00 is UTC+2, Monday 08:00 is UTC+1.
    expect(freezeAt(nominal, payments, at('2026-10-23T13:59:00Z')).frozen).toBe(false);
    expect(untilOf(freezeAt(nominal, payments, at('2026-10-23T14:00:00Z')))).toBe('2026-10-26T07:00:00.000Z');
    expect(untilOf(freezeAt(exact, payments, at('2026-10-23T14:00:00Z')))).toBe('2026-10-26T06:00:00.000Z');
  });

  it('opens the New York allow window at 09:00 local before and after the changes of March and November', () => {
    const ws = windows([office]);
    // Before 2026-03-08 New York is UTC-5, after it UTC-4; from 2026-11-01 UTC-5 again.
    expect(untilOf(freezeAt(ws, payments, at('2026-03-05T12:00:00Z')))).toBe('2026-03-05T14:00:00.000Z');
    expect(untilOf(freezeAt(ws, payments, at('2026-03-06T15:00:00Z')))).toBe('2026-03-09T13:00:00.000Z');
    expect(untilOf(freezeAt(ws, payments, at('2026-10-30T20:00:00Z')))).toBe('2026-11-02T14:00:00.000Z');
    expect(freezeAt(ws, payments, at('2026-11-02T14:00:00Z')).frozen).toBe(false);
  });

  it('skips an occurrence whose local time does not exist, and takes the first of a time that happens twice', () => {
    // Every day 02:30 to 03:30 Berlin time. RFC 5545: an occurrence at a local time that does not exist
    // (2026-03-29, 02:00 jumps to 03:00) is ignored; an ambiguous one (2026-10-25) is the first (UTC+2).
    const ws = windows([
      deny('nightly', 'DTSTART;TZID=Europe/Berlin:20260301T023000\nRRULE:FREQ=DAILY', 'PT1H'),
    ]);
    expect(untilOf(freezeAt(ws, payments, at('2026-03-28T01:45:00Z')))).toBe('2026-03-28T02:30:00.000Z');
    expect(freezeAt(ws, payments, at('2026-03-29T01:15:00Z')).frozen).toBe(false);
    expect(freezeAt(ws, payments, at('2026-03-29T01:45:00Z')).frozen).toBe(false);
    expect(untilOf(freezeAt(ws, payments, at('2026-03-30T00:45:00Z')))).toBe('2026-03-30T01:30:00.000Z');
    expect(untilOf(freezeAt(ws, payments, at('2026-10-25T00:45:00Z')))).toBe('2026-10-25T01:30:00.000Z');
    expect(freezeAt(ws, payments, at('2026-10-25T01:45:00Z')).frozen).toBe(false);
  });
});

describe('merging freezes', () => {
  const friday = (duration: string) =>
    deny(
      'friday-evening',
      'DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=FR',
      duration,
    );
  const saturday = deny(
    'saturday-to-monday',
    'DTSTART;TZID=Europe/Berlin:20260103T000000\nRRULE:FREQ=WEEKLY;BYDAY=SA',
    'P2DT8H',
  );

  it('reports the end of back-to-back windows, not of the first', () => {
    const ws = windows([friday('PT8H'), saturday]);
    expect(freezeAt(ws, payments, at('2026-01-09T16:00:00Z'))).toMatchObject({
      window: 'friday-evening',
      until: at('2026-01-12T07:00:00Z'),
    });
  });

  it('reports the end of overlapping windows', () => {
    const ws = windows([friday('PT20H'), saturday]);
    expect(untilOf(freezeAt(ws, payments, at('2026-01-09T16:00:00Z')))).toBe('2026-01-12T07:00:00.000Z');
  });

  it('does not merge windows a minute apart', () => {
    const ws = windows([friday('PT7H59M'), saturday]);
    expect(untilOf(freezeAt(ws, payments, at('2026-01-09T16:00:00Z')))).toBe('2026-01-09T22:59:00.000Z');
    expect(freezeAt(ws, payments, at('2026-01-09T22:59:30Z')).frozen).toBe(false);
  });

  it('merges a weekly window into a one-off window that it touches, across the new year', () => {
    const ws = windows([weekend('P2DT16H'), yearEnd]);
    // Friday 2026-12-18 16:00 to Monday 08:00 runs into 2026-12-20; the year end runs into the weekend of
    // 2027-01-01, which ends Monday 2027-01-04 08:00 Berlin time.
    expect(freezeAt(ws, payments, at('2026-12-18T15:00:00Z'))).toMatchObject({
      window: 'weekend',
      until: at('2027-01-04T07:00:00Z'),
    });
  });

  it('keeps a yearly window that crosses the year end', () => {
    const ws = windows([
      deny('holidays', 'DTSTART;TZID=Europe/Berlin:20251224T000000\nRRULE:FREQ=YEARLY', 'P14D', {
        cluster: 'prod',
      }),
    ]);
    expect(untilOf(freezeAt(ws, payments, at('2027-01-02T12:00:00Z')))).toBe('2027-01-06T23:00:00.000Z');
    expect(untilOf(freezeAt(ws, payments, at('2026-01-02T12:00:00Z')))).toBe('2026-01-06T23:00:00.000Z');
    expect(freezeAt(ws, payments, at('2027-01-06T23:00:00Z')).frozen).toBe(false);
  });

  it('holds past the opening of an allow window that a deny window covers', () => {
    const ws = windows([
      office,
      {
        name: 'incident-review',
        scope: { namespace: 'payments' },
        kind: 'deny',
        start: '2026-03-16T00:00',
        end: '2026-03-17T12:00',
        timeZone: 'America/New_York',
      },
    ]);
    expect(freezeAt(ws, payments, at('2026-03-13T16:00:00Z'))).toMatchObject({
      window: 'office-hours',
      kind: 'allow',
      until: at('2026-03-17T16:00:00Z'),
    });
  });

  it('opens when any of the allow windows that apply is open', () => {
    const ws = windows([
      office,
      {
        name: 'friday-mornings',
        scope: { service: 'api' },
        kind: 'allow',
        rrule: 'DTSTART;TZID=America/New_York:20260102T090000\nRRULE:FREQ=WEEKLY;BYDAY=FR',
        duration: 'PT3H',
      },
    ]);
    expect(freezeAt(ws, payments, at('2026-03-13T14:00:00Z'))).toEqual({ frozen: false });
    expect(freezeAt(ws, { ...payments, service: 'web' }, at('2026-03-13T14:00:00Z')).frozen).toBe(true);
    expect(untilOf(freezeAt(ws, payments, at('2026-03-12T22:00:00Z')))).toBe('2026-03-13T13:00:00.000Z');
  });

  it('gives no end to a freeze that does not break within a year', () => {
    const ws = windows([deny('always', 'DTSTART;TZID=UTC:20260101T000000\nRRULE:FREQ=DAILY', 'P1D')]);
    const state = freezeAt(ws, payments, at('2026-06-01T12:00:00Z'));
    expect(state).toMatchObject({ frozen: true, window: 'always' });
    expect(state.frozen && state.until).toBeUndefined();
  });

  it('gives no end to an allow window that never opens again', () => {
    const ws = windows([
      {
        ...office,
        rrule: 'DTSTART;TZID=America/New_York:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2',
      },
    ]);
    const state = freezeAt(ws, payments, at('2026-06-01T12:00:00Z'));
    expect(state).toMatchObject({ frozen: true, window: 'office-hours', kind: 'allow' });
    expect(state.frozen && state.until).toBeUndefined();
  });

  it('freezes, saying so, when a window cannot be evaluated', () => {
    const [good] = windows([weekend('P2DT16H')]);
    const broken: FreezeWindow = {
      ...good!,
      name: 'broken',
      schedule: {
        spansAt: () => {
          throw new Error('iterations exceeded');
        },
        nextStartAfter: () => undefined,
      },
    };
    const state = freezeAt([broken], payments, at('2026-01-07T12:00:00Z'));
    expect(state).toMatchObject({ frozen: true, window: 'broken' });
    expect(state.frozen && state.reason).toBe(
      'The freeze windows broken could not be evaluated (iterations exceeded); promotions wait until they are fixed.',
    );
  });
});

describe('stop the line', () => {
  const stop = (scope: StopTheLine['scope']): StopTheLine => ({
    kind: 'stop',
    scope,
    reason: 'Payments incident INC-42',
    by: 'U0ALICE001',
    since: '2026-05-04T10:00:00Z',
  });

  it('holds everything in its scope from `since`, with no end, saying who and why', () => {
    const freezes: Freeze[] = [stop({ namespace: 'payments' })];
    expect(freezeAt(freezes, payments, at('2026-05-04T09:59:59Z'))).toEqual({ frozen: false });
    expect(freezeAt(freezes, payments, at('2026-05-04T10:00:00Z'))).toEqual({
      frozen: true,
      window: STOP_THE_LINE,
      kind: 'stop',
      reason: 'Payments incident INC-42',
      by: 'U0ALICE001',
    });
    expect(freezeAt(freezes, { ...payments, namespace: 'shop' }, at('2026-05-05T00:00:00Z'))).toEqual({
      frozen: false,
    });
  });

  it('scopes to everything, a cluster, or a namespace of one cluster', () => {
    const later = at('2026-05-05T00:00:00Z');
    const shopInStaging = { cluster: 'staging', namespace: 'shop', service: 'web' };
    expect(freezeAt([stop('all')], shopInStaging, later).frozen).toBe(true);
    expect(freezeAt([stop({ cluster: 'prod' })], shopInStaging, later).frozen).toBe(false);
    expect(freezeAt([stop({ cluster: 'staging' })], shopInStaging, later).frozen).toBe(true);
    expect(freezeAt([stop({ cluster: 'prod', namespace: 'shop' })], shopInStaging, later).frozen).toBe(false);
    expect(freezeAt([stop({ cluster: 'staging', namespace: 'shop' })], shopInStaging, later).frozen).toBe(
      true,
    );
  });

  it('comes before any window, and lifting it leaves the windows', () => {
    const ws = windows([weekend('P2DT16H')]);
    const friday = at('2026-05-08T15:00:00Z');
    expect(freezeAt([...ws, stop('all')], payments, friday)).toMatchObject({ window: STOP_THE_LINE });
    expect(freezeAt(ws, payments, friday)).toMatchObject({ window: 'weekend' });
  });
});

describe('which actions a freeze holds', () => {
  it('holds promotions and new releases, never a way back', () => {
    const actions: GovernedAction[] = [
      'start',
      'approve',
      'advance',
      'resume-advance',
      'reject',
      'rollback',
      'pause',
      'resume',
      'cancel',
    ];
    expect(actions.filter(heldByFreeze)).toEqual(['start', 'approve', 'advance', 'resume-advance']);
  });
});

describe('windows holding releases', () => {
  const release = (id: string, namespace: string, phase: HeldRelease['phase'] = 'awaiting-approval') => ({
    id,
    phase,
    target: { namespace, service: 'api' },
    meta: { cluster: 'prod' },
  });

  it('lists each freeze that holds now with the active releases it holds', () => {
    const ws = windows([weekend('P2DT16H'), office, yearEnd]);
    const stopShop: StopTheLine = {
      kind: 'stop',
      scope: { namespace: 'shop' },
      reason: 'Checkout errors',
      by: 'U0BOB00001',
      since: '2026-03-13T10:00:00Z',
    };
    const releases = [
      release('r1', 'payments'),
      release('r2', 'shop', 'analysing'),
      release('r3', 'shop', 'paused'),
      release('r4', 'payments', 'promoted'),
      release('r5', 'search'),
    ];
    // Friday 2026-03-13 16:00 Berlin: the weekend is open and office hours are closed; year-end does not hold.
    const holds = windowsHolding([...ws, stopShop], releases, at('2026-03-13T16:00:00Z'));
    expect(holds).toEqual([
      {
        window: 'weekend',
        kind: 'deny',
        reason: 'No promotions Friday 16:00 to Monday 08:00.',
        releases: [{ id: 'r1', until: at('2026-03-16T13:00:00Z') }],
      },
      {
        window: 'office-hours',
        kind: 'allow',
        reason: 'Promotions only inside the allow window "office-hours".',
        releases: [{ id: 'r1', until: at('2026-03-16T13:00:00Z') }],
      },
      {
        window: STOP_THE_LINE,
        kind: 'stop',
        reason: 'Checkout errors',
        by: 'U0BOB00001',
        releases: [{ id: 'r2' }, { id: 'r3' }],
      },
    ]);
  });

  it('lists a freeze that holds no release, and nothing when nothing holds', () => {
    const ws = windows([yearEnd]);
    expect(windowsHolding(ws, [release('r1', 'payments')], at('2026-12-24T12:00:00Z'))).toEqual([
      {
        window: 'year-end',
        kind: 'deny',
        reason: 'No promotions during the freeze window "year-end".',
        releases: [{ id: 'r1', until: at('2027-01-03T23:00:00Z') }],
      },
    ]);
    expect(windowsHolding(ws, [], at('2026-12-24T12:00:00Z'))).toMatchObject([
      { window: 'year-end', releases: [] },
    ]);
    expect(windowsHolding(ws, [release('r1', 'payments')], at('2026-06-01T00:00:00Z'))).toEqual([]);
  });
});

describe('reading freeze windows', () => {
  const valid = weekend('P2DT16H');
  const withRule = (rrule: string) => [{ ...valid, rrule }];

  it('reads the JSON text of a list of windows', () => {
    const parsed = parseFreezeWindows(JSON.stringify([valid, yearEnd, office]));
    expect(parsed.ok && parsed.windows.map((w) => [w.name, w.kind])).toEqual([
      ['weekend', 'deny'],
      ['year-end', 'deny'],
      ['office-hours', 'allow'],
    ]);
  });

  it.each([
    ['a part out of range', 'RRULE:FREQ=WEEKLY;BYHOUR=25', 'RRULE part BYHOUR=25 has "25", outside 0..23'],
    ['an unknown part', 'RRULE:FREQ=WEEKLY;FOO=1', 'RRULE part "FOO" is not an RFC 5545 rule part'],
    ['no FREQ', 'RRULE:BYDAY=FR', 'RRULE has no FREQ (FREQ=WEEKLY;BYDAY=FR)'],
    [
      'a bad frequency',
      'RRULE:FREQ=WEEKLYX',
      'FREQ=WEEKLYX is not a frequency; use HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY',
    ],
    [
      'a frequency finer than hours',
      'RRULE:FREQ=MINUTELY',
      'FREQ=MINUTELY is finer than a freeze window needs; use HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY',
    ],
    [
      'a bad weekday',
      'RRULE:FREQ=WEEKLY;BYDAY=FX',
      'RRULE part BYDAY=FX has "FX", which is not a weekday such as FR or -1SU',
    ],
    [
      'COUNT and UNTIL',
      'RRULE:FREQ=WEEKLY;COUNT=3;UNTIL=20270101T000000Z',
      'RRULE gives both COUNT and UNTIL; RFC 5545 allows one',
    ],
    [
      'a date that never comes',
      'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
      'rrule never produces an occurrence (no date matches all its parts)',
    ],
  ])('names the problem of an RRULE with %s', (_, line, sentence) => {
    expect(errorsOf(withRule(`DTSTART;TZID=Europe/Berlin:20260102T160000\n${line}`))).toEqual([
      `Freeze window "weekend": ${sentence}.`,
    ]);
  });

  it.each([
    [
      'no time zone',
      'DTSTART:20260102T160000\nRRULE:FREQ=WEEKLY',
      'DTSTART "DTSTART:20260102T160000" has no time zone; write DTSTART;TZID=Europe/Berlin:20260102T160000 (or a UTC time ending in Z)',
    ],
    [
      'an unknown time zone',
      'DTSTART;TZID=Mars/Olympus:20260102T160000\nRRULE:FREQ=WEEKLY',
      'time zone "Mars/Olympus" is unknown; use an IANA name such as Europe/Berlin or America/New_York',
    ],
    [
      'a day that does not exist',
      'DTSTART;TZID=Europe/Berlin:20260230T160000\nRRULE:FREQ=WEEKLY',
      'DTSTART "DTSTART;TZID=Europe/Berlin:20260230T160000" is not a real date and time',
    ],
    [
      'no RRULE',
      'DTSTART;TZID=Europe/Berlin:20260102T160000',
      'rrule has no RRULE line (RRULE:FREQ=WEEKLY;BYDAY=FR)',
    ],
    [
      'a stray line',
      'DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY\nSUMMARY:x',
      'rrule has a line "SUMMARY:x"; give a DTSTART line, an RRULE line and EXDATE lines only',
    ],
  ])('names the problem of a DTSTART with %s', (_, rrule, sentence) => {
    expect(errorsOf(withRule(rrule))).toEqual([`Freeze window "weekend": ${sentence}.`]);
  });

  it.each([
    [undefined, 'duration is missing; say how long each occurrence lasts, e.g. "PT64H" or "P2DT16H"'],
    ['-PT4H', 'duration "-PT4H" is negative; a window lasts a positive time such as PT64H'],
    ['PT0H', 'duration "PT0H" is zero; a window lasts a positive time such as PT64H'],
    ['64h', 'duration "64h" is not an ISO 8601 duration such as PT64H, P2DT16H or P1W'],
    ['P', 'duration "P" is not an ISO 8601 duration such as PT64H, P2DT16H or P1W'],
    [
      'P1M',
      'duration "P1M" counts years or months, whose length varies; use weeks, days, hours and minutes (P14D)',
    ],
  ])('names the problem of the duration %s', (duration, sentence) => {
    expect(errorsOf([{ ...valid, duration }])).toEqual([`Freeze window "weekend": ${sentence}.`]);
  });

  it.each([
    [
      { scope: {} },
      'scope names no cluster, namespace or service; a window applies to at least one, e.g. {"namespace": "payments"}',
    ],
    [{ scope: { namespace: 'Payments!' } }, 'scope.namespace must be a Kubernetes namespace name'],
    [{ scope: 'payments' }, 'scope must be an object such as {"namespace": "payments"}'],
    [{ scope: undefined }, 'scope is missing'],
    [{ kind: 'block' }, 'kind must be "deny" or "allow"'],
    [{ colour: 'red' }, 'has unknown field "colour"'],
    [{ scope: { team: 'x', namespace: 'payments' } }, 'scope has unknown field "team"'],
    [{ start: '2026-12-20' }, 'a window has either an rrule (with a duration) or start and end, not both'],
    [{ reason: 42 }, 'reason must be a text'],
  ])('names the problem of a window with %j', (change, sentence) => {
    expect(errorsOf([{ ...valid, ...change }])).toEqual([`Freeze window "weekend": ${sentence}.`]);
  });

  it.each([
    [
      { end: undefined },
      'a one-off window has both start and end (an end is excluded, like an iCalendar DTEND)',
    ],
    [
      { timeZone: 'Europe/Atlantis' },
      'time zone "Europe/Atlantis" is unknown; use an IANA name such as Europe/Berlin or America/New_York',
    ],
    [
      { timeZone: undefined },
      'start "2026-12-20" has no offset; give timeZone (such as "Europe/Berlin") to say where it is',
    ],
    [{ end: '2026-12-19' }, 'end 2026-12-19 is not after start 2026-12-20'],
    [{ end: '2027-02-30' }, 'end "2027-02-30" is not a real date and time'],
    [
      { start: '20.12.2026' },
      'start "20.12.2026" is not a date (2026-12-20), a local time (2026-12-20T16:00) or an instant (2026-12-20T15:00Z)',
    ],
    [{ duration: 'P1D' }, 'duration is for recurring windows; a one-off window has start and end'],
  ])('names the problem of a one-off window with %j', (change, sentence) => {
    expect(errorsOf([{ ...yearEnd, ...change }])).toEqual([`Freeze window "year-end": ${sentence}.`]);
  });

  it('refuses a name used twice (case aside), and names a window without a name by its place', () => {
    expect(errorsOf([valid, { ...yearEnd, name: 'Weekend' }])).toEqual([
      'Freeze window "Weekend": the name is already used by window 1; names must differ (case aside).',
    ]);
    expect(errorsOf([valid, { ...yearEnd, name: '  ' }])).toEqual(['Freeze window 2: name is empty.']);
    expect(errorsOf([valid, { ...yearEnd, name: undefined }])).toEqual(['Freeze window 2: name is missing.']);
  });

  it('reports every wrong window, and refuses what is not a list of windows', () => {
    expect(
      errorsOf([
        { ...valid, duration: '-PT1H' },
        { ...yearEnd, timeZone: 'Nowhere' },
      ]),
    ).toHaveLength(2);
    expect(errorsOf('[{"name": ')).toEqual([
      expect.stringMatching(/^The freeze windows are not valid JSON: .+\.$/),
    ]);
    expect(errorsOf({ weekend: valid })).toEqual([
      'The freeze windows must be a list (a JSON array) of windows.',
    ]);
  });

  it('never throws, whatever it is given', () => {
    const field = fc.oneof(fc.string(), fc.jsonValue());
    const window = fc.record(
      {
        name: field,
        scope: fc.oneof(fc.record({ namespace: field, cluster: field }, { requiredKeys: [] }), field),
        kind: fc.oneof(fc.constantFrom('deny', 'allow'), field),
        rrule: fc.oneof(
          fc
            .tuple(fc.string(), fc.string())
            .map(([a, b]) => `DTSTART;TZID=${a}:20260102T160000\nRRULE:FREQ=${b}`),
          fc.string().map((s) => `DTSTART;TZID=UTC:20260102T160000\nRRULE:${s}`),
          field,
        ),
        duration: fc.oneof(fc.stringMatching(/^-?P(\d{1,3}[WD])?(T\d{1,3}[HMS])?$/), field),
        start: field,
        end: field,
        timeZone: field,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(window, { maxLength: 3 }), fc.jsonValue(), fc.string()), (input) => {
        const parsed = parseFreezeWindows(input);
        expect(parsed.ok ? parsed.windows.length >= 0 : parsed.errors.length > 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties: freezeAt against the recurrence library's own expansion.

const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'UTC',
  'Australia/Lord_Howe',
  'America/Santiago',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'Europe/London',
];
/** Daylight saving changes of those zones in 2026, where mistakes happen. */
const CHANGES = [
  '2026-03-08T07:00:00Z',
  '2026-03-29T01:00:00Z',
  '2026-04-04T15:00:00Z',
  '2026-04-05T03:00:00Z',
  '2026-09-06T04:00:00Z',
  '2026-09-26T14:00:00Z',
  '2026-10-04T02:00:00Z',
  '2026-10-25T01:00:00Z',
  '2026-11-01T06:00:00Z',
].map(Date.parse);

interface RandomWindow {
  readonly kind: 'deny' | 'allow';
  readonly zone: string;
  readonly rrule: string;
  readonly duration: { days: number; hours: number; minutes: number };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const randomWindow: fc.Arbitrary<RandomWindow> = fc
  .record({
    kind: fc.constantFrom('deny' as const, 'allow' as const),
    zone: fc.constantFrom(...ZONES),
    day: fc.date({
      min: new Date('2025-06-01T00:00:00Z'),
      max: new Date('2026-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.constantFrom(0, 15, 30, 45),
    rule: fc.oneof(
      fc.integer({ min: 1, max: 3 }).map((i) => `FREQ=DAILY;INTERVAL=${i}`),
      fc
        .tuple(
          fc.subarray(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'], { minLength: 1 }),
          fc.integer({ min: 1, max: 2 }),
        )
        .map(([days, i]) => `FREQ=WEEKLY;INTERVAL=${i};BYDAY=${days.join(',')}`),
      fc.integer({ min: 1, max: 28 }).map((d) => `FREQ=MONTHLY;BYMONTHDAY=${d}`),
      fc.constantFrom('1MO', '-1FR', '2WE', '-1SU').map((d) => `FREQ=MONTHLY;BYDAY=${d}`),
      fc.constantFrom(6, 8, 12).map((i) => `FREQ=HOURLY;INTERVAL=${i}`),
    ),
    duration: fc
      .record({
        days: fc.integer({ min: 0, max: 3 }),
        hours: fc.integer({ min: 0, max: 23 }),
        minutes: fc.constantFrom(0, 30),
      })
      .filter((d) => d.days + d.hours + d.minutes > 0),
  })
  .map(({ kind, zone, day, hour, minute, rule, duration }) => ({
    kind,
    zone,
    rrule: `DTSTART;TZID=${zone}:${day.getUTCFullYear()}${pad(day.getUTCMonth() + 1)}${pad(day.getUTCDate())}T${pad(hour)}${pad(minute)}00\nRRULE:${rule}`,
    duration,
  }));

const isoDuration = (d: RandomWindow['duration']) => `P${d.days}DT${d.hours}H${d.minutes}M`;

/**
 * The end of an occurrence by the wall clock, independently of the library: the date moves by whole days
 * (the same local time, read as RFC 5545 and Temporal read a time that does not exist or happens twice),
 * then hours and minutes are exact.
 */
function endOf(start: number, window: RandomWindow): number {
  const local = addDays(wallTimeAt(start, window.zone), window.duration.days);
  return instantOf(local, window.zone) + window.duration.hours * HOUR + window.duration.minutes * 60_000;
}

/**
 * The answer of `freezeAt`, from one expansion of each rule over a wide range with the library's `between`:
 * frozen where a deny span covers, or where allow windows exist and none covers; the end is the first span
 * boundary from which nothing freezes. Undefined `until`: none within the range.
 */
function oracle(
  ws: readonly RandomWindow[],
  at: number,
): { frozen: boolean; until?: number; rangeEnd: number } {
  const from = at - 40 * DAY;
  const rangeEnd = at + 80 * DAY;
  const spans = ws.map((w) =>
    new RRuleTemporal({ rruleString: w.rrule })
      .between(new Date(from), new Date(rangeEnd), true)
      .map((o) => ({ start: o.epochMilliseconds, end: endOf(o.epochMilliseconds, w) })),
  );
  const covers = (kind: RandomWindow['kind'], t: number) =>
    ws.some((w, i) => w.kind === kind && (spans[i] ?? []).some((s) => s.start <= t && t < s.end));
  const hasAllow = ws.some((w) => w.kind === 'allow');
  const frozenAt = (t: number) => covers('deny', t) || (hasAllow && !covers('allow', t));
  const boundaries = [...new Set(spans.flat().flatMap((s) => [s.start, s.end]))]
    .filter((b) => b > at && b <= rangeEnd)
    .sort((a, b) => a - b);
  if (!frozenAt(at)) return { frozen: false, rangeEnd };
  const until = boundaries.find((b) => !frozenAt(b));
  return until === undefined ? { frozen: true, rangeEnd } : { frozen: true, until, rangeEnd };
}

const parsedOf = (ws: readonly RandomWindow[]) =>
  windows(
    ws.map((w, i) => ({
      name: `w${i}`,
      scope: { namespace: 'payments' },
      kind: w.kind,
      rrule: w.rrule,
      duration: isoDuration(w.duration),
    })),
  );

const instant = fc.oneof(
  fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-06-30T00:00:00Z') }),
  fc
    .tuple(fc.constantFrom(...CHANGES), fc.integer({ min: -4 * DAY, max: 4 * DAY }))
    .map(([change, offset]) => change + Math.round(offset / 60_000) * 60_000),
);

function assessAgainstOracle(ws: readonly RandomWindow[], atMs: number): void {
  const expected = oracle(ws, atMs);
  const state = freezeAt(parsedOf(ws), payments, new Date(atMs));
  expect(state.frozen).toBe(expected.frozen);
  if (!state.frozen || !expected.frozen) return;
  if (expected.until !== undefined)
    expect(state.until?.toISOString()).toBe(new Date(expected.until).toISOString());
  else expect(state.until === undefined || state.until.getTime() > expected.rangeEnd - 4 * DAY).toBe(true);
}

describe('freezeAt against the recurrence library (properties)', () => {
  it('agrees on random rules, time zones and instants, around daylight saving changes too', () => {
    fc.assert(
      fc.property(fc.array(randomWindow, { minLength: 1, maxLength: 3 }), instant, (ws, atMs) => {
        assessAgainstOracle(ws, atMs);
      }),
      { numRuns: 150 },
    );
  });

  it('agrees exactly at the starts and ends of occurrences, and a millisecond before', () => {
    fc.assert(
      fc.property(
        fc.array(randomWindow, { minLength: 1, maxLength: 3 }),
        instant,
        fc.nat(),
        fc.constantFrom(0, -1),
        (ws, near, pick, shift) => {
          const first = ws[0]!;
          const occurrences = new RRuleTemporal({ rruleString: first.rrule }).between(
            new Date(near - 20 * DAY),
            new Date(near + 20 * DAY),
            true,
          );
          const edges = occurrences.flatMap((o) => [o.epochMilliseconds, endOf(o.epochMilliseconds, first)]);
          const edge = edges[pick % Math.max(edges.length, 1)] ?? near;
          assessAgainstOracle(ws, edge + shift);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is not frozen at its own end, and frozen with the same end at any instant before it', () => {
    fc.assert(
      fc.property(
        fc.array(randomWindow, { minLength: 1, maxLength: 3 }),
        instant,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (ws, atMs, fraction) => {
          const parsed = parsedOf(ws);
          const state = freezeAt(parsed, payments, new Date(atMs));
          if (!state.frozen || state.until === undefined) return;
          const end = state.until.getTime();
          expect(end).toBeGreaterThan(atMs);
          expect(freezeAt(parsed, payments, state.until).frozen).toBe(false);
          const between = atMs + Math.floor((end - atMs) * fraction);
          const later = freezeAt(parsed, payments, new Date(Math.min(between, end - 1)));
          expect(later.frozen && later.until?.getTime()).toBe(end);
        },
      ),
      { numRuns: 100 },
    );
  });
});
