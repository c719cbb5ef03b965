// Lambda: Flagger webhooks (API Gateway HTTP API, ANY /flagger/{proxy+}): confirm-* gates answered from Slack
// approvals, the rollback hook from the Roll back button, events relayed into the revision's thread.
import { loadConfig } from '../src/config.js';
import type { WebhookHttpRequest } from '../src/flagger/webhook-request.js';
import { powertoolsLogger } from '../src/observability/powertools.js';
import { buildFlaggerWebhook } from './compose/flagger.js';
import { once } from './lazy.js';

const log = powertoolsLogger('flagger');
const webhook = once(async () => buildFlaggerWebhook(await loadConfig(), log));

export const handler = async (event: WebhookHttpRequest) => (await webhook())(event);
