import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import { silentLogger } from '../../src/app/logger.js';
import type { QueuedJob } from '../../src/app/ports/job-queue.js';
import { ChatUnavailableError, type ReleaseNotifier } from '../../src/app/ports/release-notifier.js';
import type { TelemetryMetric } from '../../src/app/ports/telemetry.js';
import {
  CHAT_OUTBOX_KIND,
  type ChatOutbox,
  MAX_CHAT_ATTEMPTS,
  publish,
} from '../../src/app/release-runner.js';
import { type TickJob, tick } from '../../src/app/tick.js';
import type { Release, ReleaseEvent } from '../../src/domain/release/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { started } from './release-fixtures.js';

const event = (message: string): ReleaseEvent => ({ type: 'Normal', reason: 'Synced', message });

/**
 * A chat that records what it was given and, while `down`, answers as Slack does when it rate limits (the
 * Slack notifier turns a 429 into a ChatUnavailableError); `refuses` holds messages Slack refuses for good.
 */
class Chat implements ReleaseNotifier {
  down = false;
  readonly refuses = new Set<string>();
  readonly said: string[] = [];
  readonly threads: (string | undefined)[] = [];

  async showRelease(release: Release): Promise<Record<string, string> | undefined> {
    if (this.down) throw new ChatUnavailableError('Slack is rate limiting', 30);
    this.said.push(`card ${release.phase}`);
    return release.meta.ts ? undefined : { ts: '1000.000001' };
  }

  async postEvent(release: Release, e: ReleaseEvent): Promise<void> {
    if (this.down) throw new ChatUnavailableError('Slack is rate limiting', 30);
    if (this.refuses.has(e.message)) throw new Error('msg_too_long');
    this.said.push(e.message);
    this.threads.push(release.meta.ts);
  }
}

async function setup() {
  const store = new EmbeddedStore();
  const release = started();
  await store.create({
    id: release.id,
    routeKey: 'bed/bookinfo/reviews/(default)',
    namespace: 'bookinfo',
    service: 'reviews',
    active: true,
    state: release,
  });
  const chat = new Chat();
  const counted: TelemetryMetric[] = [];
  const kubeEvents: string[] = [];
  const deps = {
    store,
    notifier: chat,
    routers: async () => ({
      recordEvent: async (_route: unknown, e: ReleaseEvent) => void kubeEvents.push(e.message),
    }),
    clock: () => new Date('2026-12-05T12:00:00Z'),
    log: silentLogger,
    telemetry: { count: (metric: TelemetryMetric) => void counted.push(metric) },
  } as unknown as ReleaseDependencies;
  const owed = async () => (await store.getRecord<ChatOutbox>(CHAT_OUTBOX_KIND, release.id))?.value;
  return { store, release, chat, counted, kubeEvents, deps, owed };
}

describe('chat a release owes (publish)', () => {
  it('keeps what Slack could not take, in order, without waiting, and posts it before anything newer', async () => {
    const { release, chat, counted, kubeEvents, deps, owed } = await setup();
    chat.down = true;

    await publish(deps, release, { events: [event('a'), event('b')], redraw: true });
    await publish(deps, release, { events: [event('c')], redraw: false });

    expect(chat.said).toEqual([]);
    // Kubernetes Events are not chat: recorded at once.
    expect(kubeEvents).toEqual(['a', 'b', 'c']);
    expect(await owed()).toEqual({
      events: [event('a'), event('b'), event('c')],
      redraw: true,
      attempts: 2,
      since: '2026-12-05T12:00:00.000Z',
    });
    expect(counted.filter((m) => m === 'ChatDeferred')).toHaveLength(2);

    chat.down = false;
    await publish(deps, release, { events: [event('d')], redraw: false });

    expect(chat.said).toEqual(['a', 'b', 'c', 'd', `card ${release.phase}`]);
    expect(await owed()).toBeUndefined();
  });

  it('posts a card that could not be posted before its events, so that they go into its thread', async () => {
    const { release, chat, deps, owed } = await setup();
    chat.down = true;
    await publish(deps, release, { events: [event('started')], redraw: true, cardFirst: true });
    expect(await owed()).toMatchObject({ cardFirst: true, redraw: true });

    chat.down = false;
    await publish(deps, release, { events: [], redraw: false });

    expect(chat.said).toEqual([`card ${release.phase}`, 'started']);
    expect(chat.threads).toEqual(['1000.000001']);
    expect(await owed()).toBeUndefined();
  });

  it('skips a message Slack refuses for good, and owes nothing for it', async () => {
    const { release, chat, counted, deps, owed } = await setup();
    chat.refuses.add('b');

    await publish(deps, release, { events: [event('a'), event('b'), event('c')], redraw: false });

    expect(chat.said).toEqual(['a', 'c']);
    expect(counted).toEqual(['SlackError']);
    expect(await owed()).toBeUndefined();
  });

  it(`gives up after ${MAX_CHAT_ATTEMPTS} jobs, loudly`, async () => {
    const { release, chat, counted, deps, owed } = await setup();
    chat.down = true;
    const errors: string[] = [];
    deps.log = { ...silentLogger, error: (message: string) => void errors.push(message) };

    for (let i = 0; i < MAX_CHAT_ATTEMPTS; i++)
      await publish(deps, release, { events: i === 0 ? [event('a')] : [], redraw: false });
    expect(await owed()).toMatchObject({ attempts: MAX_CHAT_ATTEMPTS, events: [event('a')] });

    await publish(deps, release, { events: [], redraw: false });

    expect(await owed()).toBeUndefined();
    expect(counted).toContain('ChatDropped');
    expect(errors).toEqual(['gave up posting what a release owes to chat']);
  });
});

describe('the tick and chat releases owe', () => {
  it('sends a job to an ended release that still owes chat, and none to one that owes nothing', async () => {
    const { store, release, chat, deps } = await setup();
    const stored = await store.get(release.id);
    await store.update(
      { id: release.id, active: false, state: { ...release, phase: 'cancelled' } },
      stored!.rowVersion,
    );
    chat.down = true;
    await publish(deps, release, { events: [event('cancelled')], redraw: true });
    const sent: QueuedJob<TickJob>[] = [];
    const tickDeps = {
      store,
      metricsFor: () => {
        throw new Error('nothing to read');
      },
      queue: { send: async (jobs: QueuedJob<TickJob>[]) => void sent.push(...jobs) },
      clock: () => new Date('2026-12-05T12:01:00Z'),
      log: silentLogger,
    };

    const report = await tick(tickDeps as never);

    expect(report.releases).toBe(0);
    expect(sent.map((job) => [job.group, job.body.releaseId, job.body.reading])).toEqual([
      [`release:${release.id}`, release.id, undefined],
    ]);
    await store.deleteRecord(CHAT_OUTBOX_KIND, release.id);
    sent.length = 0;
    await tick(tickDeps as never);
    expect(sent).toEqual([]);
  });
});
