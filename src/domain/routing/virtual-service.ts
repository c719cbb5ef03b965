/**
 * The parts of an Istio VirtualService that the bot reads or edits. Every other field is carried through
 * untouched (index signatures), so a route the bot does not own survives a write byte for byte.
 */

/** Where a route sends traffic: a host, optionally narrowed to a DestinationRule subset. */
export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
  [field: string]: unknown;
}

/** One weighted entry of a route (`spec.http[].route[]`). */
export interface RouteDestination {
  destination: Destination;
  weight?: number;
  [field: string]: unknown;
}

/** A string match as Istio writes it: exactly one of exact, prefix, regex. */
export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

/** One `spec.http[].match[]` entry. */
export interface HttpMatchRequest {
  name?: string;
  headers?: Record<string, StringMatch>;
  sourceLabels?: Record<string, string>;
  [field: string]: unknown;
}

/** One `spec.http[]` route. */
export interface HttpRoute {
  name?: string;
  match?: HttpMatchRequest[];
  route?: RouteDestination[];
  mirror?: Destination;
  mirrorPercentage?: { value: number };
  [field: string]: unknown;
}

/** `spec` of a VirtualService. */
export interface VirtualServiceSpec {
  hosts?: string[];
  http?: HttpRoute[];
  [field: string]: unknown;
}

/** Which route of a VirtualService a release owns: a named route, or the default (catch-all) route. */
export type RouteSelector = { kind: 'named'; name: string } | { kind: 'default' };

/** A destination and the percentage of requests it receives. */
export interface WeightedDestination {
  destination: Destination;
  weight: number;
}
