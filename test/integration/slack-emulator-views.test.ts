// The Slack emulator's views, trigger_ids, unfurls and Events API, started in this process (no test bed):
// Slack's arguments, limits and error codes, on a clock the test controls.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import fc from 'fast-check';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { findViewProblems } from '../../local/slack/block-kit-limits.js';
import { connectSlackEmulator } from '../../local/slack/emulator-control.js';
import {
  type BotTarget,
  closeModal,
  openAppHome,
  retryEvent,
  SlackInteractionError,
  sendBlockSuggestion,
  sendEvent,
  sendMessageShortcut,
  sendUrlVerification,
  sendViewBlockActions,
  shareLink,
  submitView,
} from '../../local/slack/interaction-client.js';
import { type RecordedMessage, toSlackMessage } from '../../local/slack/message-record.js';
import { startSlackPage } from '../../local/slack/page/slack-page.js';
import { type SlackEmulator, startSlackEmulator } from '../../local/slack/slack-emulator.js';
import { launchChromium } from './support/chromium.js';

const CHANNEL = 'C0RELEASES';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';

let slack: SlackEmulator;
let clock = Date.UTC(2026, 11, 5, 12, 0, 0);

beforeAll(async () => {
  slack = await startSlackEmulator({
    botToken: 'xoxb-views-token',
    signingSecret: 'views-signing-secret',
    now: () => clock,
    unfurlDomains: ['grafana.example.com', 'canary.example'],
    shortcuts: [{ callbackId: 'rollback_release', name: 'Roll back a release' }],
  });
});

afterAll(async () => {
  await slack?.close();
});

beforeEach(async () => {
  clock += 60_000;
  await slack.reset();
});

// biome-ignore lint/suspicious/noExplicitAny: Slack answers are loosely typed JSON
type Json = any;

