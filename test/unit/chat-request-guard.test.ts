import { createHmac } from 'node:crypto';
import { replayKey, verifySlackRequest } from '../../src/chat/slack/request-guard.js';

const secret = 'test-signing-secret-0123456789';
const now = Date.UTC(2026, 10, 22, 10, 0, 0);
const body = 'command=%2Fcanary&text=status&user_id=U0ALICE001';

function signed(
  overrides: { body?: string; ts?: number; secret?: string; contentType?: string; base64?: boolean } = {},
) {
  const ts = overrides.ts ?? now / 1000;
  const text = overrides.body ?? body;
  const signature = `v0=${createHmac('sha256', overrides.secret ?? secret)
    .update(`v0:${ts}:${text}`)
    .digest('hex')}`;
  return {
    headers: {
      'Content-Type': overrides.contentType ?? 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(ts),
      'X-Slack-Signature': signature,
    },
    body: overrides.base64 ? Buffer.from(text, 'utf8').toString('base64') : text,
    isBase64Encoded: overrides.base64 ?? false,
  };
}

describe('verifySlackRequest', () => {
  it('accepts a request signed as Slack signs it', () => {
    expect(verifySlackRequest(signed(), secret, now)).toMatchObject({ rawBody: body, timestamp: now / 1000 });
  });

  it('accepts an Events API callback: JSON, signed the same way', () => {
    const event = JSON.stringify({
      type: 'event_callback',
      event_id: 'Ev01',
      event: { type: 'app_home_opened' },
    });
    expect(
      verifySlackRequest(signed({ body: event, contentType: 'application/json' }), secret, now),
    ).toMatchObject({ rawBody: event });
  });

  it('decodes a base64 body as UTF-8, so non-ASCII text keeps its signature', () => {
    const text = `command=%2Fcanary&text=${encodeURIComponent('rollback reviews --reason "ça déraille ✗"')}`;
    expect(verifySlackRequest(signed({ body: text, base64: true }), secret, now)).toMatchObject({
      rawBody: text,
    });
  });

  it.each([
    ['a wrong secret', signed({ secret: 'another-secret-0123456789' }), 401, /Invalid Slack signature/],
    ['a stale timestamp (6 minutes old)', signed({ ts: now / 1000 - 360 }), 401, /five minutes/],
    ['a future timestamp (6 minutes ahead)', signed({ ts: now / 1000 + 360 }), 401, /five minutes/],
    ['a tampered body', { ...signed(), body: `${body}&x=1` }, 401, /Invalid Slack signature/],
    [
      'no signature',
      { ...signed(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      401,
      /Missing or malformed/,
    ],
    ['a plain text body', signed({ contentType: 'text/plain' }), 415, /x-www-form-urlencoded/],
    ['an oversized body', signed({ body: `text=${'a'.repeat(70_000)}` }), 413, /larger than/],
  ])('refuses %s', (_what, request, status, reason) => {
    expect(verifySlackRequest(request, secret, now)).toEqual({
      status,
      reason: expect.stringMatching(reason),
    });
  });

  it('gives the same replay key to the same signed request', () => {
    const a = verifySlackRequest(signed(), secret, now);
    const b = verifySlackRequest(signed(), secret, now + 1000);
    expect('rawBody' in a && 'rawBody' in b && replayKey(a) === replayKey(b)).toBe(true);
  });
});
