import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import type { Logger } from '../../app/logger.js';
import type { ClaimStore } from '../../app/ports/release-store.js';
import { replayKey, replayWindowSeconds, verifySlackRequest } from './request-guard.js';

/** A Bolt receiver's Lambda handler. */
export type BoltLambdaHandler = (event: AwsEvent, context: unknown) => Promise<AwsResponse>;

/**
 * Wraps Bolt's AwsLambdaReceiver handler with what Bolt does not do: refuse future-dated and replayed
 * requests (each signature is usable once), refuse wrong content types and oversized bodies, and decode a
 * base64 body as UTF-8 (Bolt decodes it as ASCII, which breaks signatures of non-ASCII text).
 *
 * @example export const handler = guardedSlackHandler(receiver.toHandler(), { signingSecret, claims });
 */
export function guardedSlackHandler(
  bolt: BoltLambdaHandler,
  options: { signingSecret: string; claims: ClaimStore; now?: () => number; log?: Logger },
): (event: AwsEvent, context: unknown) => Promise<AwsResponse> {
  const now = options.now ?? Date.now;
  return async (event, context) => {
    const headers = Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const checked = verifySlackRequest(
      { headers, body: event.body ?? '', isBase64Encoded: event.isBase64Encoded },
      options.signingSecret,
      now(),
    );
    if ('status' in checked) {
      // A trail of refused requests (status and reason only: never headers, body or signature).
      options.log?.warn('refused a Slack request', { status: checked.status, reason: checked.reason });
      return refuse(checked.status, checked.reason);
    }
    if (!(await options.claims.claim(replayKey(checked), replayWindowSeconds))) {
      options.log?.warn('refused a replayed Slack request', { status: 401 });
      return refuse(401, 'This signed request was already received (replay).');
    }
    if ((headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      // JSON is the Events API's alone: a verification or an event callback, nothing else reaches Bolt.
      const type = eventsApiTypeOf(checked.rawBody);
      if (type === undefined)
        return refuse(400, 'JSON bodies are Events API callbacks (url_verification, event_callback) only.');
      if (type === 'app_rate_limited') {
        // Slack drops this app's events for the rest of the minute: nothing to do but say so, loudly.
        options.log?.warn('Slack is rate limiting the events sent to this app for a minute', { type });
        return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' };
      }
    } else {
      // Bolt throws on a payload it cannot parse (empty, not JSON): a malformed request, not a crash.
      const payload = new URLSearchParams(checked.rawBody).get('payload');
      if (payload !== null && !isJsonObject(payload)) return refuse(400, 'The payload is not a JSON object.');
    }
    try {
      return await bolt(
        { ...event, headers, body: checked.rawBody, isBase64Encoded: false } as AwsEvent,
        context,
      );
    } catch {
      return refuse(400, 'Malformed Slack request.');
    }
  };
}

/** The type of an Events API body (a URL verification, an event callback, the notice of a rate-limited app). */
function eventsApiTypeOf(
  text: string,
): 'url_verification' | 'app_rate_limited' | 'event_callback' | undefined {
  try {
    const value = JSON.parse(text) as { type?: unknown; event?: unknown } | null;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (value.type === 'url_verification' || value.type === 'app_rate_limited') return value.type;
    const event = value.event as { type?: unknown } | null | undefined;
    // An event callback carries one event, an object with its type (Bolt throws on anything else).
    return value.type === 'event_callback' &&
      typeof event === 'object' &&
      event !== null &&
      !Array.isArray(event) &&
      typeof event.type === 'string'
      ? 'event_callback'
      : undefined;
  } catch {
    return undefined;
  }
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function refuse(statusCode: number, reason: string): AwsResponse {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: reason };
}
