import fc from 'fast-check';
import {
  COMMAND_HELP,
  COMMAND_NAMES,
  type Command,
  GENERAL_USAGE,
  MAX_COMMAND_LENGTH,
  parseCommand,
  usageOf,
} from '../../src/domain/command/index.js';

const launch = { hosts: [], withSources: [] };

describe('parseCommand reads every command', () => {
  const cases: [string, Command][] = [
    [
      'start reviews v2 --ns bookinfo --steps 10,25,50,100',
      {
        kind: 'start',
        service: 'reviews',
        canaryVersion: 'v2',
        namespace: 'bookinfo',
        steps: [10, 25, 50, 100],
        ...launch,
      },
    ],
    ['start reviews v2', { kind: 'start', service: 'reviews', canaryVersion: 'v2', ...launch }],
    [
      'start reviews v2 --via httproute',
      { kind: 'start', service: 'reviews', canaryVersion: 'v2', via: { api: 'HTTPRoute' }, ...launch },
    ],
    [
      'mirror reviews v2 --via HTTPRoute/reviews-mesh',
      {
        kind: 'mirror',
        service: 'reviews',
        canaryVersion: 'v2',
        via: { api: 'HTTPRoute', name: 'reviews-mesh' },
        ...launch,
      },
    ],
    [
      'switch reviews v2 --via virtualservice/reviews-vs',
      {
        kind: 'switch',
        service: 'reviews',
        canaryVersion: 'v2',
        via: { api: 'VirtualService', name: 'reviews-vs' },
        ...launch,
      },
    ],
    [
      'start reviews v2 --bake 30m',
      { kind: 'start', service: 'reviews', canaryVersion: 'v2', bakeSeconds: 1800, ...launch },
    ],
    [
      'switch reviews v2 --bake 1h30m',
      { kind: 'switch', service: 'reviews', canaryVersion: 'v2', bakeSeconds: 5400, ...launch },
    ],
    [
      'start forecast v2 --with frontend=v2 --with ratings=v3,details=v1 --from v1 --vs forecast-vs --route primary --on-failure pause --cluster prod-eu -n weather --steps "10, 50"',
      {
        kind: 'start',
        service: 'forecast',
        canaryVersion: 'v2',
        namespace: 'weather',
        baselineVersion: 'v1',
        virtualService: 'forecast-vs',
        route: 'primary',
        onFailure: 'pause',
        cluster: 'prod-eu',
        steps: [10, 50, 100],
        hosts: [],
        withSources: [
          { service: 'frontend', version: 'v2' },
          { service: 'ratings', version: 'v3' },
          { service: 'details', version: 'v1' },
        ],
      },
    ],
    [
      'start apps-svc v2 --host v1=apps-svc-v1 --host=v2=apps-svc-v2.apps.svc.cluster.local',
      {
        kind: 'start',
        service: 'apps-svc',
        canaryVersion: 'v2',
        hosts: [
          { version: 'v1', host: 'apps-svc-v1' },
          { version: 'v2', host: 'apps-svc-v2.apps.svc.cluster.local' },
        ],
        withSources: [],
      },
    ],
    [
      `ab frontend v2 --header end-user=jason --header X-Beta~^(yes|true)$ --cookie 'user=tester' --user-agent ".*Mobile.*"`,
      {
        kind: 'ab',
        service: 'frontend',
        canaryVersion: 'v2',
        ...launch,
        matches: [
          { kind: 'header', name: 'end-user', match: { exact: 'jason' } },
          { kind: 'header', name: 'x-beta', match: { regex: '^(yes|true)$' } },
          { kind: 'cookie', regex: '^(.*?;\\s*)?(user=tester)(;.*)?$' },
          { kind: 'user-agent', regex: '.*Mobile.*' },
        ],
      },
    ],
    ['switch reviews v2', { kind: 'switch', service: 'reviews', canaryVersion: 'v2', ...launch }],
    [
      'mirror reviews v2 --percent 12.5 --ns bookinfo',
      {
        kind: 'mirror',
        service: 'reviews',
        canaryVersion: 'v2',
        namespace: 'bookinfo',
        percent: 12.5,
        ...launch,
      },
    ],
    [
      'weights reviews v1=90 v2=10',
      {
        kind: 'weights',
        service: 'reviews',
        canaryVersion: 'v2',
        baselineVersion: 'v1',
        ...launch,
        weights: [
          { version: 'v1', weight: 90 },
          { version: 'v2', weight: 10 },
        ],
      },
    ],
    ['approve', { kind: 'approve' }],
    [
      'approve reviews --ns bookinfo',
      { kind: 'approve', release: { by: 'service', service: 'reviews' }, namespace: 'bookinfo' },
    ],
    [
      'pause 01JABCDEFGHJKMNPQRSTVWXYZ0',
      { kind: 'pause', release: { by: 'id', id: '01JABCDEFGHJKMNPQRSTVWXYZ0' } },
    ],
    ['resume reviews', { kind: 'resume', release: { by: 'service', service: 'reviews' } }],
    ['cancel', { kind: 'cancel' }],
    [
      "rollback reviews --reason p99 doubled, don't ship",
      { kind: 'rollback', release: { by: 'service', service: 'reviews' }, reason: "p99 doubled, don't ship" },
    ],
    ['rollback --reason="bad"', { kind: 'rollback', reason: 'bad' }],
    [
      'approve reviews --reason "dashboards clean"',
      { kind: 'approve', release: { by: 'service', service: 'reviews' }, reason: 'dashboards clean' },
    ],
    ['status', { kind: 'status' }],
    ['status reviews --namespace bookinfo', { kind: 'status', service: 'reviews', namespace: 'bookinfo' }],
    ['metrics reviews --window 1h', { kind: 'metrics', service: 'reviews', windowSeconds: 3600 }],
    ['history reviews --limit 20', { kind: 'history', service: 'reviews', limit: 20 }],
    [
      'subscribe bookinfo --every 15m',
      { kind: 'subscribe', subject: 'bookinfo', schedule: { kind: 'interval', seconds: 900 } },
    ],
    [
      'subscribe reviews --every daily 09:30 --ns bookinfo',
      {
        kind: 'subscribe',
        subject: 'reviews',
        namespace: 'bookinfo',
        schedule: { kind: 'daily', hour: 9, minute: 30 },
      },
    ],
    ['unsubscribe bookinfo', { kind: 'unsubscribe', subject: 'bookinfo' }],
    ['subscriptions', { kind: 'subscriptions' }],
    ['help', { kind: 'help' }],
    ['help AB', { kind: 'help', topic: 'ab' }],
    ['', { kind: 'help' }],
    ['  \u00a0 ', { kind: 'help' }],
    ['STATUS', { kind: 'status' }],
    ['\u201Cstatus\u201D \u2018reviews\u2019', { kind: 'status', service: 'reviews' }],
  ];

  it.each(cases)('%s', (text, expected) => {
    // Act
    const result = parseCommand(text);
    // Assess
    expect(result).toEqual({ ok: true, command: expected });
  });
});

