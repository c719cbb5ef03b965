/**
 * Delivers change events to a namespace's webhooks: each target gets the events of a job in order, each
 * event tried a bounded number of times with capped exponential back-off and full jitter (network errors,
 * timeouts, 429 and 5xx are retried; other answers are final). A delivery that fails for good is logged and
 * counted, and the next event goes on: a receiver never holds the release, which is on another queue group.
 * Logs name a target by format and origin only (no path, query, credentials, routing key or secret).
 *
 * The generic JSON is signed: `X-Canary-Bot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" with CANARY_BOT_WEBHOOK_SECRET>`; the event id is also in `X-Canary-Bot-Event`.
 */
import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { Logger } from '../app/logger.js';
import { describeError } from '../app/logger.js';
import type { Telemetry } from '../app/ports/telemetry.js';
import { type ChangeEvent, genericChangeBody, pagerDutyChangeBody } from '../domain/audit/index.js';
import {
  describeTarget,
  isForbiddenAddress,
  isLoopback,
  type WebhooksSetting,
  type WebhookTarget,
  webhookTargetsFor,
  webhookUrlProblem,
} from './webhook-setting.js';

/** The signature header of the generic JSON. */
export const SIGNATURE_HEADER = 'x-canary-bot-signature';
/** The event id header (receivers drop repeats by it). */
export const EVENT_HEADER = 'x-canary-bot-event';

/** Retry settings. */
export interface RetryOptions {
  /** Attempts per event and target, at least 1; default 4. */
  attempts: number;
  /** First pause, doubled after each failure; default 1 s. */
  baseDelayMs: number;
  /** Longest pause; default 8 s. */
  maxDelayMs: number;
  /** Each request's time limit; default 5 s. */
  timeoutMs: number;
  /**
   * Time one job may spend on all its deliveries; an attempt that could not end within it is not made (the
   * worker's Lambda has 60 s, and a job cut short would come back and be sent again); default 40 s.
   */
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  timeoutMs: 5000,
  budgetMs: 40_000,
};

/**
 * The pause before attempt `attempt + 1` (after `attempt` failures): a random share of
 * min(max, base × 2^(attempt − 1)).
 *
 * @example backoffMs(3, DEFAULT_RETRY, () => 0.5) // 2000
 */
