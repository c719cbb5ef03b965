/**
 * Slack-native surfaces through the real handlers (the ingress behind the local API Gateway front door, the
 * workers on ElasticMQ, the bed's API server as the least-privilege bot) and the Slack emulator speaking
 * Slack's wire formats: the start form, App Home, the "Roll back a release" shortcut, link previews, and
 * the Events API (URL verification, signed callbacks, Slack's retries).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SlackEmulatorControl, UserViews } from '../../local/slack/emulator-control.js';
import {
  type BotTarget,
  buildSlashCommandBody,
  openAppHome,
  replaySlackRequest,
  retryEvent,
  sendBlockSuggestion,
  sendEvent,
  sendMessageShortcut,
  sendSlashCommand,
  sendUrlVerification,
  sendViewBlockActions,
  shareLink,
  submitView,
} from '../../local/slack/interaction-client.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const alice = { id: 'U0ALICE001', username: 'alice' }; // an approver (S0APPROVERS)
const bob = { id: 'U0BOB00001', username: 'bob' };
const releases = 'C0RELEASES';
const incidents = 'C0PLATFORM';
const team = 'T0CANARYBOT';

let stack: SlackStack;
let engine: EngineHarness;
let emulator: SlackEmulatorControl;
let target: BotTarget;
let deps: ReleaseDependencies;

beforeAll(async () => {
  stack = await startSlackStack({
    env: {
      // Approvals may come from the home tab (not the card's channel) in this workspace's policy.
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: ['*'], approvers: ['S0APPROVERS'], fourEyes: true, approveFromAnyChannel: true },
      }),
    },
  });
  ({ engine, emulator, deps } = stack);
  target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
});

afterAll(async () => {
  await stack?.close();
});

afterEach(async () => {
  expect(stack.jobErrors).toEqual([]);
  // The bed's emulator is shared by the suites: leave no form open for the next one.
  for (const user of [alice.id, bob.id]) await emulator.closeView({ user, all: true });
});

const drain = () => stack.queue.drain();

const slash = (user: { id: string; username: string }, text: string, channel = releases) =>
  sendSlashCommand(target, {
    text,
    userId: user.id,
    userName: user.username,
    channelId: channel,
    teamId: team,
    emulator,
  });

async function topView(user: string): Promise<UserViews['stack'][number]> {
  const views = await emulator.views({ user });
  const top = views.stack.at(-1);
  if (!top) throw new Error(`${user} has no modal open`);
  return top;
}

/** The active release of reviews in the engine's namespace. */
async function active(): Promise<Release> {
  const [release] = await deps.store
    .listActive()
    .then((all) => all.filter((r) => r.state.target.namespace === engine.namespace).map((r) => r.state));
  if (!release) throw new Error('no active release');
  return release;
}

async function cancel(release: Release): Promise<void> {
  await slash(bob, `cancel reviews --ns ${engine.namespace}`);
  await drain();
  expect((await engine.release(release.id)).phase).toBe('cancelled');
}

/** Suggestions of a menu of the form; the first ask reads the catalog (through the worker). */
async function suggest(user: string, viewId: string, actionId: string, value = ''): Promise<string[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { options } = await sendBlockSuggestion(target, emulator, { viewId, user, actionId, value });
    const values = options.map((o) => String(o.value));
    if (values.some((v) => !/\(as typed\)/.test(v)) || attempt === 19) return values;
    await drain();
    await sleep(100);
  }
  return [];
}

