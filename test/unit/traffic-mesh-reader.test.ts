import { ApiException, type CustomObjectsApi } from '@kubernetes/client-node';
import { KubernetesMeshReader, MeshReadError, StaticMeshReader } from '../../local/traffic/mesh-reader.js';

type GetRequest = { group: string; version: string; namespace: string; plural: string; name: string };

/** A CustomObjectsApi stand-in that serves objects for some API versions only, like an API server. */
function fakeApi(served: readonly string[], objects: Record<string, unknown>, failWith?: Error) {
  const calls: string[] = [];
  const api = {
    getNamespacedCustomObject: async (req: GetRequest) => {
      calls.push(`${req.group}/${req.version} ${req.plural} ${req.namespace}/${req.name}`);
      if (failWith) throw failWith;
      if (!served.includes(req.version)) {
        throw new ApiException(404, 'Not Found', '404 page not found', {});
      }
      const object = objects[`${req.plural}/${req.namespace}/${req.name}`];
      if (!object) {
        const status = { kind: 'Status', reason: 'NotFound', details: { name: req.name, kind: req.plural } };
        throw new ApiException(404, 'Not Found', JSON.stringify(status), {});
      }
      return { ...(object as object), apiVersion: `networking.istio.io/${req.version}` };
    },
  } as unknown as CustomObjectsApi;
  return { api, calls };
}

const vs = {
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: { hosts: ['reviews'] },
};

describe('KubernetesMeshReader', () => {
  it('reads networking.istio.io/v1 first', async () => {
    const { api, calls } = fakeApi(['v1', 'v1beta1'], { 'virtualservices/bookinfo/reviews': vs });

    const found = await new KubernetesMeshReader(api).getVirtualService('bookinfo', 'reviews');

    expect(found?.apiVersion).toBe('networking.istio.io/v1');
    expect(calls).toEqual(['networking.istio.io/v1 virtualservices bookinfo/reviews']);
  });

  it('falls back to v1beta1 where v1 is not served, and sticks to it', async () => {
    const { api, calls } = fakeApi(['v1beta1'], { 'virtualservices/bookinfo/reviews': vs });
    const reader = new KubernetesMeshReader(api);

    const first = await reader.getVirtualService('bookinfo', 'reviews');
    const second = await reader.getVirtualService('bookinfo', 'reviews');

    expect(first?.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(second?.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(calls).toEqual([
      'networking.istio.io/v1 virtualservices bookinfo/reviews',
      'networking.istio.io/v1beta1 virtualservices bookinfo/reviews',
      'networking.istio.io/v1beta1 virtualservices bookinfo/reviews',
    ]);
  });

  it('answers undefined for a missing object without trying other versions', async () => {
    const { api, calls } = fakeApi(['v1', 'v1beta1'], {});

    const found = await new KubernetesMeshReader(api).getDestinationRule('bookinfo', 'reviews');

    expect(found).toBeUndefined();
    expect(calls).toEqual(['networking.istio.io/v1 destinationrules bookinfo/reviews']);
  });

  it('wraps other failures in MeshReadError with the cause', async () => {
    const forbidden = new ApiException(403, 'Forbidden', '{}', {});
    const { api } = fakeApi(['v1'], {}, forbidden);

    const error = await new KubernetesMeshReader(api)
      .getVirtualService('bookinfo', 'reviews')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MeshReadError);
    expect((error as MeshReadError).cause).toBe(forbidden);
    expect((error as Error).message).toContain('virtualservices bookinfo/reviews');
  });
});

describe('StaticMeshReader', () => {
  it('keeps only routing objects, hands out copies, and lets a test replace them', async () => {
    const reader = new StaticMeshReader([
      { kind: 'Deployment', metadata: { name: 'x', namespace: 'bookinfo' } },
      vs,
    ]);

    const copy = await reader.getVirtualService('bookinfo', 'reviews');
    copy!.spec.hosts = ['changed'];
    reader.put({ ...vs, spec: { hosts: ['reviews', 'reviews.bookinfo'] } });

    expect((await reader.getVirtualService('bookinfo', 'reviews'))?.spec.hosts).toEqual([
      'reviews',
      'reviews.bookinfo',
    ]);
    expect(await reader.getVirtualService('bookinfo', 'x')).toBeUndefined();
    expect(await reader.getDestinationRule('bookinfo', 'reviews')).toBeUndefined();
  });
});
