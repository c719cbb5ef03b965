/**
 * The webhook sender against real HTTP receivers on 127.0.0.1: bounded attempts with capped back-off, what
 * is retried and what is not, redirects not followed, link-local hosts refused, the job's time budget, and
 * logs that never hold a URL's path, query or credentials, a routing key or the secret.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/app/logger.js';
import type { TelemetryMetric } from '../../src/app/ports/telemetry.js';
import { type ChangeEvent, changeEventsOf } from '../../src/domain/audit/index.js';
import { type RetryOptions, WebhookSender } from '../../src/webhook/webhook-sender.js';
import type { WebhookTarget } from '../../src/webhook/webhook-setting.js';

const secret = 'a-webhook-secret-for-the-sender-test-0123';
const routingKey = 'RKEY456789abcdefABCDEF0123456789';
const servers: Server[] = [];

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

/** A receiver that answers each request with the next status of `statuses` (the last one repeated). */
async function receiver(statuses: number[], headers: Record<string, string> = {}) {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      seen.push({ url: request.url ?? '', headers: request.headers });
      response.writeHead(statuses[Math.min(seen.length - 1, statuses.length - 1)] ?? 200, headers).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const events: ChangeEvent[] = changeEventsOf(
  {
    releaseId: 'r1',
    namespace: 'shop',
    service: 'reviews',
    baselineVersion: 'v1',
    canaryVersion: 'v2',
    steps: ['canary weight 10', 'canary weight 100'],
  },
  [
    {
      releaseId: 'r1',
      at: '2026-12-01T10:00:00.000Z',
      actor: 'U1',
      action: 'approve',
      step: 0,
      stateVersion: 2,
    },
  ],
);

function senderFor(
  targets: WebhookTarget[],
  retry: Partial<RetryOptions> = {},
  more: { resolve?: (h: string) => Promise<string[]> } = {},
) {
  const lines: string[] = [];
  const counted: TelemetryMetric[] = [];
  const pauses: number[] = [];
  const log: Logger = {
    info: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
    warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
    error: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
  };
  const sender = new WebhookSender({
    setting: { default: targets },
    secret,
    log,
    telemetry: { count: (metric) => void counted.push(metric) },
    retry,
    sleep: async (ms) => void pauses.push(ms),
    ...more,
  });
  return { sender, lines, counted, pauses };
}

describe('the webhook sender', () => {
  it('tries a failing receiver a bounded number of times, with capped pauses, then logs and counts it', async () => {
    const r = await receiver([500]);
    const url = `http://hook-user:pa55word@${r.base}/hooks/s3cret-path?token=t0ken`;
    const { sender, lines, counted, pauses } = senderFor([
      { url, format: 'generic' },
      { url: `http://${r.base}/pd/s3cret-path`, format: 'pagerduty', routingKey },
    ]);

    const report = await sender.deliver('shop', events);

    expect(report).toEqual({ delivered: 0, failed: 2, retries: 6 });
    expect(r.seen).toHaveLength(8);
    expect(pauses).toHaveLength(6);
    // Two targets in parallel, each pausing under 1 s, 2 s, 4 s: sorted, each pause is under its ceiling.
    const ceilings = [1000, 1000, 2000, 2000, 4000, 4000];
    for (const [k, ms] of [...pauses].sort((a, b) => a - b).entries())
      expect(ms).toBeLessThan(ceilings[k] ?? 0);
    expect(counted.filter((m) => m === 'WebhookRetried')).toHaveLength(6);
    expect(counted.filter((m) => m === 'WebhookFailed')).toHaveLength(2);
    // Credentials went as Basic authorization, never in the URL.
    const generic = r.seen.find((s) => s.url.startsWith('/hooks/'));
    expect(generic?.headers.authorization).toBe(
      `Basic ${Buffer.from('hook-user:pa55word').toString('base64')}`,
    );
    expect(generic?.url).toBe('/hooks/s3cret-path?token=t0ken');
    const logged = lines.join('\n');
    expect(logged).toContain('a change event was not delivered to a webhook');
    expect(logged).toContain(`generic http://${r.base}`);
    for (const hidden of ['pa55word', 'hook-user', 's3cret-path', 't0ken', routingKey, secret])
      expect(logged).not.toContain(hidden);
  });

  it('delivers after failures, and takes a 4xx or a redirect as final (a redirect to 169.254.169.254 is not followed)', async () => {
    const flaky = await receiver([503, 429, 200]);
    const gone = await receiver([404]);
    const redirect = await receiver([302], { location: 'http://169.254.169.254/latest/meta-data/' });
    const { sender, lines, counted } = senderFor([
      { url: `http://${flaky.base}/a`, format: 'generic' },
      { url: `http://${gone.base}/b`, format: 'generic' },
      { url: `http://${redirect.base}/c`, format: 'generic' },
    ]);

    const report = await sender.deliver('shop', events);

    expect(report).toEqual({ delivered: 1, failed: 2, retries: 2 });
    expect([flaky.seen.length, gone.seen.length, redirect.seen.length]).toEqual([3, 1, 1]);
    expect(counted.filter((m) => m === 'WebhookDelivered')).toHaveLength(1);
    expect(lines.join('\n')).toContain('HTTP 404 (not retried)');
    expect(lines.join('\n')).toContain('HTTP 302 (not retried)');
  });

  it('refuses a host that resolves to a link-local address, and stops when the job is out of time', async () => {
    const r = await receiver([500]);
    const metadata = senderFor(
      [{ url: 'https://hooks.example.com/x', format: 'generic' }],
      {},
      {
        resolve: async () => ['169.254.169.254'],
      },
    );
    const short = senderFor([{ url: `http://${r.base}/x`, format: 'generic' }], {
      timeoutMs: 1000,
      budgetMs: 1500,
    });

    const refused = await metadata.sender.deliver('shop', events);
    const cut = await short.sender.deliver('shop', events);

    expect(refused).toEqual({ delivered: 0, failed: 1, retries: 0 });
    expect(metadata.lines.join('\n')).toContain('its host resolves to a link-local or metadata address');
    expect(cut).toEqual({ delivered: 0, failed: 1, retries: 0 });
    expect(r.seen).toHaveLength(1);
    expect(short.lines.join('\n')).toContain('HTTP 500; out of time for this job');
  });
});
