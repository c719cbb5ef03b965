// Lambda: Flagger webhooks (API Gateway HTTP API, ANY /flagger/{proxy+}). Placeholder until the Flagger gate
// lands: it loads the configuration (so a wrong deployment fails at cold start) and answers 501, which Flagger
// reads as "halt" for confirm-* gates: nothing advances through a bot that cannot decide yet.
import type { AwsEventV2 } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { jsonLineLogger } from '../src/app/logger.js';
import { loadConfig } from '../src/config.js';
import { once } from './lazy.js';

const config = once(() => loadConfig());

/** An API Gateway HTTP API (payload 2.0) response. */
export interface HttpApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export const handler = async (event: Pick<AwsEventV2, 'rawPath'>): Promise<HttpApiResponse> => {
  await config();
  jsonLineLogger.warn('flagger: webhooks are not implemented yet; answered 501', { path: event.rawPath });
  return {
    statusCode: 501,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: 'Flagger webhooks are not implemented yet by canary-bot.' }),
  };
};
