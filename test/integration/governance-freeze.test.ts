/**
 * Freeze windows and stops of the line through the real handlers (the ingress behind the local API Gateway
 * front door, the workers on ElasticMQ, the bed's API server as the least-privilege bot, DynamoDB Local)
 * and the Slack emulator. The policy freezes cluster `frozen` with a deny window built around the current
 * time; cluster `bed` (the default, the same API server) is free unless the line is stopped.
 */

import type { SlackEmulatorControl } from '../../local/slack/emulator-control.js';
import type { BotTarget } from '../../local/slack/interaction-client.js';
import { sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import type { Release } from '../../src/domain/release/index.js';
import type { EngineHarness } from './support/engine-harness.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const alice = { id: 'U0ALICE001', username: 'alice' }; // approver (S0APPROVERS) and the freeze bypass role
const bob = { id: 'U0BOB00001', username: 'bob' }; // approver, not in the bypass role
const releases = 'C0RELEASES';
const team = 'T0CANARYBOT';

/** `20261205T190000Z`: an RFC 5545 UTC date-time. */
const utc = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

let stack: SlackStack;
let engine: EngineHarness;
let emulator: SlackEmulatorControl;
let target: BotTarget;
let deps: ReleaseDependencies;
let nsB: string;
let nsC: string;

beforeAll(async () => {
  // A daily deny window from three hours ago for six hours: it covers the simulated clock (45 minutes in
  // the past, moving towards now) for the whole suite.
  const windowStart = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000;
  stack = await startSlackStack({
    clusters: ['bed', 'frozen'],
    extraNamespaces: 2,
    env: {
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: ['*'], approvers: ['S0APPROVERS', bob.id], fourEyes: true },
        freezeBypass: [alice.id],
        freezeWindows: [
          {
            name: 'quarter-close',
            scope: { cluster: 'frozen' },
            kind: 'deny',
            rrule: `DTSTART:${utc(windowStart)}\nRRULE:FREQ=DAILY`,
            duration: 'PT6H',
            reason: 'Quarter close: no promotions on the frozen cluster.',
          },
        ],
      }),
    },
  });
  ({ engine, emulator, deps } = stack);
  [nsB, nsC] = engine.extraNamespaces as [string, string];
  target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expect(stack.jobErrors).toEqual([]);
});

const drain = () => stack.queue.drain();

/** The messages of the channel a person sees (public ones, and those only they see). */
async function seenBy(user: string) {
  const all = await emulator.messages({ channel: releases });
  return all.filter((m) => !m.ephemeral || m.visibleTo === user);
}

