import { answerFlaggerHook, type FlaggerGateDependencies } from '../app/flagger-gate.js';
import { describeError } from '../app/logger.js';
import { StoreError } from '../app/ports/store-errors.js';
import type { FlaggerMasters } from './namespace-key.js';
import { readWebhookRequest, type WebhookHttpRequest } from './webhook-request.js';

/** An API Gateway HTTP API (payload 2.0) response. */
export interface WebhookHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Settings of the Flagger webhook besides the use case's dependencies. */
export interface FlaggerWebhookOptions extends FlaggerGateDependencies {
  /**
   * The master secret (CANARY_BOT_FLAGGER_SECRET) and, during a rotation, the previous one
   * (CANARY_BOT_FLAGGER_SECRET_PREVIOUS): each namespace's key is derived from them. Never logged or echoed.
   */
  masters: FlaggerMasters;
}

/**
 * The Flagger webhooks as a Lambda handler: authenticate, read the payload, answer from the gate use case.
 * Answers are JSON `{ decision, message }`: 200 lets Flagger go on (or roll back, or says an event was
 * received), 403 halts it, 4xx say what was wrong with the request, 503 that the store is unavailable (Flagger
 * halts and asks again at its next check).
 *
 * @example export const handler = createFlaggerWebhook({ masters: { current }, store, notifier, clock, log });
 */
export function createFlaggerWebhook(
  options: FlaggerWebhookOptions,
): (request: WebhookHttpRequest) => Promise<WebhookHttpResponse> {
  return async (request) => {
    const read = readWebhookRequest(request, options.masters);
    if (!read.ok) {
      // The path, headers and body may hold a (wrong) key: log none of them.
      options.log.warn('flagger: refused a webhook request', {
        status: read.refusal.status,
        reason: read.refusal.reason,
      });
      return json(read.refusal.status, { decision: 'refused', message: read.refusal.reason });
    }
    if (read.keyGeneration === 'previous')
      options.log.warn('flagger: a key of the previous master secret was used; give the Canary its new key', {
        namespace: read.call.payload.namespace,
        canary: read.call.payload.name,
      });
    try {
      const answer = await answerFlaggerHook(options, read.call);
      return json(answer.status, { decision: answer.verdict, message: answer.message });
    } catch (error) {
      options.log.error('flagger: could not answer a webhook', {
        hook: read.call.hook,
        error: describeError(error),
      });
      return error instanceof StoreError
        ? json(503, {
            decision: 'unavailable',
            message: 'The bot cannot read its store right now; try again.',
          })
        : json(500, { decision: 'error', message: 'The bot failed to answer; see its log.' });
    }
  };
}

function json(statusCode: number, body: Record<string, string>): WebhookHttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}
