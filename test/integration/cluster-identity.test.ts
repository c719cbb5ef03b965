/**
 * The cluster is part of a release's identity, through the real handlers: two configured clusters (`east`,
 * the default, and `west`), each with `reviews` of the same namespace. The bed has one API server, so both
 * clusters reach it; the store, the queue's message groups, the lookup and the chat tell them apart.
 *
 * - The same route on two clusters: both start; a second release on one cluster is still refused.
 * - `/canary rollback reviews` with a release on each cluster asks which, changing nothing; the chosen
 *   button acts on exactly that release, through the card's path (authorization, queue, audit).
 * - `--cluster` narrows the lookup; an unknown cluster gets a clear answer.
 */
import type { SlackEmulatorControl } from '../../local/slack/emulator-control.js';
import { sendBlockActions, sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import { auditTrail } from '../../src/app/release-queries.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const alice = { id: 'U0ALICE001', name: 'alice' }; // in the S0APPROVERS user group
const bob = { id: 'U0BOB00001', name: 'bob' };
const channel = 'C0RELEASES';

let stack: SlackStack;
let engine: EngineHarness;
let emulator: SlackEmulatorControl;
let deps: ReleaseDependencies;
let target: { url: string; signingSecret: string };

beforeAll(async () => {
  stack = await startSlackStack({ clusters: ['east', 'west'] });
  ({ engine, emulator, deps } = stack);
  target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

interface Answer {
  text: string;
  blocks: { type: string; block_id?: string; elements?: { action_id: string; value: string }[] }[];
}

/** A slash command through the front door; the worker's private answers to it, once the queue is drained. */
async function slash(user: { id: string; name: string }, text: string): Promise<Answer[]> {
  const sent = await sendSlashCommand(target, {
    text,
    userId: user.id,
    userName: user.name,
    channelId: channel,
    teamId: 'T0CANARYBOT',
    emulator,
  });
  expect(sent.status).toBe(200);
  await stack.queue.drain();
  return (await emulator.snapshot()).responseUrlPosts
    .filter((p) => p.responseUrl === sent.responseUrl)
    .map((p) => p.body as Answer);
}

const active = async (): Promise<Release[]> =>
  (await deps.store.listActive()).map((r) => r.state).filter((r) => r.target.namespace === engine.namespace);

const byCluster = async (cluster: string): Promise<Release> => {
  const found = (await deps.store.history(engine.namespace, 'reviews', 20))
    .map((r) => r.state)
    .find((r) => r.meta.cluster === cluster);
  if (!found) throw new Error(`no release on ${cluster}`);
  return found;
};

const snapshotOf = (r: Release) => ({ id: r.id, phase: r.phase, version: r.version, step: r.currentStep });

describe('two clusters with the same route', () => {
  it('start a release each; one cluster still takes one release per route', async () => {
    // Act
    const east = await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50,100`);
    const west = await slash(bob, `start reviews v2 --ns ${engine.namespace} --cluster west --steps 50,100`);
    const again = await slash(bob, `start reviews v3 --ns ${engine.namespace} --cluster west`);

    // Assess
    expect(east.map((a) => a.text).join('\n')).toMatch(/Started canary/);
    expect(west.map((a) => a.text).join('\n')).toMatch(/Started canary/);
    expect(again.map((a) => a.text).join('\n')).toMatch(/already has an active release/);
    const releases = await active();
    expect(releases.map((r) => r.meta.cluster).sort()).toEqual(['east', 'west']);
    expect(releases.every((r) => r.phase === 'awaiting-approval')).toBe(true);
    const routes = (await deps.store.listActive())
      .filter((r) => r.namespace === engine.namespace)
      .map((r) => r.routeKey)
      .sort();
    expect(routes).toEqual([
      `east/${engine.namespace}/reviews/(default)`,
      `west/${engine.namespace}/reviews/(default)`,
    ]);
    // Each card names its cluster.
    for (const release of releases) {
      const [card] = await emulator.messages({ channel, ts: release.meta.ts ?? '' });
      expect(JSON.stringify(card?.blocks)).toContain(`cluster \`${release.meta.cluster}\``);
    }
  });

  it('asks which release `/canary rollback reviews` means, and changes nothing until one is chosen', async () => {
    // Prepare
    const before = (await active()).map(snapshotOf);
    const route = (await engine.reviews()).metadata.resourceVersion;
    const trails = await Promise.all(before.map(async (r) => (await auditTrail(deps, r.id)).length));

    // Act
    const [choice, ...more] = await slash(bob, `rollback reviews --ns ${engine.namespace}`);

    // Assess: one private answer listing both, with one Roll back button each; nothing changed anywhere
    expect(more).toEqual([]);
    expect(choice?.text).toBe('2 releases match: pick the one to roll back');
    const text = JSON.stringify(choice?.blocks);
    expect(text).toContain('cluster `east`');
    expect(text).toContain('cluster `west`');
    const buttons = (choice?.blocks ?? []).flatMap((b) => b.elements ?? []);
    expect(buttons.map((b) => b.action_id)).toEqual(['release.rollback', 'release.rollback']);
    expect(buttons.map((b) => JSON.parse(b.value).r).sort()).toEqual(before.map((r) => r.id).sort());
    expect((await active()).map(snapshotOf)).toEqual(before);
    expect((await engine.reviews()).metadata.resourceVersion).toBe(route);
    expect(await Promise.all(before.map(async (r) => (await auditTrail(deps, r.id)).length))).toEqual(trails);
  });

  it('rolls back exactly the release whose button was chosen', async () => {
    // Prepare
    const west = await byCluster('west');
    const east = snapshotOf(await byCluster('east'));
    const [choice] = await slash(bob, `rollback reviews --ns ${engine.namespace}`);
    const button = (choice?.blocks ?? [])
      .flatMap((b) => b.elements ?? [])
      .find((b) => JSON.parse(b.value).r === west.id);
    if (!button) throw new Error('no button for the west release');

    // Act: the click on the private answer, as Slack sends it
    const clicked = await sendBlockActions(target, {
      user: { id: bob.id, username: bob.name },
      channel: { id: channel },
      messageTs: '1714557600.000900',
      ephemeral: true,
      actions: [{ action_id: button.action_id, value: button.value }],
      teamId: 'T0CANARYBOT',
      emulator,
    });
    await stack.queue.drain();

    // Assess
    expect(clicked.status).toBe(200);
    expect((await byCluster('west')).phase).toBe('rolled-back');
    expect(snapshotOf(await byCluster('east'))).toEqual(east);
    const rollback = (await auditTrail(deps, west.id)).find((e) => e.action === 'rollback');
    expect(rollback).toMatchObject({ actor: bob.id, cluster: 'west' });
    expect(stack.jobErrors).toEqual([]);
  });

  it('acts at once when --cluster leaves one candidate, and says so when it leaves none', async () => {
    // Prepare: a second release on west again, so that both clusters have one
    await slash(bob, `start reviews v3 --ns ${engine.namespace} --cluster west`);
    const west = snapshotOf(await byCluster('west'));
    const east = await byCluster('east');

    // Act
    const paused = await slash(alice, `pause reviews --ns ${engine.namespace} --cluster east`);
    const nowhere = await slash(alice, `pause reviews --ns ${engine.namespace} --cluster north`);
    const unknownStart = await slash(bob, `start reviews v2 --ns ${engine.namespace} --cluster north`);

    // Assess
    expect(paused.map((a) => a.text).join('\n')).not.toMatch(/releases match/);
    expect((await byCluster('east')).phase).toBe('paused');
    expect((await deps.store.get(east.id))?.state.meta.cluster).toBe('east');
    expect(snapshotOf(await byCluster('west'))).toEqual(west);
    expect(nowhere.map((a) => a.text).join('\n')).toMatch(
      new RegExp(`No active release of reviews in ${engine.namespace} on cluster north`),
    );
    expect(unknownStart.map((a) => a.text).join('\n')).toMatch(
      /There is no cluster "north" here; the configured ones are east, west/,
    );
    expect(stack.jobErrors).toEqual([]);
  });
});
