/**
 * The parts of Istio's networking.istio.io VirtualService and DestinationRule that decide where an
 * HTTP request goes. Fields the simulator does not model are allowed through untyped.
 */

/** Istio StringMatch: exactly one of exact, prefix or regex (RE2, whole value); empty means "present". */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface HttpMatchRequest {
  name?: string;
  uri?: StringMatch;
  method?: StringMatch;
  headers?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  queryParams?: Record<string, StringMatch>;
  gateways?: string[];
  [unmodelled: string]: unknown;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: { number?: number };
}

export interface HttpRouteDestination {
  destination: Destination;
  weight?: number;
  [unmodelled: string]: unknown;
}

export interface HttpMirrorPolicy {
  destination: Destination;
  percentage?: { value?: number };
}

export interface HttpRoute {
  name?: string;
  match?: HttpMatchRequest[];
  route?: HttpRouteDestination[];
  mirror?: Destination;
  mirrorPercentage?: { value?: number };
  mirrors?: HttpMirrorPolicy[];
  redirect?: unknown;
  directResponse?: unknown;
  [unmodelled: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  [unmodelled: string]: unknown;
}

export interface VirtualService {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    hosts?: string[];
    gateways?: string[];
    http?: HttpRoute[];
    [unmodelled: string]: unknown;
  };
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  [unmodelled: string]: unknown;
}

export interface DestinationRule {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    host: string;
    subsets?: Subset[];
    [unmodelled: string]: unknown;
  };
}