describe('the start form', () => {
  it('opens on /canary alone, suggests from the cluster, and starts exactly what the command starts', async () => {
    // Prepare: the form on /canary with nothing after it.
    const opened = await slash(bob, '');
    expect(opened.status).toBe(200);
    const form = await topView(bob.id);
    expect(form.view.callback_id).toBe('canary.start');

    // Act: services and versions come from the namespace's DestinationRules.
    const services = await suggest(bob.id, form.view.id, 'start.service');
    await emulator.enterViewValues({
      viewId: form.view.id,
      values: { service: { 'start.service': { text: 'reviews', value: 'reviews' } } },
    });
    const versions = await suggest(bob.id, form.view.id, 'start.version');
    const submitted = await submitView(target, emulator, {
      viewId: form.view.id,
      user: bob.id,
      values: {
        namespace: { 'start.namespace': engine.namespace },
        version: { 'start.version': { text: 'v2', value: 'v2' } },
        steps: { 'start.steps': '10,50,100' },
        bake: { 'start.bake': '10m' },
      },
    });
    await drain();

    // Assess: the form says the command; the release is the one the command makes.
    expect(services).toEqual(expect.arrayContaining(['details', 'productpage', 'ratings', 'reviews']));
    expect(versions).toEqual(expect.arrayContaining(['v1', 'v2', 'v3']));
    expect(submitted.error).toBeUndefined();
    const starting = JSON.stringify(submitted.views.stack.at(-1)?.view.blocks);
    expect(starting).toContain(`start reviews v2 --ns ${engine.namespace} --steps 10,50,100 --bake 10m`);
    const fromForm = await active();
    expect(fromForm.options.bakeSeconds).toBe(600);
    const routeFromForm = (await engine.reviews()).spec;
    const answer = (await emulator.messages({ channel: releases, visibleTo: bob.id })).at(-1);
    expect(answer?.text).toMatch(/The same from the command line: `\/canary start reviews v2/);
    await cancel(fromForm);

    await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 10,50,100 --bake 10m`);
    await drain();
    const fromCommand = await active();
    const comparable = (r: Release) => ({
      kind: r.kind,
      target: r.target,
      plan: r.plan,
      options: r.options,
      phase: r.phase,
      requestedBy: r.requestedBy,
      cardChannel: r.meta.channel,
    });
    expect(comparable(fromForm)).toEqual(comparable(fromCommand));
    expect((await engine.reviews()).spec).toEqual(routeFromForm);
    await cancel(fromCommand);
  });

  it('shows errors on their fields, for a version the service does not have and a bad regex, and starts nothing', async () => {
    await slash(alice, '');
    const form = await topView(alice.id);
    await suggest(alice.id, form.view.id, 'start.service'); // the catalog is read
    const before = (await deps.store.listActive()).length;

    const missing = await submitView(target, emulator, {
      viewId: form.view.id,
      user: alice.id,
      values: {
        namespace: { 'start.namespace': engine.namespace },
        service: { 'start.service': { text: 'reviews', value: 'reviews' } },
        version: { 'start.version': { text: 'v9', value: 'v9' } },
      },
    });
    expect(missing.views.stack.at(-1)?.errors).toEqual({
      version: `reviews has no version v9 in ${engine.namespace}; it has v1, v2, v3 (reading it again now: if v9 was just added, submit again in a few seconds).`,
    });

    const badRegex = await submitView(target, emulator, {
      viewId: form.view.id,
      user: alice.id,
      values: {
        kind: { 'start.kind': { text: 'A/B test', value: 'ab' } },
        version: { 'start.version': { text: 'v2', value: 'v2' } },
        match: { 'start.match': '--header end-user~[unclosed' },
      },
    });
    expect(Object.keys(badRegex.views.stack.at(-1)?.errors ?? {})).toEqual(['match']);
    expect(badRegex.views.stack.at(-1)?.errors?.match).toMatch(/regular expression|regex/i);
    await drain();
    expect((await deps.store.listActive()).length).toBe(before);
  });

  it('refuses a trigger used after 3 seconds as Slack does, and tells the person', async () => {
    // Prepare: Slack issued the command's trigger more than three seconds before the bot used it.
    const issued = await emulator.issueInteraction({ channelId: releases, userId: bob.id });
    await sleep(3200);
    const rawBody = buildSlashCommandBody(
      { text: '', userId: bob.id, userName: bob.username, channelId: releases, teamId: team },
      issued,
    );
    // Act
    const response = await replaySlackRequest({
      url: target.url,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...slackSignatureHeaders(target.signingSecret, Math.floor(Date.now() / 1000), rawBody),
      },
      rawBody,
    });
    // Assess
    // The command is acknowledged at once; the refusal comes privately through its response URL.
    expect(response.status).toBe(200);
    const answers = (await emulator.snapshot()).responseUrlPosts.filter((p) =>
      JSON.stringify(p).includes(issued.responseUrl),
    );
    expect(JSON.stringify(answers)).toMatch(/could not be opened in time/);
    expect((await emulator.views({ user: bob.id })).stack.map((v) => v.view.callback_id)).not.toContain(
      'canary.start-expired',
    );
  });
});

