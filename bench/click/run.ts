/**
 * Click to weights applied, through the local API Gateway front door: a signed `block_actions` approval
 * goes to the Slack handler, which acknowledges; the worker applies the step to the bed's VirtualService
 * (read, validate, write, read back) and updates the card. Measured from the click to the weights being
 * live, and the acknowledgement alone. Each round starts a release and cancels it afterwards.
 *
 * In the same run, the deployment's shape (local/bot-processes.ts: the ingress, four worker processes on the
 * ElasticMQ FIFO queue): the same click to weights applied through the queue, and a Roll back click to the
 * original route restored while every Slack call answers 429 with a Retry-After of 1 s and of 30 s (and,
 * for comparison, while Slack answers normally). Each of these rounds has a VirtualService of its own.
 *
 *   tsx bench/click/run.ts [--rounds 30] [--rollbacks 10] [--out bench/results/click.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { bedDown, readBedState } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { deployServiceFleet, uniqueNamespace } from '../../local/bed/manifests.js';
import { startBotProcesses } from '../../local/bot-processes.js';
import { sendBlockActions, sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { Release } from '../../src/domain/release/index.js';
import { openStore } from '../../src/store/open-store.js';
import { startSlackStack } from '../../test/integration/support/slack-stack.js';
import { median, ms, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    rollbacks: { type: 'string', default: '10' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/click.json'),
    },
  },
});
const rounds = Number(values.rounds);
const rollbacks = Number(values.rollbacks);
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
    // The same end as through the processes below: the VirtualService read every 5 ms until it holds 20%.
    const deadline = Date.now() + 60_000;
    while ((await canaryWeight()) !== 20) {
      if (Date.now() > deadline) throw new Error(`round ${round}: the canary weight is not 20 after 60 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    clickToApplied.push(performance.now() - t0);
    await queue.drain();

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
  const row = (t: number[]) => ({ medianMs: median(t), p99Ms: quantile(t, 0.99), samples: t.length });
  const queued = await throughTheQueue();
  const result = {
    date: new Date().toISOString(),
    rounds,
    ack: row(ack),
    clickToApplied: row(clickToApplied),
    queue: {
      workers: 4,
      ack: row(queued.ack),
      clickToApplied: row(queued.clickToApplied),
      rollbackToRestored: Object.fromEntries(
        Object.entries(queued.rollback).map(([retryAfter, t]) => [retryAfter, row(t)]),
      ),
    },
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  const ratio = result.queue.clickToApplied.medianMs / result.clickToApplied.medianMs;
  const rollbackRow = (key: string, label: string) => {
    const r = result.queue.rollbackToRestored[key]!;
    return `| roll back click to the original route restored, ${label} (${r.samples} rounds) | ${ms(r.medianMs)} ms | ${ms(r.p99Ms)} ms |`;
  };
  process.stdout.write(
    [
      `| approve click through the front door (${rounds} rounds) | median | p99 |`,
      '|---|---:|---:|',
      `| acknowledged (HTTP answer to Slack), in process | ${ms(result.ack.medianMs)} ms | ${ms(result.ack.p99Ms)} ms |`,
      `| weights applied in the VirtualService, handlers in this process (ElasticMQ, 4 consumers) | ${ms(result.clickToApplied.medianMs)} ms | ${ms(result.clickToApplied.p99Ms)} ms |`,
      `| acknowledged, ingress process | ${ms(result.queue.ack.medianMs)} ms | ${ms(result.queue.ack.p99Ms)} ms |`,
      `| weights applied, ingress and 4 worker processes on the ElasticMQ FIFO queue (${ratio.toFixed(2)}x in process) | ${ms(result.queue.clickToApplied.medianMs)} ms | ${ms(result.queue.clickToApplied.p99Ms)} ms |`,
      rollbackRow('none', 'Slack answering'),
      rollbackRow('1', 'every Slack call 429, Retry-After 1 s'),
      rollbackRow('30', 'every Slack call 429, Retry-After 30 s'),
      '',
    ].join('\n'),
  );
} finally {
  await stack.close();
  if (!wasRunning) await bedDown();
}

/** The click and rollback measurements on the deployment's shape (processes, FIFO queue). */
async function throughTheQueue(): Promise<{
  ack: number[];
  clickToApplied: number[];
  rollback: Record<string, number[]>;
}> {
  const bed = engine.bed;
  const admin = engine.admin;
  const namespace = uniqueNamespace('bench-click-q');
  const retryAfters = ['none', '1', '30'];
  const names = Array.from({ length: rounds + rollbacks * retryAfters.length }, (_, i) => `svc-${i}`);
  await deployServiceFleet(admin, namespace, names);
  const identity = await botKubeConfig(bed, admin, `${namespace}-bot`, [namespace], await botClusterRole());
  const kubeconfig = join(bed.dir, `${namespace}.kubeconfig`);
  await writeFile(kubeconfig, identity.exportConfig(), { mode: 0o600 });
  const bot = await startBotProcesses(
    bed,
    {
      CANARY_BOT_CLUSTERS: JSON.stringify({
        bed: { kube: { mode: 'kubeconfig', path: kubeconfig }, prometheus: { url: bed.prometheus.url } },
      }),
      CANARY_BOT_DEFAULT_NAMESPACE: namespace,
      CANARY_BOT_SLACK_CHANNEL: 'C0RELEASES',
      CANARY_BOT_POLICY: JSON.stringify({ default: { starters: ['*'], approvers: ['*'], fourEyes: true } }),
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    { workers: 4, visibilityTimeoutSeconds: 60, logDir: bed.dir },
  );
  const target = { url: bot.slackUrl, signingSecret: bed.slack.signingSecret };
  const store = await openStore<Release>({
    kind: 'dynamodb',
    tableName: bot.env.CANARY_BOT_TABLE as string,
    endpoint: bed.dynamodb.endpoint,
    region: bed.sqs.region,
  });
  const vsOf = async (name: string) =>
    (await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace,
      plural: 'virtualservices',
      name,
    })) as { spec: { http: { route?: { destination: { subset?: string }; weight?: number }[] }[] } };
  const until = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 120_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 120 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const waiting = async (service: string) => {
    await sendSlashCommand(target, {
      text: `start ${service} v2 --steps 20,100`,
      userId: bob.id,
      userName: bob.username,
      channelId: 'C0RELEASES',
      teamId: 'T0',
      emulator,
    });
    let release: Release | undefined;
    await until(async () => {
      release = (await store.history(namespace, service, 1))[0]?.state;
      return release?.phase === 'awaiting-approval';
    }, `${service} waiting for approval`);
    return release as Release;
  };
  const press = (release: Release, action: 'approve' | 'rollback') =>
    sendBlockActions(target, {
      user: alice,
      channel: { id: 'C0RELEASES' },
      messageTs: release.meta.ts ?? '1.000001',
      message: { type: 'message', ts: release.meta.ts ?? '1.000001', text: '' },
      actions: [
        {
          action_id: `release.${action}`,
          value: JSON.stringify({
            r: release.id,
            s: release.approvalRequest?.step ?? release.currentStep,
            v: release.approvalRequest?.stateVersion ?? release.version,
          }),
        },
      ],
      teamId: 'T0',
      emulator,
    });
  const canary = async (service: string) =>
    (await vsOf(service)).spec.http.at(-1)?.route?.find((r) => r.destination.subset === 'v2')?.weight;
  const restored = async (service: string) => {
    const route = (await vsOf(service)).spec.http.at(-1)?.route ?? [];
    return route.length === 1 && route[0]?.destination.subset === 'v1';
  };
  const ackQ: number[] = [];
  const applied: number[] = [];
  const rollback: Record<string, number[]> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      const service = names[round] as string;
      const release = await waiting(service);
      await bot.settled(30_000);
      const t0 = performance.now();
      await press(release, 'approve');
      ackQ.push(performance.now() - t0);
      await until(async () => (await canary(service)) === 20, `${service} at 20%`);
      applied.push(performance.now() - t0);
    }
    let next = rounds;
    for (const retryAfter of retryAfters) {
      // Each rollback has a release of its own at 20%, made while Slack answers normally.
      const releases: Release[] = [];
      for (let i = 0; i < rollbacks; i++) {
        const service = names[next++] as string;
        const release = await waiting(service);
        await press(release, 'approve');
        await until(async () => (await canary(service)) === 20, `${service} at 20%`);
        releases.push((await store.get(release.id))!.state);
      }
      await bot.settled(60_000);
      if (retryAfter !== 'none') await emulator.rateLimitEverything(Number(retryAfter), 3_600_000);
      rollback[retryAfter] = [];
      // One at a time; each leaves its worker waiting on Slack, and there are as many releases as workers.
      for (const release of releases) {
        const t0 = performance.now();
        await press(release, 'rollback');
        await until(() => restored(release.target.service), `${release.target.service} restored`);
        rollback[retryAfter].push(performance.now() - t0);
      }
      await emulator.rateLimitEverything(undefined);
      await bot.settled(180_000);
    }
    return { ack: ackQ, clickToApplied: applied, rollback };
  } finally {
    await emulator.rateLimitEverything(undefined).catch(() => undefined);
    await bot.close();
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await Promise.all(
      [namespace, `${namespace}-bot`].map((name) => core.deleteNamespace({ name }).catch(() => undefined)),
    );
  }
}
