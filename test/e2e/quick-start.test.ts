/**
 * The README's quick start, followed literally: `npm start`'s stack (its settings, the seed traffic, the local
 * Slack page), bob types the command the README gives, alice clicks Approve on the card each time it asks,
 * and the release must end "Promotion completed" within 10 minutes. Then the README's second run: v2 made bad
 * from the page's Traffic panel, and the bot rolls it back by itself. Time is simulated (each minute of
 * traffic written, then a tick), with the local demo settings exactly as `npm start` uses them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploySample } from '../../local/bed/manifests.js';
import { type BedProcess, stopProcess } from '../../local/bed/processes.js';
import { startPrometheus } from '../../local/bed/prometheus.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { silentLogger } from '../../src/app/logger.js';
import type { Release } from '../../src/domain/release/index.js';

const alice = 'U0ALICE001';
const bob = 'U0BOB00001';
let stack: LocalStack;
let work: string;
let prometheus: BedProcess | undefined;
let clock = Math.floor(Date.now() / 60_000) * 60_000 - 45 * 60_000;

async function page(path: string, body: unknown): Promise<Response> {
  const response = await fetch(`${stack.pageUrl.replace(/\/$/, '')}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`page ${path} answered ${response.status}: ${await response.text()}`);
  await stack.bot.settled();
  return response;
}

const type = (user: string, text: string) => page('/api/send', { channel: 'C0RELEASES', user, text });

async function latest(): Promise<Release> {
  const [found] = await stack.bot.worker.deps.store.history('bookinfo', 'reviews', 1);
  if (!found) throw new Error('no release of reviews.bookinfo');
  return found.state;
}

/** Alice clicks the card's Approve button, as the README says. */
async function approve(): Promise<void> {
  const { meta } = await latest();
  await page('/api/click', { channel: 'C0RELEASES', user: alice, ts: meta.ts, actionId: 'release.approve' });
}

async function minute(): Promise<void> {
  clock += 60_000;
  await stack.simulate(new Date(clock));
  await stack.tick(new Date(clock));
}

/** The thread's events of the latest release. */
async function events(): Promise<string[]> {
  const { meta } = await latest();
  return (await stack.emulator.messages({ channel: 'C0RELEASES', threadTs: meta.ts })).map((m) => m.text);
}

beforeAll(async () => {
  // npm start, as the README runs it (its own namespaces: bookinfo, weather, apps), in simulated time. The
  // simulated history goes to a Prometheus of its own: the bed's already holds later samples of bookinfo.
  work = await mkdtemp(join(tmpdir(), 'canary-bot-quick-start-'));
  const { url } = await startPrometheus(work, (p) => {
    prometheus = p;
  });
  stack = await startLocalStack({
    mode: 'manual',
    clock: () => new Date(clock),
    log: silentLogger,
    prometheusUrl: url,
  });
  await stack.simulate(new Date(clock));
}, 300_000);

afterAll(async () => {
  await stack?.close();
  if (prometheus) await stopProcess(prometheus.pid);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the README quick start', () => {
  it('reaches "Promotion completed" within 10 minutes, approving each step on the card', async () => {
    // Act: bob types the README's command, alice approves whenever the card asks.
    await type(bob, '/canary start reviews v2 --ns bookinfo --steps 10,50,100');
    const started = clock;
    for (let minutes = 0; minutes < 10 && (await latest()).phase !== 'promoted'; ) {
      const release = await latest();
      if (release.phase === 'awaiting-approval') await approve();
      else {
        await minute();
        minutes++;
      }
    }
    // Assess
    const release = await latest();
    expect(release.phase).toBe('promoted');
    expect((clock - started) / 60_000).toBeLessThanOrEqual(10);
    expect((await events()).some((e) => e.includes('Promotion completed!'))).toBe(true);
    // Every step was judged: none was approved without a verdict.
    expect(release.approvals.filter((a) => a.seen?.verdict !== 'pass' && a.step > 0)).toEqual([]);
  }, 600_000);

  it('rolls back by itself when v2 is made bad from the Traffic panel of the page', async () => {
    // Prepare: the README's second run, v2 failing 20% of its requests, set from the page.
    const versions = (await (await fetch(`${stack.pageUrl}api/traffic`)).json()) as {
      versions: { namespace: string; service: string; version: string }[];
    };
    expect(versions.versions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ namespace: 'bookinfo', service: 'reviews', version: 'v2' }),
      ]),
    );
    // A second `npm start` puts the seed apps back as they ship (reviews all on v1).
    await deploySample(stack.admin, 'bookinfo', 'bookinfo');
    await page('/api/traffic', {
      namespace: 'bookinfo',
      service: 'reviews',
      version: 'v2',
      errorRate: 0.2,
      medianMs: 20,
      p99Ms: 100,
    });
    // Act
    await type(bob, '/canary start reviews v2 --ns bookinfo --steps 10,50,100');
    await approve();
    for (let minutes = 0; minutes < 10 && (await latest()).phase !== 'rolled-back'; minutes++) await minute();
    // Assess
    const release = await latest();
    expect(release.phase).toBe('rolled-back');
    expect(release.lastVerdict?.verdict).toBe('fail');
    expect((await events()).some((e) => e.includes('Rolling back reviews.bookinfo failed checks'))).toBe(
      true,
    );
  }, 600_000);
});
