import {
  MAX_WEBHOOK_BODY_BYTES,
  readWebhookRequest,
  type WebhookHttpRequest,
} from '../../src/flagger/webhook-request.js';

const secret = 'flagger-secret-0123456789abcdef';

/** Flagger's bodies as it sends them (recorded from Flagger 1.44 on the test bed). */
const gateBody =
  '{"name":"podinfo","namespace":"fl-mwrt7ctlpl","phase":"Progressing","checksum":"7845487b68"}';
const eventBody =
  '{"name":"podinfo","namespace":"fl-mwrt7ctlpl","phase":"WaitingPromotion","checksum":"7845487b68","metadata":{"eventMessage":"Halt podinfo.fl-mwrt7ctlpl advancement waiting for promotion approval ask","eventType":"Warning","timestamp":"1795350336143"}}';

function request(overrides: Partial<WebhookHttpRequest> & { method?: string } = {}): WebhookHttpRequest {
  return {
    rawPath: overrides.rawPath ?? `/flagger/${secret}/confirm-promotion`,
    headers: overrides.headers ?? { 'content-type': 'application/json' },
    body: overrides.body ?? Buffer.from(gateBody).toString('base64'),
    isBase64Encoded: overrides.isBase64Encoded ?? true,
    requestContext: { http: { method: overrides.method ?? 'POST' } },
  };
}

describe('readWebhookRequest', () => {
  it("reads Flagger's confirm-* payload with the secret in the path", () => {
    expect(readWebhookRequest(request(), secret)).toEqual({
      ok: true,
      call: {
        hook: 'confirm-promotion',
        payload: {
          name: 'podinfo',
          namespace: 'fl-mwrt7ctlpl',
          phase: 'Progressing',
          checksum: '7845487b68',
          metadata: {},
        },
      },
    });
  });

  it("reads Flagger's event payload with the secret as a bearer token", () => {
    // Prepare
    const event = request({
      rawPath: '/flagger/event',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
      body: eventBody,
      isBase64Encoded: false,
    });
    // Act
    const read = readWebhookRequest(event, secret);
    // Assess
    expect(read).toMatchObject({
      ok: true,
      call: {
        hook: 'event',
        payload: { phase: 'WaitingPromotion', checksum: '7845487b68' },
        event: {
          type: 'Warning',
          message: 'Halt podinfo.fl-mwrt7ctlpl advancement waiting for promotion approval ask',
          timestampMs: 1795350336143,
        },
      },
    });
  });

  it.each([
    ['no secret at all', request({ rawPath: '/flagger/confirm-promotion' })],
    [
      'a wrong secret in the path',
      request({ rawPath: '/flagger/wrong-secret-0123456789abcdef/confirm-rollout' }),
    ],
    ['a secret one character short', request({ rawPath: `/flagger/${secret.slice(0, -1)}/confirm-rollout` })],
    [
      'a wrong bearer token',
      request({
        rawPath: '/flagger/rollback',
        headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      }),
    ],
    [
      'a right path secret with a wrong bearer token',
      request({ headers: { authorization: 'Bearer nope', 'content-type': 'application/json' } }),
    ],
    ['a secret in a longer path', request({ rawPath: `/flagger/${secret}/x/confirm-rollout` })],
  ])('refuses %s with 401, without echoing the secret', (_, bad) => {
    const read = readWebhookRequest(bad, secret);
    expect(read).toEqual({ ok: false, refusal: { status: 401, reason: 'Missing or wrong Flagger secret.' } });
  });

  it('answers 404 for hooks the bot does not serve, after authentication', () => {
    for (const hook of ['pre-rollout', 'post-rollout', 'rollout', 'gate']) {
      expect(readWebhookRequest(request({ rawPath: `/flagger/${secret}/${hook}` }), secret)).toMatchObject({
        ok: false,
        refusal: { status: 404 },
      });
    }
  });

  it.each([
    ['GET', request({ method: 'GET' }), 405],
    ['a form body', request({ headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415],
    ['no content type', request({ headers: {} }), 415],
    [
      'a body over the limit',
      request({ body: `{"name":"${'x'.repeat(MAX_WEBHOOK_BODY_BYTES)}"}`, isBase64Encoded: false }),
      413,
    ],
    ['broken JSON', request({ body: '{"name":', isBase64Encoded: false }), 400],
    ['a JSON array', request({ body: '[]', isBase64Encoded: false }), 400],
    [
      'no checksum',
      request({
        body: '{"name":"podinfo","namespace":"test","phase":"Progressing"}',
        isBase64Encoded: false,
      }),
      400,
    ],
    [
      'a namespace that is not a DNS label',
      request({ body: '{"name":"podinfo","namespace":"Te/st","checksum":"abc"}', isBase64Encoded: false }),
      400,
    ],
  ])('refuses %s', (_, bad, status) => {
    const read = readWebhookRequest(bad, secret);
    expect(read).toMatchObject({ ok: false, refusal: { status } });
    if (!read.ok) expect(read.refusal.reason).not.toContain(secret);
  });

  it('says which field is wrong in an event', () => {
    const read = readWebhookRequest(
      request({
        rawPath: `/flagger/${secret}/event`,
        body: '{"name":"podinfo","namespace":"test","checksum":"abc","metadata":{"eventMessage":"x","eventType":"Info","timestamp":"1"}}',
        isBase64Encoded: false,
      }),
      secret,
    );
    expect(read).toMatchObject({
      ok: false,
      refusal: { status: 400, reason: expect.stringContaining('metadata.eventType') },
    });
  });
});
