import type { RequestMatch } from '../../domain/routing/route-math.js';
import type {
  Destination,
  HttpRoute,
  RouteSelector,
  WeightedDestination,
} from '../../domain/routing/virtual-service.js';

/** A VirtualService and the route of it that a release owns. */
export interface RouteRef {
  namespace: string;
  /** Name of the VirtualService. */
  name: string;
  route: RouteSelector;
}

/** What the owned route looked like when it was read. */
export interface RouteSnapshot {
  ref: RouteRef;
  /** `networking.istio.io/v1` or `networking.istio.io/v1beta1`, whichever the cluster serves. */
  apiVersion: string;
  resourceVersion: string;
  /** Position of the owned route in `spec.http`. */
  index: number;
  route: HttpRoute;
  weights: WeightedDestination[];
}

/** A Flagger-style event: written as a Kubernetes Event on the VirtualService. */
export interface MeshEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Options shared by every change. */
export interface ChangeOptions {
  /**
   * The weights the caller believes the route has now (what the bot last wrote). If the live route differs,
   * nothing is written and a DriftError says what changed. Without it, the route as first read is the reference.
   */
  expected?: readonly WeightedDestination[];
  /** Recorded on the VirtualService once the change is written and read back. */
  event?: MeshEvent;
}

/** A route that sends matching requests to one destination, placed just before the owned route. */
export interface MatchRouteSpec {
  /** Must start with `canary-bot-`; it is how the route is found and removed again. */
  name: string;
  matches: RequestMatch[];
  destination: Destination;
}

/**
 * Everything the bot does to a service mesh. Each change is read, validated, written with optimistic
 * concurrency, read back and compared; it is all or nothing.
 */
export interface TrafficRouter {
  /** Reads the owned route and its weights. */
  readRoute(ref: RouteRef): Promise<RouteSnapshot>;
  /** Sets the weights of the owned route only (canary steps, manual weights, blue/green switch). */
  setWeights(
    ref: RouteRef,
    weights: readonly WeightedDestination[],
    options?: ChangeOptions,
  ): Promise<RouteSnapshot>;
  /** Adds a match route (A/B by header, cookie, user agent; or a `sourceLabels` pin) in front of the owned route. */
  addMatchRoute(ref: RouteRef, spec: MatchRouteSpec, options?: ChangeOptions): Promise<RouteSnapshot>;
  /** Removes the bot's routes whose names start with `prefix`. */
  removeMatchRoutes(ref: RouteRef, prefix: string, options?: ChangeOptions): Promise<RouteSnapshot>;
  /** Mirrors `percent` % of the owned route's requests to `destination`, or stops mirroring (undefined). */
  setMirror(
    ref: RouteRef,
    mirror: { destination: Destination; percent: number } | undefined,
    options?: ChangeOptions,
  ): Promise<RouteSnapshot>;
  /** Puts back the owned route exactly as it was before the release, and removes the release's match routes. */
  restoreRoute(
    ref: RouteRef,
    original: HttpRoute,
    options?: ChangeOptions & { removeRoutesWithPrefix?: string },
  ): Promise<RouteSnapshot>;
  /** Compares live weights with `expected`; returns a description of the drift, or undefined when they agree. */
  checkDrift(ref: RouteRef, expected: readonly WeightedDestination[]): Promise<string | undefined>;
  /** Refuses destinations that do not exist or have no ready replicas. Nothing is written. */
  validateDestinations(namespace: string, destinations: readonly Destination[]): Promise<void>;
  /** Records an event on the VirtualService. (Events that a change records are best effort and never fail it.) */
  recordEvent(ref: Pick<RouteRef, 'namespace' | 'name'>, event: MeshEvent): Promise<void>;
}
