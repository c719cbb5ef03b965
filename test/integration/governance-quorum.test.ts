/**
 * Quorum approvals and reasons through the real handlers (the ingress behind the local API Gateway front
 * door, the workers, the bed's API server as the least-privilege bot, DynamoDB Local) and a Slack emulator
 * seeded with a platform team: alice is in the S0SRE group; bob and carol are approvers; dave starts the
 * releases. On cluster `bed` (the default) a step needs two distinct approvers, one of them from S0SRE; on
 * cluster `reasoned` (the same API server, another namespace) an approval needs a reason, entered in the
 * form the ingress opens on the click.
 */
import { sendBlockActions, sendSlashCommand, submitView } from '../../local/slack/interaction-client.js';
import type { RecordedMessage } from '../../local/slack/message-record.js';
import {
  DEFAULT_WORKSPACE,
  type SlackEmulator,
  startSlackEmulator,
} from '../../local/slack/slack-emulator.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const TEAM = 'T0CANARYBOT';
const SIGNING_SECRET = 'quorum-signing-secret';
const channel = 'C0RELEASES';
const alice = { id: 'U0ALICE001', name: 'alice' }; // in S0SRE
const bob = { id: 'U0BOB00001', name: 'bob' };
const carol = { id: 'U0CAROL001', name: 'carol' };
const dave = { id: 'U0DAVE0001', name: 'dave' }; // starts the releases
type Person = typeof alice;

let slack: SlackEmulator | undefined;
let stack: SlackStack | undefined;
let engine: EngineHarness;
let deps: ReleaseDependencies;
let target: { url: string; signingSecret: string };
let nsB: string;
/** Added to the emulator's clock: a click can reach the bot after its trigger expired. */
let skew = 0;

beforeAll(async () => {
  slack = await startSlackEmulator({
    botToken: 'xoxb-quorum-token',
    signingSecret: SIGNING_SECRET,
    teamId: TEAM,
    now: () => Date.now() + skew,
    workspace: {
      channels: DEFAULT_WORKSPACE.channels,
      users: [
        { id: alice.id, name: alice.name, realName: 'Alice SRE' },
        { id: bob.id, name: bob.name, realName: 'Bob Builder' },
        { id: carol.id, name: carol.name, realName: 'Carol Coder' },
        { id: dave.id, name: dave.name, realName: 'Dave Dev' },
      ],
      usergroups: [{ id: 'S0SRE', handle: 'sre', users: [alice.id] }],
    },
  });
  const approvers = ['S0SRE', bob.id, carol.id];
  stack = await startSlackStack({
    slack: { url: slack.url, botToken: slack.botToken, signingSecret: SIGNING_SECRET },
    clusters: ['bed', 'reasoned'],
    extraNamespaces: 1,
    env: {
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: ['*'], approvers, fourEyes: true },
        clusters: {
          bed: {
            default: {
              starters: ['*'],
              approvers,
              fourEyes: true,
              quorum: { approvals: 2, oneFrom: 'S0SRE' },
            },
          },
          reasoned: { default: { starters: ['*'], approvers, fourEyes: true, reasons: ['approve'] } },
        },
      }),
    },
  });
  ({ engine, deps } = stack);
  [nsB] = engine.extraNamespaces as [string];
  target = { url: stack.slackUrl, signingSecret: SIGNING_SECRET };
}, 300_000);

afterAll(async () => {
  await stack?.close();
  await slack?.close();
});

afterEach(() => {
  expect(stack?.jobErrors).toEqual([]);
});

const drain = () => (stack as SlackStack).queue.drain();
const emulator = () => slack as SlackEmulator;

/** What was answered through a response URL. */
async function answersTo(responseUrl: string): Promise<string> {
  const posts = (await emulator().snapshot()).responseUrlPosts.filter((p) => p.responseUrl === responseUrl);
  return posts.map((p) => JSON.stringify(p.body)).join('\n');
}

async function slash(user: Person, text: string): Promise<string> {
  const sent = await sendSlashCommand(target, {
    text,
    userId: user.id,
    userName: user.name,
    channelId: channel,
    teamId: TEAM,
    emulator: emulator(),
  });
  await drain();
  return `${sent.body}\n${await answersTo(sent.responseUrl)}`;
}

async function activeIn(namespace: string): Promise<Release> {
  const release = (await deps.store.listActive())
    .map((s) => s.state)
    .find((r) => r.target.namespace === namespace);
  if (!release) throw new Error(`no active release in ${namespace}`);
  return release;
}

