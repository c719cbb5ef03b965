/**
 * Interop with Flagger itself: Flagger 1.44 built from its Go module, running against the bed's API server
 * and Prometheus, gates a canary with a confirm-promotion webhook pointing at the bot's real Flagger handler
 * (behind the local front door), each webhook carrying the namespace's key in its metadata as
 * `npm run flagger-webhooks` prints it (so Flagger itself proves it sends that metadata). Flagger halts at promotion until alice clicks Approve in the Slack emulator,
 * then promotes; its events appear in the revision's thread. The traffic simulator writes Istio's metrics
 * for the workloads Flagger queries, in real time, healthy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { loadYaml } from '@kubernetes/client-node';
import {
  applyFlaggerCrds,
  buildFlagger,
  type FlaggerBuild,
  type FlaggerProcess,
  startFlagger,
} from '../../local/bed/flagger.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { applyObjects, uniqueNamespace, waitForDeployments } from '../../local/bed/manifests.js';
import { sendBlockActions } from '../../local/slack/interaction-client.js';
import type { RecordedMessage } from '../../local/slack/message-record.js';
import { KubernetesMeshReader } from '../../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { MeshTrafficSimulator, type RunningTraffic } from '../../local/traffic/simulator.js';
import { flaggerWebhooksYaml } from '../../scripts/flagger-webhooks.js';
import { auditTrail } from '../../src/app/release-queries.js';
import { auditSubjectOf } from '../../src/domain/flagger/index.js';
import { flaggerNamespaceKey } from '../../src/flagger/namespace-key.js';
import { type FlaggerStack, startFlaggerStack } from './support/flagger-stack.js';

const alice = { id: 'U0ALICE001', name: 'alice' };

let stack: FlaggerStack;
let build: FlaggerBuild;
let flagger: FlaggerProcess | undefined;
let traffic: RunningTraffic | undefined;
let admin: k8s.KubeConfig;
let namespace: string;
let logFile: string;

interface CanaryStatus {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  lastAppliedSpec?: string;
}

const podinfo = (tag: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'podinfo', namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'podinfo' } },
    template: {
      metadata: { labels: { app: 'podinfo' } },
      spec: {
        containers: [
          {
            name: 'podinfo',
            image: `ghcr.io/stefanprodan/podinfo:${tag}`,
            ports: [{ name: 'http', containerPort: 9898 }],
          },
        ],
      },
    },
  },
});

const canary = () => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: {
      interval: '10s',
      threshold: 5,
      maxWeight: 20,
      stepWeight: 10,
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
        { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
      ],
      // Exactly what `npm run flagger-webhooks -- --ns <namespace>` prints: the key in each webhook's metadata.
      webhooks: loadYaml<{ webhooks: unknown[] }>(
        flaggerWebhooksYaml({
          baseUrl: stack.flaggerBase,
          namespace,
          key: flaggerNamespaceKey(stack.secret, namespace),
        }),
      ).webhooks,
    },
  },
});

beforeAll(async () => {
  stack = await startFlaggerStack();
  admin = kubeConfigFrom(stack.bed.kube.kubeconfigs.admin);
  build = await buildFlagger(); // about a minute the first time (Go module cache warm), then cached
  await applyFlaggerCrds(admin, build);
  namespace = uniqueNamespace('flagger-interop');
  await applyObjects(admin, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    podinfo('6.0.0'),
  ] as k8s.KubernetesObject[]);
  await waitForDeployments(admin, namespace);
  logFile = join(await mkdtemp(join(tmpdir(), 'canary-bot-flagger-')), 'flagger.log');
  flagger = await startFlagger(stack.bed, build, { namespace, logFile });
  // Istio's metrics for the workloads Flagger queries: podinfo (canary) and podinfo-primary, healthy.
  const simulator = new MeshTrafficSimulator({
    services: [
      {
        name: 'podinfo',
        namespace,
        rps: 20,
        versions: [
          { version: 'primary', workload: 'podinfo-primary', labels: { app: 'podinfo-primary' } },
          { version: 'canary', workload: 'podinfo', labels: { app: 'podinfo' } },
        ],
        hosts: { 'podinfo-primary': 'primary', 'podinfo-canary': 'canary' },
      },
    ],
    reader: KubernetesMeshReader.fromKubeConfig(admin),
    writer: new PrometheusRemoteWriter({ prometheusUrl: stack.bed.prometheus.url }),
  });
  traffic = simulator.start({ stepSeconds: 2 });
}, 600_000);

afterAll(async () => {
  await traffic?.stop();
  await flagger?.stop();
  await admin
    ?.makeApiClient(k8s.CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
  await stack?.close();
  if (logFile) await rm(dirname(logFile), { recursive: true, force: true });
});

async function status(): Promise<CanaryStatus> {
  const object = (await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'flagger.app',
    version: 'v1beta1',
    namespace,
    plural: 'canaries',
    name: 'podinfo',
  })) as { status?: CanaryStatus };
  return object.status ?? {};
}

/** Polls the Canary's phase until it is one of `phases`; fails with Flagger's log tail after `timeoutMs`. */
async function waitForPhase(phases: string[], timeoutMs: number): Promise<CanaryStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: CanaryStatus = {};
  while (Date.now() < deadline) {
    last = await status().catch(() => ({}));
    if (last.phase && phases.includes(last.phase)) return last;
    if (last.phase === 'Failed') break;
    await sleep(1000);
  }
  const log = flagger ? (await flagger.readLog()).split('\n').slice(-15).join('\n') : '';
  throw new Error(
    `Canary phase ${last.phase} (wanted ${phases.join('|')}); Flagger's log ${logFile}:\n${log}`,
  );
}