export function backoffMs(
  attempt: number,
  retry: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The signature header value of a body sent at `unixSeconds`.
 *
 * @example signatureOf('secret…', 1764979200, '{"type":"canary-bot.change"}') // 't=1764979200,v1=5d1c…'
 */
export function signatureOf(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** What the sender needs. */
export interface WebhookSenderOptions {
  setting: WebhooksSetting;
  /** Signs the generic JSON; required when a generic target exists (the configuration checks it). */
  secret?: string;
  /** Base URL of release links in the events. */
  publicUrl?: string;
  /** Only https targets (AWS); default false. */
  httpsOnly?: boolean;
  log: Logger;
  telemetry?: Telemetry;
  clock?: () => Date;
  retry?: Partial<RetryOptions>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Resolves a host name to its addresses; default DNS. */
  resolve?: (host: string) => Promise<string[]>;
}

/** How one job's delivery went, per target. */
export interface DeliveryReport {
  delivered: number;
  failed: number;
  retries: number;
}

/** Sends change events to the webhooks of their namespace. */
export class WebhookSender {
  private readonly retry: RetryOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: () => Date;
  private readonly resolve: (host: string) => Promise<string[]>;

  constructor(private readonly options: WebhookSenderOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? (() => new Date());
    this.resolve =
      options.resolve ?? (async (host) => (await lookup(host, { all: true })).map((a) => a.address));
  }

  /** Whether a namespace has any target. */
  hasTargets(namespace: string): boolean {
    return webhookTargetsFor(this.options.setting, namespace).length > 0;
  }

  /**
   * Delivers the events to every target of the namespace (targets in parallel, events in order). Never throws.
   *
   * @example const report = await sender.deliver('shop', events);
   */
  async deliver(namespace: string, events: readonly ChangeEvent[]): Promise<DeliveryReport> {
    const report: DeliveryReport = { delivered: 0, failed: 0, retries: 0 };
    const deadline = Date.now() + this.retry.budgetMs;
    const targets = webhookTargetsFor(this.options.setting, namespace);
    await Promise.all(
      targets.map(async (target) => {
        const refusal = await this.refusedTarget(target);
        for (const event of events) {
          const outcome = refusal
            ? { ok: false as const, retries: 0, attempts: 0, why: refusal }
            : await this.deliverOne(target, event, deadline);
          report.retries += outcome.retries;
          if (outcome.ok) {
            report.delivered++;
            this.options.telemetry?.count('WebhookDelivered');
            continue;
          }
          report.failed++;
          this.options.telemetry?.count('WebhookFailed');
          this.options.log.error('a change event was not delivered to a webhook', {
            target: describeTarget(target),
            eventId: event.id,
            releaseId: event.release.releaseId,
            attempts: outcome.attempts,
            why: outcome.why,
          });
        }
      }),
    );
    return report;
  }

  /** Why a target cannot be sent to now (its URL, or what its host resolves to), or undefined. */
  private async refusedTarget(target: WebhookTarget): Promise<string | undefined> {
    const problem = webhookUrlProblem(target.url, this.options.httpsOnly ?? false);
    if (problem) return `the URL ${problem}`;
    if (target.format === 'generic' && !this.options.secret)
      return 'no CANARY_BOT_WEBHOOK_SECRET to sign with';
    const host = new URL(target.url).hostname;
    if (isLoopback(host)) return undefined;
    try {
      const addresses = await this.resolve(host.replace(/^\[|\]$/g, ''));
      if (addresses.some(isForbiddenAddress)) return 'its host resolves to a link-local or metadata address';
    } catch (error) {
      return `its host could not be resolved (${describeError(error)})`;
    }
    return undefined;
  }

  private async deliverOne(
    target: WebhookTarget,
    event: ChangeEvent,
    deadline: number,
  ): Promise<{ ok: true; retries: number } | { ok: false; retries: number; attempts: number; why: string }> {
    const linked = this.options.publicUrl
      ? {
          ...event,
          release: {
            ...event.release,
            link: `${this.options.publicUrl}/releases/${event.release.releaseId}`,
          },
        }
      : event;
    const body = JSON.stringify(
      target.format === 'pagerduty'
        ? pagerDutyChangeBody(linked, target.routingKey ?? '')
        : genericChangeBody(linked),
    );
    let why = '';
    // Credentials in the URL go as Basic authorization (fetch refuses a URL that holds them).
    const url = new URL(target.url);
    const basic =
      url.username || url.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
        : undefined;
    url.username = '';
    url.password = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      const pause = attempt > 1 ? backoffMs(attempt - 1, this.retry, this.random) : 0;
      if (Date.now() + pause + this.retry.timeoutMs > deadline)
        return {
          ok: false,
          retries: Math.max(0, attempt - 2),
          attempts: attempt - 1,
          why: `${why ? `${why}; ` : ''}out of time for this job`,
        };
      if (attempt > 1) {
        this.options.telemetry?.count('WebhookRetried');
        await this.sleep(pause);
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [EVENT_HEADER]: event.id,
        ...(basic ? { authorization: basic } : {}),
      };
      if (target.format === 'generic' && this.options.secret)
        headers[SIGNATURE_HEADER] = signatureOf(
          this.options.secret,
          Math.floor(this.clock().getTime() / 1000),
          body,
        );
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.retry.timeoutMs),
        });
        await response.body?.cancel().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) return { ok: true, retries: attempt - 1 };
        why = `HTTP ${response.status}`;
        if (response.status !== 429 && response.status < 500)
          return { ok: false, retries: attempt - 1, attempts: attempt, why: `${why} (not retried)` };
      } catch (error) {
        why = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'the request failed';
      }
      this.options.log.warn('a webhook did not take a change event; trying again', {
        target: describeTarget(target),
        eventId: event.id,
        attempt,
        why,
      });
    }
    return { ok: false, retries: this.retry.attempts - 1, attempts: this.retry.attempts, why };
  }
}
