/**
 * What the simulator knows about a service: its versions (workloads), how each behaves, who calls it
 * and what requests look like. Everything here is plain data so the seeds' profiles can be literals.
 */

/** How long a version takes to answer. */
export type LatencyModel =
  | { kind: 'lognormal'; medianMs: number; p99Ms: number }
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number };

/** The part of a version that a test flips to make it "bad". */
export interface VersionBehaviour {
  /** Fraction of requests answered with `errorCode`, 0..1. */
  errorRate: number;
  errorCode: 500 | 503;
  latency: LatencyModel;
}

/** A downstream call made once (or `perRequest` times) for every request a version serves. */
export interface DownstreamCall {
  /** Service name in the caller's namespace, or `namespace/name`. */
  service: string;
  perRequest?: number;
}

/** One version of a service: a Deployment whose pods carry `labels`. */
export interface VersionProfile extends Partial<VersionBehaviour> {
  version: string;
  workload: string;
  /** Pod labels, matched by DestinationRule subsets and sourceLabels; default `{app, version}`. */
  labels?: Readonly<Record<string, string>>;
  /** Replaces the service's `calls` for this version (bookinfo's reviews-v1 never calls ratings). */
  calls?: readonly DownstreamCall[];
}

/** The workload a request comes from, as Istio's `source_*` labels see it. */
export interface SourceWorkload {
  workload: string;
  namespace: string;
  app: string;
  version: string;
  /** Pod labels for sourceLabels matches; default `{app, version}`. */
  labels?: Readonly<Record<string, string>>;
}

/** A share of a service's external requests that carries particular attributes. */
export interface RequestClass {
  /** Fraction of the service's external requests, 0..1; what the classes leave is plain traffic. */
  fraction: number;
  /** Header names in lower case, e.g. `{ 'end-user': 'jason' }`. */
  headers?: Readonly<Record<string, string>>;
  /** Value of the `cookie` header, e.g. `user=tester`. */
  cookie?: string;
  userAgent?: string;
  /** Overrides the service's external source for this class. */
  source?: SourceWorkload;
}

export interface ServiceProfile {
  /** Kubernetes Service name, the host clients call. */
  name: string;
  namespace: string;
  /** App label of its workloads; default `name`. */
  app?: string;
  /** VirtualService to read; default `name`; `null` = no VirtualService, Kubernetes balancing. */
  virtualService?: string | null;
  /** Gateway API HTTPRoute that routes the Service (GAMMA) instead of a VirtualService: read and obeyed. */
  httpRoute?: string;
  /** DestinationRule name per destination host (short name); default: the host's short name. */
  destinationRules?: Readonly<Record<string, string>>;
  versions: readonly VersionProfile[];
  /** Host (short name) -> version(s) it reaches, for destinations that differ by host. */
  hosts?: Readonly<Record<string, string | readonly string[]>>;
  /** External requests per second (from `source`, default the ingress gateway). */
  rps?: number;
  mix?: readonly RequestClass[];
  source?: SourceWorkload;
  /** Downstream calls made for every request served (unless a version overrides them). */
  calls?: readonly DownstreamCall[];
  /** Whether request headers travel with downstream calls (bookinfo forwards `end-user`); default true. */
  propagateHeaders?: boolean;
  /**
   * The proxy that reports the service's requests: its sidecars (`destination`, the default) or, in Istio's
   * ambient mode, the waypoint of its namespace (`waypoint`).
   */
  reporter?: 'destination' | 'waypoint';
}

/** Traffic from outside the mesh enters through the ingress gateway. */
export const INGRESS_GATEWAY: SourceWorkload = {
  workload: 'istio-ingressgateway',
  namespace: 'istio-system',
  app: 'istio-ingressgateway',
  version: 'unknown',
  labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
};

export const DEFAULT_BEHAVIOUR: VersionBehaviour = {
  errorRate: 0,
  errorCode: 500,
  latency: { kind: 'lognormal', medianMs: 20, p99Ms: 100 },
};

/** `namespace/name`, the key the simulator uses for a service. */
export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Pod labels of a version, defaulting to the `app` and `version` labels Istio's samples use. */
export function versionLabels(
  service: Pick<ServiceProfile, 'name' | 'app'>,
  version: Pick<VersionProfile, 'version' | 'labels'>,
): Record<string, string> {
  return version.labels
    ? { ...version.labels }
    : { app: service.app ?? service.name, version: version.version };
}
