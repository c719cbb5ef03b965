/**
 * The release engine end to end on the bed, driving the use cases directly (Slack has its own tests):
 * real API server, real Prometheus with simulated traffic in compressed time, DynamoDB Local.
 */
import * as k8s from '@kubernetes/client-node';
import { actOnRelease } from '../../src/app/release-actions.js';
import { auditTrail } from '../../src/app/release-queries.js';
import { routeOf } from '../../src/app/release-runner.js';
import { startRelease } from '../../src/app/start-release.js';
import type { Release } from '../../src/domain/release/index.js';
import { type EngineHarness, startEngine, untilPhase } from './support/engine-harness.js';

const requester = { userId: 'U0ALICE001', groupIds: [] };
const approver = { userId: 'U0BOB00002', groupIds: [] };
const fast = { minAnalysisSeconds: 120, maxAnalysisSeconds: 900 };

function weightsOf(vs: Awaited<ReturnType<EngineHarness['reviews']>>): Record<string, number> {
  const route = vs.spec.http.at(-1)?.route ?? [];
  return Object.fromEntries(route.map((r) => [r.destination.subset ?? '?', r.weight ?? 100]));
}

async function start(engine: EngineHarness, steps = [10, 25, 50, 100]): Promise<Release> {
  const result = await startRelease(
    engine.deps,
    { kind: 'canary', service: 'reviews', version: 'v2', namespace: engine.namespace, steps, options: fast },
    requester,
  );
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

async function approve(engine: EngineHarness, id: string) {
  const release = await engine.release(id);
  const request = release.approvalRequest;
  if (!request) throw new Error(`release is ${release.phase}, not waiting for approval`);
  return await actOnRelease(
    engine.deps,
    id,
    { action: 'approve', step: request.step, stateVersion: request.stateVersion },
    approver,
  );
}

/** Ticks until the release reaches one of `phases` (bounded). */
const until = (engine: EngineHarness, id: string, phases: Release['phase'][], maxMinutes = 10) =>
  untilPhase(engine, id, phases, maxMinutes);

describe('release engine on the bed', () => {
  let engine: EngineHarness;
  afterEach(async () => {
    await engine?.close();
  });

  it('promotes a healthy canary 10 -> 25 -> 50 -> 100 after four approvals', async () => {
    engine = await startEngine();
    const { id } = await start(engine);
    const seen: Record<string, number>[] = [];

    for (let step = 0; step < 4; step++) {
      const answer = await approve(engine, id);
      expect(answer.ok).toBe(true);
      seen.push(weightsOf(await engine.reviews()));
      if (step < 3) await until(engine, id, ['awaiting-approval']);
    }
    const final =
      (await engine.release(id)).phase === 'promoted'
        ? await engine.release(id)
        : await until(engine, id, ['promoted']);

    // The last step keeps the baseline in the route at weight 0 (as Flagger does), ready for a switch-back.
    expect(seen).toEqual([
      { v1: 90, v2: 10 },
      { v1: 75, v2: 25 },
      { v1: 50, v2: 50 },
      { v1: 0, v2: 100 },
    ]);
    expect(final.phase).toBe('promoted');
    const messages = engine.notifier.eventMessages(id);
    const name = `reviews.${engine.namespace}`;
    expect(messages).toEqual(
      expect.arrayContaining([
        `Advance ${name} canary weight 10`,
        `Advance ${name} canary weight 25`,
        `Advance ${name} canary weight 50`,
      ]),
    );
    expect(messages.some((m) => m.startsWith('Promotion completed!'))).toBe(true);
    const approvals = (await auditTrail(engine.deps, id)).filter((e) => e.action === 'approve');
    expect(approvals.map((a) => [a.actor, a.step])).toEqual([0, 1, 2, 3].map((s) => [approver.userId, s]));
  });

  it('rolls a bad canary back by itself and restores the original route exactly', async () => {
    engine = await startEngine();
    engine.simulator.setBehaviour(engine.namespace, 'reviews', 'v2', { errorRate: 0.05 });
    const before = await engine.reviews();
    const { id } = await start(engine);

    await approve(engine, id);
    const ended = await until(engine, id, ['rolled-back', 'failed']);

    expect(ended.phase).toBe('rolled-back');
    expect(JSON.stringify((await engine.reviews()).spec)).toBe(JSON.stringify(before.spec));
    expect(engine.notifier.eventMessages(id).some((m) => m.startsWith('Rolling back'))).toBe(true);
    expect(ended.lastVerdict?.verdict).toBe('fail');
  });

  it("judges a canary behind a waypoint (ambient mode) from the waypoint's metrics, and rolls it back when bad", async () => {
    // Prepare: reviews' requests are reported by a waypoint only (reporter="waypoint"), as in ambient mode.
    engine = await startEngine({ reporter: 'waypoint' });
    engine.simulator.setBehaviour(engine.namespace, 'reviews', 'v2', { errorRate: 0.05 });
    const before = await engine.reviews();
    const { id } = await start(engine);
    // Act
    await approve(engine, id);
    const ended = await until(engine, id, ['rolled-back', 'failed']);
    // Assess: judged (a fail verdict on figures, not a wait for data), rolled back, route restored exactly;
    // and Prometheus holds no sidecar report of this namespace: the waypoint's were the ones read.
    expect(ended.phase).toBe('rolled-back');
    expect(ended.lastVerdict?.verdict).toBe('fail');
    expect(JSON.stringify((await engine.reviews()).spec)).toBe(JSON.stringify(before.spec));
    const sidecars = await fetch(
      `${engine.bed.prometheus.url}/api/v1/query?query=${encodeURIComponent(
        `count(istio_requests_total{reporter="destination",destination_workload_namespace="${engine.namespace}"})`,
      )}`,
    ).then((r) => r.json() as Promise<{ data: { result: unknown[] } }>);
    expect(sidecars.data.result).toEqual([]);
  });

  it('halts on a route changed by hand, and does not overwrite it', async () => {
    engine = await startEngine();
    const { id } = await start(engine);
    await approve(engine, id);
    const custom = engine.admin.makeApiClient(k8s.CustomObjectsApi);
    const live = await engine.reviews();
    const route = live.spec.http.at(-1)!;
    route.route = [
      { destination: { subset: 'v1' }, weight: 60 },
      { destination: { subset: 'v2' }, weight: 40 },
    ].map((r) => ({ ...r, destination: { host: 'reviews', ...r.destination } }));
    await custom.replaceNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: engine.namespace,
      plural: 'virtualservices',
      name: 'reviews',
      body: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', ...live },
    });

    await engine.advance(1);

    const halted = await engine.release(id);
    expect(halted.phase).toBe('paused');
    expect(halted.pause?.reason).toBe('drift');
    expect(weightsOf(await engine.reviews())).toEqual({ v1: 60, v2: 40 });
    expect(engine.notifier.events.some((e) => e.releaseId === id && e.event.type === 'Warning')).toBe(true);
  });

  it('applies 50 concurrent identical approvals exactly once', async () => {
    engine = await startEngine();
    const { id } = await start(engine);
    const request = (await engine.release(id)).approvalRequest!;
    const writesBefore = engine.writes();

    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        actOnRelease(
          engine.deps,
          id,
          { action: 'approve', step: request.step, stateVersion: request.stateVersion },
          approver,
        ),
      ),
    );

    expect(answers.filter((a) => a.ok)).toHaveLength(1);
    expect(answers.filter((a) => !a.ok).every((a) => /already|step|version|no longer/i.test(a.message))).toBe(
      true,
    );
    expect(engine.writes() - writesBefore).toBe(1);
    expect(weightsOf(await engine.reviews())).toEqual({ v1: 90, v2: 10 });
    expect((await auditTrail(engine.deps, id)).filter((e) => e.action === 'approve')).toHaveLength(1);
  });

  it('repairs a crash between the store write and the mesh write on the next tick', async () => {
    engine = await startEngine();
    const { id } = await start(engine);
    // The worker records the approval's decision, then dies before touching the mesh.
    await engine.recordApprovalOnly(id, approver.userId);
    expect(weightsOf(await engine.reviews())).toEqual({ v1: 100 });

    await engine.advance(2);

    const repaired = await engine.release(id);
    expect(repaired.applied).toBe(true);
    expect(repaired.phase).toBe('analysing');
    expect(weightsOf(await engine.reviews())).toEqual({ v1: 90, v2: 10 });
    expect(
      await (await engine.deps.routers()).checkDrift(routeOf(repaired), repaired.confirmedWeights),
    ).toBeUndefined();
    // A second tick does not write again.
    const writes = engine.writes();
    await engine.tick();
    expect(engine.writes()).toBe(writes);
  });
});
