/**
 * Slack-native surfaces in a real browser, through the real bot: a person opens the start form by typing
 * `/canary` alone, picks the service and the version from menus the bot fills from the cluster, and starts a
 * canary; an approver approves its first step from the App Home tab, and the live VirtualService moves.
 * The page signs every request as Slack would and sends it through the front door; the test reads the DOM
 * by the page's `data-*` attributes and the bot's state from its store and the API server.
 */
import type { Locator, Page } from 'playwright-core';
import type { Release } from '../../src/domain/release/index.js';
import { launchChromium } from './support/chromium.js';
import { type SlackStack, startSlackStack } from './support/slack-stack.js';

const alice = 'U0ALICE001'; // in the S0APPROVERS user group
const bob = 'U0BOB00001';
const releases = 'C0RELEASES';

let stack: SlackStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startSlackStack({
    env: {
      // Approvals may come from the home tab (not the card's channel) in this workspace's policy.
      CANARY_BOT_POLICY: JSON.stringify({
        default: { starters: ['*'], approvers: ['S0APPROVERS'], fourEyes: true, approveFromAnyChannel: true },
      }),
    },
  });
  // The bed's emulator outlives a run: a modal left open by an earlier one is closed, as its person would.
  for (const user of [alice, bob])
    if ((await stack.emulator.views({ user })).stack.length > 0) await stack.emulator.closeView({ user });
  page = await browser.context.newPage();
  await page.goto(stack.pageUrl);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

afterEach(() => {
  expect(stack.jobErrors).toEqual([]);
});

/** Resolves once `probe` holds; fails with `what` after `timeoutMs`. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Weights of the live reviews VirtualService's last route. */
const weights = async () => (await stack.engine.reviews()).spec.http.at(-1)?.route?.map((r) => r.weight);

/** The active releases of reviews in this test's namespace. */
async function activeReleases(): Promise<Release[]> {
  return (await stack.deps.store.listActive())
    .map((r) => r.state)
    .filter((r) => r.target.namespace === stack.engine.namespace);
}

/**
 * Picks `wanted` from an external select of the open modal as a person does: types it, and waits for the
 * bot's suggestion. The first ask may come back with only "(as typed)" while the worker reads the catalog:
 * the person types it again, as in Slack.
 */
async function pick(modal: Locator, blockId: string, wanted: string): Promise<void> {
  const input = modal.locator(`[data-block-id="${blockId}"] [data-external-input]`);
  const option = modal.locator(`[data-block-id="${blockId}"] [data-option-value="${wanted}"]`, {
    hasText: new RegExp(`^${wanted}$`),
  });
  await eventually(`${wanted} suggested for ${blockId}`, async () => {
    await input.fill('');
    await input.fill(wanted);
    await stack.queue.drain();
    try {
      await option.waitFor({ timeout: 1500 });
      return true;
    } catch {
      return false;
    }
  });
  await option.click();
  expect(await input.inputValue()).toBe(wanted);
}

describe('Slack-native surfaces in a browser', () => {
  it('starts a canary from the start form opened by /canary alone, and approves it from the Home tab', async () => {
    // Prepare: bob in #releases, nothing released yet.
    expect(await activeReleases()).toEqual([]);
    await page.selectOption('#user', bob);

    // Act: /canary alone opens the form.
    await page.fill('#box', '/canary');
    await page.press('#box', 'Enter');
    const modal = page.locator('#modal [data-callback-id="canary.start"]');
    await modal.waitFor({ timeout: 15_000 });
    expect(await modal.locator('[data-modal-title]').textContent()).toBe('New release');
    expect(
      await modal.locator('[data-block-id="namespace"] [data-action-id="start.namespace"]').inputValue(),
    ).toBe(stack.engine.namespace);

    await pick(modal, 'service', 'reviews');
    await pick(modal, 'version', 'v2');
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
  });
});
