/** Debian's Chromium driven by playwright-core: no browser download, nothing from the network. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium is not installed where the tests expect it. */
export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
}

/**
 * A headless Chromium with a fresh profile; `close` also deletes the profile.
 *
 * @example const browser = await launchChromium(); const page = await browser.context.newPage(); await browser.close();
 */
export async function launchChromium(
  viewport = { width: 1280, height: 860 },
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM_PATH))
    throw new ChromiumMissingError(
      `Debian's Chromium is missing (${CHROMIUM_PATH}): run local/bed/install-system.sh or apt-get install -y chromium`,
    );
  const profile = await mkdtemp(join(tmpdir(), 'canary-bot-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
