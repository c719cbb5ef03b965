/**
 * A rotation of the Flagger master secret through the webhook handler (embedded store): keys of the previous
 * master still work while it is configured, and each use is logged with the namespace and Canary (never the
 * key), so the Canaries that still need their new key can be found.
 */
import type { Logger } from '../../src/app/logger.js';
import { FLAGGER_KEY_METADATA, flaggerNamespaceKey } from '../../src/flagger/namespace-key.js';
import { createFlaggerWebhook } from '../../src/flagger/webhook-handler.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';

const previous = 'the-previous-flagger-master-0123456789';
const current = 'the-current-flagger-master-0123456789';

function webhookLogging(lines: { message: string; fields?: Record<string, unknown> }[]) {
  const log: Logger = {
    info: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
  };
  return createFlaggerWebhook({
    masters: { current, previous },
    store: new EmbeddedStore(),
    notifier: {} as never, // the first deployment's events are answered without a Slack message
    clock: () => new Date(),
    log,
  });
}

/** Flagger's event of a first deployment (answered 200, nothing posted), with `key` in the metadata. */
const initialized = (key: string) => ({
  rawPath: '/flagger/event',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    name: 'podinfo',
    namespace: 'test',
    phase: 'Initialized',
    checksum: '7845487b68',
    metadata: {
      eventMessage: 'Initialization done! podinfo.test',
      eventType: 'Normal',
      timestamp: '1795350296147',
      [FLAGGER_KEY_METADATA]: key,
    },
  }),
  requestContext: { http: { method: 'POST' } },
});

describe('Flagger master rotation', () => {
  it('accepts a key of the previous master and logs which Canary still uses it, without the key', async () => {
    // Prepare
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const webhook = webhookLogging(lines);
    const oldKey = flaggerNamespaceKey(previous, 'test');
    // Act
    const answer = await webhook(initialized(oldKey));
    // Assess
    expect(answer.statusCode).toBe(200);
    expect(lines).toContainEqual({
      message: 'flagger: a key of the previous master secret was used; give the Canary its new key',
      fields: { namespace: 'test', canary: 'podinfo' },
    });
    expect(JSON.stringify(lines)).not.toContain(oldKey);
  });

  it('logs nothing about the rotation for a key of the current master', async () => {
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const answer = await webhookLogging(lines)(initialized(flaggerNamespaceKey(current, 'test')));
    expect(answer.statusCode).toBe(200);
    expect(lines.map((l) => l.message)).not.toContainEqual(expect.stringContaining('previous master'));
  });
});