describe('parseCommand refuses with one sentence and the usage line', () => {
  const cases: [string, string, string][] = [
    ['frobnicate', 'There is no command "frobnicate".', GENERAL_USAGE],
    ['statsu', 'There is no command "statsu"; did you mean status?', GENERAL_USAGE],
    ['start reviews', 'Name the version to release, e.g. v2.', usageOf('start')],
    ['start', 'Name the service, e.g. reviews.', usageOf('start')],
    [
      'start reviews v2 --via gateway',
      '--via takes virtualservice or httproute (optionally /NAME), not "gateway".',
      usageOf('start'),
    ],
    [
      'start reviews v2 --via httproute/',
      "--via httproute/ needs the route object's name after the slash.",
      usageOf('start'),
    ],
    [
      'start reviews v2 --via httproute/Reviews_Mesh',
      `"Reviews_Mesh" is not a valid route object name: use lowercase letters, digits, '-' and '.', at most 253 characters.`,
      usageOf('start'),
    ],
    [
      'start Reviews v2',
      `"Reviews" is not a valid service name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.`,
      usageOf('start'),
    ],
    [
      `start reviews ${'v'.repeat(64)}`,
      `"${'v'.repeat(57)}..." is not a valid version: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.`,
      usageOf('start'),
    ],
    [
      'start reviews v2 --stpes 10',
      '/canary start has no option "--stpes"; did you mean --steps?',
      usageOf('start'),
    ],
    [
      'start reviews v2 --steps 50,25',
      'Canary weights must increase at every step; 25 comes after 50.',
      usageOf('start'),
    ],
    [
      'start reviews v2 --steps 10,abc',
      'Canary weights are whole percentages from 1 to 100; "abc" is not one.',
      usageOf('start'),
    ],
    ['start reviews v2 --ns', '--ns needs a value, e.g. --ns bookinfo.', usageOf('start')],
    ['start reviews v2 --ns a --ns b', '--ns is given twice; give it once.', usageOf('start')],
    [
      'start reviews v2 --from v2',
      'The baseline (--from v2) and the canary are the same version.',
      usageOf('start'),
    ],
    [
      'start reviews v2 --with reviews=v2',
      '--with reviews=v2 pins the service being released; pin the services that call it.',
      usageOf('start'),
    ],
    [
      'start reviews v2 --with frontend',
      '"frontend" is not a service=version pin; write it as frontend=v2.',
      usageOf('start'),
    ],
    [
      'start reviews v2 --on-failure explode',
      'On failure the release can roll back or pause: use --on-failure rollback or --on-failure pause, not "explode".',
      usageOf('start'),
    ],
    ...['30', '0m', '25h', '24h1s', 'soon'].map((value): [string, string, string] => [
      `start reviews v2 --bake ${value}`,
      `A bake lasts from 1m to 24h, e.g. --bake 30m or --bake 1h30m; "${value}" is not such a duration.`,
      usageOf('start'),
    ]),
    ['mirror reviews v2 --bake 30m', '/canary mirror does not take --bake.', usageOf('mirror')],
    [
      'start reviews v2 extra',
      'Unexpected "extra": /canary start takes <service> <version> and options.',
      usageOf('start'),
    ],
    [
      'start "reviews v2',
      'The quote " at character 7 is never closed; close it or remove it.',
      usageOf('start'),
    ],
    [
      'ab frontend v2',
      'An A/B test needs at least one --header, --cookie or --user-agent to match.',
      usageOf('ab'),
    ],
    [
      'ab frontend v2 --header end-user',
      '"end-user" is not a header match; write --header name=value (exact) or --header name~regex.',
      usageOf('ab'),
    ],
    [
      'ab frontend v2 --user-agent (?!bot)',
      'The user agent regex "(?!bot)" is not valid RE2 (the syntax Istio and Envoy use): invalid or unsupported Perl syntax: `(?!`.',
      usageOf('ab'),
    ],
    [
      'ab frontend v2 --user-agent (',
      'The user agent regex "(" is not valid RE2 (the syntax Istio and Envoy use): missing closing ): `(`.',
      usageOf('ab'),
    ],
    [
      'ab frontend v2 --cookie user',
      `"user" is not a cookie to match; write it as --cookie 'name=value'.`,
      usageOf('ab'),
    ],
    [
      'mirror reviews v2 --percent 0',
      'The mirror percentage is a number above 0 and at most 100, not "0".',
      usageOf('mirror'),
    ],
    ['mirror reviews v2 --with frontend=v2', '/canary mirror does not take --with.', usageOf('mirror')],
    ['weights reviews', 'Give the weights, e.g. v1=90 v2=10.', usageOf('weights')],
    ['weights reviews v1=90 v2=20', 'Weights must add up to 100, not 110 (v1=90 v2=20).', usageOf('weights')],
    [
      'weights reviews v1=100 v2=0',
      'The last version listed (v2) is the one being released; give it a weight above 0.',
      usageOf('weights'),
    ],
    ['weights reviews v1=50 v1=50', 'v1 is listed twice.', usageOf('weights')],
    [
      'weights reviews v1=x v2=10',
      'The weight of v1 must be a whole percentage from 0 to 100, not "x".',
      usageOf('weights'),
    ],
    [
      'approve Re_x',
      `"Re_x" is neither a service name (lowercase letters, digits and '-') nor a release id (letters and digits).`,
      usageOf('approve'),
    ],
    ['pause reviews --reason x', '/canary pause does not take --reason.', usageOf('pause')],
    ['rollback --reason', '--reason needs a value, e.g. --reason error spike.', usageOf('rollback')],
    ['status --steps 10', '/canary status does not take --steps.', usageOf('status')],
    [
      'status --bogus',
      '/canary status has no option "--bogus"; it takes --ns, --cluster.',
      usageOf('status'),
    ],
    ['metrics', 'Name the service, e.g. reviews.', usageOf('metrics')],
    [
      'metrics reviews --window 10x',
      'The window is a duration from 1m to 7d such as 5m, 1h or 1d, not "10x".',
      usageOf('metrics'),
    ],
    ['history reviews --limit 0', 'The limit is a whole number from 1 to 50, not "0".', usageOf('history')],
    ['subscribe bookinfo', 'Say how often, e.g. --every 1h or --every daily 09:00.', usageOf('subscribe')],
    [
      'subscribe bookinfo --every 1m',
      'Summaries go out every 5m at most and every 24h at least, not every 1m.',
      usageOf('subscribe'),
    ],
    [
      'subscribe bookinfo --every daily',
      'Give the time of the daily summary as HH:MM, e.g. --every daily 09:00.',
      usageOf('subscribe'),
    ],
    [
      'subscribe bookinfo --every daily 25:00',
      'Give the time of the daily summary as HH:MM, e.g. --every daily 09:00, not "25:00".',
      usageOf('subscribe'),
    ],
    [
      'subscriptions mine',
      'Unexpected "mine": /canary subscriptions takes no arguments.',
      usageOf('subscriptions'),
    ],
    [
      'subscriptions --ns x',
      '/canary subscriptions does not take --ns (it takes no options).',
      usageOf('subscriptions'),
    ],
    [
      'help nope',
      `There is no command "nope"; the commands are ${COMMAND_NAMES.join(', ')}.`,
      usageOf('help'),
    ],
  ];

  it.each(cases)('%s', (text, error, usage) => {
    // Act
    const result = parseCommand(text);
    // Assess
    expect(result).toEqual({ ok: false, error, usage });
  });

  it('refuses a line longer than Slack would send before reading it', () => {
    // Act
    const result = parseCommand(`status ${'x'.repeat(MAX_COMMAND_LENGTH)}`);
    // Assess
    expect(result).toEqual({
      ok: false,
      error: `The command is too long (${MAX_COMMAND_LENGTH + 7} characters; at most ${MAX_COMMAND_LENGTH}).`,
      usage: usageOf('status'),
    });
  });

  it('gives the usage line of the command that failed', () => {
    // Act
    const result = parseCommand('history');
    // Assess
    expect(result).toEqual({
      ok: false,
      error: 'Name the service, e.g. reviews.',
      usage: '/canary history <service> [--ns NS] [--limit N] [--cluster NAME]',
    });
  });
});

