// The Slack emulator's views, trigger_ids, unfurls and Events API, started in this process (no test bed):
// Slack's arguments, limits and error codes, on a clock the test controls.
import { WebClient } from '@slack/web-api';
import fc from 'fast-check';
import { findViewProblems } from '../../local/slack/block-kit-limits.js';
import { connectSlackEmulator } from '../../local/slack/emulator-control.js';
import { type SlackEmulator, startSlackEmulator } from '../../local/slack/slack-emulator.js';

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

function modal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: 'start_release',
    title: plain('Start a release'),
    submit: plain('Start'),
    close: plain('Cancel'),
    private_metadata: '{"channel":"C0RELEASES"}',
    blocks: [
      {
        type: 'input',
        block_id: 'service',
        label: plain('Service'),
        element: { type: 'plain_text_input', action_id: 'name' },
      },
    ],
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

  it('publishes a home tab per person, with hash_conflict, and an input block is allowed there', async () => {
    // Prepare
    const home = {
      type: 'home',
      callback_id: 'home',
      blocks: [
        { type: 'section', block_id: 'intro', text: { type: 'mrkdwn', text: 'Releases' } },
        {
          type: 'input',
          block_id: 'filter',
          label: plain('Filter'),
          element: { type: 'plain_text_input', action_id: 'q' },
        },
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
  const select = (options: unknown[]) => ({
    type: 'input',
    block_id: 'pick',
    label: plain('Pick'),
    element: { type: 'static_select', action_id: 'pick', options },
  });

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