async function callJson(method: string, args: Record<string, unknown>): Promise<Json> {
  const response = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${slack.botToken}` },
    body: JSON.stringify(args),
  });
  return response.json();
}

/** Form-encoded as @slack/web-api sends it: nested values as JSON strings. */
async function callForm(method: string, args: Record<string, unknown>): Promise<Json> {
  const fields = Object.entries(args).map(([k, v]): [string, string] => [
    k,
    typeof v === 'string' ? v : JSON.stringify(v),
  ]);
  const response = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams([['token', slack.botToken], ...fields]).toString(),
  });
  return response.json();
}

const plain = (text: string) => ({ type: 'plain_text', text });

/** A request Slack sent to the app, its payload parsed as the app would. */
interface SlackRequest {
  headers: IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: the payload as the app would parse it
  payload: any;
}

/**
 * Stands in for the bot on loopback: reads each request Slack sends (a JSON body, or a form whose `payload`
 * is JSON; `missing` when it has none) and answers with what `handle` returns (500 if it throws).
 */
async function startAppStandIn(
  missing: string,
  handle: (request: SlackRequest) => Promise<{ status?: number; body?: unknown }>,
): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const isJson = (req.headers['content-type'] ?? '').startsWith('application/json');
      const payload = isJson
        ? JSON.parse(body)
        : JSON.parse(new URLSearchParams(body).get('payload') ?? missing);
      handle({ headers: req.headers, body, payload }).then(
        ({ status = 200, body: reply }) => {
          if (reply === undefined) res.writeHead(status).end();
          else res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** An input block: its id, label and element (`optional` as Slack's flag). */
const input = (
  blockId: string,
  label: string,
  element: Record<string, unknown>,
  flags: { optional?: true } = {},
) => ({ type: 'input', block_id: blockId, ...flags, label: plain(label), element });

/** The options of a radio, checkbox or select element, from `[text, value]` pairs. */
const choices = (...pairs: [string, string][]) =>
  pairs.map(([text, value]) => ({ text: plain(text), value }));

function modal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: 'start_release',
    title: plain('Start a release'),
    submit: plain('Start'),
    close: plain('Cancel'),
    private_metadata: '{"channel":"C0RELEASES"}',
    blocks: [input('service', 'Service', { type: 'plain_text_input', action_id: 'name' })],
    ...overrides,
  };
}

const dividers = (count: number) => Array.from({ length: count }, () => ({ type: 'divider' }));

async function trigger(user = ALICE): Promise<string> {
  return (await slack.issueInteraction({ channelId: CHANNEL, userId: user })).triggerId;
}

describe('views.open, views.push, views.update, views.publish', () => {
  it('opens a modal with the trigger of a click and answers the view as Slack does', async () => {
    // Prepare
    const triggerId = await trigger();
    // Act
    const opened = await callForm('views.open', { trigger_id: triggerId, view: modal() });
    // Assess
    expect(opened).toMatchObject({
      ok: true,
      view: {
        id: expect.stringMatching(/^V[A-Z0-9]{10}$/),
        team_id: slack.teamId,
        type: 'modal',
        callback_id: 'start_release',
        private_metadata: '{"channel":"C0RELEASES"}',
        hash: expect.stringMatching(/^\d+\.[0-9a-f]{8}$/),
        state: { values: {} },
        previous_view_id: null,
        app_id: slack.appId,
        bot_id: slack.botId,
        blocks: [{ type: 'input', block_id: 'service', element: { action_id: 'name' } }],
      },
    });
    expect(opened.view.root_view_id).toBe(opened.view.id);
    const views = await slack.views({ user: ALICE });
    expect(views.stack.map((r) => r.view.id)).toEqual([opened.view.id]);
    expect(views.home).toBeUndefined();
  });

  it('speaks @slack/web-api: views.open through WebClient, and its error code comes back', async () => {
    // Prepare
    const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const triggerId = await trigger();
    // Act
    const opened = await client.views.open({ trigger_id: triggerId, view: modal() as never });
    const again = client.views.open({ trigger_id: triggerId, view: modal() as never });
    // Assess
    expect(opened.view?.id).toMatch(/^V/);
    await expect(again).rejects.toMatchObject({ data: { ok: false, error: 'exchanged_trigger_id' } });
  });

  it('lets a trigger_id be used within 3 seconds on the emulator clock, once, and knows no other', async () => {
    // Prepare
    const onTime = await trigger();
    clock += 3000;
    const exactlyThree = await callJson('views.open', { trigger_id: onTime, view: modal() });
    const late = await trigger();
    clock += 3001;
    // Act
    const expired = await callJson('views.open', { trigger_id: late, view: modal() });
    const reused = await callJson('views.open', { trigger_id: onTime, view: modal() });
    const unknown = await callJson('views.open', { trigger_id: '1234.5678.abcdef', view: modal() });
    // Assess
    expect(exactlyThree.ok).toBe(true);
    expect(expired).toEqual({ ok: false, error: 'expired_trigger_id' });
    expect(reused).toEqual({ ok: false, error: 'exchanged_trigger_id' });
    expect(unknown).toEqual({ ok: false, error: 'invalid_trigger_id' });
  });

  it('accepts a trigger_id exactly when at most 3 seconds have passed on the emulator clock (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6000 }), async (elapsedMs) => {
        const triggerId = await trigger();
        clock += elapsedMs;
        const answer = await callJson('views.open', { trigger_id: triggerId, view: modal() });
        return elapsedMs <= 3000 ? answer.ok === true : answer.error === 'expired_trigger_id';
      }),
      { numRuns: 40 },
    );
  });

  it('issues view triggers over the control API too, and a refused view does not use the trigger up', async () => {
    // Prepare
    const control = connectSlackEmulator(slack.url);
    const { triggerId } = await control.issueViewTrigger({ userId: BOB });
    // Act
    const refused = await callJson('views.open', {
      trigger_id: triggerId,
      view: modal({ title: plain('') }),
    });
    const opened = await callJson('views.open', { trigger_id: triggerId, view: modal() });
    // Assess
    expect(refused.error).toBe('invalid_arguments');
    expect(opened.ok).toBe(true);
    expect((await control.views({ user: BOB })).stack).toHaveLength(1);
  });

  it('stacks at most 3 views: the fourth push is push_limit_reached', async () => {
    // Prepare
    const root = await callJson('views.open', { trigger_id: await trigger(), view: modal() });
    const second = await callJson('views.push', {
      trigger_id: (await slack.issueViewTrigger({ userId: ALICE, viewId: root.view.id })).triggerId,
      view: modal({ callback_id: 'second' }),
    });
    const third = await callJson('views.push', {
      trigger_id: (await slack.issueViewTrigger({ userId: ALICE, viewId: second.view.id })).triggerId,
      view: modal({ callback_id: 'third' }),
    });
    // Act
    const fourth = await callJson('views.push', {
      trigger_id: (await slack.issueViewTrigger({ userId: ALICE, viewId: third.view.id })).triggerId,
      view: modal({ callback_id: 'fourth' }),
    });
    // Assess
    expect(second.view).toMatchObject({ previous_view_id: root.view.id, root_view_id: root.view.id });
    expect(third.view).toMatchObject({ previous_view_id: second.view.id, root_view_id: root.view.id });
    expect(fourth).toEqual({ ok: false, error: 'push_limit_reached' });
    const { stack } = await slack.views({ user: ALICE });
    expect(stack.map((r) => r.view.callback_id)).toEqual(['start_release', 'second', 'third']);
  });

  it('updates by view_id or external_id, answers hash_conflict on a stale hash and not_found on an unknown view', async () => {
    // Prepare
    const opened = await callJson('views.open', {
      trigger_id: await trigger(),
      view: modal({ external_id: 'start-alice-1' }),
    });
    const first = opened.view;
    // Act
    const updated = await callJson('views.update', {
      view_id: first.id,
      hash: first.hash,
      view: modal({ callback_id: 'start_release_2', external_id: 'start-alice-1' }),
    });
    const stale = await callJson('views.update', { view_id: first.id, hash: first.hash, view: modal() });
    const byExternalId = await callForm('views.update', {
      external_id: 'start-alice-1',
      view: modal({ callback_id: 'start_release_3', external_id: 'start-alice-1' }),
    });
    const unknown = await callJson('views.update', { view_id: 'V0NOSUCHVIEW', view: modal() });
    const unknownExternal = await callJson('views.update', { external_id: 'nope', view: modal() });
    // Assess
    expect(updated.ok).toBe(true);
    expect(updated.view.id).toBe(first.id);
    expect(updated.view.hash).not.toBe(first.hash);
    expect(stale).toEqual({ ok: false, error: 'hash_conflict' });
    expect(byExternalId.view).toMatchObject({ id: first.id, callback_id: 'start_release_3' });
    expect(unknown).toEqual({ ok: false, error: 'not_found' });
    expect(unknownExternal).toEqual({ ok: false, error: 'not_found' });
  });

  it('refuses an external_id already used by another view, and a view over 250 kB', async () => {
    // Prepare
    await callJson('views.open', { trigger_id: await trigger(), view: modal({ external_id: 'once' }) });
    // Act
    const again = await callJson('views.open', {
      trigger_id: await trigger(BOB),
      view: modal({ external_id: 'once' }),
    });
    const huge = await callJson('views.open', {
      trigger_id: await trigger(BOB),
      view: modal({
        private_metadata: 'x',
        blocks: dividers(1).map(() => ({ type: 'divider', pad: 'p'.repeat(260_000) })),
      }),
    });
    // Assess
    expect(again).toEqual({ ok: false, error: 'duplicate_external_id' });
    expect(huge).toEqual({ ok: false, error: 'view_too_large' });
  });

  it('publishes a home tab per person, with hash_conflict, and an input block is allowed there', async () => {
    // Prepare
    const home = {
      type: 'home',
      callback_id: 'home',
      blocks: [
        { type: 'section', block_id: 'intro', text: { type: 'mrkdwn', text: 'Releases' } },
        input('filter', 'Filter', { type: 'plain_text_input', action_id: 'q' }),
      ],
    };
    // Act
    const first = await callForm('views.publish', { user_id: ALICE, view: home });
    const second = await callForm('views.publish', { user_id: ALICE, view: home, hash: first.view?.hash });
    const stale = await callForm('views.publish', { user_id: ALICE, view: home, hash: first.view?.hash });
    const noUser = await callJson('views.publish', { user_id: 'U0NOBODY', view: home });
    const modalAsHome = await callJson('views.publish', { user_id: ALICE, view: modal() });
    // Assess
    expect(first).toMatchObject({ ok: true, view: { type: 'home', callback_id: 'home' } });
    expect(second.view.id).toBe(first.view.id);
    expect(stale).toEqual({ ok: false, error: 'hash_conflict' });
    expect(noUser).toMatchObject({ ok: false, error: 'invalid_arguments' });
    expect(modalAsHome).toMatchObject({ ok: false, error: 'invalid_arguments' });
    const views = await slack.views({ user: ALICE });
    expect(views.home?.view.hash).toBe(second.view.hash);
    expect((await slack.views({ user: BOB })).home).toBeUndefined();
  });

  it('answers not_enabled to views.publish when the app has no home tab', async () => {
    // Prepare
    const noHome = await startSlackEmulator({ appHome: { homeTab: false, messagesTab: true } });
    try {
      // Act
      const response = await fetch(`${noHome.apiUrl}views.publish`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${noHome.botToken}` },
        body: JSON.stringify({ user_id: ALICE, view: { type: 'home', blocks: [] } }),
      });
      // Assess
      expect(await response.json()).toEqual({ ok: false, error: 'not_enabled' });
    } finally {
      await noHome.close();
    }
  });

  it('clears the stack when the modal is closed, and reset forgets every view', async () => {
    // Prepare
    await callJson('views.open', { trigger_id: await trigger(), view: modal() });
    await callJson('views.publish', { user_id: ALICE, view: { type: 'home', blocks: [] } });
    // Act
    const closed = await slack.closeView({ user: ALICE });
    const afterClose = await slack.views({ user: ALICE });
    await slack.reset();
    const afterReset = await slack.views({ user: ALICE });
    // Assess
    expect(closed).toMatchObject({ isCleared: true, closed: [{ callback_id: 'start_release' }] });
    expect(afterClose.stack).toEqual([]);
    expect(afterClose.home).toBeDefined();
    expect(afterReset).toEqual({ user: ALICE, stack: [] });
  });

  it('serves a person’s views over the control API (GET _emulator/views)', async () => {
    // Prepare
    const opened = await callJson('views.open', { trigger_id: await trigger(), view: modal() });
    // Act
    const response = await fetch(`${slack.url}/_emulator/views?user=${ALICE}`);
    // Assess
    expect(await response.json()).toMatchObject({ user: ALICE, stack: [{ view: { id: opened.view.id } }] });
  });
});

