/**
 * Audit out through the real handlers (the ingress behind the local API Gateway front door, the workers on
 * ElasticMQ, DynamoDB Local, the bed's API server) and the Slack emulator: `/canary audit` shares a CSV of
 * the trail in the channel; steps, a rollback and a freeze bypass reach a webhook receiver on 127.0.0.1 as
 * signed generic JSON and as PagerDuty change events, the first delivery refused with a 500 and retried.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlackEmulatorControl } from '../../local/slack/emulator-control.js';
import { type BotTarget, sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const alice = { id: 'U0ALICE001', username: 'alice' }; // approver (S0APPROVERS), the freeze bypass role
const bob = { id: 'U0BOB00001', username: 'bob' }; // starter and approver, neither on cluster frozen
const releases = 'C0RELEASES';
const team = 'T0CANARYBOT';
const secret = 'a-webhook-secret-for-the-bed-0123456789';
const routingKey = 'R0123456789abcdefABCDEF012345678';

/** `20261205T190000Z`: an RFC 5545 UTC date-time. */
const utc = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1: answers 500 to the first request, 200 (202 for PagerDuty) after; while
 * `holding`, it answers nothing (a receiver that hangs) until `letGo()` answers the held requests 503.
 */
async function startReceiver() {
  const received: Received[] = [];
  const held: { response: ServerResponse; entry: Received }[] = [];
  const state = { holding: false };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const entry: Received = {
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: received.length === 0 ? 500 : request.url === '/pagerduty' ? 202 : 200,
      };
      received.push(entry);
      if (state.holding) {
        entry.status = 0;
        held.push({ response, entry });
        return;
      }
      response.writeHead(entry.status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    state,
    /** Requests held and not answered yet. */
    pending: () => held.filter((h) => !h.response.writableEnded && !h.response.destroyed).length,
    letGo: () => {
      state.holding = false;
      for (const { response, entry } of held.splice(0)) {
        entry.status = 503;
        if (!response.writableEnded && !response.destroyed) response.writeHead(503).end();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An RFC 4180 reader for the test. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}

let stack: SlackStack;
let engine: EngineHarness;
let emulator: SlackEmulatorControl;
let target: BotTarget;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let nsB: string;

beforeAll(async () => {
  receiver = await startReceiver();
  const windowStart = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000;
  stack = await startSlackStack({
    clusters: ['bed', 'frozen'],
    extraNamespaces: 1,
    env: {
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: [bob.id, alice.id], approvers: ['S0APPROVERS', bob.id], fourEyes: true },
        clusters: {
          frozen: { default: { starters: [alice.id], approvers: ['S0APPROVERS'], fourEyes: true } },
        },
        freezeBypass: [alice.id],
        freezeWindows: [
          {
            name: 'quarter-close',
            scope: { cluster: 'frozen' },
            kind: 'deny',
            rrule: `DTSTART:${utc(windowStart)}\nRRULE:FREQ=DAILY`,
            duration: 'PT6H',
            reason: 'Quarter close.',
          },
        ],
      }),
      CANARY_BOT_WEBHOOKS: JSON.stringify({
        default: [
          { url: `${receiver.url}/generic`, format: 'generic' },
          { url: `${receiver.url}/pagerduty`, format: 'pagerduty', routingKey },
        ],
      }),
      CANARY_BOT_WEBHOOK_SECRET: secret,
    },
  });
  ({ engine, emulator } = stack);
  [nsB] = engine.extraNamespaces as [string];
  target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
});

afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

afterEach(() => {
  expect(stack.jobErrors).toEqual([]);
});

/** Runs a command; returns the acknowledgement and the person's private answers. */
async function slash(user: { id: string; username: string }, text: string): Promise<string> {
  const seen = async () =>
    (await emulator.messages({ channel: releases })).filter((m) => m.ephemeral && m.visibleTo === user.id);
  const before = new Set((await seen()).map((m) => m.ts));
  const ack = await sendSlashCommand(target, {
    text,
    userId: user.id,
    userName: user.username,
    channelId: releases,
    teamId: team,
    emulator,
  });
  await stack.queue.drain();
  // A mistake is answered at once, in the acknowledgement; everything else through the worker.
  const acknowledged = (ack.json as { text?: string } | undefined)?.text ?? '';
  return [acknowledged, ...(await seen()).filter((m) => !before.has(m.ts)).map((m) => m.text)].join('\n');
}

async function activeIn(namespace: string): Promise<Release> {
  const found = (await stack.deps.store.listActive())
    .map((s) => s.state)
    .find((r) => r.target.namespace === namespace);
  if (!found) throw new Error(`no active release in ${namespace}`);
  return found;
}