describe('App Home', () => {
  it("lists an approver's pending approval, and its button approves the step", async () => {
    // Prepare: bob starts a canary; alice may approve it.
    await slash(bob, `start reviews v3 --ns ${engine.namespace} --steps 20,100`);
    await drain();
    const release = await active();
    expect(release.phase).toBe('awaiting-approval');

    // Act: alice opens her home tab, and clicks its Approve.
    await openAppHome(target, emulator, alice.id);
    await drain();
    const home = (await emulator.views({ user: alice.id })).home?.view;
    if (!home) throw new Error('no home tab published for alice');
    const text = JSON.stringify(home.blocks);
    expect(text).toContain('Waiting for your approval* (1)');
    expect(text).toContain(release.id);
    const clicked = await sendViewBlockActions(target, emulator, {
      viewId: home.id,
      user: alice.id,
      actionId: 'release.approve',
      blockId: `home.release.${release.id}`,
    });
    await drain();

    // Assess: the step is applied, alice is told privately, and her tab no longer asks her.
    expect(clicked.status).toBe(200);
    expect((await engine.reviews()).spec.http.at(-1)?.route?.map((r) => r.weight)).toEqual([80, 20]);
    const direct = (await emulator.messages({ channel: `D${alice.id.slice(1)}` })).at(-1);
    expect(direct?.text).toMatch(/approved|Approved/);
    const after = JSON.stringify((await emulator.views({ user: alice.id })).home?.view.blocks);
    expect(after).not.toContain(`"value":"${JSON.stringify({ r: release.id })}`);
    await cancel(await engine.release(release.id));
  });

  it("bob's home tab offers no Approve for his own release (four eyes), only what he may do", async () => {
    await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50,100`);
    await drain();
    const release = await active();
    await openAppHome(target, emulator, bob.id);
    await drain();
    const home = (await emulator.views({ user: bob.id })).home?.view;
    const actionIds = JSON.stringify(home?.blocks ?? []).match(/"action_id":"release\.[a-z]+"/g) ?? [];
    expect(actionIds).not.toContain('"action_id":"release.approve"');
    expect(actionIds).toContain('"action_id":"release.rollback"');
    await cancel(release);
  });
});

describe('App Home for a guest', () => {
  it('shows a refused guest nothing and sends no message however often the tab is opened', async () => {
    // Act: gina (a guest; the policy does not allow guests) opens her Home tab twice.
    await openAppHome(target, emulator, 'U0GUEST001');
    await openAppHome(target, emulator, 'U0GUEST001');
    await drain();
    // Assess: no tab published, no direct message about the refusal.
    expect((await emulator.views({ user: 'U0GUEST001' })).home).toBeUndefined();
    const posted = (await emulator.snapshot()).calls.filter(
      (c) => c.method === 'chat.postMessage' && c.params.channel === 'U0GUEST001',
    );
    expect(posted).toEqual([]);
  });
});

describe('the "Roll back a release" shortcut', () => {
  it('rolls back from a message in another channel, with the reason and a link to the message in the thread', async () => {
    // Prepare: a canary at 20%, and an alert in #platform.
    const before = (await engine.reviews()).spec;
    await slash(bob, `start reviews v3 --ns ${engine.namespace} --steps 20,100`);
    await drain();
    const release = await active();
    await openAppHome(target, emulator, alice.id);
    await drain();
    const home = (await emulator.views({ user: alice.id })).home?.view;
    if (!home) throw new Error('no home tab');
    await sendViewBlockActions(target, emulator, {
      viewId: home.id,
      user: alice.id,
      actionId: 'release.approve',
      blockId: `home.release.${release.id}`,
    });
    await drain();
    const alert = await emulator.postAsUser({
      channel: incidents,
      user: alice.id,
      text: 'reviews p99 is 3 s',
    });

    // Act: the shortcut on the alert; the modal lists the release; alice picks it with a reason.
    const shortcut = await sendMessageShortcut(target, emulator, {
      callbackId: 'canary.rollback_shortcut',
      user: alice.id,
      channel: incidents,
      channelName: 'platform',
      messageTs: alert.ts,
    });
    expect(shortcut.status).toBe(200);
    await drain();
    const modal = await topView(alice.id);
    const choices = JSON.stringify(modal.view.blocks);
    expect(choices).toContain(release.id);
    const picked = (modal.view.blocks as { block_id?: string; element?: { options?: { value: string }[] } }[])
      .find((b) => b.block_id === 'rollback.release')
      ?.element?.options?.find((o) => o.value.startsWith(`${release.id}:`));
    if (!picked) throw new Error('the release is not offered');
    const submitted = await submitView(target, emulator, {
      viewId: modal.view.id,
      user: alice.id,
      values: {
        'rollback.release': { release: { text: 'reviews', value: picked.value } },
        'rollback.reason': { reason: 'p99 alert in #platform' },
      },
    });
    await drain();

    // Assess
    expect(submitted.error).toBeUndefined();
    expect((await engine.release(release.id)).phase).toBe('rolled-back');
    expect((await engine.reviews()).spec).toEqual(before);
    const card = await engine.release(release.id);
    const thread = await emulator.messages({ channel: releases, threadTs: card.meta.ts });
    const lines = thread.map((m) => m.text).join('\n');
    expect(lines).toContain('p99 alert in #platform');
    expect(lines).toContain(`/archives/${incidents}/p${alert.ts.replace('.', '')}`);
  });
});

describe('Slack refusing a surface for good', () => {
  it('ends the job quietly when the person closed the roll-back form before the worker filled it', async () => {
    // Prepare: the shortcut opens the form; the person closes it before the worker fills it, so Slack answers
    // the worker's views.update with not_found (made certain here: the worker may be quicker than a person).
    const alert = await emulator.postAsUser({ channel: incidents, user: alice.id, text: 'is reviews ok?' });
    const callsBefore = (await emulator.snapshot()).calls.length;
    await emulator.failNext('views.update', { error: 'not_found' });
    const shortcut = await sendMessageShortcut(target, emulator, {
      callbackId: 'canary.rollback_shortcut',
      user: alice.id,
      channel: incidents,
      channelName: 'platform',
      messageTs: alert.ts,
    });
    expect(shortcut.status).toBe(200);
    const form = await topView(alice.id);
    await emulator.closeView({ user: alice.id, all: true });
    // Act: the worker fills a form that is gone (Slack answers not_found).
    await drain();
    // Assess: no failed job (afterEach), no "will be tried once more" to alice.
    const updates = (await emulator.snapshot()).calls
      .slice(callsBefore)
      .filter((c) => c.method === 'views.update' && c.params.view_id === form.view.id);
    expect(updates.map((c) => c.outcome)).toEqual(['not_found']);
    const since = (await emulator.messages()).filter((m) => Number(m.ts) > Number(alert.ts));
    expect(JSON.stringify(since)).not.toContain('tried once more');
    expect(stack.jobErrors).toEqual([]);
  });

  it('ends the job quietly when the message of a shared link is gone', async () => {
    // Prepare: a link_shared for a message Slack does not have (deleted meanwhile).
    await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50,100`);
    await drain();
    const release = await active();
    const url = `${stack.bot.config.publicUrl}/releases/${release.id}`;
    const gone = `${Math.floor(Date.now() / 1000) - 86_400}.${String(Date.now() % 1_000_000).padStart(6, '0')}`;
    // Act
    const sent = await sendEvent(target, emulator, {
      type: 'link_shared',
      channel: incidents,
      user: alice.id,
      message_ts: gone,
      source: 'conversations_history',
      links: [{ domain: new URL(url).host, url }],
    });
    expect(sent.status).toBe(200);
    await drain();
    // Assess: chat.unfurl was refused (cannot_find_message) and the job ended without failing.
    const refused = (await emulator.snapshot()).calls.filter(
      (c) => c.method === 'chat.unfurl' && c.params.ts === gone,
    );
    expect(refused.map((c) => c.outcome)).toEqual(['cannot_find_message']);
    expect(stack.jobErrors).toEqual([]);
    await cancel(release);
  });
});

