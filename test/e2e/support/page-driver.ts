/**
 * Drives the local stack as a person does: lines typed into the local Slack page and buttons clicked there
 * (the page's own request path), time moved on in simulated minutes (traffic written, then a tick).
 */
import type { LocalStack } from '../../../local/stack.js';
import type { Release } from '../../../src/domain/release/index.js';

/** The channel the scenarios run in. */
export const CHANNEL = 'C0RELEASES';

/** What a scenario does to the stack; `clock.now` is the simulated time in ms, moved by `advance`. */
export interface PageDriver {
  type(user: string, text: string): Promise<void>;
  release(namespace: string, service: string): Promise<Release>;
  click(user: string, namespace: string, service: string, actionId: string): Promise<void>;
  advance(minutes: number): Promise<void>;
  until(namespace: string, service: string, phase: Release['phase'], minutes?: number): Promise<Release>;
}

/**
 * @example const drive = pageDriver(() => stack, clock); await drive.type(bob, '/canary start reviews v2');
 */
export function pageDriver(stackOf: () => LocalStack, clock: { now: number }): PageDriver {
  const page = async (path: string, body: unknown): Promise<void> => {
    const stack = stackOf();
    const response = await fetch(`${stack.pageUrl.replace(/\/$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`page ${path} answered ${response.status}: ${await response.text()}`);
    await stack.bot.settled();
  };
  const release = async (namespace: string, service: string): Promise<Release> => {
    const [latest] = await stackOf().bot.worker.deps.store.history(namespace, service, 1);
    if (!latest) throw new Error(`no release of ${service}.${namespace}`);
    return latest.state;
  };
  const advance = async (minutes: number): Promise<void> => {
    for (let i = 0; i < minutes; i++) {
      clock.now += 60_000;
      await stackOf().simulate(new Date(clock.now));
      await stackOf().tick(new Date(clock.now));
    }
  };
  return {
    type: (user, text) => page('/api/send', { channel: CHANNEL, user, text }),
    release,
    click: async (user, namespace, service, actionId) => {
      const { meta } = await release(namespace, service);
      if (!meta.ts) throw new Error('the release has no card');
      await page('/api/click', { channel: CHANNEL, user, ts: meta.ts, actionId });
    },
    advance,
    until: async (namespace, service, phase, minutes = 12) => {
      for (let i = 0; i < minutes; i++) {
        if ((await release(namespace, service)).phase === phase) break;
        await advance(1);
      }
      const current = await release(namespace, service);
      if (current.phase !== phase)
        throw new Error(
          `${service} is ${current.phase}, not ${phase}: ${current.lastVerdict?.reasons.map((r) => r.message).join('; ')}`,
        );
      return current;
    },
  };
}