async function cardOf(release: Release): Promise<RecordedMessage> {
  const ts = (await engine.release(release.id)).meta.ts;
  const [card] = await emulator().messages({ channel, ts });
  if (!card) throw new Error('no card');
  return card;
}

async function threadOf(release: Release): Promise<string> {
  const ts = (await engine.release(release.id)).meta.ts;
  return (await emulator().messages({ channel, threadTs: ts })).map((m) => m.text).join('\n');
}

/** Presses a button of the release's card as `user`; the answer sent to the click's response URL. */
async function press(
  release: Release,
  actionId: string,
  user: Person,
  forge: { now?: () => number } = {},
): Promise<string> {
  const card = await cardOf(release);
  const value = (card.blocks ?? [])
    .flatMap((b) => (b as { elements?: { action_id?: string; value?: string }[] }).elements ?? [])
    .find((e) => e.action_id === actionId)?.value;
  if (!value) throw new Error(`no ${actionId} button on the card`);
  const sent = await sendBlockActions(
    target,
    {
      user: { id: user.id, username: user.name },
      channel: { id: channel },
      messageTs: card.ts,
      actions: [{ action_id: actionId, value }],
      teamId: TEAM,
      emulator: emulator(),
    },
    forge,
  );
  expect(sent.status).toBe(200);
  await drain();
  return await answersTo(sent.responseUrl);
}

describe('a quorum of two with one from S0SRE', () => {
  it('counts distinct approvers, not clicks, and advances only with one from the group', async () => {
    // Prepare: dave starts a canary; the card asks for the quorum.
    await slash(dave, `start reviews v2 --ns ${engine.namespace}`);
    const release = await activeIn(engine.namespace);
    expect(JSON.stringify((await cardOf(release)).blocks)).toContain(
      '0 of 2 approvals; needs one from <!subteam^S0SRE>',
    );

    // Act: bob approves.
    const first = await press(release, 'release.approve', bob);
    // Assert: counted, nothing moved.
    expect(first).toContain(`1 of 2 approvals: ${bob.id}; needs one from S0SRE`);
    const afterBob = await engine.release(release.id);
    expect(afterBob.phase).toBe('awaiting-approval');
    expect(afterBob.approvalRequest?.votes?.map((v) => v.actor)).toEqual([bob.id]);
    expect(JSON.stringify((await cardOf(release)).blocks)).toContain(
      `1 of 2 approvals: <@${bob.id}>; needs one from <!subteam^S0SRE>`,
    );

    // Act: bob clicks again.
    const again = await press(release, 'release.approve', bob);
    // Assert: already counted; nothing changed.
    expect(again).toContain('Already counted');
    expect(await engine.release(release.id)).toEqual(afterBob);

    // Act: dave, who started it, approves: four eyes.
    const own = await press(release, 'release.approve', dave);
    expect(own).toContain('requires four eyes');
    expect((await engine.release(release.id)).approvalRequest?.votes).toHaveLength(1);

    // Act: carol approves: two people, but none from S0SRE.
    const second = await press(release, 'release.approve', carol);
    expect(second).toContain(`2 of 2 approvals: ${bob.id}, ${carol.id}; needs one from S0SRE`);
    expect((await engine.release(release.id)).phase).toBe('awaiting-approval');
    expect(
      (await engine.reviews()).spec.http.at(-1)?.route?.map((r: { weight?: number }) => r.weight),
    ).not.toContain(10);
    expect(JSON.stringify((await cardOf(release)).blocks)).toContain(
      `2 of 2 approvals: <@${bob.id}>, <@${carol.id}>; needs one from <!subteam^S0SRE>`,
    );

    // Act: alice, in S0SRE, approves.
    const third = await press(release, 'release.approve', alice);
    // Assert: the step advances, once, with the three approvers recorded and audited.
    expect(third).toContain('Approved');
    const advanced = await engine.release(release.id);
    expect(advanced.phase).not.toBe('awaiting-approval');
    expect(advanced.currentStep).toBe(0);
    expect(advanced.approvals.map((a) => a.actor)).toEqual([bob.id, carol.id, alice.id]);
    expect(
      (await engine.reviews()).spec.http.at(-1)?.route?.map((r: { weight?: number }) => r.weight),
    ).toEqual([90, 10]);
    const audit = await deps.store.listAudit(release.id);
    expect(audit.filter((e) => e.action === 'approve').map((e) => e.actor)).toEqual([
      bob.id,
      carol.id,
      alice.id,
    ]);
    expect(await threadOf(release)).toMatch(new RegExp(`Approved .* by ${bob.id}, ${carol.id}, ${alice.id}`));

    await slash(dave, `cancel reviews --ns ${engine.namespace}`);
  });
});