describe('link previews', () => {
  it('unfurls a link to a release as its state, and leaves other links alone', async () => {
    await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50,100`);
    await drain();
    const release = await active();
    const url = `${stack.bot.config.publicUrl}/releases/${release.id}`;
    const shared = await shareLink(target, emulator, {
      channel: incidents,
      user: alice.id,
      text: `is this it? ${url} and ${stack.bot.config.publicUrl}/other`,
    });
    expect(shared.answer?.status).toBe(200);
    await drain();
    const [message] = await emulator.messages({ channel: incidents, ts: shared.message.ts });
    const unfurls = message?.unfurls ?? {};
    expect(Object.keys(unfurls)).toEqual([url]);
    expect(JSON.stringify(unfurls[url])).toContain('reviews');
    // The link's page shows nothing of the release.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('reviews');
    await cancel(release);
  });

  it('previews nothing where it could reach another organisation, or for a guest', async () => {
    // Prepare
    await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50,100`);
    await drain();
    const release = await active();
    const url = `${stack.bot.config.publicUrl}/releases/${release.id}`;
    // Act: alice shares it in a channel shared with a partner (Slack Connect); gina, a guest, shares it too.
    const connect = await shareLink(target, emulator, {
      channel: incidents,
      user: alice.id,
      text: `status: ${url}`,
      extShared: true,
    });
    const byGuest = await shareLink(target, emulator, { channel: releases, user: 'U0GUEST001', text: url });
    const byMember = await shareLink(target, emulator, { channel: releases, user: alice.id, text: url });
    await drain();
    // Assess: only the member's link in an internal channel is previewed.
    const unfurled = async (shared: typeof connect) =>
      Object.keys(
        (await emulator.messages({ channel: shared.message.channel, ts: shared.message.ts }))[0]?.unfurls ??
          {},
      );
    expect(await unfurled(connect)).toEqual([]);
    expect(await unfurled(byGuest)).toEqual([]);
    expect(await unfurled(byMember)).toEqual([url]);
    await cancel(release);
  });
});