async function primaryImage(): Promise<string | undefined> {
  const primary = await admin
    .makeApiClient(k8s.AppsV1Api)
    .readNamespacedDeployment({ name: 'podinfo-primary', namespace });
  return primary.spec?.template.spec?.containers[0]?.image;
}

/** The checksum of the revision under analysis: the only revision with a card in this namespace. */
async function revisionCard(): Promise<{ checksum: string; card: RecordedMessage }> {
  const cards = (await stack.emulator.messages({ channel: stack.channel, inThread: false })).filter((m) =>
    m.text.includes(`podinfo.${namespace} revision `),
  );
  if (cards.length !== 1) throw new Error(`expected one card for ${namespace}, found ${cards.length}`);
  const checksum = /revision (\w+)/.exec(cards[0]?.text ?? '')?.[1] ?? '';
  return { checksum, card: await stack.card(namespace, 'podinfo', checksum) };
}

describe('Flagger gated from Slack', () => {
  it('halts at confirm-promotion until alice approves in Slack, then promotes; events land in the thread', async () => {
    // Prepare: Flagger takes over the Deployment
    await applyObjects(admin, [canary()] as k8s.KubernetesObject[]);
    await waitForPhase(['Initialized'], 90_000);
    expect(await primaryImage()).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');

    // Act: a new revision
    await applyObjects(admin, [podinfo('6.0.1')] as k8s.KubernetesObject[]);
    await waitForPhase(['WaitingPromotion'], 150_000);

    // Assess: the bot holds Flagger at the gate for longer than one analysis interval
    const { checksum, card } = await revisionCard();
    expect(card.blocks ? JSON.stringify(card.blocks) : '').toContain('flagger.approve');
    await sleep(15_000);
    expect((await status()).phase).toBe('WaitingPromotion');
    expect(await primaryImage()).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');

    // Act: alice approves on the card
    const fresh = await stack.card(namespace, 'podinfo', checksum);
    const approve = (fresh.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((b) => b.action_id === 'flagger.approve');
    if (!approve) throw new Error('no Approve button on the card');
    const click = await sendBlockActions(
      { url: stack.slackUrl, signingSecret: stack.bed.slack.signingSecret },
      {
        user: { id: alice.id, username: alice.name },
        channel: { id: stack.channel },
        messageTs: fresh.ts,
        actions: [{ action_id: 'flagger.approve', value: approve.value }],
        teamId: 'T0CANARYBOT',
        emulator: stack.emulator,
      },
    );
    expect(click.status).toBe(200);
    await stack.queue.drain();

    // Assess: Flagger promotes the new revision
    await waitForPhase(['Succeeded'], 150_000);
    expect(await primaryImage()).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    const thread = (await stack.thread(card)).map((m) => m.text);
    const name = `podinfo.${namespace}`;
    expect(thread).toEqual(
      expect.arrayContaining([
        `Normal Synced: Starting canary analysis for ${name}`,
        `Normal Synced: Advance ${name} canary weight 10`,
        `Normal Synced: Advance ${name} canary weight 20`,
        `Warning Synced: Halt ${name} advancement waiting for promotion approval slack-approval`,
        expect.stringMatching(/^Flagger waits for confirm-promotion/),
        `U0ALICE001 approved confirm-promotion of ${name} revision ${checksum}`,
        `Normal Synced: Confirm-promotion check slack-approval passed`,
        `Normal Synced: Promotion completed! Scaling down ${name}`,
      ]),
    );
    const final = await stack.card(namespace, 'podinfo', checksum);
    expect(JSON.stringify(final.blocks)).toContain('was promoted');
    const trail = await auditTrail(
      { store: stack.store } as never,
      auditSubjectOf({ namespace, name: 'podinfo', checksum }),
    );
    expect(trail.map((e) => [e.actor, e.action])).toEqual([
      ['flagger', 'flagger-request'],
      [alice.id, 'approve'],
      ['flagger', 'flagger-proceed'],
    ]);
    expect(stack.jobErrors).toEqual([]);
  }, 600_000);
});
