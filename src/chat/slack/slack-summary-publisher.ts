/**
 * Digests and charts in Slack: the digest's first message in the channel, its chart and further pages in
 * that message's thread; charts for `/canary metrics` shared in the channel. Slack's 429s are waited out by
 * the Web API client (Retry-After).
 */
import type { WebClient } from '@slack/web-api';
import type {
  ChartImage,
  ChartPoster,
  PreparedSummary,
  PublishedSummary,
  SummaryPublisher,
} from '../../app/ports/summary-publisher.js';
import { type Digest, describePeriod, periodSeconds, subjectName } from '../../domain/summary/index.js';
import { renderPng } from '../charts/png.js';
import { type ChartSeries, type RedChart, redChartSvg } from '../charts/red-chart.js';
import { digestMessages, summaryUnavailable } from '../views/index.js';
import { uploadFile } from './slack-file-upload.js';

/** Slack answered a post without the message's ts. */
export class SummaryPostError extends Error {
  override readonly name = 'SummaryPostError';
}

/**
 * The PNG of a chart, with a file name and an alt text that says what it shows.
 *
 * @example const image = await chartImage(chart, 'red-reviews');
 */
export async function chartImage(chart: RedChart, name: string): Promise<ChartImage> {
  const png = await renderPng(redChartSvg(chart));
  const lines = chart.series.map((s) => s.label).join(', ');
  return {
    png,
    filename: `${name.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 80)}.png`,
    title: chart.title,
    altText: `Request rate, error rate and p99 latency over time; one line per version: ${lines}.`.slice(
      0,
      1000,
    ),
  };
}

/**
 * Posts digests and charts with the bot token.
 *
 * @example const publisher = new SlackSummaryPublisher(new WebClient(token, { slackApiUrl }), { timeZone: 'UTC' });
 */
export class SlackSummaryPublisher implements SummaryPublisher, ChartPoster {
  constructor(
    private readonly client: WebClient,
    private readonly options: { timeZone: string; maxMessages?: number },
  ) {}

  async prepare(digest: Digest, series: readonly ChartSeries[] | undefined): Promise<PreparedSummary> {
    const channelId = digest.subscription.channelId;
    let chart: ChartImage | undefined;
    let chartError: string | undefined;
    if (series && series.length > 0) {
      const name = subjectName(digest.subscription.subject);
      const shown = series.length;
      const total = digest.services.reduce((n, s) => n + s.versions.filter((v) => v.current).length, 0);
      try {
        chart = await chartImage(
          {
            title: `RED of ${name}, last ${describePeriod(periodSeconds(digest.slot))}`,
            subtitle:
              shown < total
                ? `${shown} of ${total} versions: the services that got worse first`
                : `${shown} version${shown === 1 ? '' : 's'}`,
            from: digest.slot.periodStart,
            to: digest.slot.at,
            timeZone: this.options.timeZone,
            series,
          },
          `red-${name}-${digest.slot.at.toISOString().slice(0, 16)}`,
        );
      } catch (error) {
        chartError = error instanceof Error ? error.message : String(error);
      }
    }
    const messages = digestMessages(digest, {
      timeZone: this.options.timeZone,
      withChart: chart !== undefined,
      ...(this.options.maxMessages ? { maxMessages: this.options.maxMessages } : {}),
    });
    return { channelId, messages, ...(chart ? { chart } : {}), ...(chartError ? { chartError } : {}) };
  }

  async unavailable(summary: Pick<Digest, 'subscription' | 'slot'>, reason: string): Promise<void> {
    const { text, blocks } = summaryUnavailable(summary, reason, this.options.timeZone);
    await this.client.chat.postMessage({
      channel: summary.subscription.channelId,
      text,
      blocks: blocks as never,
    });
  }

  async publish(prepared: PreparedSummary): Promise<PublishedSummary> {
    const [first, ...rest] = prepared.messages;
    if (!first) throw new SummaryPostError('a digest without messages');
    const posted = await this.client.chat.postMessage({
      channel: prepared.channelId,
      text: first.text,
      blocks: first.blocks as never,
      unfurl_links: false,
    });
    if (!posted.ts) throw new SummaryPostError('Slack returned no ts for the digest');
    const channelId = posted.channel ?? prepared.channelId;
    let fileId: string | undefined;
    if (prepared.chart) {
      fileId = await uploadFile(this.client, {
        bytes: prepared.chart.png,
        filename: prepared.chart.filename,
        title: prepared.chart.title,
        altText: prepared.chart.altText,
        channelId,
        threadTs: posted.ts,
        initialComment: prepared.chart.title,
      });
    }
    for (const page of rest)
      await this.client.chat.postMessage({
        channel: channelId,
        thread_ts: posted.ts,
        text: page.text,
        blocks: page.blocks as never,
        unfurl_links: false,
      });
    return { channelId, ts: posted.ts, messages: prepared.messages.length, ...(fileId ? { fileId } : {}) };
  }

  async postChart(
    channelId: string,
    chart: RedChart,
    options: { comment: string; threadTs?: string },
  ): Promise<string> {
    const image = await chartImage(chart, `red-${chart.title}`);
    return await uploadFile(this.client, {
      bytes: image.png,
      filename: image.filename,
      title: image.title,
      altText: image.altText,
      channelId,
      initialComment: options.comment,
      ...(options.threadTs ? { threadTs: options.threadTs } : {}),
    });
  }
}
