/**
 * Everything `npm start` runs, on the test bed, with nothing configured: the seed apps, the bot's real
 * handlers built from the same settings as the Lambdas (local/bot.ts: the ingress behind the local API
 * Gateway front door, four workers on ElasticMQ, the tick and the summaries on timers), acting with the
 * least-privilege role of infra/k8s/rbac.yaml, a store in DynamoDB Local, the local Slack page and simulated
 * traffic whose error rate and latency a person can change from the page.
 * Local development only: it uses the test bed (local/bed/) and is never bundled into a Lambda.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describeError, type Logger } from '../src/app/logger.js';
import type { TickReport } from '../src/app/tick.js';
import { type BedState, bedDown, bedUp } from './bed/bed.js';
import { botClusterRole, botKubeConfig } from './bed/bot-identity.js';
import { kubeConfigFrom } from './bed/kube.js';
import { deploySample } from './bed/manifests.js';
import { type LocalBot, startLocalBot } from './bot.js';
import { localNotice } from './notice.js';
import { connectSlackEmulator, type SlackEmulatorControl } from './slack/emulator-control.js';
import { startSlackPage } from './slack/page/slack-page.js';
import { startMeshGateway } from './traffic/gateway.js';
import { KubernetesMeshReader } from './traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from './traffic/remote-write.js';
import { startSampleTraffic } from './traffic/sample-traffic.js';
import { loadSampleProfiles, SAMPLE_TRAFFIC, type SampleAppName } from './traffic/samples.js';
import { MeshTrafficSimulator } from './traffic/simulator.js';

const defaultApps: readonly SampleAppName[] = ['bookinfo', 'weather', 'two-host'];

/**
 * Settings `npm start` uses unless the environment says otherwise: analyses short enough to watch a release
 * end in minutes, and an open policy (anyone may start and approve, never their own release). The page says
 * both; in AWS the bot refuses to start without a policy.
 */
export const LOCAL_DEMO_SETTINGS: Readonly<Record<string, string>> = {
  CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({
    minAnalysisSeconds: 60,
    maxAnalysisSeconds: 300,
    noTrafficAlertSeconds: 120,
  }),
  CANARY_BOT_POLICY: JSON.stringify({ default: { starters: ['*'], approvers: ['*'], fourEyes: true } }),
  CANARY_BOT_SLACK_CHANNEL: 'C0RELEASES',
};

/**
 * The demo's traffic: ten times the seeds' own rates (bookinfo's productpage at 100 req/s), so that a canary
 * at 10% gets enough requests for the judge to pass a healthy step in a minute or two, as a busy service would.
 */
export const LOCAL_DEMO_RPS_FACTOR = 10;

export interface LocalStackOptions {
  /** Which sample apps run; default the seeds' three (bookinfo, weather, two-host). */
  apps?: readonly SampleAppName[];
  /** Where each seed app lives; default bookinfo, weather and apps. */
  namespaces?: Partial<Record<SampleAppName, string>>;
  /** `realtime`: traffic every 15 s and a tick every minute (npm start); `manual`: the caller drives time. */
  mode?: 'realtime' | 'manual';
  /** The bot's clock (manual mode moves it). */
  clock?: () => Date;
  /** Another Prometheus than the bed's (a test in simulated time writes its own history). */
  prometheusUrl?: string;
  frontDoorPort?: number;
  pagePort?: number;
  /** The mesh gateway's port (smoke traffic's target); a free one by default. */
  gatewayPort?: number;
  /** Settings on top of the local ones (npm start passes the CANARY_BOT_* variables of its environment). */
  env?: Record<string, string | undefined>;
  log: Logger;
}

export interface LocalStack {
  bed: BedState;
  admin: k8s.KubeConfig;
  bot: LocalBot;
  emulator: SlackEmulatorControl;
  /** Where each app that runs lives. */
  namespaces: Partial<Record<SampleAppName, string>> & Record<'bookinfo', string>;
  /** The Slack handler's URL (`…/slack/events`) behind the front door. */
  slackUrl: string;
  pageUrl: string;
  /** Manual mode: writes the traffic of [from, to] (compressed) into Prometheus. */
  simulate: (to: Date, stepSeconds?: number) => Promise<void>;
  simulator: MeshTrafficSimulator;
  /** The simulator's gateway: a smoke URL for `CANARY_BOT_SMOKE`, routed by the Host header (`reviews.bookinfo`). */
  gatewayUrl: string;
  /** One tick, and the workers' jobs it made. */
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
  const prometheusUrl = options.prometheusUrl ?? bed.prometheus.url;
  const apps = options.apps ?? defaultApps;
  const namespaces = Object.fromEntries(
    apps.map((app) => [app, options.namespaces?.[app] ?? SAMPLE_TRAFFIC[app].namespace]),
  ) as Partial<Record<SampleAppName, string>> & Record<'bookinfo', string>;
  await Promise.all(apps.map((app) => deploySample(admin, app, namespaces[app] as string)));