describe('view validation, as Slack answers it', () => {
  const refusal = async (view: Record<string, unknown>): Promise<string[]> => {
    const answer = await callJson('views.open', { trigger_id: await trigger(), view });
    expect(answer.ok).toBe(false);
    expect(answer.error).toBe('invalid_arguments');
    return answer.response_metadata.messages;
  };
  const option = (text: string, value: string) => ({ text: plain(text), value });
  const select = (options: unknown[]) =>
    input('pick', 'Pick', { type: 'static_select', action_id: 'pick', options });

  it('accepts 100 blocks and refuses 101, pointing at /view/blocks', async () => {
    // Act
    const accepted = await callJson('views.open', {
      trigger_id: await trigger(),
      view: modal({ blocks: dividers(100) }),
    });
    const messages = await refusal(modal({ blocks: dividers(101) }));
    // Assess
    expect(accepted.ok).toBe(true);
    expect(messages).toEqual(['[ERROR] must be less than 101 items [json-pointer:/view/blocks]']);
  });

  it('decides on the block count for any view size: at most 100 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 160 }), fc.constantFrom('modal', 'home'), (count, type) => {
        const view =
          type === 'modal' ? modal({ blocks: dividers(count) }) : { type, blocks: dividers(count) };
        const tooMany = findViewProblems(view).some((p) => p.pointer === '/view/blocks');
        return tooMany === count > 100;
      }),
    );
  });

  it('decides on title, submit and close lengths for any text: at most 24 characters (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('title', 'submit', 'close'),
        fc.string({ minLength: 1, maxLength: 40 }),
        (field, text) => {
          const problems = findViewProblems(modal({ [field]: plain(text) }));
          const tooLong = problems.some((p) => p.pointer === `/view/${field}/text`);
          return tooLong === text.length > 24;
        },
      ),
    );
  });

  it('refuses titles, submit and close longer than 24 characters or not plain_text', async () => {
    // Act
    const title = await refusal(modal({ title: plain('x'.repeat(25)) }));
    const submit = await refusal(modal({ submit: { type: 'mrkdwn', text: 'Go' } }));
    const close = await refusal(modal({ close: plain('y'.repeat(25)) }));
    const accepted = await callJson('views.open', {
      trigger_id: await trigger(),
      view: modal({ title: plain('x'.repeat(24)) }),
    });
    // Assess
    expect(title).toEqual(['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']);
    expect(submit).toEqual(['[ERROR] unsupported type: mrkdwn [json-pointer:/view/submit/type]']);
    expect(close).toEqual(['[ERROR] must be less than 25 characters [json-pointer:/view/close/text]']);
    expect(accepted.ok).toBe(true);
  });

  it('refuses a callback_id over 255, private_metadata over 3000, and a duplicate block_id', async () => {
    // Act
    const callback = await refusal(modal({ callback_id: 'c'.repeat(256) }));
    const metadata = await refusal(modal({ private_metadata: 'm'.repeat(3001) }));
    const duplicate = await refusal(
      modal({
        blocks: [
          { type: 'divider', block_id: 'same' },
          { type: 'divider', block_id: 'same' },
        ],
      }),
    );
    // Assess
    expect(callback).toEqual(['[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]']);
    expect(metadata).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]',
    ]);
    expect(duplicate).toEqual(['[ERROR] duplicate block_id: same [json-pointer:/view/blocks/1/block_id]']);
  });

  it('refuses input blocks without label or element, and a modal with inputs and no submit', async () => {
    // Act
    const noLabel = await refusal(
      modal({ blocks: [{ type: 'input', element: { type: 'plain_text_input', action_id: 'a' } }] }),
    );
    const noElement = await refusal(modal({ blocks: [{ type: 'input', label: plain('Service') }] }));
    const noSubmit = await refusal(modal({ submit: undefined }));
    // Assess
    expect(noLabel).toEqual(['[ERROR] missing required field: label [json-pointer:/view/blocks/0/label]']);
    expect(noElement).toEqual([
      '[ERROR] missing required field: element [json-pointer:/view/blocks/0/element]',
    ]);
    expect(noSubmit).toEqual([
      '[ERROR] must provide submit when the view has input blocks [json-pointer:/view/submit]',
    ]);
  });

  it('refuses section text over 3000, option text over 75, value over 150, and 101 options', async () => {
    // Act
    const section = await refusal(
      modal({ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }] }),
    );
    const optionText = await refusal(modal({ blocks: [select([option('t'.repeat(76), 'v')])] }));
    const optionValue = await refusal(modal({ blocks: [select([option('t', 'v'.repeat(151))])] }));
    const tooMany = await refusal(
      modal({ blocks: [select(Array.from({ length: 101 }, (_, i) => option(`o${i}`, `v${i}`)))] }),
    );
    const hundred = await callJson('views.open', {
      trigger_id: await trigger(),
      view: modal({ blocks: [select(Array.from({ length: 100 }, (_, i) => option(`o${i}`, `v${i}`)))] }),
    });
    // Assess
    expect(section).toContain(
      '[ERROR] must be less than 3001 characters [json-pointer:/view/blocks/0/text/text]',
    );
    expect(optionText).toContain(
      '[ERROR] must be less than 76 characters [json-pointer:/view/blocks/0/element/options/0/text/text]',
    );
    expect(optionValue).toEqual([
      '[ERROR] must be less than 151 characters [json-pointer:/view/blocks/0/element/options/0/value]',
    ]);
    expect(tooMany).toEqual([
      '[ERROR] must be less than 101 items [json-pointer:/view/blocks/0/element/options]',
    ]);
    expect(hundred.ok).toBe(true);
  });
});

