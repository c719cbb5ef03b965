/**
 * The bake on the bed, through the engine (use cases, tick, judge, router): real API server, real Prometheus
 * fed with simulated traffic in compressed time, DynamoDB Local.
 */
import * as k8s from '@kubernetes/client-node';
import { releaseOptionsOf } from '../../handlers/compose/parts.js';
import { actOnRelease } from '../../src/app/release-actions.js';
import { auditTrail } from '../../src/app/release-queries.js';
import { startRelease } from '../../src/app/start-release.js';
import type { BotConfig } from '../../src/config.js';
import type { Release } from '../../src/domain/release/index.js';
import { type EngineHarness, startEngine, untilPhase } from './support/engine-harness.js';

const requester = { userId: 'U0ALICE001', groupIds: [] };
const approver = { userId: 'U0BOB00002', groupIds: [] };
const options = { minAnalysisSeconds: 120, maxAnalysisSeconds: 900, bakeSeconds: 600 };

function weightsOf(vs: Awaited<ReturnType<EngineHarness['reviews']>>): Record<string, number> {
  const route = vs.spec.http.at(-1)?.route ?? [];
  return Object.fromEntries(route.map((r) => [r.destination.subset ?? '?', r.weight ?? 100]));
}

async function approve(engine: EngineHarness, id: string): Promise<void> {
  const release = await engine.release(id);
  const request = release.approvalRequest;
  if (!request) throw new Error(`release is ${release.phase}, not waiting for approval`);
  const answer = await actOnRelease(
    engine.deps,
    id,
    { action: 'approve', step: request.step, stateVersion: request.stateVersion },
    approver,
  );
  if (!answer.ok) throw new Error(answer.message);
}

/** Ticks until the release reaches one of `phases` (bounded). */
const until = (engine: EngineHarness, id: string, phases: Release['phase'][], maxMinutes = 12) =>
  untilPhase(engine, id, phases, maxMinutes);

/** A canary 50 -> 100 with a 10-minute bake (by `--bake`, or the namespace's setting), approved up to the bake. */
async function toTheBake(
  engine: EngineHarness,
  bakeFrom: 'command' | 'setting' = 'command',
): Promise<Release> {
  const { bakeSeconds, ...analysis } = options;
  const deps =
    bakeFrom === 'command'
      ? engine.deps
      : {
          ...engine.deps,
          releaseOptions: releaseOptionsOf({
            releaseOptions: { namespaces: { [engine.namespace]: { bakeSeconds } } },
          } as BotConfig),
        };
  const started = await startRelease(
    deps,
    {
      kind: 'canary',
      service: 'reviews',
      version: 'v2',
      namespace: engine.namespace,
      steps: [50, 100],
      options: bakeFrom === 'command' ? options : analysis,
    },
    requester,
  );
  if (!started.ok) throw new Error(started.message);
  const { id } = started.value;
  await approve(engine, id);
  await until(engine, id, ['awaiting-approval']);
  await approve(engine, id);
  return await until(engine, id, ['baking']);
}

