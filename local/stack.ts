/**
 * Everything `npm start` runs, on the test bed, with nothing configured: the seed apps, the bot acting with
 * the least-privilege role of infra/k8s/rbac.yaml, a store in DynamoDB Local, the real Slack handlers
 * behind the local API Gateway front door, the local Slack page, simulated traffic and the schedules.
 * Local development only: it uses the test bed (local/bed/) and is never bundled into a Lambda.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { buildRuntime } from '../handlers/runtime.js';
import type { ReleaseDependencies } from '../src/app/dependencies.js';
import { describeError, type Logger } from '../src/app/logger.js';
import { runDueSummaries, type SummaryDependencies } from '../src/app/summaries.js';
import { type TickReport, tick } from '../src/app/tick.js';
import { createSlackIngress } from '../src/chat/slack/slack-ingress.js';
import { InProcessJobQueue } from '../src/chat/slack/slack-job.js';
import { SlackSummaryPublisher } from '../src/chat/slack/slack-summary-publisher.js';
import { runSlackJob } from '../src/chat/slack/slack-worker.js';
import type { BotConfig } from '../src/config.js';
import { DEFAULT_APPROVAL_POLICY } from '../src/domain/release/index.js';
import { resolvePrometheusConfig } from '../src/metrics/index.js';
import { type BedState, bedDown, bedUp } from './bed/bed.js';
import { botClusterRole, botKubeConfig } from './bed/bot-identity.js';
import { kubeConfigFrom } from './bed/kube.js';
import { deploySample } from './bed/manifests.js';
import { startFrontDoor } from './front-door.js';
import { connectSlackEmulator, type SlackEmulatorControl } from './slack/emulator-control.js';
import { startSlackPage } from './slack/page/slack-page.js';
import { KubernetesMeshReader } from './traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from './traffic/remote-write.js';
import { startSampleTraffic } from './traffic/sample-traffic.js';
import { loadSampleProfiles, SAMPLE_TRAFFIC, type SampleAppName } from './traffic/samples.js';
import { MeshTrafficSimulator } from './traffic/simulator.js';

const apps: readonly SampleAppName[] = ['bookinfo', 'weather', 'two-host'];

export interface LocalStackOptions {
  /** Where each seed app lives; default bookinfo, weather and apps. */
  namespaces?: Partial<Record<SampleAppName, string>>;
  /** `realtime`: traffic every 15 s and a tick every minute (npm start); `manual`: the caller drives time. */
  mode?: 'realtime' | 'manual';
  /** The bot's clock (manual mode moves it). */
  clock?: () => Date;
  frontDoorPort?: number;
  pagePort?: number;
  log: Logger;
}

export interface LocalStack {
  bed: BedState;
  admin: k8s.KubeConfig;
  deps: ReleaseDependencies;
  queue: InProcessJobQueue;
  emulator: SlackEmulatorControl;
  namespaces: Record<SampleAppName, string>;
  /** The Slack handler's URL (`…/slack/events`) behind the front door. */
  slackUrl: string;
  pageUrl: string;
  /** Manual mode: writes the traffic of [from, to] (compressed) into Prometheus. */
  simulate: (to: Date, stepSeconds?: number) => Promise<void>;
  simulator: MeshTrafficSimulator;
  tick: (at?: Date) => Promise<TickReport>;
  close: () => Promise<void>;
}

