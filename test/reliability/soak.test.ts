/**
 * The deployment's shape under a soak, bounded in time: the real handlers as separate OS processes on the bed
 * (the ingress behind the local front door, four workers on the ElasticMQ FIFO queue, the tick as a process
 * per run), DynamoDB Local and the Slack emulator. 200 releases on 200 VirtualServices, then bursts of every
 * kind of click, conflicting ones sent in the same second (approve + cancel, approve + rollback, pause +
 * approve, double approve, double cancel, stale versions), while random workers are SIGKILLed mid-job and
 * started again, ticks run, and for a while every Slack call answers 429.
 *
 * Every VirtualService write is recorded by a watch during the run. At the end:
 * - every release is final, or steady (analysing, waiting for approval, paused) and never half-way;
 * - each VirtualService holds what the store says: the original route for an ended release, the current
 *   step's weights for a live one;
 * - each approval was applied exactly once: the audit trail, the release and the VirtualService's history
 *   (each approved step's weights appear once) agree;
 * - no write landed on a VirtualService after its release ended (nothing after the tombstone).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import * as k8s from '@kubernetes/client-node';
import { requireBed } from '../../local/bed/bed.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { bedSqsClient } from '../../local/bed/sqs-queues.js';
import { type BotProcesses, startBotProcesses } from '../../local/bot-processes.js';
import { connectSlackEmulator } from '../../local/slack/emulator-control.js';
import { sendBlockActions, sendSlashCommand } from '../../local/slack/interaction-client.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import { CARD_ACTION_IDS, type CardAction, encodeButtonValue } from '../../src/chat/views/index.js';
import { isFinal, type Release } from '../../src/domain/release/index.js';
import type { HttpRoute } from '../../src/domain/routing/virtual-service.js';
import { OWNER_ANNOTATION } from '../../src/mesh/istio/istio-router.js';
import { openStore } from '../../src/store/open-store.js';
import { deleteFleet, deployFleetForBot, fleetVirtualService } from './support/service-fleet.js';

const SERVICES = Number(process.env.SOAK_RELEASES ?? 200);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const CHANNEL = 'C0RELEASES';
const alice = { id: 'U0ALICE001', username: 'alice' }; // starts every release
const bob = { id: 'U0BOB00001', username: 'bob' }; // approves (four eyes)

/** A small seeded generator, so that a failing soak can be run again as it was (SOAK_SEED). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

/** One click as people make them: on the card as it was drawn (`seen`), possibly long ago. */
interface Click {
  action: CardAction;
  by: typeof alice;
  seen: Release;
}

/**
 * What is done to each release: the first wave's clicks (sent at the same moment), then the second wave's,
 * drawn from the card as it is then (`fresh`) or as it was in the first wave (`stale`).
 */
const scenarios: Record<
  string,
  { first: CardAction[]; second: { action: CardAction; card: 'fresh' | 'stale' }[] }
> = {
  'double approve': { first: ['approve', 'approve'], second: [] },
  'approve + cancel': { first: ['approve', 'cancel'], second: [] },
  'approve + rollback': { first: ['approve', 'rollback'], second: [] },
  'pause + approve': { first: ['pause', 'approve'], second: [{ action: 'resume', card: 'fresh' }] },
  'double cancel': { first: ['cancel', 'cancel'], second: [] },
  'stale approve and pause': {
    first: ['approve'],
    second: [
      { action: 'approve', card: 'stale' },
      { action: 'pause', card: 'stale' },
    ],
  },
  'approve, then rollback': { first: ['approve'], second: [{ action: 'rollback', card: 'fresh' }] },
  'approve, then pause and cancel': {
    first: ['approve'],
    second: [
      { action: 'pause', card: 'fresh' },
      { action: 'cancel', card: 'fresh' },
    ],
  },
};

/** One recorded change of a VirtualService. */
interface MeshEvent {
  type: string;
  name: string;
  resourceVersion: number;
  owner: string | undefined;
  /** The owned (last) route's destinations, e.g. `v1=50,v2=50`. */
  weights: string;
  canaryRoutes: number;
}

interface VsObject {
  metadata: k8s.V1ObjectMeta;
  spec: { http?: HttpRoute[] };
}

