/**
 * How fast the bot answers Flagger: each kind of webhook call through the local API Gateway front door, the
 * real Flagger handler, DynamoDB Local and the bed's Slack emulator. Flagger waits 10 s by default and
 * counts anything slower as a closed gate. Each round uses a new canary revision; the approval between the
 * calls is a signed click through the Slack ingress and the worker (not timed).
 *
 *   tsx bench/flagger/run.ts [--rounds 50] [--out bench/results/flagger.json]
 *
 * Prints a Markdown table and writes the results as JSON. Needs a running bed (`npm run bed -- up`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { sendBlockActions } from '../../local/slack/interaction-client.js';
import { FLAGGER_KEY_METADATA, flaggerNamespaceKey } from '../../src/flagger/namespace-key.js';
import { startFlaggerStack } from '../../test/integration/support/flagger-stack.js';
import { median, ms, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '50' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/flagger.json'),
    },
  },
});
const rounds = Number(values.rounds);
const stack = await startFlaggerStack();
const namespace = uniqueNamespace('bench-flagger');
const key = flaggerNamespaceKey(stack.secret, namespace);

const kinds = [
  ['first confirm-promotion of a revision: refused, card and notice posted', 'first'],
  ['confirm-promotion while waiting: refused', 'waiting'],
  ['first confirm-promotion after the approval: 200, use recorded', 'firstUse'],
  ['confirm-promotion after the approval: 200', 'approved'],
  ['event relayed into the thread', 'event'],
  ['the same event again (a retry): not posted again', 'duplicate'],
] as const;
type Kind = (typeof kinds)[number][1];
const samples: Record<Kind, number[]> = {
  first: [],
  waiting: [],
  firstUse: [],
  approved: [],
  event: [],
  duplicate: [],
};

async function timed(kind: Kind, hook: string, body: string, expected: number): Promise<void> {
  const started = performance.now();
  const response = await fetch(`${stack.flaggerBase}/${hook}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  await response.text();
  samples[kind].push(performance.now() - started);
  if (response.status !== expected) throw new Error(`${kind}: HTTP ${response.status}, expected ${expected}`);
}

try {
  for (let round = 0; round < rounds; round++) {
    const checksum = `b${round.toString(36)}${Date.now().toString(36)}`;
    const gate = `{"name":"podinfo","namespace":"${namespace}","phase":"Progressing","checksum":"${checksum}","metadata":{"${FLAGGER_KEY_METADATA}":"${key}"}}`;
    const event = `{"name":"podinfo","namespace":"${namespace}","phase":"Progressing","checksum":"${checksum}","metadata":{"eventMessage":"Advance podinfo.${namespace} canary weight 10","eventType":"Normal","timestamp":"${Date.now()}","${FLAGGER_KEY_METADATA}":"${key}"}}`;
    await timed('first', 'confirm-promotion', gate, 403);
    await timed('waiting', 'confirm-promotion', gate, 403);
    const card = await stack.card(namespace, 'podinfo', checksum);
    const approve = (card.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((b) => b.action_id === 'flagger.approve');
    if (!approve) throw new Error('no Approve button');
    await sendBlockActions(
      { url: stack.slackUrl, signingSecret: stack.bed.slack.signingSecret },
      {
        user: { id: 'U0ALICE001', username: 'alice' },
        channel: { id: stack.channel },
        messageTs: card.ts,
        actions: [{ action_id: 'flagger.approve', value: approve.value }],
        teamId: 'T0BENCH',
        emulator: stack.emulator,
      },
    );
    await stack.queue.drain();
    await timed('firstUse', 'confirm-promotion', gate, 200);
    await timed('approved', 'confirm-promotion', gate, 200);
    await timed('event', 'event', event, 200);
    await timed('duplicate', 'event', event, 200);
  }
  if (stack.jobErrors.length > 0) throw new Error(`worker jobs failed: ${String(stack.jobErrors[0])}`);

  const rows = kinds.map(([label, kind]) => ({
    call: label,
    kind,
    n: samples[kind].length,
    medianMs: median(samples[kind]),
    p99Ms: quantile(samples[kind], 0.99),
    maxMs: Math.max(...samples[kind]),
  }));
  console.log(`\nFlagger webhook answers through the front door (${rounds} revisions)\n`);
  console.log('| call | median | p99 | max |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows)
    console.log(`| ${row.call} | ${ms(row.medianMs)} ms | ${ms(row.p99Ms)} ms | ${ms(row.maxMs)} ms |`);
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(
    values.out,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), rounds, rows }, null, 2)}\n`,
  );
  console.log(`\nwritten to ${values.out}`);
} finally {
  await stack.close();
}
