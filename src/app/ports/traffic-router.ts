import type { Fence, MeshTarget } from '../../domain/release/index.js';
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
  /** Refuses destinations that do not exist or have no ready replicas. Nothing is written. */
  validateDestinations(namespace: string, destinations: readonly Destination[]): Promise<void>;
  /** Records an event on the VirtualService. (Events that a change records are best effort and never fail it.) */
  recordEvent(ref: Pick<RouteRef, 'namespace' | 'name'>, event: MeshEvent): Promise<void>;
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
