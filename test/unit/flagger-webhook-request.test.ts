import { FLAGGER_KEY_METADATA, flaggerNamespaceKey } from '../../src/flagger/namespace-key.js';
import {
  MAX_WEBHOOK_BODY_BYTES,
  readWebhookRequest,
  type WebhookHttpRequest,
} from '../../src/flagger/webhook-request.js';

const secret = 'flagger-secret-0123456789abcdef';
const masters = { current: secret };
/** The key of the recorded payloads' namespace, and of another namespace. */
const key = flaggerNamespaceKey(secret, 'fl-mwrt7ctlpl');
const otherKey = flaggerNamespaceKey(secret, 'team-a');

/** Flagger's bodies as it sends them (recorded from Flagger 1.44 on the test bed), the webhook's metadata in. */
const gateBody = (k = key) =>
  `{"name":"podinfo","namespace":"fl-mwrt7ctlpl","phase":"Progressing","checksum":"7845487b68","metadata":{"${FLAGGER_KEY_METADATA}":"${k}"}}`;
const eventBody =
  '{"name":"podinfo","namespace":"fl-mwrt7ctlpl","phase":"WaitingPromotion","checksum":"7845487b68","metadata":{"eventMessage":"Halt podinfo.fl-mwrt7ctlpl advancement waiting for promotion approval ask","eventType":"Warning","timestamp":"1795350336143"}}';

function request(overrides: Partial<WebhookHttpRequest> & { method?: string } = {}): WebhookHttpRequest {
  return {
    rawPath: overrides.rawPath ?? '/flagger/confirm-promotion',
    headers: overrides.headers ?? { 'content-type': 'application/json' },
    body: overrides.body ?? Buffer.from(gateBody()).toString('base64'),
    isBase64Encoded: overrides.isBase64Encoded ?? overrides.body === undefined,
    requestContext: { http: { method: overrides.method ?? 'POST' } },
  };
}