/** Runs a command and returns what the person was answered (privately, or announced in the channel). */
async function slash(user: { id: string; username: string }, text: string): Promise<string> {
  const before = new Set((await seenBy(user.id)).map((m) => `${m.ts}:${m.threadTs ?? ''}`));
  await sendSlashCommand(target, {
    text,
    userId: user.id,
    userName: user.username,
    channelId: releases,
    teamId: team,
    emulator,
  });
  await drain();
  const answers = (await seenBy(user.id)).filter(
    (m) => !m.threadTs && !before.has(`${m.ts}:`) && (m.ephemeral || /Line (stopped|restarted)/.test(m.text)),
  );
  return answers.map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`).join('\n');
}

/** The active release of reviews in a namespace. */
async function activeIn(namespace: string): Promise<Release | undefined> {
  const all = await deps.store.listActive();
  return all.map((s) => s.state).find((r) => r.target.namespace === namespace);
}

async function mustBeActive(namespace: string): Promise<Release> {
  const release = await activeIn(namespace);
  if (!release) throw new Error(`no active release in ${namespace}`);
  return release;
}

/** The card of a release as Slack shows it now. */
async function cardText(release: Release): Promise<string> {
  const ts = (await engine.release(release.id)).meta.ts;
  const card = (await emulator.messages({ channel: releases })).find((m) => m.ts === ts && !m.threadTs);
  return JSON.stringify(card?.blocks ?? []);
}

async function threadText(release: Release): Promise<string> {
  const ts = (await engine.release(release.id)).meta.ts;
  return (await emulator.messages({ channel: releases, threadTs: ts })).map((m) => m.text).join('\n');
}

describe('a deny window', () => {
  it('refuses a promotion during the window, and lets a rollback through', async () => {
    // Prepare: a start on the frozen cluster is refused; alice, in the bypass role, starts one anyway.
    const refusedStart = await slash(bob, `start reviews v2 --ns ${engine.namespace} --cluster frozen`);
    expect(refusedStart).toMatch(
      /cannot start now: frozen until .* by the freeze window "quarter-close": Quarter close/,
    );
    expect(await activeIn(engine.namespace)).toBeUndefined();
    await slash(
      alice,
      `start reviews v2 --ns ${engine.namespace} --cluster frozen --bypass-freeze "hotfix INC-42"`,
    );
    const release = await mustBeActive(engine.namespace);
    const routeBefore = (await engine.reviews()).spec;

    // Act: bob approves the first step during the window; a tick passes; bob rolls back.
    const approved = await slash(bob, `approve reviews --ns ${engine.namespace} --cluster frozen`);
    await engine.advance(1);
    const held = await engine.release(release.id);
    const card = await cardText(release);
    const rolledBack = await slash(
      bob,
      `rollback reviews --ns ${engine.namespace} --cluster frozen --reason not today`,
    );

    // Assess: the approval was recorded, not applied; the route never changed; the rollback went through.
    expect(approved).toMatch(/is frozen until .* "quarter-close".*recorded and applied when the freeze ends/);
    expect(held.phase).toBe('awaiting-approval');
    expect(held.heldApproval?.actor).toBe(bob.id);
    expect(held.freeze).toMatchObject({ window: 'quarter-close', kind: 'deny' });
    expect(card).toMatch(/frozen until .* by the freeze window \\"quarter-close\\"/);
    expect(card).toContain(
      'is recorded; it is applied when the freeze ends, unless its request expires first',
    );
    expect((await engine.reviews()).spec).toEqual(routeBefore);
    expect(rolledBack).toMatch(/rolled back by U0BOB00001: not today/);
    expect((await engine.release(release.id)).phase).toBe('rolled-back');
    const trail = (await deps.store.listAudit(release.id)).map((e) => e.action);
    expect(trail).toEqual(expect.arrayContaining(['approval-held', 'rollback']));
    expect(trail).not.toContain('approve');
  });

  it('lets the bypass role start with a reason, announced in the thread and audited; others are refused', async () => {
    // Act
    const started = await slash(
      alice,
      `start reviews v2 --ns ${engine.namespace} --cluster frozen --bypass-freeze "hotfix INC-43"`,
    );
    const release = await mustBeActive(engine.namespace);
    const notInRole = await slash(
      bob,
      `approve reviews --ns ${engine.namespace} --cluster frozen --bypass-freeze "me too please"`,
    );

    // Assess
    expect(started).toMatch(/Started canary of reviews/);
    expect(await threadText(release)).toMatch(
      /Freeze bypassed to start reviews\..* by U0ALICE001: hotfix INC-43 \(frozen until .*"quarter-close"/,
    );
    const trail = await deps.store.listAudit(release.id);
    expect(trail.find((e) => e.action === 'freeze-bypass')).toMatchObject({
      actor: alice.id,
      cluster: 'frozen',
      detail: { action: 'start', reason: 'hotfix INC-43', freeze: 'quarter-close' },
    });
    expect(notInRole).toMatch(/lets only U0ALICE001 bypass a freeze; U0BOB00001 is not one of them/);
    expect(trail.map((e) => e.action)).not.toContain('approve');
    expect((await deps.store.listAudit(release.id)).map((e) => e.action)).toContain('refused-freeze-bypass');
    expect((await engine.release(release.id)).phase).toBe('awaiting-approval');
    await slash(alice, `cancel reviews --ns ${engine.namespace} --cluster frozen`);
    expect((await engine.release(release.id)).phase).toBe('cancelled');
  });
});

describe('stopping the line', () => {
  it('holds releases in two namespaces until unfreeze, then lets them go on', async () => {
    // Prepare: a release in each namespace, on the free cluster.
    await slash(bob, `start reviews v2 --ns ${nsB}`);
    await slash(bob, `start reviews v2 --ns ${nsC}`);
    const inB = await mustBeActive(nsB);
    const inC = await mustBeActive(nsC);

    // Act: alice stops the line of the cluster; a tick; she approves in B; the list; unfreeze; a tick.
    const stopped = await slash(alice, 'freeze now --cluster bed --reason "incident 4711"');
    const announced = (await emulator.messages({ channel: releases })).filter((m) =>
      /Line stopped/.test(m.text),
    );
    await engine.advance(1);
    const cardsHeld = [await cardText(inB), await cardText(inC)];
    const approved = await slash(alice, `approve reviews --ns ${nsB}`);
    const list = await slash(bob, 'freeze');
    const heldB = await engine.release(inB.id);
    const refusedUnfreeze = await slash(bob, 'unfreeze --ns nowhere');
    const unfrozen = await slash(alice, 'unfreeze --cluster bed');
    await engine.advance(1);

    // Assess: both held and said so; the approval was kept and applied after the unfreeze.
    expect(stopped).toMatch(/Line stopped for cluster bed by U0ALICE001: incident 4711/);
    expect(announced.length).toBeGreaterThan(0);
    for (const card of cardsHeld) expect(card).toContain('line stopped by <@U0ALICE001>: incident 4711');
    expect(approved).toMatch(
      /line stopped by U0ALICE001: incident 4711.*recorded and applied when the freeze ends/,
    );
    expect(heldB.phase).toBe('awaiting-approval');
    expect(heldB.heldApproval?.actor).toBe(alice.id);
    expect(list).toContain('stop the line');
    expect(list).toContain(inB.id);
    expect(list).toContain(inC.id);
    expect(refusedUnfreeze).toMatch(
      /The line is not stopped for namespace nowhere; stops in force: `\/canary unfreeze --cluster bed`/,
    );
    expect(unfrozen).toMatch(/Line restarted for cluster bed by U0ALICE001/);
    const afterB = await engine.release(inB.id);
    const afterC = await engine.release(inC.id);
    expect(afterB.phase).toBe('analysing');
    expect(afterB.approvals.map((a) => a.actor)).toEqual([alice.id]);
    expect(afterB.freeze).toBeUndefined();
    expect(afterC.freeze).toBeUndefined();
    expect(afterC.phase).toBe('awaiting-approval');
    expect(await cardText(inC)).not.toContain('line stopped');
    expect(await threadText(inB)).toMatch(/The freeze is over: applying the approval/);
    const stopTrail = (await deps.store.listAudit('freeze:cluster:bed')).map((e) => e.action);
    expect(stopTrail).toEqual(['stop-the-line', 'unfreeze']);
    await slash(bob, `cancel reviews --ns ${nsB}`);
    await slash(bob, `cancel reviews --ns ${nsC}`);
  });
});