describe('a reason on approve', () => {
  it('opens the reason form from the ingress within the trigger window (a click whose trigger expired is told so); an empty reason is refused on the form; the reason reaches the audit and the thread', async () => {
    // Prepare: dave starts a canary on the cluster whose rule asks for a reason.
    await slash(dave, `start reviews v2 --ns ${nsB} --cluster reasoned`);
    const release = await activeIn(nsB);
    const before = await engine.release(release.id);

    // Act: bob's click reaches the bot after its trigger expired (Slack's clock moved 4 s past the issue).
    const late = await press(release, 'reason.approve', bob, {
      now: () => {
        skew = 4_000;
        return Date.now();
      },
    });
    skew = 0;
    // Assert: the emulator refused the form; bob is told, no form is open, nothing moved.
    expect(late).toContain('The reason form could not be opened in time; nothing was changed.');
    expect((await emulator().views({ user: bob.id })).stack).toEqual([]);
    expect(await engine.release(release.id)).toEqual(before);

    // Act: bob presses Approve, which asks for a reason.
    await press(release, 'reason.approve', bob);
    // Assert: the form is open for bob (the emulator accepts a trigger for three seconds, once), nothing moved.
    const opened = (await emulator().views({ user: bob.id })).stack;
    expect(opened).toHaveLength(1);
    const form = opened[0]?.view;
    expect(form?.callback_id).toBe('canary.reason');
    expect(JSON.stringify(form?.blocks)).toContain('Approve: canary weight');
    expect(await engine.release(release.id)).toEqual(before);

    // Act: bob submits blanks.
    const blank = await submitView(target, emulator(), {
      viewId: form?.id ?? '',
      user: bob.id,
      values: { reason: { reason: '   ' } },
    });
    // Assert: the field says so, the form stays, nothing was queued.
    expect(blank.views.stack.at(-1)?.errors).toEqual({ reason: 'Say why you approve.' });
    await drain();
    expect(await engine.release(release.id)).toEqual(before);

    // Act: bob gives a reason.
    const given = await submitView(target, emulator(), {
      viewId: form?.id ?? '',
      user: bob.id,
      values: { reason: { reason: 'dashboards clean, INC-7 closed' } },
    });
    await drain();
    // Assert: the form closed; the step was approved with the reason, audited and said in the thread.
    expect(given.views.stack).toEqual([]);
    const approved = await engine.release(release.id);
    expect(approved.approvals).toEqual([
      expect.objectContaining({ actor: bob.id, reason: 'dashboards clean, INC-7 closed' }),
    ]);
    const audit = (await deps.store.listAudit(release.id)).find((e) => e.action === 'approve');
    expect(audit?.detail).toMatchObject({ reason: 'dashboards clean, INC-7 closed' });
    expect(await threadOf(release)).toContain(`by ${bob.id}: dashboards clean, INC-7 closed`);
  });

  it('refuses /canary approve without --reason, and takes it with one', async () => {
    // Prepare: the release of the form's test ends; dave starts another, waiting for its first approval.
    await slash(dave, `cancel reviews --ns ${nsB} --cluster reasoned`);
    await slash(dave, `start reviews v2 --ns ${nsB} --cluster reasoned`);
    const release = await activeIn(nsB);
    const waiting = await engine.release(release.id);
    expect(waiting.phase).toBe('awaiting-approval');

    const refused = await slash(carol, `approve reviews --ns ${nsB} --cluster reasoned`);
    expect(refused).toContain('The approval policy asks for a reason to approve');
    expect((await engine.release(release.id)).version).toBe(waiting.version);
    const refusal = (await deps.store.listAudit(release.id)).find((e) => e.action === 'refused-approve');
    expect(refusal).toMatchObject({ actor: carol.id, detail: { reason: expect.stringContaining('reason') } });

    const done = await slash(
      carol,
      `approve reviews --ns ${nsB} --cluster reasoned --reason "error rate flat"`,
    );
    expect(done).toContain('Approved');
    const approved = await engine.release(release.id);
    expect(approved.approvals.at(-1)).toMatchObject({ actor: carol.id, reason: 'error rate flat' });

    await slash(dave, `cancel reviews --ns ${nsB} --cluster reasoned`);
  });
});
