/** Differential cases for the Envoy fidelity suites: one service on port 80, its routes and requests. */
import type { FidelityCase, RequestClass } from '../../../local/fidelity/differential.js';
import type { HttpRoute } from '../../../local/traffic/istio-types.js';

/**
 * The case of service `host` in namespace `ns`: a workload per version, a VirtualService with `http`, a
 * DestinationRule with a subset per version in `subsets` (every version by default), and the requests.
 *
 * @example fidelityCaseOf('fid', 'svc-0', ['v1', 'v2'], [{ route: [{ destination: { host: 'svc-0' } }] }], requests);
 */
export function fidelityCaseOf(
  ns: string,
  host: string,
  versions: readonly string[],
  http: HttpRoute[],
  requests: RequestClass[],
  subsets: readonly string[] = versions,
): FidelityCase {
  return {
    id: host,
    service: {
      name: host,
      namespace: ns,
      versions: versions.map((v) => ({ version: v, workload: `${host}-${v}` })),
    },
    port: 80,
    virtualService: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: host, namespace: ns },
      spec: { hosts: [host], http },
    },
    destinationRules: [
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: host, namespace: ns },
        spec: { host, subsets: subsets.map((v) => ({ name: v, labels: { version: v } })) },
      },
    ],
    requests,
  };
}
