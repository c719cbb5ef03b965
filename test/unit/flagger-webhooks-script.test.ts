/**
 * `npm run flagger-webhooks -- --ns <namespace>`: what it prints is a webhooks block whose key the bot accepts
 * for that namespace, and for no other.
 */
import { loadYaml } from '@kubernetes/client-node';
import { main } from '../../scripts/flagger-webhooks.js';
import { FLAGGER_KEY_METADATA } from '../../src/flagger/namespace-key.js';
import { readWebhookRequest } from '../../src/flagger/webhook-request.js';

const master = 'flagger-master-0123456789abcdef';

async function run(argv: string[], env: NodeJS.ProcessEnv = { CANARY_BOT_FLAGGER_SECRET: master }) {
  let text = '';
  const asked: string[] = [];
  const code = await main(
    argv,
    env,
    (t) => {
      text += t;
    },
    async (reference) => {
      asked.push(reference);
      return master;
    },
  );
  return { code, text, asked };
}

/** A Flagger call of `hook` for a Canary of `namespace`, with the metadata a printed webhook carries. */
const call = (hook: { url: string; metadata: Record<string, string> }, namespace: string) => ({
  rawPath: new URL(hook.url).pathname,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    name: 'podinfo',
    namespace,
    phase: 'Progressing',
    checksum: 'abc12345',
    metadata: hook.metadata,
  }),
  requestContext: { http: { method: 'POST' } },
});

describe('flagger-webhooks', () => {
  it("prints the three webhooks with the namespace's key in their metadata, not in their URL", async () => {
    // Act
    const { code, text } = await run(['--ns', 'bookinfo', '--url', 'https://api.example/flagger/']);
    const { webhooks } = loadYaml<{
      webhooks: { type: string; url: string; metadata: Record<string, string> }[];
    }>(text);
    // Assess
    expect(code).toBe(0);
    expect(webhooks.map((w) => [w.type, w.url])).toEqual([
      ['confirm-promotion', 'https://api.example/flagger/confirm-promotion'],
      ['rollback', 'https://api.example/flagger/rollback'],
      ['event', 'https://api.example/flagger/event'],
    ]);
    const [gate] = webhooks;
    expect(gate?.url).not.toContain(gate?.metadata[FLAGGER_KEY_METADATA]);
    expect(readWebhookRequest(call(gate!, 'bookinfo'), { current: master })).toMatchObject({ ok: true });
    expect(readWebhookRequest(call(gate!, 'payments'), { current: master })).toMatchObject({
      ok: false,
      refusal: { status: 403 },
    });
  });

  it('reads the master secret from SSM when given a reference', async () => {
    const { code, asked } = await run(['--ns', 'bookinfo'], {
      CANARY_BOT_FLAGGER_SECRET: 'ssm:/canary-bot/prod/flagger-secret',
    });
    expect({ code, asked }).toEqual({ code: 0, asked: ['ssm:/canary-bot/prod/flagger-secret'] });
  });

  it.each([
    [
      ['--ns', 'Not/A-Namespace'],
      { CANARY_BOT_FLAGGER_SECRET: master },
      /--ns must be a Kubernetes namespace/,
    ],
    [[], { CANARY_BOT_FLAGGER_SECRET: master }, /--ns must be/],
    [['--ns', 'bookinfo'], {}, /Set CANARY_BOT_FLAGGER_SECRET/],
    [['--ns', 'bookinfo'], { CANARY_BOT_FLAGGER_SECRET: 'short' }, /at least 24 characters/],
    [['--ns', 'bookinfo', '--nope'], { CANARY_BOT_FLAGGER_SECRET: master }, /usage: --ns/],
  ])('refuses %j with one sentence and status 2, printing no key', async (argv, env, says) => {
    const { code, text } = await run(argv, env);
    expect({ code, text }).toEqual({ code: 2, text: expect.stringMatching(says) });
    expect(text).not.toContain(FLAGGER_KEY_METADATA);
  });
});
