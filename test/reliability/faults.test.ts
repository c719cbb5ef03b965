/**
 * Faults between the bot and its components, injected as real network faults by proxies on loopback (the
 * shared bed itself is never touched). After each: the mesh is in the previous or the intended state, never
 * a mix; the release resumes or halts visibly; nothing is lost from the audit trail.
 */
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { startHttpFaultProxy, startTcpFaultProxy } from '../../local/bed/fault-proxy.js';
import { actOnRelease } from '../../src/app/release-actions.js';
import { auditTrail } from '../../src/app/release-queries.js';
import { startRelease } from '../../src/app/start-release.js';
import { meshTargetOf, type Release } from '../../src/domain/release/index.js';
import { type EngineHarness, startEngine } from '../integration/support/engine-harness.js';

const requester = { userId: 'U0ALICE001', groupIds: [] };
const approver = { userId: 'U0BOB00002', groupIds: [] };
const previous = { v1: 100 };
const intended = { v1: 90, v2: 10 };

function weightsOf(vs: Awaited<ReturnType<EngineHarness['reviews']>>): Record<string, number> {
  return Object.fromEntries(
    (vs.spec.http.at(-1)?.route ?? []).map((r) => [r.destination.subset ?? '?', r.weight ?? 100]),
  );
}

async function start(engine: EngineHarness): Promise<Release> {
  const result = await startRelease(
    engine.deps,
    {
      kind: 'canary',
      service: 'reviews',
      version: 'v2',
      namespace: engine.namespace,
      steps: [10, 100],
      options: { minAnalysisSeconds: 120 },
    },
    requester,
  );
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

async function approve(engine: EngineHarness, id: string) {
  const request = (await engine.release(id)).approvalRequest;
  if (!request) throw new Error('not waiting for approval');
  return await actOnRelease(
    engine.deps,
    id,
    { action: 'approve', step: request.step, stateVersion: request.stateVersion },
    approver,
  );
}

/** The requester cancels the release (the route goes back to the original). */
async function cancel(engine: EngineHarness, id: string): Promise<void> {
  await actOnRelease(
    engine.deps,
    id,
    { action: 'cancel', stateVersion: (await engine.release(id)).version },
    requester,
  );
}

/**
 * For the tests of a describe block: a fault proxy in front of one of the bed's components, opened with
 * `open`, and an engine reaching that component through it (`options`); both closed after the block.
 */
function engineBehindProxy<P extends { close(): Promise<void> }>(
  open: (bed: BedState) => Promise<P>,
  options: (proxy: P) => Parameters<typeof startEngine>[0],
): { engine: EngineHarness; proxy: P } {
  const made = {} as { engine: EngineHarness; proxy: P };
  beforeAll(async () => {
    made.proxy = await open(await requireBed());
    made.engine = await startEngine(options(made.proxy));
  });
  afterAll(async () => {
    await made.engine?.close();
    await made.proxy?.close();
  });
  return made;
}

async function approvals(engine: EngineHarness, id: string): Promise<number> {
  return (await auditTrail(engine.deps, id)).filter((e) => e.action === 'approve').length;
}

describe('the Kubernetes API server fails', () => {
  const behind = engineBehindProxy(
    (bed) => startTcpFaultProxy(new URL(bed.kube.server).host),
    (proxy) => ({ via: { kubeServer: `https://${proxy.address}` }, router: { requestTimeoutMs: 1000 } }),
  );

  it('down at approval: nothing changes, the release waits, and applies the step once the API is back', async () => {
    const { engine, proxy } = behind;
    const { id } = await start(engine);
    proxy.set('refuse');

    await approve(engine, id);
    const waiting = await engine.release(id);

    expect(waiting.phase).toBe('applying');
    expect(waiting.applied).toBe(false);
    expect(waiting.applyError?.code).toBe('unavailable');
    expect(weightsOf(await engine.reviews())).toEqual(previous);

    proxy.set('pass');
    await engine.advance(2);

    expect((await engine.release(id)).phase).toBe('analysing');
    expect(weightsOf(await engine.reviews())).toEqual(intended);
    expect(await approvals(engine, id)).toBe(1);
    await cancel(engine, id);
  });

  it('hanging in the middle of the write: the request times out, the route is whole, the next tick finishes the step', async () => {
    const { engine, proxy } = behind;
    const { id } = await start(engine);
    let hung = false;
    const hangingEngine = await startEngine({
      via: { kubeServer: `https://${proxy.address}` },
      router: {
        requestTimeoutMs: 1000,
        beforeWrite: async () => {
          if (hung) return;
          hung = true;
          proxy.set('hang');
          proxy.cut(); // the write needs a new connection, which is accepted and never answered
        },
      },
    });
    try {
      const { id: other } = await start(hangingEngine);
      await approve(hangingEngine, other);
      const stuck = await hangingEngine.release(other);

      expect(stuck.applied).toBe(false);
      expect(stuck.applyError?.code).toBe('unavailable');
      expect(weightsOf(await hangingEngine.reviews())).toEqual(previous);

      proxy.set('pass');
      await hangingEngine.advance(2);
      expect(weightsOf(await hangingEngine.reviews())).toEqual(intended);
      expect((await hangingEngine.release(other)).phase).toBe('analysing');
    } finally {
      proxy.set('pass');
      await hangingEngine.close();
      await cancel(engine, id);
    }
  });
});

describe('409 storms', () => {
  it('a writer hammering another route of the VirtualService loses nothing, and neither does the bot', async () => {
    const engine = await startEngine();
    try {
      const { id } = await start(engine);
      const custom = engine.admin.makeApiClient(k8s.CustomObjectsApi);
      const ref = {
        group: 'networking.istio.io',
        version: 'v1',
        namespace: engine.namespace,
        plural: 'virtualservices',
        name: 'reviews',
      };
      // Someone else's route in front of ours, rewritten 40 times while the bot applies its step.
      let stop = false;
      let written = 0;
      const storm = (async () => {
        while (!stop && written < 40) {
          const vs = (await custom.getNamespacedCustomObject(ref)) as {
            metadata: k8s.V1ObjectMeta;
            spec: { http: Record<string, unknown>[] };
          };
          const others = vs.spec.http.filter((r) => r.name !== 'storm');
          const route = {
            name: 'storm',
            match: [{ headers: { 'x-storm': { exact: String(written + 1) } } }],
            route: [{ destination: { host: 'reviews', subset: 'v3' } }],
          };
          try {
            await custom.replaceNamespacedCustomObject({
              ...ref,
              body: {
                apiVersion: 'networking.istio.io/v1',
                kind: 'VirtualService',
                metadata: vs.metadata,
                spec: { ...vs.spec, http: [route, ...others] },
              },
            });
            written++;
          } catch {
            // a 409 against the bot's own write: read again
          }
        }
      })();

      const answer = await approve(engine, id);
      stop = true;
      await storm;

      const live = await engine.reviews();
      expect(answer.ok).toBe(true);
      expect(weightsOf(live)).toEqual(intended);
      expect((live.spec.http[0] as { name?: string; match?: unknown }).match).toEqual([
        { headers: { 'x-storm': { exact: String(written) } } },
      ]);
      expect((await engine.release(id)).phase).toBe('analysing');
    } finally {
      await engine.close();
    }
  });
});

describe('Prometheus is down or answers garbage', () => {
  const behind = engineBehindProxy(
    (bed) => startHttpFaultProxy(bed.prometheus.url),
    (proxy) => ({ via: { prometheusUrl: proxy.url } }),
  );

  it.each([
    ['down (503)', () => ({ status: 503, body: 'upstream down' })],
    [
      'answering garbage',
      () => ({
        status: 200,
        body: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["x","NaN"]}]}',
      }),
    ],
    ['answering non-JSON', () => ({ status: 200, body: '<html>proxy error</html>' })],
  ])(
    '%s: the canary is neither promoted nor rolled back, and is judged again once Prometheus is back',
    async (_what, fault) => {
      const { engine, proxy } = behind;
      const { id } = await start(engine);
      await approve(engine, id);
      proxy.set(fault);

      await engine.advance(4);
      const held = await engine.release(id);

      expect(held.phase).toBe('analysing');
      expect(weightsOf(await engine.reviews())).toEqual(intended);
      expect(proxy.stats().faults).toBeGreaterThan(0);

      proxy.set(() => undefined);
      await engine.advance(2);
      expect((await engine.release(id)).phase).toBe('awaiting-approval');
      await cancel(engine, id);
      expect(weightsOf(await engine.reviews())).toEqual(previous);
    },
  );
});

