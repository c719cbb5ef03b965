import type { AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';

const releaseIdPattern = /^[A-Za-z0-9]{1,40}$/;

/**
 * The page a release link (`<publicUrl>/releases/<id>`) points at. Links are for Slack, which unfurls them
 * as the release's card for the people in the channel; the page itself is public, so it shows nothing of
 * the release (no service, weights or people) and sends the reader to Slack.
 *
 * @example releasePage('/releases/r01abc') // { statusCode: 200, … 'Open Slack' … }
 */
export function releasePage(path: string): AwsResponse {
  const match = /^\/releases\/([^/]+)\/?$/.exec(path);
  const id = match?.[1];
  if (!id || !releaseIdPattern.test(id))
    return {
      statusCode: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'Not found: release links look like /releases/<release id>.',
    };
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'",
      'x-content-type-options': 'nosniff',
    },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>canary-bot release ${id}</title></head><body><p>Release <code>${id}</code> is followed in Slack: its card is in the release's channel, and this link unfurls there as the release's state.</p><p><a href="https://slack.com/">Open Slack</a></p></body></html>`,
  };
}
