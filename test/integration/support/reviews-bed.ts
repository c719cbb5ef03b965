/**
 * What the suites that run the whole bot on the bed around Bookinfo's reviews share: the people and the
 * channel, private namespaces with the least-privilege bot's kubeconfig, reviews' traffic in simulated time,
 * starting and approving a release, reading it back, and cleaning up.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../../local/bed/kube.js';
import { deploySample } from '../../../local/bed/manifests.js';
import { type LocalBot, startLocalBot } from '../../../local/bot.js';
import { connectSlackEmulator } from '../../../local/slack/emulator-control.js';
import type { RecordedMessage } from '../../../local/slack/message-record.js';
import { KubernetesMeshReader } from '../../../local/traffic/mesh-reader.js';
import { PrometheusRemoteWriter } from '../../../local/traffic/remote-write.js';
import { loadSampleProfiles } from '../../../local/traffic/samples.js';
import { MeshTrafficSimulator } from '../../../local/traffic/simulator.js';
import type { Logger } from '../../../src/app/logger.js';
import { actOnRelease } from '../../../src/app/release-actions.js';
import { type StartInput, startRelease } from '../../../src/app/start-release.js';
import type { Release } from '../../../src/domain/release/index.js';

/** Who starts releases (alice) and who approves them (bob), and the channel their cards go to. */
export const alice = { userId: 'U0ALICE001', groupIds: [] };
export const bob = { userId: 'U0BOB00001', groupIds: [] };
export const CHANNEL = 'C0RELEASES';

/** `CANARY_BOT_POLICY`: alice starts, bob approves, and nobody approves their own release. */
export const FOUR_EYES_POLICY = JSON.stringify({
  default: { starters: [alice.userId], approvers: [bob.userId], fourEyes: true },
});

export interface ReviewsBed {
  bed: BedState;
  admin: k8s.KubeConfig;
  /** A private folder, deleted by `close`. */
  work: string;
  /** The least-privilege bot's kubeconfig file (in `work`), allowed into the given namespaces. */
  kubeconfig: string;
  /**
   * Starts the bot from `env` (the channel and the four-eyes policy added), on the simulated clock.
   */
  startBot: (env: Record<string, string>, log: Logger, time: SimulatedMinutes) => Promise<LocalBot>;
  /** The release as the bot's store holds it; throws if there is none. */
  release: (id: string) => Promise<Release>;
  /** Starts a release of reviews v2 as alice; throws with the bot's answer if it is refused. */
  start: (request: Omit<StartInput, 'service' | 'version'>) => Promise<Release>;
  /** Bob approves the step the release waits on; throws if it waits on none or the approval is refused. */
  approve: (id: string) => Promise<void>;
  /**
   * Advances time while `going` holds of the release, at most `most` minutes; returns the release and how
   * many minutes it took.
   */
  advanceWhile: (
    id: string,
    advance: () => Promise<void>,
    going: (release: Release) => boolean,
    most: number,
  ) => Promise<{ current: Release; minutes: number }>;
  /** The release's card (`'card'`) or its thread's messages (`'thread'`), as the Slack emulator holds them. */
  messages: (id: string, where: 'card' | 'thread') => Promise<RecordedMessage[]>;
  /** A simulator of reviews alone in each namespace, written into one Prometheus (see `reviewsSimulator`). */
  simulator: (
    namespaces: readonly string[],
    prometheusUrl: string,
    traffic: ReviewsTraffic,
  ) => Promise<MeshTrafficSimulator>;
  /** Deletes `work` and the namespaces (the bot's home included); closing the bot is the suite's. */
  close: () => Promise<void>;
}

/**
 * Bookinfo deployed into each namespace, and a kubeconfig of the bot (living in `home`) for them; then the
 * bot itself with `startBot`.
 *
 * @example const setup = await prepareReviewsBed('smoke', [healthy, broken], home); await setup.startBot(env, log, time);
 */