describe('help data', () => {
  it('covers every command once, in order, with every option in its usage line', () => {
    // Act
    const names = COMMAND_HELP.map((h) => h.name);
    // Assess
    expect(names).toEqual([...COMMAND_NAMES]);
    for (const help of COMMAND_HELP) {
      for (const option of help.options) expect(help.usage).toContain(option.syntax.split(' ')[0]);
      expect(help.usage.startsWith(`/canary ${help.name}`)).toBe(true);
      expect(help.brief.length).toBeLessThanOrEqual(help.usage.length);
    }
  });

  it('has examples that parse to their own command', () => {
    for (const help of COMMAND_HELP) {
      // Act
      const result = parseCommand(help.example.replace(/^\/canary /, ''));
      // Assess
      expect(result.ok && result.command.kind).toBe(help.name);
    }
  });
});

describe('parseCommand on any input', () => {
  const assessResult = (text: string) => {
    const result = parseCommand(text);
    if (result.ok) expect(COMMAND_NAMES).toContain(result.command.kind);
    else {
      expect(result.error.length).toBeGreaterThan(0);
      expect(result.error.length).toBeLessThan(600);
      expect(result.usage.startsWith('/canary')).toBe(true);
    }
  };

  it('never throws on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        assessResult(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on random sequences of plausible words', () => {
    const word = fc.oneof(
      fc.constantFrom(...COMMAND_NAMES),
      fc.constantFrom(
        '--ns',
        '-n',
        '--from',
        '--steps',
        '--with',
        '--host',
        '--header',
        '--cookie',
        '--user-agent',
        '--percent',
        '--reason',
        '--window',
        '--limit',
        '--every',
        '--on-failure',
        '--vs',
        '--via',
        'httproute/x',
        '--route',
        '--cluster',
        '--steps=',
        'daily',
        '09:00',
        '15m',
        'reviews',
        'v2',
        'v1=90',
        'v2=10',
        'a=b,c=d',
        'x~(',
        "'",
        '"',
        '\u201C',
        '=',
        '~',
        '',
      ),
      fc.string({ maxLength: 12 }),
      fc.integer({ min: -5, max: 1000 }).map(String),
    );
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 12 }),
        fc.constantFrom(' ', '  ', '\t', '\u00a0'),
        (words, gap) => {
          assessResult(words.join(gap));
        },
      ),
      { numRuns: 4000 },
    );
  });
});
