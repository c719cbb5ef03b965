/**
 * Slack ingress acknowledgement latency, in process: a signed slash command and a signed button click go
 * through the Lambda handler (signature and replay checks, Bolt routing, parsing, enqueue, ack) with the
 * embedded store for replay claims and a queue that only records. No network.
 *
 *   tsx bench/ingress/run.ts [--requests 2000] [--out bench/results/ingress.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type HttpApiEvent, httpApiEvent } from '../../local/front-door.js';
import { buildBlockActionsPayload, buildSlashCommandBody } from '../../local/slack/interaction-client.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import { silentLogger } from '../../src/app/logger.js';
import { createSlackIngress } from '../../src/chat/slack/slack-ingress.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { encodeButtonValue } from '../../src/chat/views/index.js';
import { DEFAULT_APPROVAL_POLICY } from '../../src/domain/release/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { median, ms, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/ingress.json'),
    },
  },
});
const requests = Number(values.requests);
const signingSecret = 'bench-signing-secret-0123456789';
const jobs: SlackJob[] = [];
const handler = createSlackIngress({
  signingSecret,
  apiUrl: 'http://127.0.0.1:9/api/',
  claims: new EmbeddedStore(),
  queue: { send: async (queued) => void jobs.push(...queued.map((q) => q.body)) },
  policy: DEFAULT_APPROVAL_POLICY,
  defaultNamespace: 'bookinfo',
  defaultCluster: 'prod',
  clock: () => new Date(),
  log: silentLogger,
});
const issued = { responseUrl: 'http://127.0.0.1:9/response/x', triggerId: '1.2.3' };

/** A signed Slack request as the HTTP API hands it to the Lambda. */
function event(body: string): HttpApiEvent {
  const ts = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    ...slackSignatureHeaders(signingSecret, ts, body),
  };
  return httpApiEvent('POST', '/slack/events', headers, body);
}

async function measure(kind: 'command' | 'button'): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < requests + 50; i++) {
    const body =
      kind === 'command'
        ? `${buildSlashCommandBody(
            {
              text: 'status reviews --ns bookinfo',
              userId: 'U0ALICE001',
              userName: 'alice',
              channelId: 'C0RELEASES',
              teamId: 'T0',
            },
            issued,
          )}&n=${i}`
        : `payload=${encodeURIComponent(
            JSON.stringify(
              buildBlockActionsPayload(
                {
                  user: { id: 'U0BOB00001', username: 'bob' },
                  channel: { id: 'C0RELEASES' },
                  messageTs: '1.000001',
                  actions: [
                    {
                      action_id: 'release.approve',
                      block_id: 'b',
                      value: encodeButtonValue({ r: 'R1', s: 0, v: i + 1 }),
                    },
                  ],
                  teamId: 'T0',
                },
                undefined,
                issued,
              ),
            ),
          )}`;
    const t0 = performance.now();
    const answer = await handler(event(body) as never, {});
    const elapsed = performance.now() - t0;
    if (answer.statusCode !== 200) throw new Error(`ingress answered ${answer.statusCode}: ${answer.body}`);
    if (i >= 50) times.push(elapsed); // the first 50 warm the JIT up
  }
  return times;
}

const command = await measure('command');
const button = await measure('button');
const enqueued = {
  command: jobs.filter((j) => j.kind === 'command').length,
  action: jobs.filter((j) => j.kind === 'action').length,
};
if (enqueued.command !== requests + 50 || enqueued.action !== requests + 50) {
  throw new Error(`expected every request to be enqueued, got ${JSON.stringify(enqueued)}`);
}
const row = (times: number[]) => ({
  medianMs: median(times),
  p99Ms: quantile(times, 0.99),
  maxMs: quantile(times, 1),
});
const result = { date: new Date().toISOString(), requests, command: row(command), button: row(button) };
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  [
    `| ingress ack, in process (${requests} each) | median | p99 | max |`,
    '|---|---:|---:|---:|',
    `| slash command (/canary status) | ${ms(result.command.medianMs)} ms | ${ms(result.command.p99Ms)} ms | ${ms(result.command.maxMs)} ms |`,
    `| button click (approve) | ${ms(result.button.medianMs)} ms | ${ms(result.button.p99Ms)} ms | ${ms(result.button.maxMs)} ms |`,
    '',
  ].join('\n'),
);
