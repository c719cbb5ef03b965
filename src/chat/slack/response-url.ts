import type { SlackMessage } from '../views/index.js';

/** Slack refused an answer through a response URL (used up, expired, or invalid content). */
export class ResponseUrlError extends Error {
  override name = 'ResponseUrlError';
}

/**
 * Answers through Slack's response URL: ephemeral (only the person who asked sees it) unless `inChannel`.
 * Never replaces the message the person clicked on.
 */
export async function answer(responseUrl: string, message: SlackMessage, inChannel = false): Promise<void> {
  const response = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({
      response_type: inChannel ? 'in_channel' : 'ephemeral',
      replace_original: false,
      ...message,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok)
    throw new ResponseUrlError(
      `response URL answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
    );
}
