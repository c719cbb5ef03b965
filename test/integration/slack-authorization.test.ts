/**
 * Who may act, and from where, through the real front door: signed commands and clicks as Slack sends them,
 * the Bolt ingress, the worker (which looks people up with `users.info` in the bed's Slack emulator), the
 * use cases and the bed's API server. The policy pins one workspace; the emulator knows a guest and a Slack
 * Connect member. Every refusal is answered privately, changes nothing, and is recorded (a bounded number
 * of times per person and release).
 */
import type { SlackEmulatorControl } from '../../local/slack/emulator-control.js';
import { sendBlockActions, sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { RecordedMessage } from '../../local/slack/message-record.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import { MAX_RECORDED_REFUSALS } from '../../src/app/refusals.js';
import { auditTrail } from '../../src/app/release-queries.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const PROD = 'T0CANARYBOT';
const SANDBOX = 'T0SANDBOX1';
const alice = { id: 'U0ALICE001', name: 'alice' }; // member, in S0APPROVERS
const bob = { id: 'U0BOB00001', name: 'bob' }; // member
const gina = { id: 'U0GUEST001', name: 'gina' }; // multi-channel guest, named as an approver
const erik = { id: 'W0EXTERN01', name: 'erik' }; // Slack Connect member of T0PARTNER, named as an approver
const channel = 'C0RELEASES';

let stack: SlackStack;
let engine: EngineHarness;
let emulator: SlackEmulatorControl;
let deps: ReleaseDependencies;
let target: { url: string; signingSecret: string };

beforeAll(async () => {
  stack = await startSlackStack({
    env: {
      CANARY_BOT_POLICY: JSON.stringify({
        workspaces: [PROD],
        default: { starters: ['*'], approvers: ['S0APPROVERS', gina.id, erik.id], fourEyes: true },
      }),
    },
  });
  ({ engine, emulator, deps } = stack);
  target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
});

afterAll(async () => {
  await stack?.close();
});

async function answersTo(responseUrl: string): Promise<string> {
  const posts = (await emulator.snapshot()).responseUrlPosts.filter((p) => p.responseUrl === responseUrl);
  return posts.map((p) => JSON.stringify(p.body)).join('\n');
}

async function slash(user: { id: string; name: string }, text: string, teamId = PROD) {
  const sent = await sendSlashCommand(target, {
    text,
    userId: user.id,
    userName: user.name,
    channelId: channel,
    teamId,
    emulator,
  });
  await stack.queue.drain();
  return { status: sent.status, answer: `${sent.body}\n${await answersTo(sent.responseUrl)}` };
}

async function newest(): Promise<{ message: RecordedMessage; release: Release }> {
  const [stored] = await deps.store.history(engine.namespace, 'reviews', 1);
  const release = stored?.state;
  if (!release?.meta.ts) throw new Error('no card posted');
  const [message] = await emulator.messages({ channel, ts: release.meta.ts });
  if (!message) throw new Error('card not in the emulator');
  return { message, release };
}

/** Presses a button of the newest card as `user`, from `from` (channel and workspace). */
async function press(
  actionId: string,
  user: { id: string; name: string },
  from: { channel?: string; team?: string } = {},
) {
  const { message } = await newest();
  const value = (message.blocks ?? [])
    .flatMap((b) => (b as { elements?: { action_id?: string; value?: string }[] }).elements ?? [])
    .find((e) => e.action_id === actionId)?.value;
  if (!value) throw new Error(`no ${actionId} button on the card`);
  const sent = await sendBlockActions(target, {
    user: { id: user.id, username: user.name },
    channel: { id: from.channel ?? channel },
    messageTs: message.ts,
    message: { ts: message.ts, type: 'message', text: message.text },
    actions: [{ action_id: actionId, value }],
    teamId: from.team ?? PROD,
    emulator,
  });
  await stack.queue.drain();
  return { status: sent.status, answer: await answersTo(sent.responseUrl) };
}

const approve = (user: { id: string; name: string }, from: { channel?: string; team?: string } = {}) =>
  press('release.approve', user, from);

const weights = async () => (await engine.reviews()).spec.http.at(-1)?.route?.map((r) => r.weight);

describe('who may act, and from where, through the real handlers', () => {
  it('refuses a start from a sandbox workspace, changes nothing, and records it', async () => {
    const { answer } = await slash(bob, `start reviews v2 --ns ${engine.namespace}`, SANDBOX);

    expect(answer).toContain(
      `The approval policy lets only workspaces ${PROD} act on releases; this request came from workspace ${SANDBOX}.`,
    );
    expect(await deps.store.history(engine.namespace, 'reviews', 1)).toEqual([]);
    const trail = await auditTrail(deps, `start:${engine.namespace}/reviews`);
    expect(trail.map((e) => [e.actor, e.action, (e.detail as { team?: string }).team])).toEqual([
      [bob.id, 'refused-start', SANDBOX],
    ]);
  });

  it('refuses approvals from a sandbox workspace, a guest, an external member and another channel', async () => {
    await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50,100`);
    const { release } = await newest();
    expect(release.phase).toBe('awaiting-approval');
    expect(release.meta).toMatchObject({ channel, team: PROD });
    const before = await weights();

    const sandbox = await approve(alice, { team: SANDBOX });
    const guest = await approve(gina);
    const external = await approve(erik);
    const elsewhere = await approve(alice, { channel: 'C0PLATFORM' });

    expect(sandbox.answer).toContain(`this request came from workspace ${SANDBOX}`);
    expect(guest.answer).toContain('does not let guests act on releases; U0GUEST001 is a guest');
    expect(external.answer).toContain('does not let members of other organisations (Slack Connect)');
    expect(elsewhere.answer).toContain(
      'takes approvals only in the channel of the release (<#C0RELEASES>); this one came from <#C0PLATFORM>.',
    );
    expect((await newest()).release.phase).toBe('awaiting-approval');
    expect(await weights()).toEqual(before);
    const refused = (await auditTrail(deps, release.id)).filter((e) => e.action === 'refused-approve');
    expect(refused.map((e) => [e.actor, e.detail])).toEqual([
      [alice.id, expect.objectContaining({ channel, team: SANDBOX })],
      [gina.id, expect.objectContaining({ channel, team: PROD, userKind: 'guest' })],
      [erik.id, expect.objectContaining({ channel, team: PROD, userKind: 'external' })],
      [alice.id, expect.objectContaining({ channel: 'C0PLATFORM', team: PROD })],
    ]);
  });

  it('records where an accepted approval came from', async () => {
    const { release } = await newest();

    const approved = await approve(alice);

    expect(approved.answer).toContain('Approved');
    expect(await weights()).toEqual([50, 50]);
    const entry = (await auditTrail(deps, release.id)).find((e) => e.action === 'approve');
    expect(entry?.detail).toMatchObject({ from: { channel, team: PROD } });
  });

  it('records a flood of refused clicks a bounded number of times', async () => {
    const { release } = await newest();
    const clicks = MAX_RECORDED_REFUSALS + 4;

    const answers: string[] = [];
    // The release is being analysed: Roll back is on the card, and a guest may not press it either.
    for (let i = 0; i < clicks; i++) answers.push((await press('release.rollback', gina)).answer);

    for (const answer of answers) expect(answer).toContain('does not let guests');
    expect((await newest()).release.phase).not.toMatch(/roll/);
    const mine = (await auditTrail(deps, release.id)).filter(
      (e) => e.actor === gina.id && e.action === 'refused-rollback',
    );
    expect(mine.length).toBe(MAX_RECORDED_REFUSALS);
    expect(mine.at(-1)?.detail).toMatchObject({ note: expect.stringMatching(/counted, not recorded/) });
  });
});