describe('readWebhookRequest', () => {
  it("reads Flagger's confirm-* payload with the namespace's key in the webhook metadata, and drops the key", () => {
    expect(readWebhookRequest(request(), masters)).toEqual({
      ok: true,
      keyGeneration: 'current',
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

  it("reads Flagger's event payload with the namespace's key as a bearer token", () => {
    // Prepare
    const event = request({
      rawPath: '/flagger/event',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
      body: eventBody,
      isBase64Encoded: false,
    });
    // Act
    const read = readWebhookRequest(event, masters);
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
    ['no key at all', request({ body: gateBody('') })],
    [
      'a bearer header that is not a bearer token',
      request({ headers: { authorization: 'Basic eDp5', 'content-type': 'application/json' } }),
    ],
  ])('refuses %s with 401, saying where the key goes', (_, bad) => {
    const read = readWebhookRequest(bad, masters);
    expect(read).toEqual({
      ok: false,
      refusal: { status: 401, reason: expect.stringContaining(`metadata as ${FLAGGER_KEY_METADATA}`) },
    });
  });

  it.each([
    ['the master secret itself', request({ body: gateBody(secret) })],
    ['a wrong key', request({ body: gateBody('wrong-key-0123456789abcdef') })],
    ['a key one character short', request({ body: gateBody(key.slice(0, -1)) })],
    ["another namespace's key", request({ body: gateBody(otherKey) })],
    [
      "another namespace's key as a bearer token",
      request({
        body: gateBody(''),
        headers: { authorization: `Bearer ${otherKey}`, 'content-type': 'application/json' },
      }),
    ],
    [
      'a right key with a wrong bearer token',
      request({ headers: { authorization: `Bearer ${otherKey}`, 'content-type': 'application/json' } }),
    ],
  ])('refuses %s with 403 naming the namespace, without echoing any key', (_, bad) => {
    const read = readWebhookRequest(bad, masters);
    expect(read).toEqual({
      ok: false,
      refusal: {
        status: 403,
        reason: expect.stringMatching(/^The key is not the key of namespace fl-mwrt7ctlpl:/),
      },
    });
    if (!read.ok) for (const k of [secret, key, otherKey]) expect(read.refusal.reason).not.toContain(k);
  });

  it("refuses a forged Succeeded event for namespace team-b sent with team-a's key", () => {
    // Prepare: a Canary author of team-a knows team-a's key only.
    const forged = request({
      rawPath: '/flagger/event',
      body: JSON.stringify({
        name: 'payments',
        namespace: 'team-b',
        phase: 'Succeeded',
        checksum: 'abc12345',
        metadata: {
          eventMessage: 'Promotion completed! Scaling down payments.team-b',
          eventType: 'Normal',
          timestamp: '1795350336143',
          [FLAGGER_KEY_METADATA]: otherKey,
        },
      }),
      isBase64Encoded: false,
    });
    // Act
    const read = readWebhookRequest(forged, masters);
    // Assess
    expect(read).toMatchObject({
      ok: false,
      refusal: { status: 403, reason: expect.stringContaining('team-b') },
    });
    // The same event with team-b's own key is read.
    const genuine = {
      ...forged,
      body: forged.body?.replace(otherKey, flaggerNamespaceKey(secret, 'team-b')),
    };
    expect(readWebhookRequest(genuine, masters)).toMatchObject({ ok: true, call: { hook: 'event' } });
  });

  it('accepts keys of the previous master during a rotation, and says so; not without it', () => {
    // Prepare
    const next = { current: 'the-new-master-secret-0123456789', previous: secret };
    // Act
    const old = readWebhookRequest(request(), next);
    const renewed = readWebhookRequest(
      request({ body: gateBody(flaggerNamespaceKey(next.current, 'fl-mwrt7ctlpl')) }),
      next,
    );
    const afterRotation = readWebhookRequest(request(), { current: next.current });
    // Assess
    expect(old).toMatchObject({ ok: true, keyGeneration: 'previous' });
    expect(renewed).toMatchObject({ ok: true, keyGeneration: 'current' });
    expect(afterRotation).toMatchObject({ ok: false, refusal: { status: 403 } });
  });

  it('refuses a key in the URL path (404): keys never travel in URLs, which Flagger logs', () => {
    const read = readWebhookRequest(request({ rawPath: `/flagger/${key}/confirm-promotion` }), masters);
    expect(read).toMatchObject({
      ok: false,
      refusal: { status: 404, reason: expect.stringContaining('never in the URL') },
    });
    if (!read.ok) expect(read.refusal.reason).not.toContain(key);
  });

  it('answers 404 for hooks the bot does not serve', () => {
    for (const hook of ['pre-rollout', 'post-rollout', 'rollout', 'gate']) {
      expect(readWebhookRequest(request({ rawPath: `/flagger/${hook}` }), masters)).toMatchObject({
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
    ['a JSON array (no key in it)', request({ body: '[]', isBase64Encoded: false }), 401],
    [
      'no checksum',
      request({
        body: `{"name":"podinfo","namespace":"test","phase":"Progressing","metadata":{"${FLAGGER_KEY_METADATA}":"${key}"}}`,
        isBase64Encoded: false,
      }),
      400,
    ],
    [
      'a namespace that is not a DNS label',
      request({
        body: `{"name":"podinfo","namespace":"Te/st","checksum":"abc","metadata":{"${FLAGGER_KEY_METADATA}":"${key}"}}`,
        isBase64Encoded: false,
      }),
      400,
    ],
  ])('refuses %s', (_, bad, status) => {
    const read = readWebhookRequest(bad, masters);
    expect(read).toMatchObject({ ok: false, refusal: { status } });
    if (!read.ok) expect(read.refusal.reason).not.toContain(key);
  });

  it('says which field is wrong in an event', () => {
    const read = readWebhookRequest(
      request({
        rawPath: '/flagger/event',
        body: `{"name":"podinfo","namespace":"test","checksum":"abc","metadata":{"eventMessage":"x","eventType":"Info","timestamp":"1","${FLAGGER_KEY_METADATA}":"${flaggerNamespaceKey(secret, 'test')}"}}`,
        isBase64Encoded: false,
      }),
      masters,
    );
    expect(read).toMatchObject({
      ok: false,
      refusal: { status: 400, reason: expect.stringContaining('metadata.eventType') },
    });
  });
});
