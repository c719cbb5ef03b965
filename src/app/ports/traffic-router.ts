import type { Fence, MeshTarget } from '../../domain/release/index.js';
import type { RouteApi } from '../../domain/routing/route-api.js';
import type {
  Destination,
  HttpRoute,
  RouteSelector,
  WeightedDestination,
} from '../../domain/routing/virtual-service.js';

export type { RouteApi } from '../../domain/routing/route-api.js';

/** A route object (a VirtualService unless `api` says HTTPRoute) and the route of it that a release owns. */
export interface RouteRef {
  namespace: string;
  /** Name of the VirtualService or HTTPRoute. */
  name: string;
  route: RouteSelector;
  /** Left out: a VirtualService (releases recorded before HTTPRoutes were supported have none). */
  api?: RouteApi;
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
  /** The route object's owner mark (`<release>/<state version>[/final]`), when a release wrote it. */
  owner?: string;
}

/** A Flagger-style event: written as a Kubernetes Event on the VirtualService. */
export interface MeshEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Options of a convergence. */
export interface ConvergeOptions {
  /** Recorded on the VirtualService once the route is written and read back. */
  event?: MeshEvent;
}

/**
 * Everything the bot does to a service mesh. A write converges the route on what a release wants at one
 * state version ({@link MeshTarget}): read, fenced by the route's owner mark, drift-checked, validated,
 * written with optimistic concurrency in one update together with the new owner mark, read back and
 * compared; all or nothing.
 */
export interface TrafficRouter {
  /** Reads the owned route, its weights and the route's owner mark. */
  readRoute(ref: RouteRef): Promise<RouteSnapshot>;
  /**
   * Makes the route what `target` says. Already there: nothing is written. Refuses with a `MeshError`:
   * `superseded` when the fence does not allow the write, `drift` when the owned route holds neither
   * `target.expected` nor the target, and the validation codes for destinations that do not exist or are not ready.
   */
  converge(ref: RouteRef, target: MeshTarget, options?: ConvergeOptions): Promise<RouteSnapshot>;
  /** Leaves a tombstone owner mark (`fence.final`): no later write of that release can land. Fenced too. */
  seal(ref: RouteRef, fence: Fence): Promise<void>;
  /** Compares live weights with `expected`; returns a description of the drift, or undefined when they agree. */
  checkDrift(ref: RouteRef, expected: readonly WeightedDestination[]): Promise<string | undefined>;
  /**
   * Refuses destinations that do not exist or have no ready replicas, as the route API (`api`, default
   * VirtualService) would send to them. Nothing is written.
   */
  validateDestinations(
    namespace: string,
    destinations: readonly Destination[],
    api?: RouteApi,
  ): Promise<void>;
  /** Records an event on the route object. (Events that a change records are best effort and never fail it.) */
  recordEvent(ref: Pick<RouteRef, 'namespace' | 'name' | 'api'>, event: MeshEvent): Promise<void>;
  /**
   * Which APIs have a route object of this name in the namespace (one `get` each; an API the cluster does
   * not serve has none). Routers of one API leave it out: only that API is then considered.
   */
  routeApisOf?(namespace: string, name: string): Promise<RouteApi[]>;
  /**
   * The waypoint a Service uses in Istio's ambient mode (its `istio.io/use-waypoint` label), or undefined.
   * Waypoints ignore `sourceLabels`, so `--with` pins are refused there.
   */
  waypointOf?(namespace: string, service: string): Promise<string | undefined>;
}

/** A cluster name that is not configured (`--cluster staging` where only `prod` is). */
export class UnknownClusterError extends Error {
  override name = 'UnknownClusterError';
  constructor(
    readonly cluster: string,
    readonly configured: readonly string[],
  ) {
    super(`There is no cluster "${cluster}" here; the configured ones are ${configured.join(', ')}.`);
  }
}