describe('chat.unfurl', () => {
  async function sharedMessage(text: string) {
    const message = await slack.postAsUser({ channel: CHANNEL, user: ALICE, text });
    const announcement = await slack.announceLinks({ channel: CHANNEL, ts: message.ts });
    return { message, announcement };
  }
  const preview = { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*reviews* at 20%' } }] };

  it('announces only links to the unfurl domains (and their subdomains), naming the registered domain', async () => {
    // Act
    const { announcement } = await sharedMessage(
      'see <https://grafana.example.com/d/abc|dashboard> and https://eu.canary.example/r/42 and https://other.example/x',
    );
    const none = await sharedMessage('nothing to see at https://other.example/x');
    // Assess
    expect(announcement?.links).toEqual([
      { domain: 'grafana.example.com', url: 'https://grafana.example.com/d/abc' },
      { domain: 'canary.example', url: 'https://eu.canary.example/r/42' },
    ]);
    expect(announcement?.unfurlId).toMatch(/^C0RELEASES\.\d+\.\d{6}\.[0-9a-f]{64}$/);
    expect(none.announcement).toBeUndefined();
  });

  it('unfurls announced links by channel and ts, and records them on the message', async () => {
    // Prepare
    const { message } = await sharedMessage('release https://canary.example/r/42');
    // Act
    const answer = await callForm('chat.unfurl', {
      channel: CHANNEL,
      ts: message.ts,
      unfurls: { 'https://canary.example/r/42': preview },
    });
    // Assess
    expect(answer).toEqual({ ok: true });
    const [recorded] = await slack.messages({ channel: CHANNEL, ts: message.ts });
    expect(recorded?.unfurls).toEqual({ 'https://canary.example/r/42': preview });
    expect((await slack.snapshot()).messages[0]?.unfurls).toBeDefined();
    // Read back as Slack returns the message: the unfurl is an attachment naming its URL.
    const shortcut = await slack.messages({ channel: CHANNEL, ts: message.ts });
    expect(
      toSlackMessage(shortcut[0] as RecordedMessage, { teamId: slack.teamId, appId: slack.appId })
        .attachments,
    ).toEqual([
      {
        ...preview,
        id: 1,
        app_unfurl_url: 'https://canary.example/r/42',
        is_app_unfurl: true,
        app_id: slack.appId,
      },
    ]);
  });

  it('unfurls by unfurl_id and source, replacing an earlier unfurl of the same URL', async () => {
    // Prepare
    const { message, announcement } = await sharedMessage('https://canary.example/r/7');
    await callJson('chat.unfurl', {
      channel: CHANNEL,
      ts: message.ts,
      unfurls: { 'https://canary.example/r/7': { text: 'old' } },
    });
    // Act
    const answer = await callJson('chat.unfurl', {
      unfurl_id: announcement?.unfurlId,
      source: 'conversations_history',
      unfurls: { 'https://canary.example/r/7': { text: 'new' } },
    });
    // Assess
    expect(answer).toEqual({ ok: true });
    const [recorded] = await slack.messages({ channel: CHANNEL, ts: message.ts });
    expect(recorded?.unfurls).toEqual({ 'https://canary.example/r/7': { text: 'new' } });
  });

  it('refuses URLs no link_shared announced, unknown messages, and malformed unfurls with Slack’s codes', async () => {
    // Prepare
    const { message } = await sharedMessage('https://canary.example/r/1');
    const quiet = await slack.postAsUser({
      channel: CHANNEL,
      user: ALICE,
      text: 'https://canary.example/r/2',
    });
    const unfurls = (url: string) => ({ [url]: { text: 'x' } });
    // Act
    const otherUrl = await callJson('chat.unfurl', {
      channel: CHANNEL,
      ts: message.ts,
      unfurls: unfurls('https://canary.example/r/9'),
    });
    const notAnnounced = await callJson('chat.unfurl', {
      channel: CHANNEL,
      ts: quiet.ts,
      unfurls: unfurls('https://canary.example/r/2'),
    });
    const noMessage = await callJson('chat.unfurl', {
      channel: CHANNEL,
      ts: '1.000001',
      unfurls: unfurls('https://canary.example/r/1'),
    });
    const noUnfurlId = await callJson('chat.unfurl', {
      unfurl_id: 'C0RELEASES.1.2.ab',
      source: 'composer',
      unfurls: unfurls('https://canary.example/r/1'),
    });
    const noChannel = await callJson('chat.unfurl', {
      channel: 'C0NOPE',
      ts: message.ts,
      unfurls: unfurls('https://canary.example/r/1'),
    });
    const missing = await callJson('chat.unfurl', { channel: CHANNEL, ts: message.ts });
    const malformed = await callForm('chat.unfurl', {
      channel: CHANNEL,
      ts: message.ts,
      unfurls: '{not json',
    });
    // Assess
    expect(otherUrl).toEqual({ ok: false, error: 'cannot_unfurl_url' });
    expect(notAnnounced).toEqual({ ok: false, error: 'cannot_unfurl_url' });
    expect(noMessage).toEqual({ ok: false, error: 'cannot_find_message' });
    expect(noUnfurlId).toEqual({ ok: false, error: 'cannot_find_message' });
    expect(noChannel).toEqual({ ok: false, error: 'cannot_find_channel' });
    expect(missing).toEqual({ ok: false, error: 'missing_unfurls' });
    expect(malformed).toEqual({ ok: false, error: 'invalid_unfurls_format' });
  });
});

describe('Slack → app: Events API, shortcuts and views', () => {
  type Received = SlackRequest;
  type Answer = { status?: number; body?: unknown };
  let app: Server;
  let target: BotTarget;
  let received: Received[];
  let answer: (request: Received) => Answer;

  beforeAll(async () => {
    // Stands in for the bot: records what Slack sent and answers as an app would.
    app = await startAppStandIn('null', async (request) => {
      received.push(request);
      return answer(request);
    });
    target = {
      url: `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`,
      signingSecret: 'views-signing-secret',
    };
  });

  afterAll(async () => {
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  });

  beforeEach(() => {
    received = [];
    answer = () => ({});
  });

  const signatureOf = (r: Received, secret = 'views-signing-secret') =>
    `v0=${createHmac('sha256', secret).update(`v0:${r.headers['x-slack-request-timestamp']}:${r.body}`).digest('hex')}`;

  const form = {
    type: 'modal',
    callback_id: 'start_release',
    title: plain('Start a release'),
    submit: plain('Start'),
    notify_on_close: true,
    blocks: [
      input('service', 'Service', { type: 'external_select', action_id: 'pick', min_query_length: 1 }),
      input('version', 'Version', { type: 'plain_text_input', action_id: 'text' }),
      input('mode', 'Mode', {
        type: 'radio_buttons',
        action_id: 'radio',
        options: choices(['Canary', 'canary'], ['A/B', 'ab']),
      }),
      input(
        'checks',
        'Checks',
        {
          type: 'checkboxes',
          action_id: 'boxes',
          options: choices(['Smoke', 'smoke'], ['Latency', 'latency']),
        },
        { optional: true },
      ),
      input('phase', 'Phase', {
        type: 'static_select',
        action_id: 'select',
        options: choices(['First', 'first']),
        initial_option: { text: plain('First'), value: 'first' },
      }),
      input('where', 'Post in', {
        type: 'conversations_select',
        action_id: 'channel',
        response_url_enabled: true,
        default_to_current_conversation: true,
      }),
    ],
  };

  async function openForm(view: Record<string, unknown> = form): Promise<Json> {
    const opened = await callJson('views.open', { trigger_id: await trigger(), view });
    expect(opened.ok).toBe(true);
    return opened.view;
  }

  const filled = {
    service: { pick: { text: 'reviews.bookinfo', value: 'bookinfo/reviews' } },
    version: { text: 'v3' },
    mode: { radio: 'ab' },
    checks: { boxes: ['smoke', 'latency'] },
    where: { channel: CHANNEL },
  };

  it('answers url_verification as JSON, signed so the signing secret verifies it', async () => {
    // Prepare
    answer = (r) => ({ body: { challenge: r.payload.challenge } });
    // Act
    const sent = await sendUrlVerification(target, { challenge: 'c-123' });
    // Assess
    const [request] = received;
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.payload).toEqual({
      token: slack.verificationToken,
      challenge: 'c-123',
      type: 'url_verification',
    });
    expect(request?.headers['x-slack-signature']).toBe(signatureOf(request as Received));
    expect(request?.headers['x-slack-signature']).not.toBe(
      signatureOf(request as Received, 'another-secret'),
    );
    expect(sent.json).toEqual({ challenge: 'c-123' });
  });

  it('wraps events in event_callback envelopes and retries with the same event_id and retry headers', async () => {
    // Prepare
    answer = () => ({ status: 500 });
    // Act
    const first = await sendEvent(target, slack, {
      type: 'app_mention',
      user: ALICE,
      text: 'hi',
      channel: CHANNEL,
    });
    const second = await retryEvent(
      target,
      first.envelope,
      { num: 1, reason: 'http_error' },
      {
        now: () => Date.now() + 1000,
      },
    );
    answer = () => ({});
    const third = await retryEvent(target, first.envelope, { num: 2, reason: 'http_timeout' });
    // Assess
    expect(first.acked).toBe(false);
    expect(second.acked).toBe(false);
    expect(third.acked).toBe(true);
    const [a, b, c] = received as [Received, Received, Received];
    expect(a.payload).toMatchObject({
      token: slack.verificationToken,
      team_id: slack.teamId,
      api_app_id: slack.appId,
      type: 'event_callback',
      event_id: expect.stringMatching(/^Ev[A-Z0-9]+$/),
      event_time: expect.any(Number),
      authorizations: [{ team_id: slack.teamId, user_id: slack.botUserId, is_bot: true }],
      is_ext_shared_channel: false,
      event_context: expect.any(String),
      event: { type: 'app_mention', user: ALICE, event_ts: expect.stringMatching(/^\d+\.\d{6}$/) },
    });
    expect(a.headers['x-slack-retry-num']).toBeUndefined();
    expect([b.headers['x-slack-retry-num'], b.headers['x-slack-retry-reason']]).toEqual(['1', 'http_error']);
    expect([c.headers['x-slack-retry-num'], c.headers['x-slack-retry-reason']]).toEqual([
      '2',
      'http_timeout',
    ]);
    expect(new Set([a, b, c].map((r) => r.payload.event_id)).size).toBe(1);
    for (const r of [a, b, c]) expect(r.headers['x-slack-signature']).toBe(signatureOf(r));
    expect(b.headers['x-slack-signature']).not.toBe(a.headers['x-slack-signature']);
  });

  it('sends app_home_opened with the view published for that person', async () => {
    // Prepare
    const published = await callJson('views.publish', {
      user_id: ALICE,
      view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Hi' } }] },
    });
    // Act
    await openAppHome(target, slack, ALICE);
    await openAppHome(target, slack, BOB);
    // Assess
    const [alice, bob] = received.map((r) => r.payload.event);
    expect(alice).toMatchObject({
      type: 'app_home_opened',
      user: ALICE,
      tab: 'home',
      view: { id: published.view.id },
    });
    expect(alice.channel).toMatch(/^D/);
    expect(bob).toMatchObject({ type: 'app_home_opened', user: BOB, tab: 'home' });
    expect(bob.view).toBeUndefined();
  });

  it('posts a shared link, sends link_shared, and the app can then unfurl it', async () => {
    // Prepare
    answer = () => ({});
    // Act
    const shared = await shareLink(target, slack, {
      channel: CHANNEL,
      user: ALICE,
      text: 'look <https://canary.example/r/42> and https://elsewhere.example/',
    });
    const event = received[0]?.payload.event;
    const unfurl = await callJson('chat.unfurl', {
      unfurl_id: event.unfurl_id,
      source: event.source,
      unfurls: { [event.links[0].url]: { text: 'reviews at 20%' } },
    });
    const quiet = await shareLink(target, slack, { channel: CHANNEL, user: ALICE, text: 'no links here' });
    // Assess
    expect(event).toEqual({
      type: 'link_shared',
      channel: CHANNEL,
      is_bot_user_member: true,
      user: ALICE,
      message_ts: shared.message.ts,
      unfurl_id: shared.announcement?.unfurlId,
      source: 'conversations_history',
      links: [{ domain: 'canary.example', url: 'https://canary.example/r/42' }],
      event_ts: expect.any(String),
    });
    expect(unfurl).toEqual({ ok: true });
    expect(quiet.answer).toBeUndefined();
    expect(received).toHaveLength(1);
  });

  it('sends a message shortcut with the message, a response_url and a trigger_id that opens a modal', async () => {
    // Prepare
    const posted = await callJson('chat.postMessage', { channel: CHANNEL, text: 'reviews v3 released' });
    // Act
    const sent = await sendMessageShortcut(target, slack, {
      callbackId: 'rollback_release',
      user: { id: ALICE, username: 'alice' },
      channel: CHANNEL,
      messageTs: posted.ts,
    });
    const opened = await callJson('views.open', {
      trigger_id: received[0]?.payload.trigger_id,
      view: modal(),
    });
    // Assess
    expect(received[0]?.payload).toMatchObject({
      type: 'message_action',
      callback_id: 'rollback_release',
      user: { id: ALICE, username: 'alice' },
      channel: { id: CHANNEL },
      message_ts: posted.ts,
      message: { ts: posted.ts, text: 'reviews v3 released', bot_id: slack.botId },
      trigger_id: sent.triggerId,
      response_url: sent.responseUrl,
      team: { id: slack.teamId },
    });
    expect(opened.ok).toBe(true);
    await expect(
      sendMessageShortcut(target, slack, {
        callbackId: 'nope',
        user: ALICE,
        channel: CHANNEL,
        messageTs: posted.ts,
      }),
    ).rejects.toThrow(SlackInteractionError);
  });

  it('asks the app for external select options as a person types (block_suggestion)', async () => {
    // Prepare
    const view = await openForm();
    answer = (r) => ({
      body: {
        options: [{ text: plain('reviews.bookinfo'), value: `bookinfo/${r.payload.value}iews` }],
      },
    });
    // Act
    const { options } = await sendBlockSuggestion(target, slack, {
      viewId: view.id,
      user: ALICE,
      actionId: 'pick',
      value: 'rev',
    });
    // Assess
    expect(received[0]?.payload).toMatchObject({
      type: 'block_suggestion',
      container: { type: 'view', view_id: view.id },
      action_id: 'pick',
      block_id: 'service',
      value: 'rev',
      view: { id: view.id, callback_id: 'start_release' },
    });
    expect(options).toEqual([{ text: plain('reviews.bookinfo'), value: 'bookinfo/reviews' }]);
  });

  it('submits state in Slack’s shape per element, with response_urls for conversations_select', async () => {
    // Prepare
    const view = await openForm();
    // Act
    const result = await submitView(target, slack, { viewId: view.id, user: ALICE, values: filled });
    // Assess
    const payload = received[0]?.payload;
    expect(payload).toMatchObject({
      type: 'view_submission',
      trigger_id: expect.any(String),
      view: { id: view.id },
    });
    expect(payload.view.state.values).toEqual({
      service: {
        pick: {
          type: 'external_select',
          selected_option: {
            text: { type: 'plain_text', text: 'reviews.bookinfo', emoji: true },
            value: 'bookinfo/reviews',
          },
        },
      },
      version: { text: { type: 'plain_text_input', value: 'v3' } },
      mode: {
        radio: { type: 'radio_buttons', selected_option: { text: plain('A/B'), value: 'ab' } },
      },
      checks: {
        boxes: {
          type: 'checkboxes',
          selected_options: [
            { text: plain('Smoke'), value: 'smoke' },
            { text: plain('Latency'), value: 'latency' },
          ],
        },
      },
      phase: { select: { type: 'static_select', selected_option: { text: plain('First'), value: 'first' } } },
      where: { channel: { type: 'conversations_select', selected_conversation: CHANNEL } },
    });
    expect(payload.response_urls).toEqual([
      {
        block_id: 'where',
        action_id: 'channel',
        channel_id: CHANNEL,
        response_url: expect.stringContaining('/response/'),
      },
    ]);
    // An empty answer closes the view.
    expect(result.views.stack).toEqual([]);
    // The response_url posts in the channel picked.
    const posted = await fetch(payload.response_urls[0].response_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Starting reviews v3', response_type: 'in_channel' }),
    });
    expect(posted.status).toBe(200);
    expect((await slack.messages({ channel: CHANNEL })).map((m) => m.text)).toContain('Starting reviews v3');
  });

  it('refuses to submit a view whose required inputs are empty, as Slack’s client does', async () => {
    // Prepare
    const view = await openForm();
    // Act
    const submitting = submitView(target, slack, {
      viewId: view.id,
      user: ALICE,
      values: { version: { text: 'v3' } },
    });
    // Assess
    await expect(submitting).rejects.toThrow('required inputs are empty: service, mode, where');
    expect(received).toHaveLength(0);
  });

  it('keeps the view with its field errors, then updates it, then clears the modal, as the app answers', async () => {
    // Prepare
    const view = await openForm();
    answer = () => ({ body: { response_action: 'errors', errors: { version: 'No such version' } } });
    // Act
    const withErrors = await submitView(target, slack, { viewId: view.id, user: ALICE, values: filled });
    answer = () => ({ body: { response_action: 'update', view: modal({ callback_id: 'confirm' }) } });
    const updated = await submitView(target, slack, { viewId: view.id, user: ALICE });
    answer = () => ({ body: { response_action: 'push', view: modal({ callback_id: 'details' }) } });
    const pushed = await submitView(target, slack, {
      viewId: view.id,
      user: ALICE,
      values: { service: { name: 'reviews' } },
    });
    answer = () => ({ body: { response_action: 'clear' } });
    const top = pushed.views.stack.at(-1)?.view.id as string;
    const cleared = await submitView(target, slack, {
      viewId: top,
      user: ALICE,
      values: { service: { name: 'x' } },
    });
    // Assess
    expect(withErrors.views.stack).toHaveLength(1);
    expect(withErrors.views.stack[0]?.errors).toEqual({ version: 'No such version' });
    expect(updated.views.stack).toHaveLength(1);
    expect(updated.views.stack[0]?.view).toMatchObject({ id: view.id, callback_id: 'confirm' });
    expect(updated.views.stack[0]?.errors).toBeUndefined();
    expect(pushed.views.stack.map((r) => r.view.callback_id)).toEqual(['confirm', 'details']);
    expect(cleared.views.stack).toEqual([]);
  });

  it('keeps the view and reports an answer Slack refuses (an invalid view to update with)', async () => {
    // Prepare
    const view = await openForm(modal());
    answer = () => ({ body: { response_action: 'update', view: modal({ title: plain('t'.repeat(30)) }) } });
    // Act
    const result = await submitView(target, slack, {
      viewId: view.id,
      user: ALICE,
      values: { service: { name: 'x' } },
    });
    // Assess
    expect(result.error).toBe('invalid_arguments');
    expect(result.views.stack[0]?.view.callback_id).toBe('start_release');
  });

  it('sends clicks in a modal and in the home tab as view block_actions, with a trigger_id and no response_url', async () => {
    // Prepare
    const home = await callJson('views.publish', {
      user_id: ALICE,
      view: {
        type: 'home',
        blocks: [
          {
            type: 'actions',
            block_id: 'menu',
            elements: [
              {
                type: 'button',
                action_id: 'start',
                text: plain('Start a release'),
                value: 'start',
                style: 'primary',
              },
              {
                type: 'static_select',
                action_id: 'filter',
                placeholder: plain('Filter'),
                options: [{ text: plain('Mine'), value: 'mine' }],
              },
            ],
          },
        ],
      },
    });
    // Act
    const click = await sendViewBlockActions(target, slack, {
      viewId: home.view.id,
      user: ALICE,
      actionId: 'start',
    });
    const pick = await sendViewBlockActions(target, slack, {
      viewId: home.view.id,
      user: ALICE,
      actionId: 'filter',
      value: 'mine',
    });
    const opened = await callJson('views.open', { trigger_id: click.triggerId, view: modal() });
    // Assess
    const [clicked, picked] = received.map((r) => r.payload);
    expect(clicked).toMatchObject({
      type: 'block_actions',
      container: { type: 'view', view_id: home.view.id },
      view: { id: home.view.id, type: 'home' },
      trigger_id: click.triggerId,
      actions: [{ type: 'button', action_id: 'start', block_id: 'menu', value: 'start', style: 'primary' }],
    });
    expect(clicked.response_url).toBeUndefined();
    expect(picked.actions[0]).toMatchObject({
      type: 'static_select',
      action_id: 'filter',
      selected_option: { text: plain('Mine'), value: 'mine' },
    });
    expect(picked.view.state.values.menu.filter).toEqual({
      type: 'static_select',
      selected_option: { text: plain('Mine'), value: 'mine' },
    });
    expect(pick.triggerId).not.toBe(click.triggerId);
    expect(opened.ok).toBe(true);
  });

  it('sends view_closed when a view with notify_on_close is closed', async () => {
    // Prepare
    const view = await openForm();
    // Act
    const closed = await closeModal(target, slack, { user: ALICE });
    // Assess
    expect(closed.isCleared).toBe(true);
    expect(received[0]?.payload).toMatchObject({
      type: 'view_closed',
      is_cleared: true,
      view: { id: view.id },
    });
    expect((await slack.views({ user: ALICE })).stack).toEqual([]);
  });

  it('delivers events and view submissions over Socket Mode, and applies the acknowledgement’s response_action', async () => {
    // Prepare
    const opened = await fetch(`${slack.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${slack.appToken}` },
    });
    const socket = new WebSocket(((await opened.json()) as { url: string }).url);
    // biome-ignore lint/suspicious/noExplicitAny: envelopes as the app parses them
    const envelopes: any[] = [];
    socket.on('message', (data) => {
      const envelope = JSON.parse(String(data));
      if (!envelope.envelope_id) return;
      envelopes.push(envelope);
      const reply =
        envelope.payload.type === 'view_submission'
          ? { response_action: 'errors', errors: { version: 'Unknown version' } }
          : undefined;
      socket.send(
        JSON.stringify({ envelope_id: envelope.envelope_id, ...(reply ? { payload: reply } : {}) }),
      );
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const view = await openForm();
    try {
      // Act
      const event = await sendEvent({ socket: slack }, slack, { type: 'app_mention', user: ALICE });
      const retried = await retryEvent({ socket: slack }, event.envelope, { num: 1, reason: 'http_timeout' });
      const submitted = await submitView({ socket: slack }, slack, {
        viewId: view.id,
        user: ALICE,
        values: filled,
      });
      // Assess
      expect([event.acked, retried.acked]).toEqual([true, true]);
      expect(envelopes[0]).toMatchObject({
        type: 'events_api',
        retry_attempt: 0,
        payload: { type: 'event_callback' },
      });
      expect(envelopes[1]).toMatchObject({ retry_attempt: 1, retry_reason: 'http_timeout' });
      expect(envelopes[1].payload.event_id).toBe(envelopes[0].payload.event_id);
      expect(envelopes[2]).toMatchObject({ type: 'interactive', payload: { type: 'view_submission' } });
      expect(submitted.views.stack[0]?.errors).toEqual({ version: 'Unknown version' });
    } finally {
      socket.close();
    }
  });
});