describe('DynamoDB throttles or refuses conditional writes', () => {
  const behind = engineBehindProxy(
    (bed) => startHttpFaultProxy(bed.dynamodb.endpoint),
    (proxy) => ({ via: { dynamodbEndpoint: proxy.url } }),
  );

  it('throttled writes: the approval fails cleanly, the mesh is untouched, and a retry applies it once', async () => {
    const { engine, proxy } = behind;
    const { id } = await start(engine);
    proxy.set((request) =>
      /UpdateItem|TransactWriteItems|PutItem/.test(String(request.headers['x-amz-target']))
        ? {
            status: 400,
            body: JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
              message: 'Throughput exceeded',
            }),
            headers: { 'content-type': 'application/x-amz-json-1.0' },
          }
        : undefined,
    );

    const failed = await approve(engine, id).catch((error: unknown) => error);

    expect(failed).toMatchObject({ name: 'StoreUnavailableError' });
    expect(weightsOf(await engine.reviews())).toEqual(previous);
    expect(await approvals(engine, id).catch(() => 0)).toBe(0);

    proxy.set(() => undefined);
    const answer = await approve(engine, id);
    expect(answer.ok).toBe(true);
    expect(weightsOf(await engine.reviews())).toEqual(intended);
    expect(await approvals(engine, id)).toBe(1);
    await cancel(engine, id);
  });
});

describe('the worker dies between its writes', () => {
  it('after the mesh write but before recording it: the next tick confirms without writing again', async () => {
    const engine = await startEngine();
    try {
      const { id } = await start(engine);
      // Record the approval, apply the mesh change, then die before `applied` is recorded.
      const decided = await engine.recordApprovalOnly(id, approver.userId);
      const router = await engine.deps.routers();
      await router.converge(
        { namespace: engine.namespace, name: 'reviews', route: { kind: 'default' } },
        meshTargetOf(decided),
      );
      const writes = engine.writes();

      await engine.advance(2);

      const repaired = await engine.release(id);
      expect(repaired.applied).toBe(true);
      expect(repaired.phase).toBe('analysing');
      expect(engine.writes()).toBe(writes);
      expect(weightsOf(await engine.reviews())).toEqual(intended);
    } finally {
      await engine.close();
    }
  });
});
