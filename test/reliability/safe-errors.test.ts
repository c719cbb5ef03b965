/**
 * Internal failures are told to people as a sentence with a reference, never with an address, a queue, a
 * table or an ARN; the details go to the log under the same reference. Here the ingress, built by the
 * handler composition as in AWS, cannot reach its queue (nothing listens on its endpoint), and Slack is the
 * Slack emulator.
 */
import { buildIngress } from '../../handlers/compose/ingress.js';
import { sqsQueueOf } from '../../handlers/compose/queue.js';
import { httpApiEvent } from '../../local/front-door.js';
import { buildBlockActionsPayload, buildSlashCommandBody } from '../../local/slack/interaction-client.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import { type SlackEmulator, startSlackEmulator } from '../../local/slack/slack-emulator.js';
import type { Logger } from '../../src/app/logger.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { loadConfig } from '../../src/config.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';

const secret = 'safe-errors-signing-secret-0123';
const QUEUE = 'http://127.0.0.1:9/123456789012/canary-bot-prod-work.fifo';
const internals = /127\.0\.0\.1:9\b|123456789012|canary-bot-prod-work|arn:aws|ECONNREFUSED/;
const logged: { message: string; fields?: Record<string, unknown> }[] = [];
const log: Logger = {
  info: () => {},
  warn: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
  error: (message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
};

let slack: SlackEmulator;
let handler: Awaited<ReturnType<typeof buildIngress>>;
const saved = { ...process.env };

beforeAll(async () => {
  slack = await startSlackEmulator({ signingSecret: secret });
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  const config = await loadConfig(
    {
      CANARY_BOT_SLACK_SIGNING_SECRET: secret,
      CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9',
      CANARY_BOT_QUEUE_URL: QUEUE,
      CANARY_BOT_SQS_ENDPOINT: 'http://127.0.0.1:9',
      AWS_REGION: 'eu-west-1',
    },
    async () => '',
  );
  handler = await buildIngress(config, log, sqsQueueOf<SlackJob>(config), { claims: new EmbeddedStore() });
});

afterAll(async () => {
  process.env = saved;
  await slack?.close();
});

async function send(body: string) {
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    ...slackSignatureHeaders(secret, Math.floor(Date.now() / 1000), body),
  };
  return await handler(httpApiEvent('POST', '/slack/events', headers, body) as never, {});
}

describe('internal failures told safely', () => {
  it('answers a command it cannot queue with a sentence and a reference, details in the log', async () => {
    const issued = await slack.issueInteraction({ channelId: 'C0RELEASES', userId: 'U0ALICE001' });

    const answer = await send(
      buildSlashCommandBody(
        {
          text: 'status',
          userId: 'U0ALICE001',
          userName: 'alice',
          channelId: 'C0RELEASES',
          teamId: 'T0EMULATOR',
        },
        issued,
      ),
    );

    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('The bot could not take this command right now; nothing was changed.');
    expect(answer.body).toContain(`Reference ${issued.triggerId}`);
    expect(answer.body).not.toMatch(internals);
    const entry = logged.find((l) => l.message === 'could not hand a command to the worker');
    expect(entry?.fields).toMatchObject({
      jobId: issued.triggerId,
      error: expect.stringMatching(/127\.0\.0\.1/),
    });
  });

  it('answers a click it cannot queue privately, with a reference, and nothing internal', async () => {
    const issued = await slack.issueInteraction({
      channelId: 'C0RELEASES',
      userId: 'U0ALICE001',
      messageTs: '1.000100',
    });
    const payload = buildBlockActionsPayload(
      {
        user: { id: 'U0ALICE001', username: 'alice' },
        channel: { id: 'C0RELEASES' },
        messageTs: '1.000100',
        actions: [{ action_id: 'release.approve', value: JSON.stringify({ r: 'r01', s: 0, v: 1 }) }],
        teamId: 'T0EMULATOR',
      },
      { type: 'message', ts: '1.000100', text: '' },
      issued,
    );

    const answer = await send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());

    expect(answer.statusCode).toBe(200);
    const said = slack.record.responseUrlPosts.filter((p) => p.responseUrl === issued.responseUrl);
    expect(said).toHaveLength(1);
    const text = JSON.stringify(said[0]?.body);
    expect(text).toContain('The bot could not take this click right now; nothing was changed.');
    expect(text).toContain(`Reference ${issued.triggerId}`);
    expect(text).not.toMatch(internals);
  });
});
