/**
 * A bake through the real handlers: `/canary start … --bake 10m` into the ingress behind the local front
 * door, the workers on ElasticMQ, the tick, the bed's API server as the least-privilege bot, DynamoDB Local,
 * the bed's Prometheus, and the Slack emulator's channel, card and thread.
 */
import type { SlackEmulatorControl } from '../../local/slack/emulator-control.js';
import { type BotTarget, sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const alice = { id: 'U0ALICE001', username: 'alice' }; // approver (S0APPROVERS)
const bob = { id: 'U0BOB00001', username: 'bob' }; // starts; four eyes: cannot approve his own
const releases = 'C0RELEASES';
const team = 'T0CANARYBOT';

let stack: SlackStack;
let engine: EngineHarness;
let emulator: SlackEmulatorControl;
let target: BotTarget;

beforeAll(async () => {
  stack = await startSlackStack({
    env: { CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({ minAnalysisSeconds: 120, maxAnalysisSeconds: 900 }) },
  });
  ({ engine, emulator } = stack);
  target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expect(stack.jobErrors).toEqual([]);
});

async function slash(user: { id: string; username: string }, text: string): Promise<void> {
  await sendSlashCommand(target, {
    text,
    userId: user.id,
    userName: user.username,
    channelId: releases,
    teamId: team,
    emulator,
  });
  await stack.queue.drain();
}

async function active(): Promise<Release> {
  const release = (await stack.deps.store.listActive())
    .map((s) => s.state)
    .find((r) => r.target.namespace === engine.namespace);
  if (!release) throw new Error(`no active release in ${engine.namespace}`);
  return release;
}

async function until(id: string, phases: Release['phase'][], maxMinutes = 12): Promise<Release> {
  for (let i = 0; i < maxMinutes; i++) {
    await engine.advance(1);
    await stack.queue.drain();
    const release = await engine.release(id);
    if (phases.includes(release.phase)) return release;
  }
  throw new Error(`release still ${(await engine.release(id)).phase} after ${maxMinutes} minutes`);
}

async function card(release: Release): Promise<string> {
  const ts = (await engine.release(release.id)).meta.ts;
  const message = (await emulator.messages({ channel: releases })).find((m) => m.ts === ts && !m.threadTs);
  return JSON.stringify(message?.blocks ?? []);
}

async function thread(release: Release): Promise<string[]> {
  const ts = (await engine.release(release.id)).meta.ts;
  return (await emulator.messages({ channel: releases, threadTs: ts })).map((m) => m.text);
}

describe('bake through the real handlers', () => {
  it('catches a canary that goes bad during its bake, says so in the thread, and restores v1', async () => {
    // Prepare: bob starts with a bake, alice approves 50% and 100%.
    const before = (await engine.reviews()).spec;
    await slash(bob, `start reviews v2 --ns ${engine.namespace} --steps 50 --bake 10m`);
    const started = await active();
    expect(started.options.bakeSeconds).toBe(600);
    await slash(alice, `approve reviews --ns ${engine.namespace}`);
    await until(started.id, ['awaiting-approval']);
    await slash(alice, `approve reviews --ns ${engine.namespace}`);
    const baking = await until(started.id, ['baking']);
    const bakingCard = await card(baking);
    // An approval during the bake changes nothing.
    await slash(alice, `approve reviews --ns ${engine.namespace}`);
    expect((await engine.release(baking.id)).version).toBe(baking.version);

    // Act: v2 fails 5% of its requests from now on.
    engine.simulator.setBehaviour(engine.namespace, 'reviews', 'v2', { errorRate: 0.05 });
    const ended = await until(baking.id, ['rolled-back', 'paused', 'promoted', 'failed']);

    // Assess
    expect(bakingCard).toContain(':fire: *Baking* until');
    expect(bakingCard).toContain("judged against the baseline's figures recorded at step 1/2");
    expect(bakingCard).toContain('bake: 10 min');
    expect(ended.phase).toBe('rolled-back');
    expect((await engine.reviews()).spec).toEqual(before);
    const said = await thread(baking);
    expect(said.some((t) => t.includes(`Baking reviews.${engine.namespace} reviews/v2 until`))).toBe(true);
    expect(said.some((t) => t.includes('failed checks during the bake'))).toBe(true);
    expect(await card(ended)).toContain('failed checks during the bake');
  });
});
