/**
 * The local Slack page open in Chromium in front of the Slack stack: what the browser suites share (the
 * people, the page, waiting for what the page or the mesh shows, typing in the message box).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { type SlackStack, startSlackStack } from './slack-stack.js';

/** The people of the page's user menu: alice (in the S0APPROVERS user group) and bob. */
const PEOPLE = ['U0ALICE001', 'U0BOB00001'];

export interface SlackPageSession {
  stack: SlackStack;
  page: Page;
  /** The browser's context (for another page). */
  context: BrowserContext;
  /** Types `text` into the page's message box and sends it with Enter. */
  type: (text: string, on?: Page) => Promise<void>;
  /** Weights of the stack's live reviews VirtualService's last route. */
  weights: () => Promise<(number | undefined)[] | undefined>;
  /** Closes the browser (its profile deleted), then the stack. */
  close: () => Promise<void>;
}

/**
 * Starts the stack (`options` as `startSlackStack` takes them) and Chromium, closes any form left open for
 * alice or bob in the bed's shared emulator (by an earlier run or another suite), and opens the page.
 *
 * @example const { stack, page, close } = await openSlackPage({ env: { CANARY_BOT_POLICY: policy } });
 */
export async function openSlackPage(
  options: Parameters<typeof startSlackStack>[0] = {},
): Promise<SlackPageSession> {
  const browser = await launchChromium();
  let stack: SlackStack | undefined;
  const close = async () => {
    await browser.close();
    await stack?.close();
  };
  try {
    stack = await startSlackStack(options);
    for (const user of PEOPLE) await stack.emulator.closeView({ user, all: true });
    const page = await browser.context.newPage();
    await page.goto(stack.pageUrl);
    const live = stack;
    return {
      stack,
      page,
      context: browser.context,
      type: async (text, on = page) => {
        await on.fill('#box', text);
        await on.press('#box', 'Enter');
      },
      weights: async () => (await live.engine.reviews()).spec.http.at(-1)?.route?.map((r) => r.weight),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Resolves once `probe` holds; fails with `what` after `timeoutMs`.
 *
 * @example await eventually('the mesh at 80/20', async () => JSON.stringify(await weights()) === '[80,20]');
 */
export async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