describe('the Events API', () => {
  it('answers URL verification with the challenge', async () => {
    const answer = await sendUrlVerification(target);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ challenge: answer.challenge });
  });

  it('handles an event once when Slack retries it', async () => {
    // Prepare
    const published = async () =>
      (await emulator.snapshot()).calls.filter(
        (c) => c.method === 'views.publish' && c.params.user_id === bob.id && c.outcome === 'ok',
      ).length;
    const before = await published();
    // Act: the event, then Slack's two retries of it (same event id, signed again).
    const sent = await openAppHome(target, emulator, bob.id);
    // Slack signs each retry when it sends it: a second, then a minute later.
    const later = (ms: number) => ({ now: () => Date.now() + ms });
    const retries = [
      await retryEvent(target, sent.envelope, { num: 1, reason: 'http_timeout' }, later(1000)),
      await retryEvent(target, sent.envelope, { num: 2, reason: 'http_timeout' }, later(60_000)),
    ];
    await drain();
    // Assess: every delivery acknowledged, the home tab published once.
    expect([sent, ...retries].map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await published()) - before).toBe(1);
    expect((await emulator.views({ user: bob.id })).home?.view.type).toBe('home');
  });

  it('refuses an unsigned event', async () => {
    const sent = await openAppHome(
      { ...target, signingSecret: 'not-the-secret-0123456789' },
      emulator,
      bob.id,
    );
    expect(sent.status).toBe(401);
  });
});
