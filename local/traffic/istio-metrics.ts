/** Names, buckets and labels of Istio's standard HTTP metrics, as a destination sidecar or a waypoint reports them. */
import type { ServiceProfile, SourceWorkload, VersionProfile } from './profile.js';
import { versionLabels } from './profile.js';

export const REQUESTS_TOTAL = 'istio_requests_total';
export const REQUEST_DURATION = 'istio_request_duration_milliseconds';

/** Istio's default buckets for istio_request_duration_milliseconds (+Inf comes on top). */
export const ISTIO_DURATION_BUCKETS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** `le` values as Envoy prints them: `0.5`, `1`, ..., `3600000`, `+Inf`. */
export const ISTIO_DURATION_LE: readonly string[] = [...ISTIO_DURATION_BUCKETS_MS.map(String), '+Inf'];

export interface FlowIdentity {
  source: SourceWorkload;
  service: Pick<ServiceProfile, 'name' | 'namespace' | 'app' | 'reporter'>;
  version: VersionProfile;
  /** Short name of the Service that answered (the destination host). */
  host: string;
  responseCode: number;
}

/**
 * Istio's standard labels for one (source, destination workload, response code) flow, reported by the
 * destination's sidecar (`reporter="destination"`) or, in ambient mode, by its waypoint (`reporter="waypoint"`).
 */
export function istioLabels(flow: FlowIdentity): Record<string, string> {
  const { source, service, version, host } = flow;
  const ns = service.namespace;
  const app = versionLabels(service, version).app ?? service.app ?? service.name;
  return {
    reporter: service.reporter ?? 'destination',
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    source_app: source.app,
    source_version: source.version,
    source_canonical_service: source.app,
    source_canonical_revision: source.version === 'unknown' ? 'latest' : source.version,
    source_cluster: 'Kubernetes',
    destination_workload: version.workload,
    destination_workload_namespace: ns,
    destination_app: app,
    destination_version: version.version,
    destination_service: `${host}.${ns}.svc.cluster.local`,
    destination_service_name: host,
    destination_service_namespace: ns,
    destination_canonical_service: app,
    destination_canonical_revision: version.version,
    destination_cluster: 'Kubernetes',
    request_protocol: 'http',
    response_code: String(flow.responseCode),
    response_flags: '-',
    connection_security_policy: 'mutual_tls',
  };
}
