/**
 * The Slack surface through the real handler: signed requests as Slack sends them, through the local
 * API Gateway front door, the Bolt ingress, the worker, the use cases, the bed's API server and Prometheus,
 * and back into the bed's Slack emulator.
 */

import { checkMessageContent } from '../../local/slack/block-kit-limits.js';
import type { SlackEmulatorControl } from '../../local/slack/emulator-control.js';
import {
  replaySlackRequest,
  sendBlockActions,
  sendSlashCommand,
} from '../../local/slack/interaction-client.js';
import type { RecordedMessage } from '../../local/slack/message-record.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import { auditTrail } from '../../src/app/release-queries.js';
import { CHAT_OUTBOX_KIND } from '../../src/app/release-runner.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const alice = { id: 'U0ALICE001', name: 'alice' }; // in the S0APPROVERS user group
const bob = { id: 'U0BOB00001', name: 'bob' };
const channel = 'C0RELEASES';

let stack: SlackStack;
let engine: EngineHarness;
let emulator: SlackEmulatorControl;
let queue: SlackStack['queue'];
let target: { url: string; signingSecret: string };
let deps: ReleaseDependencies;

beforeAll(async () => {
  stack = await startSlackStack();
  ({ engine, emulator, queue, deps } = stack);
  target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
});

afterAll(async () => {
  await stack?.close();
});

const slash = (user: { id: string; name: string }, text: string, forge = {}) =>
  sendSlashCommand(
    target,
    { text, userId: user.id, userName: user.name, channelId: channel, teamId: 'T0CANARYBOT', emulator },
    forge,
  );

/** The card of the newest release of this test's namespace, and the release. */
async function card(): Promise<{ message: RecordedMessage; release: Release }> {
  const releases = await deps.store.history(engine.namespace, 'reviews', 1);
  const release = releases[0]?.state;
  if (!release?.meta.ts) throw new Error('no card posted');
  const [message] = await emulator.messages({ channel, ts: release.meta.ts });
  if (!message) throw new Error('card not in the emulator');
  return { message, release };
}

function buttons(message: RecordedMessage): { action_id: string; value: string; text: string }[] {
  return (message.blocks ?? []).flatMap((b) => {
    const block = b as {
      type: string;
      elements?: { type: string; action_id: string; value: string; text: { text: string } }[];
    };
    return block.type === 'actions'
      ? (block.elements ?? []).map((e) => ({ action_id: e.action_id, value: e.value, text: e.text.text }))
      : [];
  });
}

async function click(user: { id: string; name: string }, actionId: string) {
  const { message } = await card();
  const button = buttons(message).find((b) => b.action_id === actionId);
  if (!button)
    throw new Error(`no ${actionId} button on the card: ${buttons(message).map((b) => b.action_id)}`);
  const response = await sendBlockActions(target, {
    user: { id: user.id, username: user.name },
    channel: { id: channel },
    messageTs: message.ts,
    actions: [{ action_id: actionId, value: button.value }],
    teamId: 'T0CANARYBOT',
    emulator,
  });
  await queue.drain();
  return response;
}

