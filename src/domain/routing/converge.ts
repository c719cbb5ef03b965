/**
 * The VirtualService spec that realises a release's target from the live spec: the owned route gets the
 * target's weights and mirror (or goes back to the route captured before the release), the release's own
 * routes are exactly the target's, in order, just in front of the owned route, and every other route is kept
 * as it is, in its place.
 */

import type { RequestMatch } from './route-math.js';
import {
  findRouteIndex,
  routeAt,
  toMatchRequest,
  withMirror,
  withoutMirror,
  withoutRoutes,
  withRouteAt,
  withRouteInserted,
  withWeights,
} from './route-math.js';
import type {
  Destination,
  HttpRoute,
  RouteSelector,
  VirtualServiceSpec,
  WeightedDestination,
} from './virtual-service.js';

/** What the owned route and the release's own routes must be. */
export interface RouteTarget {
  readonly owned:
    | {
        readonly kind: 'weights';
        readonly weights: readonly WeightedDestination[];
        readonly mirror?: { readonly destination: Destination; readonly percent: number };
      }
    | { readonly kind: 'original'; readonly route: HttpRoute };
  readonly routes: readonly {
    readonly name: string;
    readonly matches: readonly RequestMatch[];
    readonly destination: Destination;
  }[];
  /** Every route whose name starts with this belongs to the release (`canary-bot-<release>-`). */
  readonly routePrefix: string;
}

/**
 * The spec with the target applied, and the index of the owned route in it.
 *
 * @example convergedSpec(spec, { kind: 'default' }, { owned: { kind: 'weights', weights }, routes: [], routePrefix })
 * @throws RouteError when the owned route is missing or the target is invalid (weights, matches)
 */
export function convergedSpec(
  spec: VirtualServiceSpec,
  selector: RouteSelector,
  target: RouteTarget,
): { readonly spec: VirtualServiceSpec; readonly ownedIndex: number } {
  let next = withoutRoutes(spec, (name) => name.startsWith(target.routePrefix));
  const index = findRouteIndex(next, selector);
  next = withRouteAt(next, index, ownedRoute(routeAt(next, index), target.owned));
  target.routes.forEach((route, i) => {
    next = withRouteInserted(next, index + i, {
      name: route.name,
      match: route.matches.map(toMatchRequest),
      route: [{ destination: route.destination }],
    });
  });
  return { spec: next, ownedIndex: index + target.routes.length };
}

/** The owned route as the target wants it, from the live one. */
export function ownedRoute(live: HttpRoute, owned: RouteTarget['owned']): HttpRoute {
  if (owned.kind === 'original') return owned.route;
  const weighted = withWeights(live, owned.weights);
  return owned.mirror
    ? withMirror(weighted, owned.mirror.destination, owned.mirror.percent)
    : withoutMirror(weighted);
}
