/**
 * Slack-native surfaces in a real browser, through the real bot: a person opens the start form by typing
 * `/canary` alone, picks the service and the version from menus the bot fills from the cluster, and starts a
 * canary; an approver approves its first step from the App Home tab, and the live VirtualService moves;
 * then she rolls it back with the "Roll back a release" shortcut on an alert in another channel.
 * The page signs every request as Slack would and sends it through the front door; the test reads the DOM
 * by the page's `data-*` attributes and the bot's state from its store and the API server.
 */
import type { Locator, Page } from 'playwright-core';
import type { Release } from '../../src/domain/release/index.js';
import { eventually, openSlackPage, type SlackPageSession } from './support/slack-page-session.js';
import type { SlackStack } from './support/slack-stack.js';

const alice = 'U0ALICE001'; // in the S0APPROVERS user group
const bob = 'U0BOB00001';
const releases = 'C0RELEASES';
const platform = 'C0PLATFORM';

let session: SlackPageSession;
let stack: SlackStack;
let page: Page;
/** The reviews VirtualService's spec before any release. */
let original: string;

beforeAll(async () => {
  session = await openSlackPage({
    env: {
      // Approvals may come from the home tab (not the card's channel) in this workspace's policy.
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: ['*'], approvers: ['S0APPROVERS'], fourEyes: true, approveFromAnyChannel: true },
      }),
    },
  });
  ({ stack, page } = session);
});

afterAll(async () => {
  await session?.close();
});

afterEach(() => {
  expect(stack.jobErrors).toEqual([]);
});

/** Weights of the live reviews VirtualService's last route. */
const weights = () => session.weights();

/** The active releases of reviews in this test's namespace. */
async function activeReleases(): Promise<Release[]> {
  return (await stack.deps.store.listActive())
    .map((r) => r.state)
    .filter((r) => r.target.namespace === stack.engine.namespace);
}

/**
 * Picks `wanted` from an external select of the open modal as a person does: types `typed`, and waits for
 * the bot's suggestions to offer it. The first ask may come back with only "(as typed)" while the worker
 * reads the catalog: the person types again, as in Slack. Returns the values the menu offered.
 */
async function pick(modal: Locator, blockId: string, typed: string, wanted: string): Promise<string[]> {
  const field = modal.locator(`[data-block-id="${blockId}"]`);
  const input = field.locator('[data-external-input]');
  const option = field.locator(`[data-option-value="${wanted}"]`, { hasText: new RegExp(`^${wanted}$`) });
  await eventually(`${wanted} suggested for ${blockId}`, async () => {
    await input.fill('');
    await input.fill(typed);
    await stack.queue.drain();
    return await option
      .waitFor({ timeout: 1500 })
      .then(() => true)
      .catch(() => false);
  });
  const offered = await field
    .locator('[data-option-value]')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-option-value') ?? ''));
  await option.click();
  expect(await input.inputValue()).toBe(wanted);
  expect(await field.locator('[data-option-value]').count()).toBe(0);
  return offered;
}

