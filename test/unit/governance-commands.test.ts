import { ConfigError, loadConfig } from '../../src/config.js';
import { parseCommand, usageOf } from '../../src/domain/command/index.js';

const minimal = { CANARY_BOT_PROMETHEUS_URL: 'http://prometheus:9090' };
const noSecrets = async () => {
  throw new Error('no secret should be read');
};

describe('the freeze grammar', () => {
  it.each([
    ['freeze', { kind: 'freeze', now: false }],
    ['freeze --ns payments', { kind: 'freeze', now: false, namespace: 'payments' }],
    [
      'freeze now --ns payments --reason "incident 4711"',
      { kind: 'freeze', now: true, namespace: 'payments', reason: 'incident 4711' },
    ],
    [
      'freeze now --cluster prod --reason disk full on the nodes',
      { kind: 'freeze', now: true, cluster: 'prod', reason: 'disk full on the nodes' },
    ],
    ['freeze now --reason all hands', { kind: 'freeze', now: true, reason: 'all hands' }],
    ['unfreeze', { kind: 'unfreeze' }],
    ['unfreeze --ns payments', { kind: 'unfreeze', namespace: 'payments' }],
    ['unfreeze --cluster prod', { kind: 'unfreeze', cluster: 'prod' }],
  ])('reads %p', (text, command) => {
    // Act
    const parsed = parseCommand(text);
    // Assess
    expect(parsed).toEqual({ ok: true, command });
  });

  it.each([
    ['freeze now --ns payments', 'Say why the line is stopped: --reason "incident 4711".', 'freeze'],
    [
      'freeze now --ns payments --reason ""',
      'Say why the line is stopped: --reason "incident 4711".',
      'freeze',
    ],
    [
      'freeze later --reason x',
      'Unexpected "later": /canary freeze lists the freezes, /canary freeze now stops the line.',
      'freeze',
    ],
    ['freeze --reason x', '--reason is for stopping the line: /canary freeze now --reason "…".', 'freeze'],
    ['unfreeze now', 'Unexpected "now": /canary unfreeze takes no arguments and options.', 'unfreeze'],
    ['unfreeze --reason x', '/canary unfreeze does not take --reason.', 'unfreeze'],
  ] as const)('refuses %p with one sentence', (text, error, name) => {
    // Act
    const parsed = parseCommand(text);
    // Assess
    expect(parsed).toEqual({ ok: false, error, usage: usageOf(name) });
  });

  it('takes --bypass-freeze on start and approve, with a reason', () => {
    // Act
    const start = parseCommand('start api v2 --ns payments --bypass-freeze "hotfix INC-42"');
    const approve = parseCommand('approve api --ns payments --bypass-freeze "hotfix INC-42"');
    const short = parseCommand('approve api --bypass-freeze ok');
    const pause = parseCommand('pause api --bypass-freeze "hotfix INC-42"');
    // Assess
    expect(start).toMatchObject({ ok: true, command: { kind: 'start', bypassFreeze: 'hotfix INC-42' } });
    expect(approve).toMatchObject({ ok: true, command: { kind: 'approve', bypassFreeze: 'hotfix INC-42' } });
    expect(short).toMatchObject({
      ok: false,
      error: 'Say why the freeze is bypassed: --bypass-freeze "hotfix for INC-42".',
    });
    expect(pause).toMatchObject({ ok: false, error: '/canary pause does not take --bypass-freeze.' });
    expect(usageOf('approve')).toContain('[--bypass-freeze "REASON"]');
  });
});

describe('freeze windows in the policy', () => {
  const policy = (freezeWindows: unknown, more: object = {}) =>
    JSON.stringify({
      default: { starters: ['*'], approvers: ['*'], fourEyes: true },
      freezeWindows,
      ...more,
    });

  it('loads windows and the bypass role', async () => {
    // Act
    const config = await loadConfig(
      {
        ...minimal,
        CANARY_BOT_POLICY: policy(
          [
            {
              name: 'year-end',
              scope: { namespace: 'payments' },
              kind: 'deny',
              start: '2026-12-20',
              end: '2027-01-04',
              timeZone: 'Europe/Berlin',
            },
          ],
          { freezeBypass: ['S0SRE'] },
        ),
      },
      noSecrets,
    );
    // Assess
    expect(config.policy.freezeWindows?.map((w) => w.name)).toEqual(['year-end']);
    expect(
      config.policy.freezeWindows?.[0]?.schedule.spansAt(Date.parse('2026-12-24T12:00:00Z')),
    ).toHaveLength(1);
    expect(config.policy.freezeBypass).toEqual(['S0SRE']);
  });

  it('fails loading a window on a cluster that is not declared (it would hold nothing)', async () => {
    const attempt = loadConfig(
      {
        ...minimal,
        CANARY_BOT_POLICY: policy([
          {
            name: 'year-end',
            scope: { cluster: 'prdo' },
            kind: 'deny',
            start: '2026-12-20',
            end: '2027-01-04',
            timeZone: 'Europe/Berlin',
          },
        ]),
      },
      noSecrets,
    );
    await expect(attempt).rejects.toThrow(
      /CANARY_BOT_POLICY\.freezeWindows: window "year-end" names cluster prdo, which CANARY_BOT_CLUSTERS does not declare/,
    );
  });

  it('fails loading with the window name and what is wrong', async () => {
    // Act
    const attempt = loadConfig(
      {
        ...minimal,
        CANARY_BOT_POLICY: policy([
          {
            name: 'weekend',
            scope: { namespace: 'payments' },
            kind: 'deny',
            rrule: 'DTSTART;TZID=Europe/Berlin:20260102T160000\nRRULE:FREQ=WEEKLY;BYDAY=XX',
            duration: 'P2DT16H',
          },
        ]),
      },
      noSecrets,
    );
    // Assess
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(
      /CANARY_BOT_POLICY\.freezeWindows: Freeze window "weekend": RRULE part BYDAY=XX/,
    );
  });

  it('refuses a bypass principal that is not a Slack id', async () => {
    // Act
    const attempt = loadConfig(
      { ...minimal, CANARY_BOT_POLICY: policy([], { freezeBypass: ['sre'] }) },
      noSecrets,
    );
    // Assess
    await expect(attempt).rejects.toThrow(/CANARY_BOT_POLICY\.freezeBypass\.0: must be a Slack user id/);
  });

  it('refuses * as a bypass: a bypass is a named role', async () => {
    // Act
    const attempt = loadConfig(
      { ...minimal, CANARY_BOT_POLICY: policy([], { freezeBypass: ['*'] }) },
      noSecrets,
    );
    // Assess
    await expect(attempt).rejects.toThrow(/CANARY_BOT_POLICY\.freezeBypass\.0: a freeze bypass names people/);
  });
});