describe('the local Slack page: modals, Home tab, shortcuts and unfurls in a browser', () => {
  let emulator: SlackEmulator;
  let app: Server;
  let slackPage: { url: string; close: () => Promise<void> };
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let tab: Page;
  // biome-ignore lint/suspicious/noExplicitAny: payloads as the app parses them
  const got: any[] = [];
  let submissions = 0;

  /** A Web API call from the stand-in app. */
  const api = async (method: string, args: Record<string, unknown>): Promise<Json> =>
    (
      await fetch(`${emulator.apiUrl}${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${emulator.botToken}` },
        body: JSON.stringify(args),
      })
    ).json();

  const rollbackModal = {
    type: 'modal',
    callback_id: 'rollback',
    title: plain('Roll back'),
    submit: plain('Roll back'),
    blocks: [
      {
        type: 'input',
        block_id: 'service',
        label: plain('Service'),
        element: { type: 'external_select', action_id: 'pick', min_query_length: 2 },
      },
      {
        type: 'input',
        block_id: 'reason',
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: 'text' },
      },
    ],
  };

  /** What the stand-in app answers, as a bot would (it is not Slack). */
  // biome-ignore lint/suspicious/noExplicitAny: payloads as the app parses them
  async function respond(payload: any): Promise<unknown> {
    got.push(payload);
    if (payload.type === 'event_callback' && payload.event.type === 'link_shared') {
      const [link] = payload.event.links;
      await api('chat.unfurl', {
        channel: payload.event.channel,
        ts: payload.event.message_ts,
        unfurls: {
          [link.url]: { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*reviews* at 20%' } }] },
        },
      });
    }
    if (payload.type === 'event_callback' && payload.event.type === 'app_home_opened') {
      await api('views.publish', {
        user_id: payload.event.user,
        view: {
          type: 'home',
          blocks: [
            { type: 'section', text: { type: 'mrkdwn', text: 'Your releases' } },
            {
              type: 'actions',
              block_id: 'menu',
              elements: [{ type: 'button', action_id: 'start', text: plain('Roll back a release') }],
            },
          ],
        },
      });
    }
    if (payload.type === 'message_action' || payload.type === 'block_actions')
      await api('views.open', { trigger_id: payload.trigger_id, view: rollbackModal });
    if (payload.type === 'block_suggestion')
      return { options: [{ text: plain('reviews.bookinfo'), value: 'bookinfo/reviews' }] };
    if (payload.type === 'view_submission') {
      submissions += 1;
      if (submissions === 1)
        return { response_action: 'errors', errors: { reason: 'Say why in a few more words' } };
      await api('chat.postMessage', { channel: CHANNEL, text: 'Rolling back reviews.bookinfo' });
    }
    return undefined;
  }

  beforeAll(async () => {
    emulator = await startSlackEmulator({
      signingSecret: 'page-secret',
      unfurlDomains: ['canary.example'],
      shortcuts: [{ callbackId: 'rollback_release', name: 'Roll back a release' }],
    });
    app = await startAppStandIn('{}', async ({ payload }) => ({ body: await respond(payload) }));
    slackPage = await startSlackPage({
      emulatorUrl: emulator.url,
      botUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`,
      signingSecret: 'page-secret',
    });
    browser = await launchChromium();
    tab = await browser.context.newPage();
    await tab.goto(slackPage.url);
  });

  afterAll(async () => {
    await browser?.close();
    await slackPage?.close();
    app?.closeAllConnections();
    await new Promise((resolve) => app?.close(resolve));
    await emulator?.close();
  });

  it('unfurls a link posted from the composer', async () => {
    // Act
    await tab.fill('#box', 'canary at https://canary.example/r/1');
    await tab.press('#box', 'Enter');
    // Assess
    const unfurl = tab.locator('[data-unfurl-url="https://canary.example/r/1"]');
    await unfurl.waitFor();
    expect(await unfurl.textContent()).toContain('reviews at 20%');
    expect(got.find((p) => p.event?.type === 'link_shared')?.event.links).toEqual([
      { domain: 'canary.example', url: 'https://canary.example/r/1' },
    ]);
  });

  it('runs a message shortcut into a modal: suggestions, required fields, errors kept, then closed', async () => {
    // Prepare
    const message = tab.locator('#messages > .message').first();
    await message.hover();
    // Act
    await message.locator('[data-more-actions]').click();
    await message.locator('[data-shortcut="rollback_release"]').click();
    const modal = tab.locator('#modal [data-view-id]');
    await modal.waitFor();
    await modal.locator('[data-modal-submit]').click();
    const required = await modal.locator('[data-error-for="reason"]').textContent();
    await modal.locator('[data-block-id="service"] [data-external-input]').fill('rev');
    await modal.locator('[data-option-value="bookinfo/reviews"]').click();
    await modal.locator('[data-block-id="reason"] [data-action-id="text"]').fill('slow');
    await modal.locator('[data-modal-submit]').click();
    await tab.locator('#modal [data-error-for="reason"]', { hasText: 'Say why' }).waitFor();
    const kept = await tab.locator('#modal [data-block-id="reason"] [data-action-id="text"]').inputValue();
    await tab.locator('#modal [data-block-id="reason"] [data-action-id="text"]').fill('p99 doubled since v3');
    await tab.locator('#modal [data-modal-submit]').click();
    await tab.locator('#modal').waitFor({ state: 'hidden' });
    // Assess
    expect(required).toBe('Please complete this required field.');
    expect(kept).toBe('slow');
    expect(got.filter((p) => p.type === 'view_submission')).toHaveLength(2);
    const last = got.filter((p) => p.type === 'view_submission').at(-1);
    expect(last.view.state.values).toMatchObject({
      service: { pick: { type: 'external_select', selected_option: { value: 'bookinfo/reviews' } } },
      reason: { text: { type: 'plain_text_input', value: 'p99 doubled since v3' } },
    });
    await tab.locator('#messages .message', { hasText: 'Rolling back reviews.bookinfo' }).waitFor();
  });

  it('opens the Home tab, shows the published view, and its button opens a modal', async () => {
    // Act
    await tab.click('#home-link');
    const button = tab.locator('#home [data-view-id] [data-action-id="start"]');
    await button.waitFor();
    const composerShown = await tab.locator('#composer').isVisible();
    await button.click();
    await tab.locator('#modal [data-view-id]').waitFor();
    // Assess
    expect(got.some((p) => p.event?.type === 'app_home_opened')).toBe(true);
    expect(composerShown).toBe(false);
    expect(got.find((p) => p.type === 'block_actions')?.container.type).toBe('view');
    expect(await tab.locator('#modal [data-modal-title]').textContent()).toBe('Roll back');
    await tab.click('#modal [data-modal-dismiss]');
    await tab.locator('#modal').waitFor({ state: 'hidden' });
  });
});
