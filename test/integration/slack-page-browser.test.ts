/**
 * The local Slack page in a real browser: a person types `/canary start` and clicks Approve on the page, the
 * page signs them as Slack would and sends them through the front door to the bot, and the card and the
 * live VirtualService change.
 */
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startSlackPage } from '../../local/slack/page/slack-page.js';
import { eventually, openSlackPage, type SlackPageSession } from './support/slack-page-session.js';
import type { SlackStack } from './support/slack-stack.js';

const alice = 'U0ALICE001'; // in the S0APPROVERS user group
const bob = 'U0BOB00001';

let session: SlackPageSession;
let stack: SlackStack;
let page: Page;
/** The reviews VirtualService's spec before any release. */
let original: string;

beforeAll(async () => {
  session = await openSlackPage();
  ({ stack, page } = session);
});

afterAll(async () => {
  await session?.close();
});

const type = (text: string) => session.type(text);

/** Weights of the live reviews VirtualService's last route. */
const weights = () => session.weights();

/** The release card of this test's namespace, in the channel view. */
const card = () =>
  page
    .locator('#messages > .message')
    .filter({ has: page.locator('.block.header', { hasText: `reviews.${stack.engine.namespace}` }) });

describe('the local Slack page in a browser', () => {
  it('starts a canary from the message box and promotes its first step with a click', async () => {
    original = JSON.stringify((await stack.engine.reviews()).spec);
    await page.selectOption('#user', bob);
    await type(`/canary start reviews v2 --ns ${stack.engine.namespace} --steps 50,100`);

    // The ack, then the card with its buttons.
    await page
      .locator('.message.ephemeral', { hasText: 'Working on' })
      .filter({ hasText: stack.engine.namespace })
      .waitFor({ timeout: 15_000 });
    await card()
      .getByRole('button', { name: /^Approve/ })
      .waitFor({ timeout: 30_000 });
    expect(await card().textContent()).toMatch(/Waiting for approval/i);

    // Bob started it and may not approve it: the refusal is his alone, and nothing moves.
    const before = await weights();
    await card()
      .getByRole('button', { name: /^Approve/ })
      .click();
    const refusal = page.locator('.message.ephemeral', { hasText: 'Only visible to you' }).filter({
      hasText: 'cannot approve it',
    });
    await eventually('the refusal shown to bob', async () => (await refusal.count()) > 0);
    await stack.queue.drain();
    expect(await weights()).toEqual(before);

    await page.selectOption('#user', alice);
    await eventually('bob’s private messages hidden from alice', async () => (await refusal.count()) === 0);
    await card()
      .getByRole('button', { name: /^Approve/ })
      .click();

    await eventually('the mesh at 50/50', async () => {
      await stack.queue.drain();
      return JSON.stringify(await weights()) === '[50,50]';
    });
    await eventually('the card showing 50%', async () =>
      /v2\s+█+░+\s+50%/.test((await card().textContent()) ?? ''),
    );
    expect(await card().textContent()).toMatch(/@alice approved/);
    expect(await card().locator('.edited').count()).toBe(1);

    // The thread holds the bot's Flagger-style events.
    await card().locator('.replies').click();
    await eventually('the thread panel with the weight event', async () =>
      /Advance reviews\.\S+ canary weight 50/.test((await page.locator('#thread').textContent()) ?? ''),
    );
    const shot = join(tmpdir(), `slack-page-${stack.engine.namespace}.png`);
    await page.screenshot({ path: shot });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    expect(stack.jobErrors).toEqual([]);
  });

  it('asks before a button with a confirm dialog: nothing is sent when denied, the rollback when confirmed', async () => {
    const rollback = card().getByRole('button', { name: 'Roll back' });
    const dialog = page.locator('dialog#confirm');
    const clicksSent: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/click')) clicksSent.push(request.postData() ?? '');
    });

    await rollback.click();
    expect(await dialog.locator('h2').textContent()).toBe(`Roll back reviews.${stack.engine.namespace}?`);
    await dialog.getByRole('button', { name: 'Keep going' }).click();
    await stack.queue.drain();
    expect(await dialog.isVisible()).toBe(false);
    expect(clicksSent).toEqual([]);
    expect(await weights()).toEqual([50, 50]);

    await rollback.click();
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await eventually('the original route restored', async () => {
      await stack.queue.drain();
      return JSON.stringify((await stack.engine.reviews()).spec) === original;
    });
    expect(clicksSent).toHaveLength(1);
    await eventually('the card rolled back', async () =>
      /rolled back/i.test((await card().textContent()) ?? ''),
    );
    expect(await card().locator('.block.actions').count()).toBe(0);
  });

  it('shows what people type as text, never as markup', async () => {
    const marker = `x${Date.now().toString(36)}`;
    await page.evaluate(() => {
      (globalThis as unknown as { pwned: boolean }).pwned = false;
    });

    await type(
      `${marker} <img src=x onerror="globalThis.pwned=true"> <script>globalThis.pwned=true</script> *bold*`,
    );

    const message = page.locator('#messages > .message', { hasText: marker });
    await message.waitFor({ timeout: 10_000 });
    expect(await message.locator('.mrkdwn').textContent()).toContain(
      '<img src=x onerror="globalThis.pwned=true">',
    );
    expect(await message.locator('img, script').count()).toBe(0);
    expect(await message.locator('b').textContent()).toBe('bold');
    expect(await page.evaluate(() => (globalThis as unknown as { pwned: boolean }).pwned)).toBe(false);
  });

  it('answers an unknown command as Slack does, without calling the bot', async () => {
    await type('/deploy everything');

    await page
      .locator('.message.ephemeral', { hasText: 'is not a valid command' })
      .waitFor({ timeout: 10_000 });
  });

  it('tells the person when the bot cannot be reached, as Slack does', async () => {
    const bed = stack.engine.bed;
    // Port 9 (discard) refuses at once: a bot that is down.
    const lonely = await startSlackPage({
      emulatorUrl: bed.slack.url,
      botUrl: 'http://127.0.0.1:9/slack/events',
      signingSecret: bed.slack.signingSecret,
    });
    const other = await session.context.newPage();
    try {
      await other.goto(lonely.url);
      await session.type('/canary help', other);

      await other
        .locator('.message.ephemeral', { hasText: '/canary failed with the error "dispatch_failed"' })
        .waitFor({ timeout: 10_000 });
    } finally {
      await other.close();
      await lonely.close();
    }
  });
});
