/**
 * Hostile Flagger webhook calls through the real handler: thousands of generated paths, keys and bodies.
 * Never a 5xx, never a crash, no confirm-* gate ever opens without an approval, and nothing but the key of
 * the payload's own namespace is ever accepted (a key in the path is never read).
 */
import { WebClient } from '@slack/web-api';
import fc from 'fast-check';
import { requireBed } from '../../local/bed/bed.js';
import { silentLogger } from '../../src/app/logger.js';
import { SlackFlaggerNotifier } from '../../src/chat/slack/flagger-slack-notifier.js';
import { FLAGGER_KEY_METADATA, flaggerNamespaceKey } from '../../src/flagger/namespace-key.js';
import { createFlaggerWebhook } from '../../src/flagger/webhook-handler.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';

const secret = 'flagger-hostile-secret-0123456789abcdef';
const hooks = [
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'rollback',
  'event',
  'pre-rollout',
  'nope',
  '',
];

describe('hostile Flagger webhook calls', () => {
  it('answer every generated call without a 5xx, and never let a canary through without an approval', async () => {
    const bed = await requireBed();
    const webhook = createFlaggerWebhook({
      masters: { current: secret },
      store: new EmbeddedStore(),
      notifier: new SlackFlaggerNotifier(
        new WebClient(bed.slack.botToken, { slackApiUrl: `${bed.slack.url}/api/` }),
        { channel: 'C0RELEASES' },
      ),
      clock: () => new Date(),
      log: silentLogger,
    });
    const payload = fc.oneof(
      fc
        .record({
          name: fc.oneof(fc.constant('podinfo'), fc.string({ maxLength: 80 })),
          namespace: fc.oneof(fc.constant('test'), fc.string({ maxLength: 80 })),
          phase: fc.constantFrom(
            'Progressing',
            'Promoting',
            'Finalising',
            'Succeeded',
            'Failed',
            'Waiting',
            '',
          ),
          checksum: fc.oneof(
            fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 8, maxLength: 16 }),
            fc.string({ maxLength: 20 }),
          ),
          metadata: fc.option(fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 100 })), {
            nil: undefined,
          }),
        })
        .map((p) => JSON.stringify(p)),
      fc.json(),
      fc.string({ maxLength: 300 }),
    );
    // Whose key the call carries: the payload's own namespace, another namespace, the master, or junk.
    const keyKind = fc.constantFrom('own', 'own', 'other', 'master', 'junk', 'none');
    const call = fc.record({
      hook: fc.constantFrom(...hooks),
      keyKind,
      junk: fc.string({ maxLength: 40 }),
      where: fc.constantFrom('metadata', 'metadata', 'bearer', 'path'),
      body: payload,
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
      method: fc.constantFrom('POST', 'POST', 'GET'),
    });
    let calls = 0;

    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        calls++;
        let json: unknown;
        try {
          json = JSON.parse(c.body);
        } catch {}
        const target =
          json && typeof json === 'object' && !Array.isArray(json)
            ? (json as Record<string, unknown>)
            : undefined;
        const ns = typeof target?.namespace === 'string' ? target.namespace : 'test';
        const key = {
          own: flaggerNamespaceKey(secret, ns),
          other: flaggerNamespaceKey(secret, `${ns}-other`),
          master: secret,
          junk: c.junk,
          none: '',
        }[c.keyKind];
        let body = c.body;
        if (c.where === 'metadata' && target && key) {
          const metadata = target.metadata && typeof target.metadata === 'object' ? target.metadata : {};
          body = JSON.stringify({ ...target, metadata: { ...metadata, [FLAGGER_KEY_METADATA]: key } });
        }
        const answer = await webhook({
          rawPath:
            c.where === 'path' ? `/flagger/${encodeURIComponent(key)}/${c.hook}` : `/flagger/${c.hook}`,
          headers: {
            ...(c.contentType ? { 'content-type': c.contentType } : {}),
            ...(c.where === 'bearer' && key ? { authorization: `Bearer ${key}` } : {}),
          },
          body: Buffer.from(body).toString('base64'),
          isBase64Encoded: true,
          requestContext: { http: { method: c.method } },
        });
        expect(answer.statusCode).toBeLessThan(500);
        if (c.hook.startsWith('confirm-') || c.hook === 'rollback') expect(answer.statusCode).not.toBe(200);
        // Only the payload's own namespace's key, in the metadata or a bearer header, is ever read as a key.
        const usable = c.keyKind === 'own' && c.where !== 'path' && target !== undefined;
        if (!usable) expect([401, 403, 404, 405, 413, 415, 400]).toContain(answer.statusCode);
        if (!usable && answer.statusCode === 200) throw new Error('accepted without its namespace key');
        if (c.where === 'path' && key) expect(answer.statusCode).toBe(404);
      }),
      { numRuns: 1500 },
    );
    expect(calls).toBe(1500);
  });
});
