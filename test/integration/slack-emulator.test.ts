// The Slack emulator, started in this process (no test bed): Slack's wire formats, limits and record,
// and the client that sends signed slash commands and clicks to a bot.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebClient } from '@slack/web-api';
import axios from 'axios';
import { connectSlackEmulator } from '../../local/slack/emulator-control.js';
import {
  replaySlackRequest,
  sendBlockActions,
  sendSlashCommand,
} from '../../local/slack/interaction-client.js';
import { type SlackEmulator, startSlackEmulator } from '../../local/slack/slack-emulator.js';
import { userDirectory } from '../../src/chat/slack/slack-users.js';

const CHANNEL = 'C0RELEASES';
const ALICE = 'U0ALICE001';

let slack: SlackEmulator;

beforeAll(async () => {
  slack = await startSlackEmulator({ botToken: 'xoxb-test-token', signingSecret: 'test-signing-secret' });
});

afterAll(async () => {
  await slack?.close();
});

beforeEach(async () => {
  await slack.reset();
});

interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: Slack answers are loosely typed JSON
  body: any;
}

/** A Web API call as JSON with a bearer token (Bolt's respond, fetch-based clients). */
async function callJson(
  method: string,
  args: Record<string, unknown>,
  token = slack.botToken,
): Promise<ApiAnswer> {
  const response = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
    body: JSON.stringify(args),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A Web API call form-encoded as @slack/web-api sends it: nested values as JSON strings. */
function formBody(args: Record<string, unknown>): string {
  const fields = Object.entries(args).map(([k, v]): [string, string] => [
    k,
    typeof v === 'string' ? v : JSON.stringify(v),
  ]);
  return new URLSearchParams(fields).toString();
}

const blocksOf = (count: number) => Array.from({ length: count }, () => ({ type: 'divider' }));

describe('Slack Web API emulator', () => {
  it('refuses 51 blocks with invalid_blocks and accepts 50', async () => {
    // Act
    const refused = await callJson('chat.postMessage', { channel: CHANNEL, text: 'x', blocks: blocksOf(51) });
    const accepted = await callJson('chat.postMessage', {
      channel: CHANNEL,
      text: 'x',
      blocks: blocksOf(50),
    });
    // Assess
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: ['must be less than 51 items [json-pointer:/blocks]'],
      response_metadata: { messages: ['[ERROR] must be less than 51 items [json-pointer:/blocks]'] },
    });
    expect(accepted.body).toMatchObject({
      ok: true,
      channel: CHANNEL,
      message: { text: 'x', bot_id: slack.botId },
    });
    expect(await slack.messages({ channel: CHANNEL })).toHaveLength(1);
  });

  it('answers not_authed without a token and invalid_auth with a wrong one (api.test needs none)', async () => {
    // Act
    const wrong = await callJson('auth.test', {}, 'xoxb-wrong');
    const missing = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST' });
    const right = await callJson('auth.test', {});
    const health = await fetch(`${slack.apiUrl}api.test`, { method: 'POST' });
    // Assess
    expect(wrong.body).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await missing.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(right.body).toMatchObject({ ok: true, user_id: slack.botUserId, team_id: slack.teamId });
    expect(await health.json()).toEqual({ ok: true, args: {} });
  });

  it("speaks @slack/web-api's form encoding (bearer header or token field) and JSON", async () => {
    // Prepare
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*reviews* v2 at 10%' } }];
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    // Act
    const sdkStyle = await axios.post(
      `${slack.apiUrl}chat.postMessage`,
      formBody({ channel: CHANNEL, text: 'a', blocks }),
      {
        headers: { ...form, Authorization: `Bearer ${slack.botToken}` },
      },
    );
    const tokenInBody = await axios.post(
      `${slack.apiUrl}chat.postMessage`,
      formBody({ token: slack.botToken, channel: '#releases', text: 'b' }),
      { headers: form },
    );
    const json = await callJson('chat.postMessage', { channel: CHANNEL, text: 'c', blocks });
    const jsonTokenInBody = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ token: slack.botToken, channel: CHANNEL, text: 'd' }),
    });
    // Assess
    expect(sdkStyle.data).toMatchObject({ ok: true, message: { blocks: [{ type: 'section' }] } });
    expect(tokenInBody.data).toMatchObject({ ok: true, channel: CHANNEL });
    expect(json.body.ok).toBe(true);
    // Slack reads a JSON body's token from the Authorization header only.
    expect(await jsonTokenInBody.json()).toEqual({ ok: false, error: 'not_authed' });
    const recorded = await slack.messages({ channel: CHANNEL });
    expect(recorded.map((m) => m.text)).toEqual(['a', 'b', 'c']);
    expect(recorded[0]?.blocks?.[0]).toMatchObject({ type: 'section', block_id: expect.any(String) });
    expect(slack.record.calls.map((c) => c.encoding)).toEqual(['form', 'form', 'json', 'json']);
  });

  it('records chat.update with its history, and refuses what Slack refuses', async () => {
    // Prepare
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Release card' } }];
    const posted = await callJson('chat.postMessage', { channel: CHANNEL, text: 'card v1', blocks });
    const ephemeral = await callJson('chat.postEphemeral', {
      channel: CHANNEL,
      user: ALICE,
      text: 'only you',
    });
    const human = await slack.postAsUser({ channel: CHANNEL, user: ALICE, text: 'hello bot' });
    // Act
    const updated = await callJson('chat.update', { channel: CHANNEL, ts: posted.body.ts, text: 'card v2' });
    const byName = await callJson('chat.update', { channel: '#releases', ts: posted.body.ts, text: 'v3' });
    const onEphemeral = await callJson('chat.update', {
      channel: CHANNEL,
      ts: ephemeral.body.message_ts,
      text: 'v3',
    });
    const onHuman = await callJson('chat.update', { channel: CHANNEL, ts: human.ts, text: 'v3' });
    const ephemeralNoUser = await callJson('chat.postEphemeral', { channel: CHANNEL, text: 'x' });
    // Assess
    expect(updated.body).toMatchObject({ ok: true, ts: posted.body.ts, text: 'card v2' });
    expect(updated.body.message.blocks).toBeUndefined();
    expect(byName.body.error).toBe('channel_not_found');
    expect(onEphemeral.body.error).toBe('message_not_found');
    expect(onHuman.body.error).toBe('cant_update_message');
    expect(ephemeralNoUser.body.error).toBe('user_not_in_channel');
    const [card] = await slack.messages({ channel: CHANNEL, ts: posted.body.ts });
    expect(card).toMatchObject({ text: 'card v2', edited: { user: slack.botUserId } });
    expect(card?.blocks).toBeUndefined();
    expect(card?.history).toEqual([
      {
        text: 'card v1',
        blocks: [expect.objectContaining({ type: 'section' })],
        replacedAt: expect.any(String),
        replacedBy: 'chat.update',
      },
    ]);
    expect(await slack.messages({ channel: CHANNEL, ephemeral: true })).toEqual([
      expect.objectContaining({ text: 'only you', visibleTo: ALICE }),
    ]);
  });

  it('records thread replies under the parent ts', async () => {
    // Prepare
    const parent = await callJson('chat.postMessage', {
      channel: CHANNEL,
      text: 'Starting canary reviews.bookinfo',
    });
    // Act
    const reply = await callJson('chat.postMessage', {
      channel: CHANNEL,
      thread_ts: parent.body.ts,
      text: 'Advance reviews.bookinfo canary weight 10',
    });
    await callJson('chat.postMessage', {
      channel: CHANNEL,
      thread_ts: reply.body.ts,
      text: 'reply to a reply',
    });
    const unknownChannel = await callJson('chat.postMessage', { channel: 'C0NOWHERE', text: 'x' });
    // Assess
    expect(reply.body.message.thread_ts).toBe(parent.body.ts);
    const thread = await slack.messages({ channel: CHANNEL, threadTs: parent.body.ts });
    expect(thread.map((m) => m.text)).toEqual([
      'Advance reviews.bookinfo canary weight 10',
      'reply to a reply',
    ]);
    expect((await slack.messages({ channel: CHANNEL, inThread: false })).map((m) => m.ts)).toEqual([
      parent.body.ts,
    ]);
    expect(unknownChannel.body.error).toBe('channel_not_found');
  });

  it('follows response_url rules: ephemeral by default, replace_original, and no 6th use', async () => {
    // Prepare
    const card = await callJson('chat.postMessage', { channel: CHANNEL, text: 'Approve step 2?' });
    const { responseUrl } = await slack.issueInteraction({
      channelId: CHANNEL,
      userId: ALICE,
      messageTs: card.body.ts,
    });
    const post = (body: unknown) =>
      fetch(responseUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Act
    const answers = [
      await post({ text: 'Only you see this' }),
      await post({ text: 'Approved by alice', replace_original: true }),
      await post({ text: 'Step 2 approved', response_type: 'in_channel' }),
      await post({ text: 'x'.repeat(40_001) }),
      await post({ text: 'four' }),
      await post({ text: 'five' }),
    ];
    const sixth = await post({ text: 'six' });
    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 400, 200, 200]);
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: 'used_url' });
    const [original] = await slack.messages({ channel: CHANNEL, ts: card.body.ts });
    expect(original).toMatchObject({
      text: 'Approved by alice',
      history: [{ text: 'Approve step 2?', replacedBy: 'response_url' }],
    });
    const viaUrl = await slack.messages({ channel: CHANNEL, via: 'response_url' });
    expect(viaUrl.map((m) => [m.text, m.ephemeral, m.visibleTo])).toEqual([
      ['Only you see this', true, ALICE],
      ['Step 2 approved', false, undefined],
      ['four', true, ALICE],
      ['five', true, ALICE],
    ]);
    expect(slack.record.responseUrlPosts.map((p) => p.outcome)).toEqual([
      'ok',
      'ok',
      'ok',
      'msg_too_long',
      'ok',
      'ok',
      'used_url',
    ]);
  });

  it('refuses a response_url after 30 minutes', async () => {
    // Prepare: an emulator with a clock the test moves.
    let now = 1_700_000_000_000;
    const clocked = await startSlackEmulator({ now: () => now });
    try {
      const { responseUrl } = await clocked.issueInteraction({ channelId: CHANNEL, userId: ALICE });
      // Act
      now += 30 * 60 * 1000 + 1;
      const late = await fetch(responseUrl, { method: 'POST', body: JSON.stringify({ text: 'late' }) });
      // Assess
      expect(late.status).toBe(404);
      expect(await late.json()).toEqual({ ok: false, error: 'expired_url' });
    } finally {
      await clocked.close();
    }
  });

  it('runs the upload flow end to end, raw and multipart, and shares the file in the thread', async () => {
    // Prepare
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x20]);
    const parent = await callJson('chat.postMessage', { channel: CHANNEL, text: 'RED report' });
    // Act: what files.uploadV2 does, once with a raw body and once with a multipart body.
    const first = await callJson('files.getUploadURLExternal', { filename: 'red.png', length: png.length });
    const rawUpload = await fetch(first.body.upload_url, { method: 'POST', body: png });
    const second = await callJson('files.getUploadURLExternal', {
      filename: 'latency.png',
      length: png.length,
    });
    const form = new FormData();
    form.append('body', new Blob([png]), 'Untitled');
    const multipartUpload = await fetch(second.body.upload_url, { method: 'POST', body: form });
    const completed = await callJson('files.completeUploadExternal', {
      files: [
        { id: first.body.file_id, title: 'RED reviews.bookinfo' },
        { id: second.body.file_id, title: 'p99 latency' },
      ],
      channel_id: CHANNEL,
      thread_ts: parent.body.ts,
      initial_comment: 'Metrics for step 2',
    });
    const notUploaded = await callJson('files.getUploadURLExternal', { filename: 'x.png', length: 3 });
    const incomplete = await callJson('files.completeUploadExternal', {
      files: [{ id: notUploaded.body.file_id }],
    });
    // Assess
    expect(first.body.upload_url.startsWith(`${slack.url}/`)).toBe(true);
    expect([rawUpload.status, await rawUpload.text()]).toEqual([200, `OK - ${png.length}`]);
    expect(multipartUpload.status).toBe(200);
    expect(completed.body.files).toEqual([
      expect.objectContaining({ id: first.body.file_id, title: 'RED reviews.bookinfo', size: png.length }),
      expect.objectContaining({ id: second.body.file_id, title: 'p99 latency', size: png.length }),
    ]);
    expect(incomplete.body.error).toBe('file_not_found');
    const [share] = await slack.messages({ channel: CHANNEL, threadTs: parent.body.ts });
    expect(share).toMatchObject({
      via: 'files.completeUploadExternal',
      text: 'Metrics for step 2',
      files: [
        { id: first.body.file_id, size: png.length, mimetype: 'image/png' },
        { id: second.body.file_id, size: png.length },
      ],
    });
    expect((await slack.fileContent(second.body.file_id))?.equals(png)).toBe(true);
  });

  it('answers an injected 429 with Retry-After, and limits chat.postMessage per channel', async () => {
    // Prepare
    await slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    await slack.failNext('users.info', { error: 'internal_error' });
    // Act
    const limited = await callJson('chat.postMessage', { channel: CHANNEL, text: 'x' });
    const after = await callJson('chat.postMessage', { channel: CHANNEL, text: 'y' });
    const failed = await callJson('users.info', { user: ALICE });
    await slack.setPostMessageRate(1);
    const firstInSecond = await callJson('chat.postMessage', { channel: CHANNEL, text: 'one' });
    const secondInSecond = await callJson('chat.postMessage', { channel: CHANNEL, text: 'two' });
    const otherChannel = await callJson('chat.postMessage', { channel: 'C0PLATFORM', text: 'three' });
    await slack.setPostMessageRate(undefined);
    // Assess
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body).toEqual({ ok: false, error: 'ratelimited' });
    expect(after.body.ok).toBe(true);
    expect(failed.body).toEqual({ ok: false, error: 'internal_error' });
    expect(firstInSecond.body.ok).toBe(true);
    expect(secondInSecond.status).toBe(429);
    expect(Number(secondInSecond.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(otherChannel.body.ok).toBe(true);
  });

  it('answers every Web API call 429 with the given Retry-After for a while (over HTTP too), then normally', async () => {
    // Prepare
    const remote = connectSlackEmulator(slack.url);
    await remote.rateLimitEverything(30, 500);
    // Act
    const posted = await callJson('chat.postMessage', { channel: CHANNEL, text: 'x' });
    const updated = await callJson('chat.update', { channel: CHANNEL, ts: '1.000001', text: 'y' });
    const user = await callJson('users.info', { user: ALICE });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const afterWindow = await callJson('chat.postMessage', { channel: CHANNEL, text: 'z' });
    await remote.rateLimitEverything(1);
    const untilEnded = await callJson('users.info', { user: ALICE });
    await remote.rateLimitEverything(undefined);
    const ended = await callJson('users.info', { user: ALICE });
    const refused = await fetch(`${slack.url}/_emulator/rate-limit-all`, {
      method: 'POST',
      body: JSON.stringify({ retryAfter: 'soon' }),
    });
    // Assess
    for (const answer of [posted, updated, user]) {
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('30');
      expect(answer.body).toEqual({ ok: false, error: 'ratelimited' });
    }
    expect(afterWindow.body.ok).toBe(true);
    expect(untilEnded.headers.get('retry-after')).toBe('1');
    expect(ended.body.ok).toBe(true);
    expect(refused.status).toBe(400);
    expect(await slack.messages({ channel: CHANNEL })).toHaveLength(1);
  });

  it('answers users.info and usergroups.users.list from the seeded workspace', async () => {
    const user = await callJson('users.info', { user: ALICE });
    const group = await callJson('usergroups.users.list', { usergroup: 'S0APPROVERS' });
    const noGroup = await callJson('usergroups.users.list', { usergroup: 'S0NOPE' });
    const noUser = await callJson('users.info', { user: 'U0NOBODY' });
    expect(user.body.user).toMatchObject({
      id: ALICE,
      name: 'alice',
      profile: { email: 'alice@example.com' },
    });
    expect(group.body).toEqual({ ok: true, users: [ALICE] });
    expect(noGroup.body.error).toBe('no_such_subteam');
    expect(noUser.body.error).toBe('user_not_found');
  });

  it("tells guests and Slack Connect members apart in users.info, as Slack's fields do", async () => {
    const guest = await callJson('users.info', { user: 'U0GUEST001' });
    const external = await callJson('users.info', { user: 'W0EXTERN01' });
    const member = await callJson('users.info', { user: ALICE });
    expect(guest.body.user).toMatchObject({
      team_id: 'T0EMULATOR',
      is_restricted: true,
      is_ultra_restricted: false,
    });
    expect(external.body.user).toMatchObject({ team_id: 'T0PARTNER', is_restricted: false });
    expect(member.body.user).toMatchObject({ team_id: 'T0EMULATOR', is_restricted: false });
  });

  it("knows each user's kind through users.info, and asks Slack once per user within the cache's life", async () => {
    const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl });
    const kindOf = userDirectory(client, { max: 2, ttlMs: 60_000 });

    const kinds = [];
    for (const user of [ALICE, 'U0GUEST001', 'U0GUEST001', 'W0EXTERN01', 'U0NOBODY', ALICE])
      kinds.push(await kindOf(user));

    expect(kinds).toEqual(['member', 'guest', 'guest', 'external', 'external', 'member']);
    const asked = slack.record.calls.filter((c) => c.method === 'users.info').map((c) => c.params.user);
    // The guest's second look is cached; bounded at two users, alice was pushed out and is asked again.
    expect(asked).toEqual([ALICE, 'U0GUEST001', 'W0EXTERN01', 'U0NOBODY', ALICE]);
    expect(slack.record.calls.filter((c) => c.method === 'auth.test')).toHaveLength(1);
  });

  it('serves the record and faults over HTTP for the test bed', async () => {
    // Prepare
    const remote = connectSlackEmulator(slack.url);
    await callJson('chat.postMessage', { channel: CHANNEL, text: 'over http' });
    await remote.failNext('chat.postMessage', { error: 'fatal_error' });
    // Act
    const byQuery = (await (await fetch(`${slack.url}/_emulator/messages?channel=${CHANNEL}`)).json()) as {
      messages: { text: string }[];
    };
    const byFilter = await remote.messages({ channel: CHANNEL, inThread: false });
    const faulted = await callJson('chat.postMessage', { channel: CHANNEL, text: 'x' });
    await remote.reset();
    // Assess
    expect(byQuery.messages.map((m) => m.text)).toEqual(['over http']);
    expect(byFilter.map((m) => m.text)).toEqual(['over http']);
    expect(faulted.body.error).toBe('fatal_error');
    expect(await remote.messages()).toEqual([]);
  });
});

