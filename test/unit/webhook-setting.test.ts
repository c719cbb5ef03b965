/**
 * CANARY_BOT_WEBHOOKS and CANARY_BOT_WEBHOOK_SECRET as loadConfig reads them; the URLs a webhook may
 * target; the back-off's bounds; the signature as the README's recipe verifies it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config.js';
import { backoffMs, DEFAULT_RETRY, signatureOf } from '../../src/webhook/webhook-sender.js';
import {
  describeTarget,
  isForbiddenAddress,
  webhookTargetsFor,
  webhookUrlProblem,
} from '../../src/webhook/webhook-setting.js';

const minimal = {
  CANARY_BOT_SLACK_SIGNING_SECRET: 'a-signing-secret-of-some-length',
  CANARY_BOT_SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
};
const noSecrets = async (reference: string) => {
  throw new Error(`unexpected secret reference ${reference}`);
};
const secret = 'a-webhook-secret-of-32-characters!';
const routingKey = 'R0123456789abcdefABCDEF012345678';

async function problemsOf(env: Record<string, string>): Promise<string> {
  try {
    await loadConfig({ ...minimal, ...env }, noSecrets);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return '';
}

describe('CANARY_BOT_WEBHOOKS', () => {
  it('reads targets per namespace and by default, the secret read like every secret (ssm: in AWS)', async () => {
    const setting = {
      default: [{ url: 'https://hooks.example.com/canary', format: 'generic' }],
      namespaces: {
        payments: [
          { url: 'https://events.pagerduty.com/v2/change/enqueue', format: 'pagerduty', routingKey },
        ],
        sandbox: [],
      },
    };
    const config = await loadConfig(
      {
        ...minimal,
        CANARY_BOT_WEBHOOKS: JSON.stringify(setting),
        CANARY_BOT_WEBHOOK_SECRET: 'ssm:/canary-bot/prod/webhook-secret',
      },
      async (reference) => {
        expect(reference).toBe('ssm:/canary-bot/prod/webhook-secret');
        return secret;
      },
    );
    expect(config.webhookSecret).toBe(secret);
    const webhooks = config.webhooks ?? {};
    expect(webhookTargetsFor(webhooks, 'payments')).toEqual(setting.namespaces.payments);
    expect(webhookTargetsFor(webhooks, 'sandbox')).toEqual([]);
    expect(webhookTargetsFor(webhooks, 'shop')).toEqual(setting.default);
    expect(webhookTargetsFor(webhooks, 'constructor')).toEqual(setting.default);
  });

  it.each([
    [
      { default: [{ url: 'http://169.254.169.254/latest/meta-data', format: 'generic' }] },
      'must not target a link-local or metadata address',
    ],
    [
      { default: [{ url: 'http://[::ffff:169.254.169.254]/', format: 'generic' }] },
      'must not target a link-local or metadata address',
    ],
    [
      { default: [{ url: 'https://2852039166/', format: 'generic' }] },
      'must not target a link-local or metadata address',
    ],
    [
      { default: [{ url: 'http://metadata.google.internal/', format: 'generic' }] },
      'must not target a link-local or metadata address',
    ],
    [
      { default: [{ url: 'http://hooks.example.com/', format: 'generic' }] },
      'must be https (http only on 127.0.0.1 or localhost)',
    ],
    [{ default: [{ url: 'ftp://hooks.example.com/', format: 'generic' }] }, 'must be https'],
    [
      { default: [{ url: 'https://events.pagerduty.com/v2/change/enqueue', format: 'pagerduty' }] },
      'a pagerduty target needs its routingKey',
    ],
    [
      { default: [{ url: 'https://x.example.com/', format: 'pagerduty', routingKey: 'short' }] },
      'must be a PagerDuty integration key',
    ],
    [
      { default: [{ url: 'https://x.example.com/', format: 'slack' }] },
      'CANARY_BOT_WEBHOOKS.default.0.format',
    ],
    [{ namespaces: { Bad_NS: [] } }, 'CANARY_BOT_WEBHOOKS.namespaces.Bad_NS'],
    [{ default: [], extra: 1 }, 'CANARY_BOT_WEBHOOKS'],
  ])('refuses %j', async (setting, message) => {
    const problems = await problemsOf({
      CANARY_BOT_WEBHOOKS: JSON.stringify(setting),
      CANARY_BOT_WEBHOOK_SECRET: secret,
    });
    expect(problems).toContain(message);
    expect(problems).not.toContain(secret);
  });

  it('asks for the secret when a generic target is set, and https in AWS', async () => {
    const local = JSON.stringify({ default: [{ url: 'http://127.0.0.1:8080/hook', format: 'generic' }] });
    expect(await problemsOf({ CANARY_BOT_WEBHOOKS: local })).toContain(
      'CANARY_BOT_WEBHOOK_SECRET: is required when CANARY_BOT_WEBHOOKS has a generic target',
    );
    expect(await problemsOf({ CANARY_BOT_WEBHOOKS: local, CANARY_BOT_WEBHOOK_SECRET: secret })).toBe('');
    expect(
      await problemsOf({
        CANARY_BOT_WEBHOOKS: local,
        CANARY_BOT_WEBHOOK_SECRET: secret,
        AWS_LAMBDA_FUNCTION_NAME: 'canary-bot-worker',
      }),
    ).toContain('CANARY_BOT_WEBHOOKS: every url must be https in AWS');
    expect(await problemsOf({ CANARY_BOT_WEBHOOK_SECRET: 'short' })).toContain(
      'CANARY_BOT_WEBHOOK_SECRET: must be at least 24 characters',
    );
  });

  it('tells link-local, unspecified and metadata addresses apart from others', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.0.1',
      '0.0.0.0',
      '::',
      'fe80::1',
      '[fe80::1]',
      '::ffff:169.254.169.254',
      'fd00:ec2::254',
    ])
      expect([address, isForbiddenAddress(address)]).toEqual([address, true]);
    for (const address of ['127.0.0.1', '10.0.0.1', '8.8.8.8', '::1', '2001:db8::1', '170.254.1.1'])
      expect([address, isForbiddenAddress(address)]).toEqual([address, false]);
    expect(webhookUrlProblem('http://localhost:9000/x', false)).toBeUndefined();
    expect(webhookUrlProblem('http://[::1]:9000/x', false)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:9000/x', true)).toBe('must be https in AWS');
  });

  it('names a target in logs by format and origin only', () => {
    expect(
      describeTarget({
        url: 'https://user:pa55@hooks.example.com:8443/p/s3cret?token=abc',
        format: 'generic',
      }),
    ).toBe('generic https://hooks.example.com:8443');
  });
});

describe("README's example", () => {
  it('loads as written in AWS: payments to both, sandbox to none, the rest to the default', async () => {
    // Prepare
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Audit out'));
    const example = /```json\n([\s\S]*?)\n```/.exec(section)?.[1] ?? 'null';
    // Act
    const config = await loadConfig(
      {
        ...minimal,
        CANARY_BOT_POLICY: JSON.stringify({
          workspaces: ['T0123ABC'],
          default: { starters: ['*'], approvers: ['S0SRE'], fourEyes: true },
        }),
        AWS_LAMBDA_FUNCTION_NAME: 'canary-bot-prod-worker',
        CANARY_BOT_WEBHOOKS: example,
        CANARY_BOT_WEBHOOK_SECRET: secret,
      },
      noSecrets,
    );
    // Assess
    const formats = (ns: string) => webhookTargetsFor(config.webhooks ?? {}, ns).map((t) => t.format);
    expect([formats('payments'), formats('sandbox'), formats('shop')]).toEqual([
      ['generic', 'pagerduty'],
      [],
      ['generic'],
    ]);
  });
});

describe('delivery timing and signature', () => {
  it('pauses a random share of a doubling, capped pause', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (attempt, r) => {
          const ms = backoffMs(attempt, DEFAULT_RETRY, () => r);
          const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1));
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThan(ceiling);
          expect(ms).toBeLessThan(DEFAULT_RETRY.maxDelayMs);
        },
      ),
    );
    expect(backoffMs(1, DEFAULT_RETRY, () => 0.5)).toBe(500);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0.5)).toBe(2000);
    expect(backoffMs(10, DEFAULT_RETRY, () => 0.5)).toBe(4000);
  });

  it('signs timestamp.body with HMAC-SHA256, as the README verifies it', () => {
    const body = '{"type":"canary-bot.change","id":"r1:3:approve:2026-12-01T10:00:00.000Z"}';
    const header = signatureOf(secret, 1_764_979_200, body);
    // The README's recipe: split the header, recompute, compare in constant time, check the age.
    const { t, v1 } = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(timingSafeEqual(Buffer.from(v1 ?? ''), Buffer.from(expected))).toBe(true);
    expect(t).toBe('1764979200');
    expect(signatureOf(secret, 1_764_979_200, `${body} `)).not.toBe(header);
    expect(signatureOf(`${secret}x`, 1_764_979_200, body)).not.toBe(header);
  });
});
