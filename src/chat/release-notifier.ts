import type { Release, ReleaseEvent } from '../domain/release/index.js';

/**
 * How a release shows up in chat: one card per release, updated in place, and a thread of events.
 * The Slack implementation posts Block Kit; the memory one keeps everything for local runs and tests.
 */
export interface ReleaseNotifier {
  /**
   * Posts the release's card the first time, updates it in place afterwards. Returns references to keep in
   * `release.meta` (such as the channel and message timestamp) when they are new, otherwise undefined.
   */
  showRelease(release: Release): Promise<Record<string, string> | undefined>;
  /** Posts a Flagger-style event into the release's thread. */
  postEvent(release: Release, event: ReleaseEvent): Promise<void>;
}

/** Keeps cards and events in memory, in order: a notifier for runs without Slack. */
export class MemoryNotifier implements ReleaseNotifier {
  readonly cards = new Map<string, Release>();
  readonly events: { releaseId: string; event: ReleaseEvent }[] = [];

  async showRelease(release: Release): Promise<Record<string, string> | undefined> {
    const first = !this.cards.has(release.id);
    this.cards.set(release.id, release);
    return first && release.meta.card === undefined ? { card: `memory:${release.id}` } : undefined;
  }

  async postEvent(release: Release, event: ReleaseEvent): Promise<void> {
    this.events.push({ releaseId: release.id, event });
  }

  /** The event messages of one release, in order. */
  eventMessages(releaseId: string): string[] {
    return this.events.filter((e) => e.releaseId === releaseId).map((e) => e.event.message);
  }
}