/** The generic events the receiver accepted, by action, and the PagerDuty ones. */
function accepted(path: string): Record<string, unknown>[] {
  return receiver.received
    .filter((r) => r.path === path && r.status < 300)
    .map((r) => JSON.parse(r.body) as Record<string, unknown>);
}

describe('audit out', () => {
  let stepped: Release;

  it('sends steps, a rollback and a freeze bypass to the webhooks, signed, retried after a 500', async () => {
    // Act: bob starts, alice approves the first step, alice rolls back; alice starts in a freeze with a bypass.
    await slash(bob, `start reviews v2 --ns ${engine.namespace}`);
    stepped = await activeIn(engine.namespace);
    expect(await slash(alice, `approve reviews --ns ${engine.namespace}`)).toMatch(/Approved/);
    await slash(alice, `rollback reviews --ns ${engine.namespace} --reason error budget, "burning"`);
    await slash(alice, `start reviews v2 --ns ${nsB} --cluster frozen --bypass-freeze "hotfix INC-7"`);
    const bypassed = await activeIn(nsB);

    // Assess: the first request got a 500 and the same event came again, accepted.
    const [first, second] = receiver.received;
    expect(first?.status).toBe(500);
    expect(
      receiver.received
        .filter((r) => r.headers['x-canary-bot-event'] === first?.headers['x-canary-bot-event'])
        .map((r) => r.status),
    ).toEqual(expect.arrayContaining([500, first?.path === '/pagerduty' ? 202 : 200]));
    expect(second).toBeDefined();
    const generic = accepted('/generic');
    expect(generic.map((e) => [e.action, (e.release as { releaseId: string }).releaseId])).toEqual([
      ['approve', stepped.id],
      ['rollback', stepped.id],
      ['freeze-bypass', bypassed.id],
    ]);
    expect(generic[1]).toMatchObject({
      type: 'canary-bot.change',
      kind: 'rollback',
      actor: alice.id,
      summary: expect.stringContaining('rolled back by U0ALICE001: error budget, "burning"'),
    });
    expect(generic[2]).toMatchObject({
      kind: 'freeze-bypass',
      detail: { reason: 'hotfix INC-7', freeze: 'quarter-close' },
    });
    // Every generic request is signed over its timestamp and body, as the README's recipe checks it.
    for (const request of receiver.received.filter((r) => r.path === '/generic')) {
      const header = String(request.headers['x-canary-bot-signature']);
      const { t, v1 } = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
      const expected = createHmac('sha256', secret).update(`${t}.${request.body}`).digest('hex');
      expect(timingSafeEqual(Buffer.from(v1 ?? ''), Buffer.from(expected))).toBe(true);
      expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(3600 * 24);
    }
    // PagerDuty: the Events API v2 change shape, no signature.
    const pagerduty = accepted('/pagerduty');
    expect(
      pagerduty.map((e) => (e.payload as { custom_details: { action: string } }).custom_details.action),
    ).toEqual(['approve', 'rollback', 'freeze-bypass']);
    expect(pagerduty[0]).toMatchObject({
      routing_key: routingKey,
      payload: {
        summary: expect.stringContaining(`reviews.${engine.namespace} on bed: `),
        source: `canary-bot/bed/${engine.namespace}`,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      links: [
        {
          href: expect.stringMatching(new RegExp(`/releases/${stepped.id}$`)),
          text: `Release ${stepped.id}`,
        },
      ],
    });
    expect(
      receiver.received
        .filter((r) => r.path === '/pagerduty')
        .every((r) => !r.headers['x-canary-bot-signature']),
    ).toBe(true);
    // The release went its way: rolled back, whatever the receiver answered.
    expect((await engine.release(stepped.id)).phase).toBe('rolled-back');
    await slash(alice, `cancel reviews --ns ${nsB} --cluster frozen`);
  });

  it('shares the CSV of the trail in the channel, for a starter or approver; refuses and records others', async () => {
    // Act
    const answer = await slash(bob, `audit reviews --ns ${engine.namespace} --since 30d`);
    const refusedAnswer = await slash(bob, `audit reviews --ns ${engine.namespace} --cluster frozen`);
    const tooFar = await slash(bob, `audit reviews --ns ${engine.namespace} --since 91d`);
    // Without --cluster, bob gets only the clusters whose rule lets him in: not nsB's release on frozen.
    const unflagged = await slash(bob, `audit reviews --ns ${nsB} --since 30d`);

    // Assess: one file shared in the channel, through the external upload flow.
    expect(answer).toMatch(
      new RegExp(
        `Audit trail of reviews\\.${engine.namespace} since .* UTC: \\d+ entries from 1 release\\. The CSV is in this channel\\.`,
      ),
    );
    const shared = (await emulator.messages({ channel: releases })).filter(
      (m) =>
        m.via === 'files.completeUploadExternal' &&
        m.text.includes(`exported the audit trail of reviews.${engine.namespace}.`),
    );
    expect(shared).toHaveLength(1);
    const fileId = shared[0]?.files?.[0]?.id ?? '';
    const csv = (await emulator.fileContent(fileId))?.toString('utf8') ?? '';
    const [header, ...rows] = readCsv(csv);
    expect(header).toEqual([
      'at',
      'actor',
      'action',
      'release',
      'cluster',
      'namespace',
      'service',
      'step',
      'state_version',
      'saw',
      'channel',
      'workspace',
      'detail',
    ]);
    const column = (name: string) => header?.indexOf(name) ?? -1;
    const ofRelease = rows.filter((r) => r[column('release')] === stepped.id);
    expect(ofRelease.map((r) => r[column('action')])).toEqual(
      expect.arrayContaining(['start', 'approve', 'rollback']),
    );
    const approve = ofRelease.find((r) => r[column('action')] === 'approve') ?? [];
    expect(approve[column('actor')]).toBe(alice.id);
    expect(approve[column('step')]).toBe('0');
    expect(Number(approve[column('state_version')])).toBeGreaterThan(0);
    expect(approve[column('channel')]).toBe(releases);
    expect(approve[column('workspace')]).toBe(team);
    expect(approve[column('saw')]).toMatch(/canary weight/);
    // The reason's comma and quotes survive.
    expect(ofRelease.find((r) => r[column('action')] === 'rollback')?.[column('detail')]).toContain(
      'error budget, \\"burning\\"',
    );

    // Others are refused, and the refusal and the export are in the trail.
    expect(refusedAnswer).toMatch(
      /The default approval policy of cluster frozen lets only the starters and approvers of .* \(U0ALICE001, S0APPROVERS\) export its audit trail; U0BOB00001 is neither/,
    );
    expect(unflagged).toMatch(/: 0 entries from 0 releases\./);
    expect(tooFar).toContain('--since is a duration from 1m to 90d such as 24h, 7d or 30d, not "91d".');
    const trail = await stack.deps.store.listAudit(`audit:${engine.namespace}/reviews`);
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['audit-export', bob.id],
      ['refused-audit', bob.id],
    ]);
    expect(
      (await emulator.messages({ channel: releases })).filter(
        (m) =>
          m.via === 'files.completeUploadExternal' &&
          m.text.includes(`exported the audit trail of reviews.${engine.namespace}.`),
      ),
    ).toHaveLength(1);
  });

  it('never holds a release on a receiver that hangs: the step is applied and answered while it waits', async () => {
    // Prepare: a new release of reviews; the receiver stops answering.
    await slash(bob, `start reviews v2 --ns ${engine.namespace}`);
    const release = await activeIn(engine.namespace);
    const routeBefore = JSON.stringify((await engine.reviews()).spec);
    receiver.state.holding = true;

    // Act: alice approves; wait for her answer, without waiting for the queue to be empty.
    const before = receiver.received.length;
    const earlier = new Set((await emulator.messages({ channel: releases })).map((m) => m.ts));
    await sendSlashCommand(target, {
      text: `approve reviews --ns ${engine.namespace}`,
      userId: alice.id,
      userName: alice.username,
      channelId: releases,
      teamId: team,
      emulator,
    });
    const deadline = Date.now() + 30_000;
    let answered = false;
    while (!answered && Date.now() < deadline) {
      const messages = await emulator.messages({ channel: releases });
      answered =
        messages.some(
          (m) => !earlier.has(m.ts) && m.ephemeral && m.visibleTo === alice.id && /Approved/.test(m.text),
        ) && (await engine.release(release.id)).approvals.length > 0;
      if (!answered) await new Promise((r) => setTimeout(r, 100));
    }
    const pendingWhenAnswered = receiver.pending();
    const routeWhenAnswered = JSON.stringify((await engine.reviews()).spec);
    const deliveredWhenAnswered = receiver.received
      .slice(before)
      .filter((r) => r.status >= 200 && r.status < 300);
    receiver.letGo();
    await stack.queue.drain();

    // Assess: answered and applied while the receiver held the event; delivered later, after retries.
    expect(answered).toBe(true);
    expect(pendingWhenAnswered).toBeGreaterThan(0);
    expect(deliveredWhenAnswered).toEqual([]);
    expect(routeWhenAnswered).not.toBe(routeBefore);
    const approvals = accepted('/generic').filter(
      (e) => e.action === 'approve' && (e.release as { releaseId: string }).releaseId === release.id,
    );
    expect(approvals).toHaveLength(1);
    expect(receiver.received.slice(before).some((r) => r.status === 503)).toBe(true);
    await slash(alice, `cancel reviews --ns ${engine.namespace}`);
  });
});
