import type { Release, ReleaseEvent } from '../../domain/release/index.js';

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

/**
 * One version over the window. The shape is a subset of the metrics reader's `VersionRed`, so a RED report's
 * entries can be passed as they are.
 */
export interface VersionFigures {
  readonly requests: number;
  /** Requests per second. */
  readonly requestRate: number;
  /** Errors / requests; undefined when the version served nothing. */
  readonly errorRate: number | undefined;
  /** Undefined when no request was measured. */
  readonly latencyMs?: { readonly p99: number } | undefined;
}

/** Baseline and canary over the same window. */
export interface RedFigures {
  readonly baseline: VersionFigures;
  readonly canary: VersionFigures;
  readonly windowSeconds: number;
}

/**
 * Chat cannot take a message now (rate limited, unavailable, unreachable); the same call may succeed later.
 * Any other error is permanent for that message (a bad channel, a message Slack refuses).
 */
export class ChatUnavailableError extends Error {
  override name = 'ChatUnavailableError';
  constructor(
    message: string,
    /** When chat said how long to wait (Retry-After), in seconds. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