describe('Slack surface through the real handlers', () => {
  it('runs a canary from /canary start to promotion with two approvals clicked in Slack', async () => {
    const started = await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50,100`);
    expect(started.status).toBe(200);
    await queue.drain();
    const first = await card();
    expect(first.release.phase).toBe('awaiting-approval');
    expect(buttons(first.message).map((b) => b.action_id)).toContain('release.approve');

    // Bob started it and is not an approver: refused, privately, and recorded.
    await click(bob, 'release.approve');
    expect((await card()).release.phase).toBe('awaiting-approval');
    expect(
      (await auditTrail(deps, first.release.id)).some(
        (e) => e.action === 'refused-approve' && e.actor === bob.id,
      ),
    ).toBe(true);

    await click(alice, 'release.approve');
    expect((await engine.reviews()).spec.http.at(-1)?.route?.map((r) => r.weight)).toEqual([50, 50]);
    for (let i = 0; i < 10 && (await card()).release.phase !== 'awaiting-approval'; i++)
      await engine.advance(1);
    await click(alice, 'release.approve');
    for (let i = 0; i < 5 && (await card()).release.phase !== 'promoted'; i++) await engine.advance(1);

    const final = await card();
    expect(final.release.phase).toBe('promoted');
    expect(buttons(final.message)).toEqual([]);
    const thread = await emulator.messages({ channel, threadTs: final.message.ts });
    expect(thread.map((m) => m.text).join('\n')).toMatch(/Advance reviews\.\S+ canary weight 50/);
    expect(thread.map((m) => m.text).join('\n')).toMatch(/Promotion completed!/);
  });

  it('rolls back from the card and restores the original route', async () => {
    const before = await engine.reviews();
    await slash(bob, `start reviews v3 --ns ${engine.namespace} --steps 20,100`);
    await queue.drain();
    await click(alice, 'release.approve');
    expect((await engine.reviews()).spec.http.at(-1)?.route?.map((r) => r.weight)).toEqual([80, 20]);

    await click(bob, 'release.rollback');

    expect((await card()).release.phase).toBe('rolled-back');
    expect(JSON.stringify((await engine.reviews()).spec)).toBe(JSON.stringify(before.spec));
  });

  it.each([
    ['a forged signature', { signingSecret: 'not-the-secret-0123456789' }],
    ['a stale timestamp', { timestampOffsetSeconds: -400 }],
    ['a future timestamp', { timestampOffsetSeconds: 400 }],
  ])('refuses %s with 401 and changes nothing', async (_what, forge) => {
    const releases = (await deps.store.history(engine.namespace, 'reviews', 50)).length;

    const response = await slash(bob, `start reviews v2 --ns ${engine.namespace}`, forge);
    await queue.drain();

    expect(response.status).toBe(401);
    expect((await deps.store.history(engine.namespace, 'reviews', 50)).length).toBe(releases);
  });

  it('refuses a replayed request with 401 and changes nothing', async () => {
    const first = await slash(bob, `status --ns ${engine.namespace}`);
    await queue.drain();

    const replay = await replaySlackRequest(first.request);

    expect(first.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatch(/replay/);
  });

  it.each([
    ['frobnicate reviews', /frobnicate/],
    ['start', /service/i],
    ['start reviews', /version/i],
    ['start reviews v2 --steps 50,10', /step/i],
    ['weights reviews v1=90 v2=5', /100/],
    ['ab frontend v2', /--header|--cookie|--user-agent/],
    ['mirror reviews v2 --percent 150', /percent/i],
    ['start Reviews v2', /service|name/i],
    ['subscribe bookinfo --every 7x', /every|schedule/i],
  ])('answers bad input %j privately with what was wrong, and does nothing', async (text, why) => {
    const releases = (await deps.store.listActive()).length;

    const response = await slash(bob, text);
    await queue.drain();

    expect(response.status).toBe(200);
    const body = response.json as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(why);
    expect((await deps.store.listActive()).length).toBe(releases);
  });

  // Each of these was written into a VirtualService before the check used RE2's rules; Istio refuses them all.
  it.each([
    ['a\\Z', 'invalid escape sequence: `\\Z`'],
    ['(?<n>a)\\k<n>', 'invalid escape sequence: `\\k`'],
    ['\\y', 'invalid escape sequence: `\\y`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['[^]', 'missing closing ]: `[^]`'],
  ])('refuses the header regex %j with RE2 reason, and does nothing', async (regex, reason) => {
    const releases = (await deps.store.listActive()).length;

    const response = await slash(bob, `ab reviews v2 --ns ${engine.namespace} --header "end-user~${regex}"`);
    await queue.drain();

    const body = response.json as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain(`is not valid RE2 (the syntax Istio and Envoy use): ${reason}`);
    expect((await deps.store.listActive()).length).toBe(releases);
  });

  it('accepts (?i)jason, valid RE2 that JavaScript does not know, and Istio admits the route', async () => {
    const started = await slash(bob, `ab reviews v3 --ns ${engine.namespace} --header "end-user~(?i)jason"`);
    await queue.drain();
    expect((started.json as { text: string }).text).toMatch(/^Working on/);
    const { release } = await card();
    expect(release.phase).toBe('awaiting-approval');

    await click(alice, 'release.approve');

    expect((await card()).release.phase).not.toBe('awaiting-approval');
    expect(JSON.stringify((await engine.reviews()).spec.http)).toContain('(?i)jason');
    await click(bob, 'release.cancel');
    expect((await card()).release.phase).toBe('cancelled');
  });

  it("never waits out Slack's 429 (Retry-After 30 s): the next tick posts the card, then its events in its thread", async () => {
    // The card's post, and the second try right after the start's own events: both answered 429.
    await emulator.failNext('chat.postMessage', { status: 429, retryAfter: 30 });
    await emulator.failNext('chat.postMessage', { status: 429, retryAfter: 30 });

    await slash(bob, `start reviews v3 --ns ${engine.namespace} --steps 50,100`);
    await queue.drain();

    // Started and waiting, but Slack would not take the card: nothing waited 30 s for it, it is owed.
    const [started] = await deps.store.history(engine.namespace, 'reviews', 1);
    expect(started?.state.phase).toBe('awaiting-approval');
    expect(started?.state.meta.ts).toBeUndefined();
    expect(await deps.store.getRecord(CHAT_OUTBOX_KIND, started!.id)).toMatchObject({
      value: { redraw: true, cardFirst: true, attempts: 1 },
    });

    await engine.tick();

    const { release, message } = await card();
    expect(message.text).toMatch(/reviews/);
    const thread = await emulator.messages({ channel, threadTs: release.meta.ts });
    expect(thread.length).toBeGreaterThan(0);
    expect(await deps.store.getRecord(CHAT_OUTBOX_KIND, release.id)).toBeUndefined();
    const calls = (await emulator.snapshot()).calls.filter((c) => c.method === 'chat.postMessage');
    expect(calls.some((c) => c.status === 429)).toBe(true);
    await click(bob, 'release.cancel');
    expect((await card()).release.phase).toBe('cancelled');
  });

  it('sends only messages within Slack limits', async () => {
    const snapshot = await emulator.snapshot();
    const mine = snapshot.messages.filter((m) => m.text.includes(engine.namespace) || m.threadTs);
    expect(mine.length).toBeGreaterThan(0);
    for (const message of mine)
      expect(checkMessageContent({ text: message.text, blocks: message.blocks as never })).toBeUndefined();
    // This test's calls only (the bed's emulator is shared): cards of this namespace and their threads.
    const threads = new Set(mine.map((m) => m.ts));
    const ours = snapshot.calls.filter((c) => {
      const params = c.params as { text?: unknown; thread_ts?: unknown };
      return (
        (typeof params.text === 'string' && params.text.includes(engine.namespace)) ||
        threads.has(String(params.thread_ts))
      );
    });
    expect(ours.length).toBeGreaterThan(0);
    // The only refusal is the 429 injected above (rate limiting is not a content problem).
    expect(ours.filter((c) => c.outcome !== 'ok' && c.status !== 429)).toEqual([]);
  });
});