describe('Slack-native surfaces in a browser', () => {
  it('starts a canary from the start form opened by /canary alone, and approves it from the Home tab', async () => {
    // Prepare: bob in #releases, nothing released yet.
    expect(await activeReleases()).toEqual([]);
    original = JSON.stringify((await stack.engine.reviews()).spec);
    await page.selectOption('#user', bob);

    // Act: /canary alone opens the form.
    await session.type('/canary');
    const modal = page.locator('#modal [data-callback-id="canary.start"]');
    await modal.waitFor({ timeout: 15_000 });
    expect(await modal.locator('[data-modal-title]').textContent()).toBe('New release');
    expect(
      await modal.locator('[data-block-id="namespace"] [data-action-id="start.namespace"]').inputValue(),
    ).toBe(stack.engine.namespace);

    // Services of the namespace; versions of the service picked (newest first), from its DestinationRule.
    expect(await pick(modal, 'service', 'rev', 'reviews')).toEqual(['reviews']);
    expect(await pick(modal, 'version', 'v', 'v2')).toEqual(['v3', 'v2', 'v1']);
    await modal.locator('[data-block-id="steps"] [data-action-id="start.steps"]').fill('20,100');
    await modal.locator('[data-modal-submit]').click();

    // Assess: the modal says the command; the card is in #releases; the release is stored as asked.
    const starting = page.locator('#modal [data-callback-id="canary.start.starting"]');
    await starting.waitFor({ timeout: 15_000 });
    expect(await starting.textContent()).toContain(
      `/canary start reviews v2 --ns ${stack.engine.namespace} --steps 20,100`,
    );
    const card = page
      .locator('#messages > .message')
      .filter({ has: page.locator('.block.header', { hasText: `reviews.${stack.engine.namespace}` }) });
    await card.getByRole('button', { name: /^Approve/ }).waitFor({ timeout: 30_000 });
    expect(await card.textContent()).toMatch(/Waiting for approval/i);
    await page
      .locator('.message.ephemeral', { hasText: 'The same from the command line' })
      .filter({ hasText: `--ns ${stack.engine.namespace}` })
      .waitFor({ timeout: 10_000 });
    await stack.queue.drain();
    const [release, ...others] = await activeReleases();
    expect(others).toEqual([]);
    expect(release).toMatchObject({
      phase: 'awaiting-approval',
      requestedBy: bob,
      target: { service: 'reviews', namespace: stack.engine.namespace },
      canary: { version: 'v2' },
      plan: {
        steps: [
          { kind: 'set-weight', canaryWeight: 20 },
          { kind: 'set-weight', canaryWeight: 100 },
        ],
      },
      meta: { channel: releases },
    });
    if (!release) throw new Error('no release');
    await page.locator('#modal [data-modal-close]').click();
    await page.locator('#modal').waitFor({ state: 'hidden' });
    const before = await weights();

    // Act: alice opens the Home tab and approves there.
    await page.selectOption('#user', alice);
    await page.click('#home-link');
    const row = page.locator(`#home [data-block-id="home.release.${release.id}"]`);
    await row.waitFor({ timeout: 15_000 });
    const home = page.locator('#home [data-view-id]');
    expect(await home.textContent()).toContain('Waiting for your approval (1)');
    await row.locator('[data-action-id="release.approve"]').click();

    // Assess: the mesh at 80/20, the store past the step, and the tab no longer asks alice.
    await eventually('the mesh at 80/20', async () => {
      await stack.queue.drain();
      return JSON.stringify(await weights()) === '[80,20]';
    });
    expect(before).not.toEqual([80, 20]);
    const approved = await stack.engine.release(release.id);
    expect(approved.phase).not.toBe('awaiting-approval');
    await eventually('alice’s tab without the approval', async () =>
      /Waiting for your approval \(0\)/.test((await home.textContent()) ?? ''),
    );
    expect(await row.locator('[data-action-id="release.approve"]').count()).toBe(0);

    // Back in #releases, the card says who approved.
    await page.click(`#channels [data-channel="${releases}"]`);
    await eventually('the card showing alice’s approval', async () =>
      /@alice approved/.test((await card.textContent().catch(() => '')) ?? ''),
    );
  });

  it('rolls the canary back with the "Roll back a release" shortcut on an alert in another channel', async () => {
    // Prepare: alice in #platform posts the alert; the canary runs at 20%.
    const [release] = await activeReleases();
    if (!release) throw new Error('no active release from the first test');
    await page.goto(`${stack.pageUrl}?channel=${platform}&as=${alice}`);
    const text = `reviews.${stack.engine.namespace} p99 is 3 s`;
    await session.type(text);
    const alert = page.locator('#messages > .message', { hasText: text });
    await alert.waitFor({ timeout: 10_000 });

    // Act: More actions, the shortcut, the release, a reason, Roll back.
    await alert.hover();
    await alert.locator('[data-more-actions]').click();
    await alert.locator('[data-shortcut="canary.rollback_shortcut"]').click();
    const modal = page.locator('#modal [data-callback-id="canary.rollback"]');
    const choice = modal.locator('[data-block-id="rollback.release"] [data-action-id="release"]');
    await choice.waitFor({ timeout: 15_000 });
    expect(await modal.textContent()).toContain('From a message in #platform');
    const value = `${release.id}:${(await stack.engine.release(release.id)).version}`;
    await choice.selectOption(value);
    expect(await choice.inputValue()).toBe(value);
    await modal.locator('[data-block-id="rollback.reason"] [data-action-id="reason"]').fill('p99 alert');
    await modal.locator('[data-modal-submit]').click();

    // Assess: the modal says it is rolling back; the route restored, the release rolled back, the reason
    // in the card's thread.
    await page.locator('#modal [data-view-id]', { hasText: 'Rolling back' }).waitFor({ timeout: 15_000 });
    await page.locator('#modal [data-modal-close]').click();
    await page.locator('#modal').waitFor({ state: 'hidden' });
    await eventually('the original route restored', async () => {
      await stack.queue.drain();
      return JSON.stringify((await stack.engine.reviews()).spec) === original;
    });
    const rolledBack = await stack.engine.release(release.id);
    expect(rolledBack.phase).toBe('rolled-back');
    const thread = await stack.emulator.messages({ channel: releases, threadTs: rolledBack.meta.ts });
    expect(thread.map((m) => m.text).join('\n')).toContain('p99 alert');
  });
});
