/**
 * How scheduled summaries and RED charts get into chat. Preparing (views, the chart's PNG) is separate
 * from publishing, so that everything that can fail without posting happens before a summary's slot is
 * claimed; publishing then only talks to Slack.
 */
import type { Digest } from '../../domain/summary/index.js';

/** One point; undefined where the value does not exist (the metrics reader's RedPoint has this shape). */
export interface ChartPoint {
  readonly atMs: number;
  readonly requestRate: number | undefined;
  /** A proportion (0.05 = 5%). */
  readonly errorRate: number | undefined;
  readonly p99Ms: number | undefined;
}

/** One line per panel. */
export interface ChartSeries {
  /** `v2`, or `reviews v2` when several services share the chart. */
  readonly label: string;
  readonly points: readonly ChartPoint[];
}

/** What a chart shows. */
export interface RedChart {
  readonly title: string;
  readonly subtitle?: string;
  readonly from: Date;
  readonly to: Date;
  /** Time zone of the time axis. */
  readonly timeZone: string;
  /** At most the chart adapter's limit; the rest is left out. */
  readonly series: readonly ChartSeries[];
}

/** A message as the chat adapter drew it; the use cases pass it on without looking inside. */
export interface ChatMessage {
  readonly text: string;
  readonly blocks: readonly object[];
}

/** A PNG ready to upload. */
export interface ChartImage {
  readonly png: Uint8Array;
  readonly filename: string;
  readonly title: string;
  readonly altText: string;
}

/** A digest ready to post: its messages (the first in the channel, the others in its thread) and chart. */
export interface PreparedSummary {
  readonly channelId: string;
  readonly messages: readonly ChatMessage[];
  readonly chart?: ChartImage;
  /** Why there is no chart, when one was asked for and could not be drawn. */
  readonly chartError?: string;
}

/** What was posted. */
export interface PublishedSummary {
  readonly channelId: string;
  /** The first message: the thread of the others and of the chart. */
  readonly ts: string;
  readonly messages: number;
  readonly fileId?: string;
}

/** Posts digests. */
export interface SummaryPublisher {
  /**
   * The messages and chart of a digest; `series` are the lines of its chart (none: no chart). Posts nothing.
   *
   * @example const prepared = await publisher.prepare(digest, series);
   */
  prepare(digest: Digest, series: readonly ChartSeries[] | undefined): Promise<PreparedSummary>;
  /**
   * Posts a prepared digest.
   *
   * @example const { ts } = await publisher.publish(prepared);
   */
  publish(prepared: PreparedSummary): Promise<PublishedSummary>;
  /**
   * Says in a channel that a summary could not be made, and why (never silent about a missing digest).
   *
   * @example await publisher.unavailable(digestOf(subscription, slot), 'Prometheus did not answer');
   */
  unavailable(summary: Pick<Digest, 'subscription' | 'slot'>, reason: string): Promise<void>;
}

/** Posts a RED chart into a channel (or a thread), e.g. for `/canary metrics`. */
export interface ChartPoster {
  /**
   * Draws the chart and shares it with a comment; returns the file id.
   *
   * @example await charts.postChart('C0RELEASES', chart, { comment: 'RED of reviews.bookinfo' });
   */
  postChart(
    channelId: string,
    chart: RedChart,
    options: { comment: string; threadTs?: string },
  ): Promise<string>;
}
