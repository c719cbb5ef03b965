/**
 * Smoke traffic from the setting to the wire: `CANARY_BOT_SMOKE` parsed strictly (the rate cap refused
 * without an explicit `maxRate`, every wrong field named), the sender against a real local HTTP server
 * (how many, how fast, how many at once, the deadline, a stop, the headers), and the tick job's rule: only a
 * release being judged gets smoke requests, and the sender's failures never fail the job.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/app/logger.js';
import type { SmokeReport, SmokeTarget, SmokeTraffic } from '../../src/app/ports/smoke-traffic.js';
import type { TelemetryMetric } from '../../src/app/ports/telemetry.js';
import { getsSmoke, sendSmoke } from '../../src/app/tick.js';
import { releaseCard } from '../../src/chat/views/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Release } from '../../src/domain/release/index.js';
import { HttpSmokeSender, SMOKE_HEADER, urlForLogs } from '../../src/smoke/http-smoke-sender.js';
import { type SmokeTemplate, smokeSettingSchema, smokeTemplateOf } from '../../src/smoke/smoke-setting.js';
import { act, appliedNow, approveNow, drive, FAIL, passStep, started, tick } from './release-fixtures.js';

const minimal = {
  CANARY_BOT_SLACK_SIGNING_SECRET: 'a-signing-secret-of-some-length',
  CANARY_BOT_SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
};
const noSecrets = async (reference: string) => {
  throw new Error(`unexpected secret reference ${reference}`);
};

async function refusalOf(smoke: unknown): Promise<string> {
  try {
    await loadConfig({ ...minimal, CANARY_BOT_SMOKE: JSON.stringify(smoke) }, noSecrets);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the setting was accepted');
}

const gateway = (rate: number) => ({
  url: 'http://internal-gateway.shop.example/healthz',
  headers: { host: '{{ service }}.{{ namespace }}.svc.cluster.local' },
  rate,
});

describe('CANARY_BOT_SMOKE', () => {
  it("reads a template per namespace and per service, a service's own replacing its namespace's", async () => {
    // Act
    const config = await loadConfig(
      {
        ...minimal,
        CANARY_BOT_SMOKE: JSON.stringify({
          namespaces: { shop: gateway(1) },
          services: {
            'shop/catalog': { ...gateway(0.5), method: 'POST', body: '{"sku":"smoke-{{ version }}"}' },
          },
        }),
      },
      noSecrets,
    );
    // Assess
    const templateOf = smokeTemplateOf(config.smoke);
    expect(templateOf('shop', 'checkout')).toEqual({
      ...gateway(1),
      method: 'GET',
      concurrency: 2,
      timeoutMs: 5000,
      spreadSeconds: 10,
    });
    expect(templateOf('shop', 'catalog')).toMatchObject({ method: 'POST', rate: 0.5 });
    expect(templateOf('bookinfo', 'reviews')).toBeUndefined();
    expect((await loadConfig(minimal, noSecrets)).smoke).toEqual({});
  });

  it('refuses a rate above the default cap of 2 per second unless maxRate raises it, naming the field', async () => {
    // Act
    const refused = await refusalOf({ services: { 'shop/catalog': gateway(5) } });
    const above = await refusalOf({ maxRate: 4, namespaces: { shop: gateway(5) } });
    const ceiling = await refusalOf({ maxRate: 500, namespaces: { shop: gateway(5) } });
    const accepted = smokeSettingSchema.safeParse({ maxRate: 5, services: { 'shop/catalog': gateway(5) } });
    // Assess
    expect(refused).toContain(
      'CANARY_BOT_SMOKE.services.shop/catalog.rate: 5 requests per second is above the default cap of 2; smoke traffic goes faster only with an explicit "maxRate" in this setting',
    );
    expect(above).toContain(
      'CANARY_BOT_SMOKE.namespaces.shop.rate: 5 requests per second is above "maxRate" (4)',
    );
    expect(ceiling).toContain('CANARY_BOT_SMOKE.maxRate: at most 50 requests per second');
    expect(accepted.success).toBe(true);
    expect(smokeSettingSchema.safeParse({ services: { 'shop/catalog': gateway(2) } }).success).toBe(true);
  });

  it("accepts the README's example as written, and its catalog template sends what it says", async () => {
    // Prepare
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Smoke traffic'));
    const example = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    // Act
    const config = await loadConfig({ ...minimal, CANARY_BOT_SMOKE: example ?? 'null' }, noSecrets);
    // Assess
    const templateOf = smokeTemplateOf(config.smoke);
    expect(templateOf('shop', 'checkout')).toMatchObject({ rate: 1, method: 'GET', concurrency: 2 });
    expect(templateOf('shop', 'catalog')).toMatchObject({ rate: 5, method: 'POST', concurrency: 4 });
    // Without its maxRate, the catalog's 5 requests a second are refused.
    const { maxRate: _, ...uncapped } = JSON.parse(example ?? '{}');
    expect(await refusalOf(uncapped)).toContain(
      'CANARY_BOT_SMOKE.services.shop/catalog.rate: 5 requests per second',
    );
  });

  it('names every wrong field', async () => {
    // Act
    const message = await refusalOf({
      namespaces: {
        shop: { ...gateway(1), url: 'http://gw/{{ pod }}' },
        pay: { ...gateway(1), url: 'ftp://files.example/x' },
        web: { ...gateway(1), body: 'x' },
        api: { ...gateway(1), headers: { 'bad header': 'x' } },
        ads: { ...gateway(1), headers: { 'x-a': 'one\ntwo' } },
        cms: { ...gateway(0), concurrency: 100 },
        cdn: { ...gateway(1), port: 80 },
      },
    });
    const keys = await refusalOf({ namespaces: { Shop: gateway(1) }, services: { catalog: gateway(1) } });
    // Assess
    expect(message).toContain(
      'CANARY_BOT_SMOKE.namespaces.shop.url: unknown variable {{ pod }}; use {{ namespace }}, {{ service }}, {{ version }}, {{ baseline }}, {{ release }}',
    );
    expect(keys).toContain('CANARY_BOT_SMOKE.namespaces.Shop: namespace names are Kubernetes labels');
    expect(message).toContain('CANARY_BOT_SMOKE.namespaces.pay.url: must be an http or https URL, not ftp:');
    expect(message).toContain('CANARY_BOT_SMOKE.namespaces.web.body: a GET request has no body');
    expect(message).toContain(
      'CANARY_BOT_SMOKE.namespaces.api.headers.bad header: is not an HTTP header name (letters, digits and -)',
    );
    expect(message).toContain('CANARY_BOT_SMOKE.namespaces.ads.headers.x-a: header values are one line');
    expect(message).toContain(
      'CANARY_BOT_SMOKE.namespaces.cms.rate: must be at least one request a minute (1/60 per second)',
    );
    expect(message).toContain('CANARY_BOT_SMOKE.namespaces.cms.concurrency');
    expect(message).toContain('CANARY_BOT_SMOKE.namespaces.cdn: Unrecognized key');
    expect(keys).toContain(
      'CANARY_BOT_SMOKE.services.catalog: services are named namespace/service, e.g. shop/checkout',
    );
  });
});

/** A real HTTP server that records what it gets and answers `status` after `delayMs` (never, when null). */
async function startServer(options: { status?: number; delayMs?: number | null } = {}) {
  const received: {
    at: number;
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
  }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
      });
      if (options.delayMs === null) return;
      setTimeout(() => {
        inFlight--;
        res.writeHead(options.status ?? 200).end('ok');
      }, options.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const target: SmokeTarget = {
  releaseId: 'r1smoke',
  namespace: 'shop',
  service: 'catalog',
  version: 'v2',
  baseline: 'v1',
};

function templateFor(url: string, extra: Partial<SmokeTemplate> = {}): SmokeTemplate {
  return {
    url,
    method: 'GET',
    headers: {},
    rate: 1,
    concurrency: 2,
    timeoutMs: 2000,
    spreadSeconds: 1,
    ...extra,
  };
}

describe('HttpSmokeSender', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the rate times the tick interval, spread over spreadSeconds, with the template rendered and its own headers', async () => {
    // Prepare
    server = await startServer();
    const sender = new HttpSmokeSender({
      templateOf: () =>
        templateFor(`${server!.url}/smoke/{{ namespace }}/{{ service }}?token=secret`, {
          method: 'POST',
          headers: { 'End-User': 'smoke-{{ version }}', Cookie: 'user=tester' },
          body: '{"release":"{{ release }}","baseline":"{{ baseline }}"}',
          rate: 0.5,
        }),
    });
    // Act
    const report = await sender.send(target);
    // Assess
    expect(report).toMatchObject({ planned: 30, sent: 30, ok: 30, serverErrors: 0, failed: 0 });
    expect(report?.cutShort).toBeUndefined();
    expect(report?.url).toBe(`${server.url}/smoke/shop/catalog`);
    expect(server.received).toHaveLength(30);
    const first = server.received[0]!;
    expect(first).toMatchObject({
      method: 'POST',
      url: '/smoke/shop/catalog?token=secret',
      body: '{"release":"r1smoke","baseline":"v1"}',
    });
    expect(first.headers).toMatchObject({
      [SMOKE_HEADER]: 'r1smoke',
      'user-agent': 'canary-bot-smoke (release r1smoke)',
      'end-user': 'smoke-v2',
      cookie: 'user=tester',
    });
    // Spread: 30 requests over 1 s, one every 33 ms, not all at once.
    const span = server.received.at(-1)!.at - first.at;
    expect(span).toBeGreaterThanOrEqual(900);
    expect(report!.elapsedMs).toBeLessThan(3000);
  });

  it('keeps at most `concurrency` requests in flight, and counts answers by class', async () => {
    // Prepare: each answer takes 150 ms, 20 requests due within 0.2 s.
    server = await startServer({ status: 503, delayMs: 150 });
    const sender = new HttpSmokeSender({
      templateOf: () => templateFor(server!.url, { rate: 20, concurrency: 3, spreadSeconds: 0.2 } as never),
      tickSeconds: 1,
    });
    // Act
    const report = await sender.send(target);
    // Assess
    expect(server.maxInFlight()).toBe(3);
    expect(report).toMatchObject({ planned: 20, sent: 20, ok: 0, serverErrors: 20 });
  });

  it('stops at the deadline when the service never answers, and counts what went unanswered', async () => {
    // Prepare
    server = await startServer({ delayMs: null });
    const sender = new HttpSmokeSender({
      templateOf: () => templateFor(server!.url, { rate: 1, concurrency: 2, timeoutMs: 10_000 }),
      deadlineMs: 700,
    });
    const started = Date.now();
    // Act
    const report = await sender.send(target);
    // Assess
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeLessThan(2000);
    expect(report).toMatchObject({ planned: 60, sent: 2, ok: 0, failed: 2, cutShort: 'deadline' });
    expect(report?.firstFailure).toMatch(/^no answer within \d+ ms$/);
  });

  it('stops when told to, and never throws for a service that refuses connections', async () => {
    // Prepare: a port nothing listens on.
    server = await startServer();
    const closedUrl = server.url;
    await server.close();
    server = undefined;
    const sender = new HttpSmokeSender({ templateOf: () => templateFor(closedUrl, { spreadSeconds: 5 }) });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    // Act
    const report = await sender.send(target, { signal: stop.signal });
    // Assess
    expect(report?.cutShort).toBe('stopped');
    expect(report!.sent).toBeGreaterThan(0);
    expect(report!.sent).toBeLessThan(10);
    expect(report!.failed).toBe(report!.sent);
    expect(report?.firstFailure).toBe('ECONNREFUSED');
    expect(report!.elapsedMs).toBeLessThan(1500);
  });

  it('sends nothing for a service without a template', async () => {
    const sender = new HttpSmokeSender({ templateOf: smokeTemplateOf({ namespaces: {} }) });
    expect(await sender.send(target)).toBeUndefined();
  });

  it('shows a URL in logs without credentials or query string', () => {
    expect(urlForLogs(new URL('https://user:pa55@gw.example:8443/a/b?token=x#f'))).toBe(
      'https://gw.example:8443/a/b',
    );
  });
});