export async function prepareReviewsBed(
  name: string,
  namespaces: readonly string[],
  home: string,
): Promise<ReviewsBed> {
  const bed = await requireBed();
  const admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  await Promise.all(namespaces.map((namespace) => deploySample(admin, 'bookinfo', namespace)));
  const work = await mkdtemp(join(tmpdir(), `canary-bot-${name}-`));
  const identity = await botKubeConfig(bed, admin, home, [...namespaces], await botClusterRole());
  const kubeconfig = join(work, 'bot.kubeconfig');
  await writeFile(kubeconfig, identity.exportConfig(), { mode: 0o600 });
  let started: LocalBot | undefined;
  const bot = () => {
    if (!started) throw new Error('the bot is not started');
    return started;
  };
  const release = async (id: string) => {
    const stored = await bot().worker.deps.store.get(id);
    if (!stored) throw new Error(`no release ${id}`);
    return stored.state;
  };
  return {
    bed,
    admin,
    work,
    kubeconfig,
    startBot: async (env, log, time) => {
      started = await startLocalBot(
        bed,
        { CANARY_BOT_SLACK_CHANNEL: CHANNEL, CANARY_BOT_POLICY: FOUR_EYES_POLICY, ...env },
        { log, overrides: { clock: () => new Date(time.now) } },
      );
      return started;
    },
    release,
    start: async (request) => {
      const answer = await startRelease(
        bot().worker.deps,
        { ...request, service: 'reviews', version: 'v2' },
        alice,
      );
      if (!answer.ok) throw new Error(answer.message);
      return answer.value;
    },
    approve: async (id) => {
      const current = await release(id);
      const request = current.approvalRequest;
      if (!request) throw new Error(`release ${id} is ${current.phase}`);
      const answer = await actOnRelease(
        bot().worker.deps,
        id,
        { action: 'approve', step: request.step, stateVersion: request.stateVersion },
        bob,
      );
      if (!answer.ok) throw new Error(answer.message);
      await bot().settled();
    },
    advanceWhile: async (id, advance, going, most) => {
      let current = await release(id);
      let minutes = 0;
      for (; minutes < most && going(current); minutes++) {
        await advance();
        current = await release(id);
      }
      return { current, minutes };
    },
    messages: async (id, where) => {
      const { meta } = await release(id);
      return connectSlackEmulator(bed.slack.url).messages(
        where === 'card' ? { channel: CHANNEL, ts: meta.ts } : { channel: CHANNEL, threadTs: meta.ts },
      );
    },
    simulator: (names, prometheusUrl, traffic) => reviewsSimulator(admin, names, prometheusUrl, traffic),
    close: async () => {
      await rm(work, { recursive: true, force: true });
      const core = admin.makeApiClient(k8s.CoreV1Api);
      await Promise.all(
        [...namespaces, home].map((namespace) =>
          core.deleteNamespace({ name: namespace }).catch(() => undefined),
        ),
      );
    },
  };
}

/** Reviews' load and each version's latency and error rate (none by default). */
export interface ReviewsTraffic {
  rps: number;
  medianMs: number;
  p99Ms: number;
  errorRate?: (version: string) => number;
}

/**
 * A simulator of reviews alone in each namespace (no calls to other services), written into one Prometheus
 * and following the live VirtualService; each version's error rate comes from `errorRate`.
 *
 * @example const simulator = await reviewsSimulator(admin, [shop], bed.prometheus.url, { rps: 20, medianMs: 20, p99Ms: 80 });
 */
export async function reviewsSimulator(
  admin: k8s.KubeConfig,
  namespaces: readonly string[],
  prometheusUrl: string,
  traffic: ReviewsTraffic,
): Promise<MeshTrafficSimulator> {
  const profiles = (
    await Promise.all(
      namespaces.map((namespace) => loadSampleProfiles(['bookinfo'], { bookinfo: namespace })),
    )
  )
    .flat()
    .filter((p) => p.name === 'reviews')
    .map((p) => ({
      ...p,
      rps: traffic.rps,
      calls: [],
      versions: p.versions.map((v) => ({
        ...v,
        calls: [],
        errorRate: traffic.errorRate?.(v.version) ?? 0,
        latency: { kind: 'lognormal' as const, medianMs: traffic.medianMs, p99Ms: traffic.p99Ms },
      })),
    }));
  return new MeshTrafficSimulator({
    services: profiles,
    reader: KubernetesMeshReader.fromKubeConfig(admin),
    writer: new PrometheusRemoteWriter({ prometheusUrl }),
  });
}

/**
 * Simulated time, whole minutes in the past, moved on one minute at a time; `simulated` is how far the
 * traffic written into Prometheus reaches.
 *
 * @example const time = new SimulatedMinutes(40); await time.backfill([simulator]); await time.advance(bot, [simulator]);
 */
export class SimulatedMinutes {
  now: number;
  simulated: number;

  constructor(minutesAgo: number) {
    this.now = Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000;
    this.simulated = this.now;
  }

  /** The two minutes of traffic before now, so that the first analysis has a baseline. */
  async backfill(simulators: readonly MeshTrafficSimulator[]): Promise<void> {
    for (const simulator of simulators)
      await simulator.simulate({ from: this.now - 120_000, to: this.now, stepSeconds: 15 });
  }

  /**
   * One simulated minute: every simulator's traffic (and whatever `also` writes for the same span) into
   * Prometheus, then the bot's tick and its workers' jobs.
   */
  async advance(
    bot: LocalBot,
    simulators: readonly MeshTrafficSimulator[],
    options: { also?: (from: number, to: number) => Promise<void>; settleMs?: number } = {},
  ): Promise<void> {
    this.now += 60_000;
    for (const simulator of simulators)
      await simulator.simulate({ from: this.simulated + 15_000, to: this.now, stepSeconds: 15 });
    await options.also?.(this.simulated + 15_000, this.now);
    this.simulated = this.now;
    await bot.tick(new Date(this.now));
    await bot.settled(options.settleMs);
  }
}

/** A log line a recording logger kept. */
export interface LoggedLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/**
 * A logger that keeps the lines of the given levels in `logged` (the others are dropped).
 *
 * @example const { log, logged } = recordingLogger(['warn', 'error']);
 */
export function recordingLogger(levels: readonly ('info' | 'warn' | 'error')[]): {
  log: Logger;
  logged: LoggedLine[];
} {
  const logged: LoggedLine[] = [];
  const at =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (levels.includes(level)) logged.push({ level, message, ...(fields ? { fields } : {}) });
    };
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, logged };
}
