// How Slack signs the requests it sends to an app (slash commands, interactivity, events).
import { createHmac } from 'node:crypto';

/** Slack's signature version; the only one Slack has used so far. */
export const SLACK_SIGNATURE_VERSION = 'v0';

/**
 * The `X-Slack-Signature` value Slack sends: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`.
 * @example signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, 'token=xyz...') // => 'v0=a2114d57...'
 */
export function signSlackRequest(signingSecret: string, timestamp: number | string, rawBody: string): string {
  const base = `${SLACK_SIGNATURE_VERSION}:${timestamp}:${rawBody}`;
  return `${SLACK_SIGNATURE_VERSION}=${createHmac('sha256', signingSecret).update(base, 'utf8').digest('hex')}`;
}

/** The two headers Slack adds to every signed request, for a timestamp in seconds. */
export function slackSignatureHeaders(
  signingSecret: string,
  timestamp: number,
  rawBody: string,
): { 'X-Slack-Request-Timestamp': string; 'X-Slack-Signature': string } {
  return {
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': signSlackRequest(signingSecret, timestamp, rawBody),
  };
}