describe('bake after 100% on the bed', () => {
  let engine: EngineHarness;
  afterEach(async () => {
    await engine?.close();
  });

  it('catches a canary that goes bad only after 100% and restores the original route exactly', async () => {
    // Prepare: a healthy canary reaches 100% and bakes against the figures v1 had at 50%.
    engine = await startEngine();
    const before = await engine.reviews();
    const baking = await toTheBake(engine);
    expect(weightsOf(await engine.reviews())).toEqual({ v1: 0, v2: 100 });
    expect(baking.bakeReference?.step).toBe(0);
    expect(baking.bakeReference?.baseline.requests).toBeGreaterThan(1000);
    // Act: v2 starts failing 5% of its requests during the bake.
    engine.simulator.setBehaviour(engine.namespace, 'reviews', 'v2', { errorRate: 0.05 });
    const ended = await until(engine, baking.id, ['rolled-back', 'failed', 'paused', 'promoted']);
    // Assess: judged (a fail verdict on figures), rolled back through the rollback's path, route as it was.
    expect(ended.phase).toBe('rolled-back');
    expect(ended.lastVerdict?.verdict).toBe('fail');
    expect(ended.summary).toMatch(/^failed checks during the bake: .*; original route restored$/);
    expect(JSON.stringify((await engine.reviews()).spec)).toBe(JSON.stringify(before.spec));
    const messages = engine.notifier.eventMessages(baking.id);
    const name = `reviews.${engine.namespace}`;
    expect(messages.some((m) => m.startsWith(`Baking ${name} reviews/v2 until `))).toBe(true);
    expect(messages.some((m) => m.startsWith(`Rolling back ${name} failed checks during the bake`))).toBe(
      true,
    );
    expect(messages).toContain(`Canary failed! Restored ${name} original route`);
    const actions = (await auditTrail(engine.deps, baking.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['bake', 'rollback', 'rolled-back']));
    expect(actions).not.toContain('promote');
  });

  it("promotes a canary that bakes clean (the namespace's bakeSeconds), only once the bake is over", async () => {
    // Prepare
    engine = await startEngine();
    const baking = await toTheBake(engine, 'setting');
    expect(baking.options.bakeSeconds).toBe(600);
    const until10 = Date.parse(baking.bake?.until ?? '');
    // Act
    const ended = await until(engine, baking.id, ['promoted', 'rolled-back', 'paused', 'awaiting-approval']);
    // Assess
    expect(ended.phase).toBe('promoted');
    expect(Date.parse(ended.finishedAt ?? '')).toBeGreaterThanOrEqual(until10);
    expect(ended.bake?.outcome).toBe('passed');
    // Judged on the latency recorded before 100% too (the figures came back from DynamoDB whole).
    expect(ended.bakeReference?.baseline.latencyTotal).toBeGreaterThan(1000);
    const latency = ended.lastVerdict?.reasons.filter((r) => r.check === 'latency-vs-baseline') ?? [];
    expect(latency.map((r) => r.status)).toEqual(['pass', 'pass']);
    expect(weightsOf(await engine.reviews())).toEqual({ v1: 0, v2: 100 });
    const messages = engine.notifier.eventMessages(baking.id);
    expect(messages.some((m) => m.startsWith(`Bake passed reviews.${engine.namespace}`))).toBe(true);
    expect(messages.some((m) => m.startsWith('Promotion completed!'))).toBe(true);
  });

  it('halts loudly and leaves the route on the canary when the previous version is gone', async () => {
    // Prepare: bake, then v1's Deployment goes away and v2 goes bad.
    engine = await startEngine();
    const baking = await toTheBake(engine);
    const apps = engine.admin.makeApiClient(k8s.AppsV1Api);
    const v1 = await apps.listNamespacedDeployment({
      namespace: engine.namespace,
      labelSelector: 'app=reviews,version=v1',
    });
    expect(v1.items).toHaveLength(1);
    for (const d of v1.items)
      await apps.deleteNamespacedDeployment({ name: d.metadata?.name ?? '', namespace: engine.namespace });
    engine.simulator.setBehaviour(engine.namespace, 'reviews', 'v2', { errorRate: 0.05 });
    // Act
    const halted = await until(engine, baking.id, ['paused', 'rolling-back', 'rolled-back', 'failed']);
    // Assess: no route to nothing; the thread says why and what to do.
    expect(halted.phase).toBe('paused');
    expect(halted.pause).toMatchObject({ reason: 'failed-analysis', from: 'baking' });
    expect(weightsOf(await engine.reviews())).toEqual({ v1: 0, v2: 100 });
    const warning = engine.notifier
      .eventMessages(baking.id)
      .find((m) => m.includes('the previous version cannot take its traffic back'));
    expect(warning).toMatch(/reviews\/v1 has no ready replicas/);
    expect(warning).toMatch(/Deploy v1 again, then roll back/);
  });
});
