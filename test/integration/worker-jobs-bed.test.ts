/**
 * Work that fails after Slack was answered, on the deployment's shape: the real handlers on ElasticMQ (a FIFO
 * work queue whose dead-letter queue takes a job after two receives, as serverless.yml sets it), the bot's
 * own Kubernetes identity reaching the API server through a proxy that can refuse connections.
 *
 * - A job that keeps failing: the person is told once, with a reference and nothing internal; the job is
 *   retried, then lands in the dead-letter queue with its payload; the log has the error under the same id.
 * - A job delivered twice (SQS delivers at least once) does not answer or share its chart twice.
 * - A job that waited past its age limit is dropped with a notice; nothing is done.
 * - `/canary metrics` of a service whose versions are separate hosts (the two-host seed) reads each host.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { startTcpFaultProxy, type TcpFaultProxy } from '../../local/bed/fault-proxy.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { bedSqsClient } from '../../local/bed/sqs-queues.js';
import { type LocalBot, startLocalBot } from '../../local/bot.js';
import { connectSlackEmulator } from '../../local/slack/emulator-control.js';
import { sendSlashCommand } from '../../local/slack/interaction-client.js';
import { KubernetesMeshReader } from '../../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from '../../local/traffic/remote-write.js';
import { loadSampleProfiles } from '../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../local/traffic/simulator.js';
import type { Logger } from '../../src/app/logger.js';
import { queuedSlackJob, type SlackJob } from '../../src/chat/slack/slack-job.js';
import { parseCommand } from '../../src/domain/command/parse-command.js';

const CHANNEL = 'C0RELEASES';
const bob = { id: 'U0BOB00001', name: 'bob' };
const namespace = uniqueNamespace('wf-apps');
const home = uniqueNamespace('wf-bot');
const apps = uniqueNamespace('wf-two-host');
const appsGw = uniqueNamespace('wf-two-host-gw');

let bed: BedState;
let admin: k8s.KubeConfig;
let kube: TcpFaultProxy;
let bot: LocalBot;
const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
const log: Logger = {
  info: (message, fields = {}) => logged.push({ level: 'info', message, fields }),
  warn: (message, fields = {}) => logged.push({ level: 'warn', message, fields }),
  error: (message, fields = {}) => logged.push({ level: 'error', message, fields }),
};

const emulator = () => connectSlackEmulator(bed.slack.url);
const answersTo = async (responseUrl: string) =>
  (await emulator().snapshot()).responseUrlPosts.filter((p) => p.responseUrl === responseUrl);

async function deadLetters(timeoutMs: number): Promise<string[]> {
  const sqs = bedSqsClient(bed.sqs);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: bot.queue.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 2,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages?.length) return Messages.map((m) => m.Body ?? '');
  }
  return [];
}

/** A `/canary …` job as the ingress would queue it, with a response URL the emulator issued. */
async function job(text: string, receivedAt = new Date()): Promise<SlackJob & { kind: 'command' }> {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(`test command does not parse: ${text}`);
  const { responseUrl, triggerId } = await emulator().issueInteraction({
    channelId: CHANNEL,
    userId: bob.id,
  });
  return {
    kind: 'command',
    id: triggerId,
    command: parsed.command,
    from: { userId: bob.id, channelId: CHANNEL, teamId: 'T0CANARYBOT', responseUrl },
    receivedAt: receivedAt.toISOString(),
  };
}

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  await deploySample(admin, 'bookinfo', namespace);
  await deploySample(admin, 'two-host', apps);
  await deploySample(admin, 'two-host-gw', appsGw);
  // Ten minutes of bookinfo's traffic, so that /canary metrics has a chart to share.
  const now = Date.now();
  await new MeshTrafficSimulator({
    services: await loadSampleProfiles(['bookinfo', 'two-host', 'two-host-gw'], {
      bookinfo: namespace,
      'two-host': apps,
      'two-host-gw': appsGw,
    }),
    reader: KubernetesMeshReader.fromKubeConfig(admin),
    writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
  }).simulate({ from: now - 600_000, to: now - 1_000, stepSeconds: 15 });
  kube = await startTcpFaultProxy(new URL(bed.kube.server).host);
  const identity = await botKubeConfig(bed, admin, home, [namespace, apps, appsGw], await botClusterRole());
  for (const cluster of identity.clusters) (cluster as { server: string }).server = `https://${kube.address}`;
  const kubeconfig = join(bed.dir, `${home}.kubeconfig`);
  await writeFile(kubeconfig, identity.exportConfig(), { mode: 0o600 });
  bot = await startLocalBot(
    bed,
    {
      CANARY_BOT_KUBECONFIG: kubeconfig,
      CANARY_BOT_PROMETHEUS_URL: bed.prometheus.url,
      CANARY_BOT_DEFAULT_NAMESPACE: namespace,
      CANARY_BOT_SLACK_CHANNEL: CHANNEL,
      CANARY_BOT_POLICY: JSON.stringify({ default: { starters: ['*'], approvers: ['*'], fourEyes: true } }),
    },
    { log, visibilityTimeoutSeconds: 8 },
  );
}, 120_000);

