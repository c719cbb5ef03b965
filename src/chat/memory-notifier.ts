import type { ReleaseNotifier } from '../app/ports/release-notifier.js';
import type { Release, ReleaseEvent } from '../domain/release/index.js';

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