describe('Slack-to-bot client', () => {
  interface Received {
    headers: IncomingHttpHeaders;
    body: string;
  }
  let bot: Server;
  let botUrl: string;
  let received: Received[];
  const secret = 'test-signing-secret';

  beforeAll(async () => {
    // A stand-in bot that only records what Slack sent it; verifying is the bot's job, not the test bed's.
    bot = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
    botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}/slack/events`;
  });

  afterAll(async () => {
    bot.closeAllConnections();
    await new Promise((resolve) => bot.close(resolve));
  });

  beforeEach(() => {
    received = [];
  });

  const expectedSignature = (r: Received, withSecret = secret) =>
    `v0=${createHmac('sha256', withSecret).update(`v0:${r.headers['x-slack-request-timestamp']}:${r.body}`).digest('hex')}`;

  it('sends a signed slash command whose response_url lands in the emulator', async () => {
    // Act
    const sent = await sendSlashCommand(
      { url: botUrl, signingSecret: secret },
      {
        text: 'status reviews',
        userId: ALICE,
        userName: 'alice',
        channelId: CHANNEL,
        teamId: slack.teamId,
        emulator: slack,
      },
    );
    const reply = await fetch(sent.responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'reviews: 90/10, waiting for approval' }),
    });
    // Assess
    const [request] = received;
    if (!request) throw new Error('the bot received nothing');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers['x-slack-signature']).toBe(expectedSignature(request));
    expect(Math.abs(Number(request.headers['x-slack-request-timestamp']) - Date.now() / 1000)).toBeLessThan(
      5,
    );
    const fields = new URLSearchParams(request.body);
    expect(Object.fromEntries(fields)).toMatchObject({
      command: '/canary',
      text: 'status reviews',
      user_id: ALICE,
      channel_id: CHANNEL,
      team_id: slack.teamId,
      response_url: sent.responseUrl,
      trigger_id: sent.triggerId,
    });
    expect(reply.status).toBe(200);
    expect(await slack.messages({ channel: CHANNEL, visibleTo: ALICE })).toEqual([
      expect.objectContaining({ text: 'reviews: 90/10, waiting for approval', via: 'response_url' }),
    ]);
  });

  it('sends a button click built from the message in the emulator', async () => {
    // Prepare
    const card = await callJson('chat.postMessage', {
      channel: CHANNEL,
      text: 'Approve step 2 of reviews?',
      blocks: [
        {
          type: 'actions',
          block_id: 'release:r1',
          elements: [
            {
              type: 'button',
              action_id: 'approve',
              text: { type: 'plain_text', text: 'Approve next step' },
              value: 'r1:2',
              style: 'primary',
            },
          ],
        },
      ],
    });
    // Act
    await sendBlockActions(
      { url: botUrl, signingSecret: secret },
      {
        user: { id: ALICE, username: 'alice' },
        channel: { id: CHANNEL, name: 'releases' },
        messageTs: card.body.ts,
        actions: [{ action_id: 'approve' }],
        teamId: slack.teamId,
        emulator: slack,
      },
    );
    // Assess
    const [request] = received;
    if (!request) throw new Error('the bot received nothing');
    expect(request.headers['x-slack-signature']).toBe(expectedSignature(request));
    const payload = JSON.parse(new URLSearchParams(request.body).get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: ALICE, username: 'alice' },
      container: { type: 'message', message_ts: card.body.ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL },
      message: { ts: card.body.ts, bot_id: slack.botId, blocks: [{ block_id: 'release:r1' }] },
      actions: [
        { action_id: 'approve', block_id: 'release:r1', value: 'r1:2', type: 'button', style: 'primary' },
      ],
    });
    expect(payload.response_url.startsWith(`${slack.url}/response/`)).toBe(true);
  });

  it('forges a wrong secret, a stale timestamp, and replays a request byte for byte', async () => {
    // Prepare
    const target = { url: botUrl, signingSecret: secret };
    const command = {
      text: 'help',
      userId: ALICE,
      userName: 'alice',
      channelId: CHANNEL,
      teamId: slack.teamId,
    };
    // Act
    await sendSlashCommand(target, command, { signingSecret: 'not-the-secret' });
    const stale = await sendSlashCommand(target, command, { timestampOffsetSeconds: -600 });
    await replaySlackRequest(stale.request);
    // Assess
    const [forged, original, replayed] = received;
    if (!forged || !original || !replayed) throw new Error('the bot did not receive three requests');
    expect(forged.headers['x-slack-signature']).toBe(expectedSignature(forged, 'not-the-secret'));
    expect(forged.headers['x-slack-signature']).not.toBe(expectedSignature(forged));
    expect(Number(original.headers['x-slack-request-timestamp'])).toBeLessThan(Date.now() / 1000 - 590);
    expect(original.headers['x-slack-signature']).toBe(expectedSignature(original));
    expect(replayed.body).toBe(original.body);
    expect(replayed.headers['x-slack-signature']).toBe(original.headers['x-slack-signature']);
    expect(replayed.headers['x-slack-request-timestamp']).toBe(original.headers['x-slack-request-timestamp']);
  });
});

describe('standalone emulator process', () => {
  it('prints its URL as one JSON line and exits cleanly on SIGTERM', async () => {
    // Prepare
    // The bed's way to run it (tsx), on this process's Node 22.
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const main = fileURLToPath(new URL('../../local/slack/main.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        tsx,
        main,
        '--port',
        '0',
        '--bot-token',
        'xoxb-proc',
        '--signing-secret',
        'proc-secret',
        '--unfurl-domain',
        'canary.example',
        '--shortcut',
        'rollback_release=Roll back a release',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Act
      const [line] = await new Promise<string[]>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', (l) => resolve([l]));
        child.once('exit', (code) => reject(new Error(`emulator exited early with ${code}`)));
      });
      const info = JSON.parse(line ?? '{}');
      const auth = await fetch(`${info.url}/api/auth.test`, {
        method: 'POST',
        headers: { Authorization: 'Bearer xoxb-proc' },
      });
      child.kill('SIGTERM');
      // Assess
      expect(info).toMatchObject({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        signingSecret: 'proc-secret',
        unfurlDomains: ['canary.example'],
        shortcuts: [{ callbackId: 'rollback_release', name: 'Roll back a release' }],
        appHome: { homeTab: true, messagesTab: true },
      });
      expect(await auth.json()).toMatchObject({ ok: true, user_id: 'U0CANARYBOT' });
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