afterAll(async () => {
  await bot?.close();
  await kube?.close();
});

describe('worker failures after the ack', () => {
  it('tells the person once with a reference, retries once, then dead-letters the job with its payload', async () => {
    // Prepare: the cluster's API server refuses every connection.
    kube.set('refuse');
    // Act
    const sent = await sendSlashCommand(
      { url: bot.slackUrl, signingSecret: bed.slack.signingSecret },
      {
        text: `start reviews v2 --ns ${namespace}`,
        userId: bob.id,
        userName: bob.name,
        channelId: CHANNEL,
        teamId: 'T0CANARYBOT',
        emulator: emulator(),
      },
    );
    const dead = await deadLetters(60_000);
    kube.set('pass');
    // Assess: acknowledged at once; the job failed twice and is in the DLQ with what was asked.
    expect(sent.status).toBe(200);
    expect(dead).toHaveLength(1);
    const body = JSON.parse(dead[0] ?? '{}') as SlackJob;
    expect(body).toMatchObject({
      kind: 'command',
      id: sent.triggerId,
      command: { kind: 'start', service: 'reviews', canaryVersion: 'v2', namespace },
    });
    const answers = await answersTo(sent.responseUrl);
    expect(answers).toHaveLength(1);
    const text = JSON.stringify(answers[0]?.body);
    expect(text).toContain(`Reference ${sent.triggerId}`);
    expect(text).not.toContain(kube.address);
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|arn:aws/);
    // The log has the cause, under the job's id, once per attempt.
    const failures = logged.filter(
      (l) => l.message === 'a Slack job failed' && l.fields.jobId === sent.triggerId,
    );
    expect(failures).toHaveLength(2);
    expect(String(failures[0]?.fields.error)).toMatch(/Kubernetes/);
    // Nothing was started.
    expect(await bot.worker.deps.store.history(namespace, 'reviews', 5)).toEqual([]);
  }, 120_000);

  it('answers and shares its chart once when the same job is delivered twice', async () => {
    // Prepare: one /canary metrics job, sent twice with different dedup ids (a redelivery SQS may make).
    const metrics = await job(`metrics reviews --ns ${namespace}`);
    const queued = queuedSlackJob(metrics, { namespace, cluster: 'default' });
    const before = (await emulator().messages({ channel: CHANNEL })).length;
    // Act
    await bot.jobs.send([queued]);
    await bot.settled();
    await bot.jobs.send([{ ...queued, dedupId: `${queued.dedupId}:again` }]);
    await bot.settled();
    // Assess
    expect(await answersTo(metrics.from.responseUrl)).toHaveLength(1);
    const answer = JSON.stringify((await answersTo(metrics.from.responseUrl))[0]?.body);
    expect(answer).toContain('RED of reviews');
    const shared = (await emulator().messages({ channel: CHANNEL })).slice(before);
    expect(shared.filter((m) => m.files?.length)).toHaveLength(1);
  }, 60_000);

  it('drops a job that waited past its age limit, with a notice, and does nothing', async () => {
    // Prepare: a start that waited 20 minutes (the limit is 15).
    const late = await job(`start reviews v3 --ns ${namespace}`, new Date(Date.now() - 20 * 60_000));
    // Act
    await bot.jobs.send([queuedSlackJob(late, { namespace, cluster: 'default' })]);
    await bot.settled();
    // Assess
    const answers = await answersTo(late.from.responseUrl);
    expect(answers).toHaveLength(1);
    expect(JSON.stringify(answers[0]?.body)).toMatch(/reached the bot too late \(20 min\); nothing was done/);
    expect(await bot.worker.deps.store.history(namespace, 'reviews', 5)).toEqual([]);
  }, 60_000);

  it('answers /canary metrics of the two-host seed with each version read from its own host', async () => {
    // Prepare
    const metrics = await job(`metrics apps-svc-all --ns ${apps} --window 10m`);
    // Act
    await bot.jobs.send([queuedSlackJob(metrics, { namespace, cluster: 'default' })]);
    await bot.settled();
    // Assess
    const answer = JSON.stringify((await answersTo(metrics.from.responseUrl))[0]?.body);
    expect(answer).toContain(`RED of apps-svc-all.${apps}`);
    expect(answer).not.toContain('No RED');
    // The seed's route sends everything to v1's host; its figures are read from that host's own metrics.
    expect(answer).toMatch(/\*v1\* \(apps-svc-v1\): \d+(\.\d+)? req\/s/);
  }, 60_000);

  it('answers /canary metrics of a service routed by an HTTPRoute with each version read from its own Service', async () => {
    const metrics = await job(`metrics apps-svc-all --ns ${appsGw} --window 10m`);
    await bot.jobs.send([queuedSlackJob(metrics, { namespace, cluster: 'default' })]);
    await bot.settled();
    const answer = JSON.stringify((await answersTo(metrics.from.responseUrl))[0]?.body);
    expect(answer).toContain(`RED of apps-svc-all.${appsGw}`);
    expect(answer).not.toContain('No RED');
    expect(answer).toMatch(/\*v1\* \(apps-svc-v1\): \d+(\.\d+)? req\/s/);
  }, 60_000);
});
