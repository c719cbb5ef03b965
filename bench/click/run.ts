/**
 * Click to weights applied, through the local API Gateway front door: a signed `block_actions` approval
 * goes to the Slack handler, which acknowledges; the worker applies the step to the bed's VirtualService
 * (read, validate, write, read back) and updates the card. Measured from the click to the weights being
 * live, and the acknowledgement alone. Each round starts a release and cancels it afterwards.
 *
 *   tsx bench/click/run.ts [--rounds 30] [--out bench/results/click.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { bedDown, readBedState } from '../../local/bed/bed.js';
import { sendBlockActions, sendSlashCommand } from '../../local/slack/interaction-client.js';
import { startSlackStack } from '../../test/integration/support/slack-stack.js';
import { median, ms, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/click.json'),
    },
  },
});
const rounds = Number(values.rounds);
const wasRunning = (await readBedState()) !== undefined;
const stack = await startSlackStack();
const { engine, emulator, queue, deps } = stack;
const target = { url: stack.slackUrl, signingSecret: engine.bed.slack.signingSecret };
const custom = engine.admin.makeApiClient(k8s.CustomObjectsApi);
const bob = { id: 'U0BOB00001', username: 'bob' };
const alice = { id: 'U0ALICE001', username: 'alice' };

async function canaryWeight(): Promise<number | undefined> {
  const vs = (await custom.getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: engine.namespace,
    plural: 'virtualservices',
    name: 'reviews',
  })) as {
    spec: { http: { route?: { destination: { subset?: string }; weight?: number }[] }[] };
  };
  return vs.spec.http.at(-1)?.route?.find((r) => r.destination.subset === 'v2')?.weight;
}

const clickToApplied: number[] = [];
const ack: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    await sendSlashCommand(target, {
      text: `start reviews v2 --ns ${engine.namespace} --steps 20,100`,
      userId: bob.id,
      userName: bob.username,
      channelId: 'C0RELEASES',
      teamId: 'T0',
      emulator,
    });
    await queue.drain();
    const [stored] = await deps.store.history(engine.namespace, 'reviews', 1);
    const card = stored?.state.meta.ts;
    if (!card || stored.state.phase !== 'awaiting-approval')
      throw new Error(`round ${round}: no release waiting for approval`);

    const t0 = performance.now();
    await sendBlockActions(target, {
      user: alice,
      channel: { id: 'C0RELEASES' },
      messageTs: card,
      actions: [{ action_id: 'release.approve' }],
      teamId: 'T0',
      emulator,
    });
    ack.push(performance.now() - t0);
    await queue.drain();
    const weight = await canaryWeight();
    clickToApplied.push(performance.now() - t0);
    if (weight !== 20) throw new Error(`round ${round}: canary weight ${weight}, not 20`);

    await sendBlockActions(target, {
      user: bob,
      channel: { id: 'C0RELEASES' },
      messageTs: card,
      actions: [{ action_id: 'release.cancel' }],
      teamId: 'T0',
      emulator,
    });
    await queue.drain();
  }
  const row = (t: number[]) => ({ medianMs: median(t), p99Ms: quantile(t, 0.99) });
  const result = {
    date: new Date().toISOString(),
    rounds,
    ack: row(ack),
    clickToApplied: row(clickToApplied),
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    [
      `| approve click through the front door (${rounds} rounds) | median | p99 |`,
      '|---|---:|---:|',
      `| acknowledged (HTTP answer to Slack) | ${ms(result.ack.medianMs)} ms | ${ms(result.ack.p99Ms)} ms |`,
      `| weights applied in the VirtualService and card updated | ${ms(result.clickToApplied.medianMs)} ms | ${ms(result.clickToApplied.p99Ms)} ms |`,
      '',
    ].join('\n'),
  );
} finally {
  await stack.close();
  if (!wasRunning) await bedDown();
}
