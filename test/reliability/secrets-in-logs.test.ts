/**
 * Secrets never reach a log: everything the process writes (stdout, stderr, console) is captured while the bot
 * runs real flows that log errors, and scanned for the test credentials.
 */

import { startHttpFaultProxy } from '../../local/bed/fault-proxy.js';
import { sendBlockActions, sendSlashCommand } from '../../local/slack/interaction-client.js';
import { jsonLineLogger } from '../../src/app/logger.js';
import { loadConfig } from '../../src/config.js';
import { PrometheusMetricsReader } from '../../src/metrics/index.js';
import { type SlackStack, startSlackStack } from '../integration/support/slack-stack.js';

const captured: string[] = [];
const restore: (() => void)[] = [];

function capture(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return original(chunk as never, ...(rest as []));
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = original as typeof stream.write;
    });
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      captured.push(args.map(String).join(' '));
    };
    restore.push(() => {
      console[level] = original;
    });
  }
}

let stack: SlackStack;
const prometheusToken = 'prom-bearer-token-that-must-not-leak-0123456789';

beforeAll(async () => {
  stack = await startSlackStack();
  stack.deps.log = jsonLineLogger;
  capture();
});

afterAll(async () => {
  for (const undo of restore.reverse()) undo();
  await stack?.close();
});

describe('secrets in logs', () => {
  it('appear nowhere in what the bot writes, across flows that succeed and fail', async () => {
    const { engine, emulator, queue } = stack;
    const slack = engine.bed.slack;
    const target = { url: stack.slackUrl, signingSecret: slack.signingSecret };
    const bob = { id: 'U0BOB00001', username: 'bob' };

    // A release started and its card updated while Slack fails, then a forged and a replayed request.
    await emulator.failNext('chat.update', { status: 500 });
    const started = await sendSlashCommand(target, {
      text: `start reviews v2 --ns ${engine.namespace} --steps 50,100`,
      userId: bob.id,
      userName: bob.username,
      channelId: 'C0RELEASES',
      teamId: 'T0',
      emulator,
    });
    await queue.drain();
    const [release] = await stack.deps.store.history(engine.namespace, 'reviews', 1);
    await sendBlockActions(target, {
      user: { id: 'U0ALICE001', username: 'alice' },
      channel: { id: 'C0RELEASES' },
      messageTs: release?.state.meta.ts ?? '',
      actions: [{ action_id: 'release.approve' }],
      teamId: 'T0',
      emulator,
    });
    await queue.drain();
    await sendSlashCommand(
      target,
      { text: 'status', userId: bob.id, userName: bob.username, channelId: 'C0RELEASES', teamId: 'T0' },
      { signingSecret: 'forged-secret-0123456789' },
    );
    const { replaySlackRequest } = await import('../../local/slack/interaction-client.js');
    await replaySlackRequest(started.request);

    // Prometheus refusing a bearer token, and a configuration with a wrong token in it.
    const proxy = await startHttpFaultProxy(engine.bed.prometheus.url);
    proxy.set((request) => ({ status: 503, body: `upstream refused ${request.headers.authorization}` }));
    const reader = PrometheusMetricsReader.fromConfig(
      { url: proxy.url, auth: { kind: 'bearer', token: prometheusToken }, retries: 2, retryBaseDelayMs: 1 },
      { log: jsonLineLogger },
    );
    const failure = await reader
      .red({ namespaces: [engine.namespace] }, { at: new Date(), windowSeconds: 60 })
      .catch((error: unknown) => error);
    jsonLineLogger.error('metrics failed', {
      error: String(failure),
      cause: String((failure as Error).cause),
    });
    await proxy.close();
    const config = await loadConfig(
      {
        CANARY_BOT_SLACK_SIGNING_SECRET: slack.signingSecret,
        CANARY_BOT_SLACK_BOT_TOKEN: `not-a-bot-token-${slack.botToken}`,
      },
      async () => '',
    ).catch((error: unknown) => error);
    jsonLineLogger.error('configuration refused', { error: String(config) });

    const everything = captured.join('\n');
    // The failing paths did log (so the scan below reads something that could have leaked).
    expect(everything).toMatch(/refused a Slack request/);
    expect(everything).toMatch(/refused a replayed Slack request/);
    expect(everything).toMatch(/Prometheus query failed; retrying/);
    expect(everything).toMatch(/configuration refused/);
    for (const secret of [slack.signingSecret, slack.botToken, prometheusToken])
      expect(everything).not.toContain(secret);
  });
});
