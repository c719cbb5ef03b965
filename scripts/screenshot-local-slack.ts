/**
 * Takes the README's picture of the local Slack page: a release card in the middle of a canary (the first
 * step approved, the second awaiting approval, with RED figures and a verdict), driven through the page as
 * a person would. Needs a running test bed (`npm run bed -- up`); its own Slack emulator keeps the channel
 * clean. Emoji need a colour emoji font (Debian: fonts-noto-color-emoji).
 *
 *   tsx scripts/screenshot-local-slack.ts [docs/images/local-slack-card.png]
 */
import { existsSync } from 'node:fs';
import { startSlackEmulator } from '../local/slack/slack-emulator.js';
import { launchChromium } from '../test/integration/support/chromium.js';
import { startSlackStack } from '../test/integration/support/slack-stack.js';

const out = process.argv[2] ?? 'docs/images/local-slack-card.png';
const alice = 'U0ALICE001';
const bob = 'U0BOB00001';

if (!existsSync('/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf'))
  console.warn('no colour emoji font: emoji will show as boxes (apt-get install fonts-noto-color-emoji)');

const slack = await startSlackEmulator({ signingSecret: 'screenshot-signing-secret-0123456789' });
const stack = await startSlackStack({
  slack: { url: slack.url, botToken: slack.botToken, signingSecret: slack.signingSecret },
});
const browser = await launchChromium({ width: 1200, height: 1000 });
try {
  const page = await browser.context.newPage();
  await page.goto(stack.pageUrl);
  const card = page.locator('#messages > .message').filter({ has: page.locator('.block.header') });
  const approve = card.getByRole('button', { name: /^Approve/ });

  await page.selectOption('#user', bob);
  await page.fill('#box', `/canary start reviews v2 --ns ${stack.engine.namespace} --steps 20,50,100`);
  await page.press('#box', 'Enter');
  await approve.waitFor({ timeout: 30_000 });
  await page.selectOption('#user', alice);
  await approve.click();
  await stack.queue.drain();

  // Simulated minutes of traffic and ticks until the analysis of step 1 asks for step 2.
  const awaitingStep2 = async () => {
    const [latest] = await stack.deps.store.history(stack.engine.namespace, 'reviews', 1);
    return latest?.state.phase === 'awaiting-approval' && latest.state.approvalRequest?.step === 1;
  };
  for (let minute = 0; minute < 15 && !(await awaitingStep2()); minute++) await stack.engine.advance(1);
  if (!(await awaitingStep2())) throw new Error('the release never asked to approve step 2');
  await card
    .filter({ hasText: 'Latest verdict' })
    .filter({ has: page.getByRole('button', { name: /^Approve: canary weight 50/ }) })
    .waitFor({ timeout: 10_000 });
  // The window fits the card, shown from its top, as a channel would show it.
  const height = (await card.boundingBox())?.height ?? 800;
  await page.setViewportSize({ width: 1100, height: Math.min(1600, Math.ceil(height) + 170) });
  await card.evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await stack.close();
  await slack.close();
}
