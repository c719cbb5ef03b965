/**
 * Takes the pictures of canary-bot's Slack-native surfaces on the local Slack page, from a real run of the
 * bot driven as people would: bob's start form filled in (`/canary` alone, service and version picked from
 * the cluster's suggestions), alice's Home tab with his canary waiting for her approval, and the "Roll back
 * a release" modal alice opens from an alert in #platform. Each picture is cropped to its surface, 900 px
 * wide at most. Needs a running test bed (`npm run bed -- up`); its own Slack emulator keeps the channels
 * clean. Emoji need a colour emoji font (Debian: fonts-noto-color-emoji).
 *
 *   tsx scripts/screenshot-surfaces.ts [docs/images]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { startSlackEmulator } from '../local/slack/slack-emulator.js';
import { launchChromium } from '../test/integration/support/chromium.js';
import { startSlackStack } from '../test/integration/support/slack-stack.js';

const outDir = process.argv[2] ?? 'docs/images';
const alice = 'U0ALICE001';
const bob = 'U0BOB00001';
const platform = 'C0PLATFORM';
/** The widest a picture is. */
const WIDTH = 900;

if (!existsSync('/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf'))
  console.warn('no colour emoji font: emoji will show as boxes (apt-get install fonts-noto-color-emoji)');

/** Resolves once `probe` holds; fails with `what` after `timeoutMs`. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Picks `wanted` from an external select of the modal as a person does: types it and clicks the bot's
 * suggestion, typing again while the first answer is only "(as typed)" (the catalog being read).
 */
async function pick(modal: Locator, blockId: string, wanted: string, settle: () => Promise<void>) {
  const input = modal.locator(`[data-block-id="${blockId}"] [data-external-input]`);
  const option = modal.locator(`[data-block-id="${blockId}"] [data-option-value="${wanted}"]`, {
    hasText: new RegExp(`^${wanted}$`),
  });
  await eventually(`${wanted} suggested for ${blockId}`, async () => {
    await input.fill('');
    await input.fill(wanted);
    await settle();
    return await option
      .waitFor({ timeout: 1500 })
      .then(() => true)
      .catch(() => false);
  });
  await option.click();
}

/** The open modal with some of the page around it, at most {@link WIDTH} wide. */
async function shootModal(page: Page, modal: Locator, file: string): Promise<void> {
  const box = await modal.boundingBox();
  const viewport = page.viewportSize();
  if (!box || !viewport) throw new Error('the modal is not on screen');
  const width = Math.min(WIDTH, viewport.width);
  const x = Math.max(0, Math.round(box.x + box.width / 2 - width / 2));
  const y = Math.max(0, Math.round(box.y - 24));
  const height = Math.min(viewport.height - y, Math.round(box.height + 48));
  await page.screenshot({ path: join(outDir, file), clip: { x, y, width, height } });
  console.log(`wrote ${join(outDir, file)}`);
}

const slack = await startSlackEmulator({
  signingSecret: 'screenshot-signing-secret-0123456789',
  shortcuts: [{ callbackId: 'canary.rollback_shortcut', name: 'Roll back a release' }],
});
const stack = await startSlackStack({
  slack: { url: slack.url, botToken: slack.botToken, signingSecret: slack.signingSecret },
  env: {
    // Approvals may come from the home tab, as in the workspaces that show it.
    CANARY_BOT_POLICY: JSON.stringify({
      default: { starters: ['*'], approvers: ['S0APPROVERS'], fourEyes: true, approveFromAnyChannel: true },
    }),
  },
});
// The channel 880 px wide beside the 220 px sidebar; tall enough for the whole start form.
const browser = await launchChromium({ width: 1100, height: 1500 });
try {
  const page = await browser.context.newPage();
  await page.goto(`${stack.pageUrl}?as=${bob}`);

  // 1. Bob's start form, filled in.
  await page.fill('#box', '/canary');
  await page.press('#box', 'Enter');
  const form = page.locator('#modal [data-callback-id="canary.start"]');
  await form.waitFor({ timeout: 15_000 });
  await pick(form, 'service', 'reviews', stack.queue.drain);
  await pick(form, 'version', 'v2', stack.queue.drain);
  await form.locator('[data-block-id="steps"] [data-action-id="start.steps"]').fill('20,50,100');
  await page.locator('#modal [data-modal-title]').click(); // nothing focused, as after typing
  await shootModal(page, form, 'start-form.png');
  await form.locator('[data-modal-submit]').click();
  await page.locator('#modal [data-callback-id="canary.start.starting"]').waitFor({ timeout: 15_000 });
  await page.locator('#modal [data-modal-close]').click();
  const card = page
    .locator('#messages > .message')
    .filter({ has: page.locator('.block.header', { hasText: `reviews.${stack.engine.namespace}` }) });
  await card.getByRole('button', { name: /^Approve/ }).waitFor({ timeout: 30_000 });
  await stack.queue.drain();

  // 2. Alice's Home tab: bob's canary waits for her.
  await page.selectOption('#user', alice);
  await page.click('#home-link');
  const approve = page.locator('#home [data-block-id^="home.release."] [data-action-id="release.approve"]');
  await approve.waitFor({ timeout: 15_000 });
  const channel = page.locator('main.channel');
  await page.setViewportSize({
    width: 1100,
    height: Math.ceil((await page.locator('#home [data-view-id]').boundingBox())?.height ?? 700) + 120,
  });
  await channel.screenshot({ path: join(outDir, 'home-tab.png') });
  console.log(`wrote ${join(outDir, 'home-tab.png')}`);
  await approve.click();
  await eventually('the first step applied', async () => {
    await stack.queue.drain();
    return (
      JSON.stringify((await stack.engine.reviews()).spec.http.at(-1)?.route?.map((r) => r.weight)) ===
      '[80,20]'
    );
  });

  // 3. An alert in #platform; alice rolls back from it.
  await page.setViewportSize({ width: 1100, height: 760 });
  await page.goto(`${stack.pageUrl}?channel=${platform}&as=${alice}`);
  await page.fill('#box', 'reviews p99 is 3 s since the last deploy');
  await page.press('#box', 'Enter');
  const alert = page.locator('#messages > .message', { hasText: 'reviews p99 is 3 s' });
  await alert.waitFor({ timeout: 10_000 });
  await alert.hover();
  await alert.locator('[data-more-actions]').click();
  await alert.locator('[data-shortcut="canary.rollback_shortcut"]').click();
  const rollback = page.locator('#modal [data-callback-id="canary.rollback"]');
  await rollback.locator('[data-block-id="rollback.release"]').waitFor({ timeout: 15_000 });
  await rollback
    .locator('[data-block-id="rollback.reason"] [data-action-id="reason"]')
    .fill('p99 alert in #platform: 3 s since v2 took 20%');
  await page.locator('#modal [data-modal-title]').click();
  await shootModal(page, rollback, 'rollback-shortcut.png');
} finally {
  await browser.close();
  await stack.close();
  await slack.close();
}