  // The bot's own identity: a service account bound to the committed role, nothing more.
  const home = `canary-bot-${Date.now().toString(36)}`;
  const identity = await botKubeConfig(bed, admin, home, Object.values(namespaces), await botClusterRole());
  const kubeconfigFile = join(bed.dir, `${home}.kubeconfig`);
  await writeFile(kubeconfigFile, identity.exportConfig(), { mode: 0o600 });

  const bot = await startLocalBot(
    bed,
    {
      CANARY_BOT_CLUSTERS: JSON.stringify({
        local: {
          kube: { mode: 'kubeconfig', path: kubeconfigFile },
          prometheus: { url: prometheusUrl },
        },
      }),
      CANARY_BOT_DEFAULT_NAMESPACE: namespaces.bookinfo,
      ...LOCAL_DEMO_SETTINGS,
      ...options.env,
    },
    {
      log: options.log,
      ...(options.frontDoorPort ? { port: options.frontDoorPort } : {}),
      ...(options.clock ? { overrides: { clock: options.clock } } : {}),
    },
  );

  const stoppers: (() => Promise<void>)[] = [];
  let simulator: MeshTrafficSimulator;
  if (options.mode === 'realtime') {
    const traffic = await startSampleTraffic({
      kubeConfig: admin,
      prometheusUrl,
      namespaces,
      rpsFactor: LOCAL_DEMO_RPS_FACTOR,
      backfillMinutes: 10,
      onError: (error) => options.log.warn('traffic', { error: describeError(error) }),
    });
    simulator = traffic.simulator;
    stoppers.push(() => traffic.stop());
    let ticking = false;
    const timer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      bot
        .tick()
        .then((report) => report.releases > 0 && options.log.info('tick', { ...report }))
        .catch((error: unknown) => options.log.error('tick failed', { error: describeError(error) }))
        .finally(() => {
          ticking = false;
        });
    }, 60_000);
    stoppers.push(async () => clearInterval(timer));
    // Summaries every minute (the Lambda runs every 5): a slot is posted once, whichever run finds it.
    const summaryTimer = setInterval(() => {
      bot
        .summaries()
        .then((report) => report.posted > 0 && options.log.info('summaries', { ...report }))
        .catch((error: unknown) => options.log.error('summaries failed', { error: describeError(error) }));
    }, 60_000);
    stoppers.push(async () => clearInterval(summaryTimer));
  } else {
    simulator = new MeshTrafficSimulator({
      services: await loadSampleProfiles(apps, namespaces, LOCAL_DEMO_RPS_FACTOR),
      reader: KubernetesMeshReader.fromKubeConfig(admin),
      writer: new PrometheusRemoteWriter({ prometheusUrl }),
    });
  }
  // A port taken by something else is no reason to fail the stack: the gateway then takes a free one.
  const gateway = await startMeshGateway(simulator, {
    ...(options.gatewayPort ? { port: options.gatewayPort } : {}),
  }).catch(() => startMeshGateway(simulator));
  stoppers.push(() => gateway.close());
  const page = await startSlackPage({
    emulatorUrl: bed.slack.url,
    botUrl: bot.slackUrl,
    signingSecret: bed.slack.signingSecret,
    ...(options.pagePort ? { port: options.pagePort } : {}),
    notice: localNotice(bot.config.policy),
    traffic: {
      versions: () => simulatorVersions(simulator),
      set: async (change) => {
        simulator.setBehaviour(change.namespace, change.service, change.version, {
          errorRate: change.errorRate,
          latency: { kind: 'lognormal', medianMs: change.medianMs, p99Ms: change.p99Ms },
        });
      },
    },
  });
  let simulatedUntil: number | undefined;

  return {
    bed,
    admin,
    bot,
    emulator: connectSlackEmulator(bed.slack.url),
    namespaces,
    slackUrl: bot.slackUrl,
    pageUrl: page.url,
    simulator,
    gatewayUrl: gateway.url,
    simulate: async (to, stepSeconds = 15) => {
      const from = simulatedUntil === undefined ? to.getTime() - 60_000 : simulatedUntil + stepSeconds * 1000;
      if (from > to.getTime()) return;
      const report = await simulator.simulate({ from, to, stepSeconds });
      simulatedUntil = report.lastStepMs ?? simulatedUntil;
    },
    tick: async (at) => {
      const report = await bot.tick(at);
      await bot.settled();
      return report;
    },
    close: async () => {
      for (const stop of stoppers) await stop();
      await page.close();
      await bot.settled().catch(() => undefined);
      await bot.close();
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

/** The versions the simulator serves, with their current behaviour, for the page's traffic controls. */
function simulatorVersions(simulator: MeshTrafficSimulator) {
  return simulator.versions();
}