/** A sender that records whom it was asked to send for, and answers a fixed report (or fails). */
class RecordingSmoke implements SmokeTraffic {
  readonly targets: SmokeTarget[] = [];
  constructor(private readonly answer: SmokeReport | Error) {}
  async send(to: SmokeTarget): Promise<SmokeReport | undefined> {
    this.targets.push(to);
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

const report: SmokeReport = {
  url: 'http://gw/healthz',
  planned: 60,
  sent: 60,
  ok: 58,
  clientErrors: 0,
  serverErrors: 2,
  failed: 0,
  elapsedMs: 10_100,
};

function logRecorder() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    info: (message, fields) => lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  return { lines, log };
}

describe('smoke in the tick job (sendSmoke)', () => {
  // The tick's job runs 5 s after its tick.
  const TICK_AT = '2026-12-01T10:10:00.000Z';
  const clock = () => new Date(Date.parse(TICK_AT) + 5_000);
  const analysing = drive(started(), approveNow(started(), 10), (r) => appliedNow(r, 15)).release;
  const waiting = drive(started(), ...passStep(10)).release;
  const states: { state: string; release: Release; sent: boolean }[] = (
    [
      ['analysing a step', analysing, true],
      ['awaiting the next approval, still judged', waiting, true],
      ['awaiting its first approval (nothing live yet)', started(), false],
      ['applying a step', drive(started(), approveNow(started(), 10)).release, false],
      ['paused', drive(analysing, act('pause', 30, 'U0APPROVER')).release, false],
      [
        'rolled back by a failed verdict',
        drive(analysing, tick(70, { verdict: FAIL }), (r) => appliedNow(r, 80)).release,
        false,
      ],
      [
        'promoted',
        drive(
          started({ kind: 'canary', steps: [50, 100] }),
          ...passStep(10),
          ...passStep(400),
          (r) => approveNow(r, 800),
          (r) => appliedNow(r, 805),
        ).release,
        false,
      ],
      [
        'cancelled',
        drive(analysing, act('cancel', 30, 'U0APPROVER'), (r) => appliedNow(r, 35)).release,
        false,
      ],
    ] as const
  ).map(([state, release, sent]) => ({ state, release, sent }));

  it('starts from releases in the phases it names', () => {
    expect(states.map((s) => s.release.phase)).toEqual([
      'analysing',
      'awaiting-approval',
      'awaiting-approval',
      'applying',
      'paused',
      'rolled-back',
      'promoted',
      'cancelled',
    ]);
  });

  it.each(states)('a release $state: smoke requests sent: $sent', async ({ release, sent: expected }) => {
    // Prepare
    const smoke = new RecordingSmoke(report);
    const { log } = logRecorder();
    // Act
    await sendSmoke({ smoke, log, clock }, release, TICK_AT);
    // Assess
    expect(smoke.targets).toEqual(
      expected
        ? [{ releaseId: 'R1', namespace: 'bookinfo', service: 'reviews', version: 'v2', baseline: 'v1' }]
        : [],
    );
  });

  it('sends nothing for a tick whose job waited more than a tick interval (a backlog sends one round, not several)', async () => {
    // Prepare: three ticks' jobs of one release, held back by a retry, run one after the other at 10:13:05.
    const smoke = new RecordingSmoke(report);
    const { lines, log } = logRecorder();
    const late = () => new Date('2026-12-01T10:13:05.000Z');
    // Act
    for (const at of ['2026-12-01T10:11:00.000Z', '2026-12-01T10:12:00.000Z', '2026-12-01T10:13:00.000Z'])
      await sendSmoke({ smoke, log, clock: late }, analysing, at);
    // Assess
    expect(smoke.targets).toHaveLength(1);
    expect(lines.filter((l) => l.message === 'no smoke traffic for a tick that waited')).toEqual([
      expect.objectContaining({ fields: { waitedSeconds: 125 } }),
      expect.objectContaining({ fields: { waitedSeconds: 65 } }),
    ]);
  });

  it('logs and counts what it sent, and never fails the job when the sender throws', async () => {
    // Prepare
    const counted: [TelemetryMetric, number | undefined][] = [];
    const telemetry = {
      count: (metric: TelemetryMetric, value?: number) => void counted.push([metric, value]),
    };
    const { lines, log } = logRecorder();
    // Act
    await sendSmoke({ smoke: new RecordingSmoke(report), log, telemetry, clock }, analysing, TICK_AT);
    await sendSmoke(
      {
        smoke: new RecordingSmoke({ ...report, sent: 20, ok: 0, failed: 20, cutShort: 'deadline' }),
        log,
        telemetry,
        clock,
      },
      analysing,
      TICK_AT,
    );
    await sendSmoke(
      { smoke: new RecordingSmoke(new Error('socket hang up')), log, telemetry, clock },
      analysing,
      TICK_AT,
    );
    // Assess
    expect(lines).toEqual([
      { level: 'info', message: 'smoke traffic sent', fields: report },
      expect.objectContaining({
        level: 'warn',
        message: 'smoke traffic sent',
        fields: expect.objectContaining({ cutShort: 'deadline' }),
      }),
      {
        level: 'warn',
        message: 'smoke traffic could not be sent',
        fields: { error: 'Error: socket hang up' },
      },
    ]);
    expect(counted).toEqual([
      ['SmokeRequests', 60],
      ['SmokeRequests', 20],
      ['SmokeFailures', 60],
      ['SmokeFailures', undefined],
    ]);
  });
});

describe('smoke traffic on the card', () => {
  it('says how many smoke requests a minute the judged step gets, and nothing without smoke', () => {
    // Prepare
    const analysing = drive(started(), approveNow(started(), 10), (r) => appliedNow(r, 15)).release;
    // Act
    const withSmoke = JSON.stringify(releaseCard(analysing, { smoke: { rate: 0.5 } }).blocks);
    const without = JSON.stringify(releaseCard(analysing).blocks);
    // Assess
    expect(getsSmoke(analysing)).toBe(true);
    expect(withSmoke).toContain(
      'Smoke traffic: 30 requests a minute through the mesh while this step is judged (header `x-canary-bot-smoke`)',
    );
    expect(without).not.toContain('Smoke traffic');
  });
});
