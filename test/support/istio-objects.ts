/** Small Istio objects and service profiles for the traffic simulator's unit tests. */
import type { DestinationRule } from '../../local/traffic/istio-types.js';
import type { ServiceProfile } from '../../local/traffic/profile.js';

/**
 * The DestinationRule of `host` in `namespace`: one subset per version, named as the version and selecting
 * its `version` label.
 *
 * @example const rule = destinationRuleOf('reviews', 'bookinfo', ['v1', 'v2']);
 */
export function destinationRuleOf(
  host: string,
  namespace: string,
  versions: readonly string[],
): DestinationRule {
  return {
    kind: 'DestinationRule',
    metadata: { name: host, namespace },
    spec: { host, subsets: versions.map((v) => ({ name: v, labels: { version: v } })) },
  };
}

/**
 * A service profile with a workload `<workloads>-<version>` per version (`workloads` defaults to the name);
 * `extra` adds to it.
 *
 * @example const forecast = serviceProfileOf('forecast', 'weather', ['v1', 'v2']);
 */
export function serviceProfileOf(
  name: string,
  namespace: string,
  versions: readonly string[],
  extra: Partial<ServiceProfile> & { workloads?: string } = {},
): ServiceProfile {
  const { workloads = name, ...rest } = extra;
  return {
    name,
    namespace,
    versions: versions.map((version) => ({ version, workload: `${workloads}-${version}` })),
    ...rest,
  };
}
