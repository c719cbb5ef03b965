/**
 * `--host` confined to the release's namespace, through the start use case on the bed (real API server, the
 * bot's own RBAC identity, DynamoDB Local): another namespace's Service, a ServiceEntry's external host and a
 * host that is no Service are refused with one sentence, and nothing is written anywhere; the namespace's
 * own Service starts the release.
 */
import * as k8s from '@kubernetes/client-node';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { startRelease } from '../../src/app/start-release.js';
import { type EngineHarness, startEngine } from './support/engine-harness.js';

const requester = { userId: 'U0ALICE001', groupIds: [] };

let engine: EngineHarness;
let custom: k8s.CustomObjectsApi;

beforeAll(async () => {
  engine = await startEngine();
  // The two-host sample: apps-svc-all routes to the Service apps-svc-v1; apps-svc-v2 serves the next version.
  await deploySample(engine.admin, 'two-host', engine.namespace);
  custom = engine.admin.makeApiClient(k8s.CustomObjectsApi);
});

afterAll(async () => {
  await engine?.close();
});

const route = async () =>
  (await custom.getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: engine.namespace,
    plural: 'virtualservices',
    name: 'apps-svc-all',
  })) as { metadata: { resourceVersion: string } };

const startWithHost = (host: string) =>
  startRelease(
    engine.deps,
    {
      kind: 'canary',
      service: 'apps-svc-all',
      version: 'v2',
      namespace: engine.namespace,
      hosts: { v2: host },
    },
    requester,
  );

describe('--host is confined to the release namespace', () => {
  it.each([
    [
      "another namespace's Service",
      () => `apps-svc-v2.${uniqueNamespace('other')}.svc.cluster.local`,
      /is not a Service of namespace/,
    ],
    ['a ServiceEntry host', () => 'api.partner.example.com', /is not a Service of namespace/],
    ['a host that is no Service', () => 'ghost-v2', /there is no Service "ghost-v2"/],
  ])('refuses %s with a sentence, and changes nothing', async (_, host, says) => {
    // Prepare
    const before = await route();
    const writes = engine.writes();
    // Act
    const result = await startWithHost(host());
    // Assess
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(says) });
    expect((await route()).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(engine.writes()).toBe(writes);
    expect(await engine.deps.store.listActive()).toEqual([]);
  });

  it("starts the release with the namespace's own Service", async () => {
    const result = await startWithHost(`apps-svc-v2.${engine.namespace}.svc.cluster.local`);
    expect(result).toMatchObject({ ok: true });
    expect((await engine.deps.store.listActive()).map((r) => r.service)).toEqual(['apps-svc-all']);
  });
});