function weightsOf(route: HttpRoute | undefined): string {
  const destinations = route?.route ?? [];
  return destinations
    .map((d) => `${d.destination.subset}=${d.weight ?? (destinations.length === 1 ? 100 : 0)}`)
    .sort()
    .join(',');
}

function confirmedOf(release: Release): string {
  return release.confirmedWeights
    .map((w) => `${w.destination.subset}=${w.weight}`)
    .sort()
    .join(',');
}

describe('soak: the deployment shape under conflicting clicks, killed workers and Slack 429s', () => {
  it(`${SERVICES} releases: every release final or steady, each VirtualService as the store says, each approval applied once, nothing written after an end`, async () => {
    const bed = await requireBed();
    const began = performance.now();
    const admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
    const namespace = uniqueNamespace('soak');
    const names = Array.from({ length: SERVICES }, (_, i) => `svc-${i}`);
    const slack = connectSlackEmulator(bed.slack.url);
    const next = random(SEED);
    process.stderr.write(`[soak] seed ${SEED} (SOAK_SEED=${SEED} runs this soak again)\n`);
    let bot: BotProcesses | undefined;
    let watch: AbortController | undefined;
    try {
      const env = await deployFleetForBot(bed, admin, namespace, names);
      const logDir = join(bed.dir, 'logs', namespace);
      await mkdir(logDir, { recursive: true });
      bot = await startBotProcesses(
        bed,
        {
          ...env,
          POWERTOOLS_LOG_LEVEL: 'WARN',
        },
        // A killed worker's job comes back after 20 s; a job killed twice still gets a third receive.
        { workers: 4, visibilityTimeoutSeconds: 20, maxReceiveCount: 3, logDir },
      );
      const running = bot;
      const target = { url: running.slackUrl, signingSecret: bed.slack.signingSecret };

      // Every VirtualService write of the run, in the API server's order; a watch the server ends is resumed
      // from the last resourceVersion seen, so that no write goes unrecorded.
      const events: MeshEvent[] = [];
      const watchErrors: string[] = [];
      const watchEnds: string[] = [];
      watch = new AbortController();
      const stopWatch = watch.signal;
      let lastSeen: string | undefined;
      let watching: AbortController | undefined;
      const follow = async (): Promise<void> => {
        if (stopWatch.aborted) return;
        watching = await new k8s.Watch(admin).watch(
          `/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices`,
          lastSeen ? { resourceVersion: lastSeen, allowWatchBookmarks: true } : { allowWatchBookmarks: true },
          (type: string, vs: VsObject) => {
            lastSeen = vs.metadata.resourceVersion ?? lastSeen;
            if (type === 'BOOKMARK') return;
            // An ERROR event (410 Gone: history expired) means writes were lost to this record.
            if (type === 'ERROR') return void watchErrors.push(JSON.stringify(vs));
            events.push({
              type,
              name: vs.metadata.name ?? '',
              resourceVersion: Number(vs.metadata.resourceVersion),
              owner: vs.metadata.annotations?.[OWNER_ANNOTATION],
              weights: weightsOf(vs.spec.http?.at(-1)),
              canaryRoutes: (vs.spec.http ?? []).filter((r) => r.name?.startsWith('canary-bot-')).length,
            });
          },
          (error: unknown) => {
            if (stopWatch.aborted) return;
            if (error) watchEnds.push(String(error));
            setTimeout(() => void follow().catch((e) => watchErrors.push(String(e))), 100);
          },
        );
      };
      await follow();
      stopWatch.addEventListener('abort', () => watching?.abort());
      // The watch has seen every VirtualService before anything changes.
      const seenAll = Date.now() + 30_000;
      while (new Set(events.map((e) => e.name)).size < SERVICES) {
        if (Date.now() > seenAll)
          throw new Error(`the watch saw ${events.length} VirtualServices of ${SERVICES}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      // 200 releases, started as people start them: `/canary start` through the ingress process.
      const statuses: number[] = [];
      await inBatches(names, 20, async (service) => {
        const answer = await sendSlashCommand(target, {
          text: `start ${service} v2 --steps 50,100`,
          userId: alice.id,
          userName: alice.username,
          channelId: CHANNEL,
          teamId: 'T0EMULATOR',
          emulator: slack,
        });
        statuses.push(answer.status);
      });
      await running.settled(120_000);
      const store: BotStore<Release> = await openStore<Release>({
        kind: 'dynamodb',
        tableName: running.env.CANARY_BOT_TABLE as string,
        endpoint: bed.dynamodb.endpoint,
        region: bed.sqs.region,
      });
      const started = (await store.listActive()).map((row) => row.state);
      expect(started.map((r) => r.phase).filter((p) => p !== 'awaiting-approval')).toEqual([]);
      expect(started).toHaveLength(SERVICES);
      const startedSeconds = (performance.now() - began) / 1000;

      const kinds = Object.keys(scenarios);
      const plan = new Map(started.map((r) => [r.id, kinds[Math.floor(next() * kinds.length)] as string]));
      const click = async ({ action, by, seen }: Click) => {
        const answer = await sendBlockActions(target, {
          user: by,
          channel: { id: CHANNEL },
          messageTs: '1.000001',
          message: { type: 'message', ts: '1.000001', text: '' },
          actions: [
            {
              action_id: CARD_ACTION_IDS[action],
              value: encodeButtonValue({
                r: seen.id,
                s: action === 'approve' ? (seen.approvalRequest?.step ?? seen.currentStep) : seen.currentStep,
                v: action === 'approve' ? (seen.approvalRequest?.stateVersion ?? seen.version) : seen.version,
              }),
            },
          ],
          teamId: 'T0EMULATOR',
          emulator: slack,
        });
        statuses.push(answer.status);
      };
      const clicker = (action: CardAction) => (action === 'cancel' ? alice : bob);

      // Chaos alongside the waves: a worker SIGKILLed mid-job every 1.5 s (then started again), ticks.
      let chaos = true;
      let kills = 0;
      let killsMidJob = 0;
      const restarting = new Map<number, Promise<void>>();
      const killer = (async () => {
        while (chaos) {
          await new Promise((resolve) => setTimeout(resolve, 1500));
          if (!chaos) break;
          const up = running.workers.map((w, i) => ({ i, w })).filter(({ i }) => !restarting.has(i));
          const busy = up.filter(({ w }) => w.invocations().started > w.invocations().ended);
          const pool = busy.length > 0 ? busy : up;
          const victim = pool[Math.floor(next() * pool.length)];
          if (!victim) continue;
          if (busy.length > 0) killsMidJob++;
          kills++;
          // Started again beside the others, so that the next kill does not wait for this one.
          restarting.set(
            victim.i,
            running.killAndRestartWorker(victim.i).finally(() => restarting.delete(victim.i)),
          );
        }
        await Promise.all(restarting.values());
      })();
      const ticks: Promise<unknown>[] = [];

      // Wave 1: each release's conflicting clicks, sent at the same moment, 25 releases at a time.
      ticks.push(running.tick());
      await inBatches(started, 25, async (release) => {
        const scenario = scenarios[plan.get(release.id) as string]!;
        await Promise.all(
          scenario.first.map((action) => click({ action, by: clicker(action), seen: release })),
        );
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));

      // Slack answers 429 to every call for 8 seconds (Retry-After 1 s) while wave 2 comes in.
      await slack.rateLimitEverything(1, 8000);
      ticks.push(running.tick());
      await inBatches(started, 25, async (release) => {
        const scenario = scenarios[plan.get(release.id) as string]!;
        if (scenario.second.length === 0) return;
        const fresh = (await store.get(release.id))?.state ?? release;
        await Promise.all(
          scenario.second.map(({ action, card }) =>
            click({ action, by: clicker(action), seen: card === 'fresh' ? fresh : release }),
          ),
        );
      });
      await new Promise((resolve) => setTimeout(resolve, 4000));
      chaos = false;
      await killer;
      await Promise.all(ticks);
      // Jobs of killed workers come back after the visibility timeout; then one more tick converges.
      await running.settled(150_000);
      await running.tick();
      await running.settled(60_000);
      const soakSeconds = (performance.now() - began) / 1000;
      watch.abort();

      // Assess.
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(watchErrors).toEqual([]);
      expect(killsMidJob).toBeGreaterThan(0);
      const rateLimited = (await slack.snapshot()).calls.filter((c) => c.status === 429).length;
      expect(rateLimited).toBeGreaterThan(0);
      const { Attributes } = await bedSqsClient(bed.sqs).send(
        new GetQueueAttributesCommand({
          QueueUrl: running.queue.deadLetterQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      const deadLettered = Number(Attributes?.ApproximateNumberOfMessages ?? 0);

      const outcomes: Record<string, number> = {};
      const problems: string[] = [];
      for (const first of started) {
        const release = (await store.get(first.id))!.state;
        const name = release.target.service;
        const scenario = plan.get(release.id) as string;
        const say = (what: string) => problems.push(`${name} (${scenario}, ${release.phase}): ${what}`);
        outcomes[release.phase] = (outcomes[release.phase] ?? 0) + 1;
        const live = await fleetVirtualService<VsObject>(admin, namespace, name);
        const owned = weightsOf(live.spec.http?.at(-1));
        const history = events.filter((e) => e.name === name);

        // Final or steady, and the VirtualService as the store says.
        if (isFinal(release)) {
          if (owned !== 'v1=100' || live.spec.http?.length !== 1) say(`ended, but the route is ${owned}`);
        } else if (!['analysing', 'awaiting-approval', 'paused'].includes(release.phase)) {
          say('left half-way');
        } else if (release.applied && release.meshChanged && owned !== confirmedOf(release)) {
          say(`the store says ${confirmedOf(release)}, the route is ${owned}`);
        } else if (!release.meshChanged && owned !== 'v1=100')
          say(`never changed, but the route is ${owned}`);

        // Each approval applied once: audit, release and the VirtualService's history agree.
        const audit = await store.listAudit(release.id);
        const approved = audit.filter((e) => e.action === 'approve');
        if (approved.length !== release.approvals.length)
          say(`${approved.length} approvals in the audit, ${release.approvals.length} in the release`);
        if (release.approvals.length > 1) say(`${release.approvals.length} approvals of one step`);
        const segments = history
          .map((e) => e.weights)
          .filter((w, i, all) => i === 0 || w !== all[i - 1])
          .filter((w) => w !== 'v1=100');
        // An approval superseded before its write ran (a cancel or rollback in the same second) never reaches
        // the mesh: converging on the newest desired state skips it. None may reach it twice, and a live
        // release's approved steps are all in the mesh.
        const least = isFinal(release) ? 0 : release.approvals.length;
        if (segments.length > release.approvals.length || segments.length < least)
          say(
            `approved ${release.approvals.length} times, the mesh changed to ${segments.join(' then ') || 'nothing'}`,
          );

        // Nothing written after the end: no event after the tombstone; none at all if the mesh was never changed.
        if (isFinal(release)) {
          const tombstone = history.findIndex(
            (e) => e.owner?.startsWith(`${release.id}/`) && /\/final@/.test(e.owner),
          );
          if (release.meshChanged) {
            if (tombstone < 0) say('no tombstone');
            else if (tombstone !== history.length - 1)
              say(`${history.length - 1 - tombstone} writes after the tombstone`);
          } else if (history.some((e) => e.type === 'MODIFIED'))
            say('written, though its mesh never changed');
        }
      }
      process.stderr.write(
        `[soak] ${SERVICES} releases started in ${startedSeconds.toFixed(1)} s; whole soak ${soakSeconds.toFixed(1)} s; ` +
          `${statuses.length} requests through the ingress; ${kills} workers killed (${killsMidJob} mid-job); ` +
          `${rateLimited} Slack calls answered 429; watch resumed ${watchEnds.length} times; ${deadLettered} jobs dead-lettered; ` +
          `${events.filter((e) => e.type === 'MODIFIED').length} VirtualService writes; outcomes ${JSON.stringify(outcomes)}\n`,
      );
      expect(problems).toEqual([]);
    } finally {
      watch?.abort();
      await bot?.close();
      await slack.rateLimitEverything(undefined).catch(() => undefined);
      await deleteFleet(admin, namespace);
    }
  }, 400_000);
});