/**
 * Starts the local stack. Everything listens on 127.0.0.1.
 *
 * @example const stack = await startLocalStack({ mode: 'realtime', log }); // open stack.pageUrl
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { state: bed, started } = await bedUp((line) => options.log.info(line));
  const admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  const namespaces = Object.fromEntries(
    apps.map((app) => [app, options.namespaces?.[app] ?? SAMPLE_TRAFFIC[app].namespace]),
  ) as Record<SampleAppName, string>;
  await Promise.all(apps.map((app) => deploySample(admin, app, namespaces[app])));

  // The bot's own identity: a service account bound to the committed role, nothing more.
  const home = `canary-bot-${Date.now().toString(36)}`;
  const bot = await botKubeConfig(bed, admin, home, Object.values(namespaces), await botClusterRole());
  const kubeconfigFile = join(bed.dir, `${home}.kubeconfig`);
  await writeFile(kubeconfigFile, bot.exportConfig(), { mode: 0o600 });

  // DynamoDB Local accepts any credentials; the SDK only needs some.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const config: BotConfig = {
    slack: {
      signingSecret: bed.slack.signingSecret,
      botToken: bed.slack.botToken,
      apiUrl: `${bed.slack.url}/api/`,
      channel: 'C0RELEASES',
    },
    clusters: { local: { kube: { mode: 'kubeconfig', path: kubeconfigFile } } },
    defaultCluster: 'local',
    prometheus: resolvePrometheusConfig({ url: bed.prometheus.url }),
    store: {
      kind: 'dynamodb',
      tableName: `canary-bot-${home}`,
      endpoint: bed.dynamodb.endpoint,
      region: 'local',
    },
    policy: DEFAULT_APPROVAL_POLICY,
    defaultNamespace: namespaces.bookinfo,
    releaseOptions: {},
  };
  const { deps, slack } = await buildRuntime(
    config,
    { log: options.log, ...(options.clock ? { clock: options.clock } : {}) },
    { createTable: true },
  );

  // Scheduled summaries and the charts of /canary metrics post into the local Slack like the bot's Lambdas.
  const summaryPublisher = new SlackSummaryPublisher(slack, { timeZone: 'UTC' });
  const summaries: SummaryDependencies = {
    store: deps.store,
    metrics: deps.metrics,
    publisher: summaryPublisher,
    clock: deps.clock,
    log: options.log,
    timeZone: 'UTC',
  };
  const queue = new InProcessJobQueue(
    (job) => runSlackJob({ ...deps, charts: summaryPublisher, summaryTimeZone: 'UTC' }, job),
    (error, job) => options.log.error('a Slack job failed', { kind: job.kind, error: describeError(error) }),
  );
  const ingress = createSlackIngress({
    signingSecret: config.slack.signingSecret,
    botToken: config.slack.botToken,
    apiUrl: config.slack.apiUrl,
    claims: deps.store,
    queue,
    policy: config.policy,
    defaultNamespace: config.defaultNamespace,
    clock: () => new Date(),
    log: options.log,
  });
  const door = await startFrontDoor(
    { 'POST /slack/events': ingress as never },
    { ...(options.frontDoorPort ? { port: options.frontDoorPort } : {}) },
  );
  const slackUrl = `${door.url}/slack/events`;
  const page = await startSlackPage({
    emulatorUrl: bed.slack.url,
    botUrl: slackUrl,
    signingSecret: bed.slack.signingSecret,
    ...(options.pagePort ? { port: options.pagePort } : {}),
  });

  const stoppers: (() => Promise<void>)[] = [];
  let simulator: MeshTrafficSimulator;
  if (options.mode === 'realtime') {
    const traffic = await startSampleTraffic({
      kubeConfig: admin,
      prometheusUrl: bed.prometheus.url,
      namespaces,
      backfillMinutes: 10,
      onError: (error) => options.log.warn('traffic', { error: describeError(error) }),
    });
    simulator = traffic.simulator;
    stoppers.push(() => traffic.stop());
    let ticking = false;
    const timer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      tick(deps)
        .then((report) => report.releases > 0 && options.log.info('tick', { ...report }))
        .catch((error: unknown) => options.log.error('tick failed', { error: describeError(error) }))
        .finally(() => {
          ticking = false;
        });
    }, 60_000);
    stoppers.push(async () => clearInterval(timer));
    // Summaries every minute (the Lambda runs every 5): a slot is posted once, whichever run finds it.
    const summaryTimer = setInterval(() => {
      runDueSummaries(summaries, { lookbackSeconds: 300 })
        .then((report) => report.posted > 0 && options.log.info('summaries', { ...report }))
        .catch((error: unknown) => options.log.error('summaries failed', { error: describeError(error) }));
    }, 60_000);
    stoppers.push(async () => clearInterval(summaryTimer));
  } else {
    simulator = new MeshTrafficSimulator({
      services: await loadSampleProfiles(apps, namespaces),
      reader: KubernetesMeshReader.fromKubeConfig(admin),
      writer: new PrometheusRemoteWriter({ prometheusUrl: bed.prometheus.url }),
    });
  }
  let simulatedUntil: number | undefined;

  return {
    bed,
    admin,
    deps,
    queue,
    emulator: connectSlackEmulator(bed.slack.url),
    namespaces,
    slackUrl,
    pageUrl: page.url,
    simulator,
    simulate: async (to, stepSeconds = 15) => {
      const from = simulatedUntil === undefined ? to.getTime() - 60_000 : simulatedUntil + stepSeconds * 1000;
      if (from > to.getTime()) return;
      const report = await simulator.simulate({ from, to, stepSeconds });
      simulatedUntil = report.lastStepMs ?? simulatedUntil;
    },
    tick: (at) => tick(deps, at ?? deps.clock()),
    close: async () => {
      for (const stop of stoppers) await stop();
      await page.close();
      await queue.drain();
      await door.close();
      const core = admin.makeApiClient(k8s.CoreV1Api);
      if (options.namespaces)
        await Promise.all(
          [...Object.values(namespaces), home].map((name) =>
            core.deleteNamespace({ name }).catch(() => undefined),
          ),
        );
      if (started) await bedDown();
    },
  };
}
