/**
 * Hostile Flagger webhook calls through the real handler: thousands of generated paths, secrets and bodies.
 * Never a 5xx, never a crash, and no confirm-* gate ever opens without an approval.
 */
import { WebClient } from '@slack/web-api';
import fc from 'fast-check';
import { requireBed } from '../../local/bed/bed.js';
import { silentLogger } from '../../src/app/logger.js';
import { SlackFlaggerNotifier } from '../../src/chat/slack/flagger-slack-notifier.js';
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
      secret,
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
    const call = fc.record({
      hook: fc.constantFrom(...hooks),
      key: fc.oneof(fc.constant(secret), fc.constant(secret), fc.string({ maxLength: 40 })),
      body: payload,
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
      method: fc.constantFrom('POST', 'POST', 'GET'),
    });
    let calls = 0;

    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        calls++;
        const answer = await webhook({
          rawPath: `/flagger/${encodeURIComponent(c.key)}/${c.hook}`,
          headers: c.contentType ? { 'content-type': c.contentType } : {},
          body: Buffer.from(c.body).toString('base64'),
          isBase64Encoded: true,
          requestContext: { http: { method: c.method } },
        });
        expect(answer.statusCode).toBeLessThan(500);
        if (c.hook.startsWith('confirm-') || c.hook === 'rollback') expect(answer.statusCode).not.toBe(200);
        if (c.key !== secret) expect(answer.statusCode).toBe(401);
      }),
      { numRuns: 1500 },
    );
    expect(calls).toBe(1500);
  });
});
