/**
 * Writes that tests make through the bot's own router when they need a route in a given state: each is a
 * convergence by a one-off release that takes over the route from whatever wrote it last.
 */
import type { RouteRef, RouteSnapshot, TrafficRouter } from '../../src/app/ports/traffic-router.js';
import type { HttpRoute, WeightedDestination } from '../../src/domain/routing/virtual-service.js';

let writes = 0;

async function asNewOwner(
  router: TrafficRouter,
  ref: RouteRef,
  owned:
    | { kind: 'weights'; weights: readonly WeightedDestination[] }
    | { kind: 'original'; route: HttpRoute },
): Promise<RouteSnapshot> {
  const { owner } = await router.readRoute(ref);
  writes += 1;
  const release = `test${Date.now().toString(36)}${writes}`;
  return await router.converge(ref, {
    revision: 1,
    owned,
    routes: [],
    routePrefix: `canary-bot-${release}-`,
    fence: { release, stateVersion: 1, final: false, ...(owner !== undefined ? { predecessor: owner } : {}) },
  });
}

/** Sets the weights of the owned route. */
export function setWeights(
  router: TrafficRouter,
  ref: RouteRef,
  weights: readonly WeightedDestination[],
): Promise<RouteSnapshot> {
  return asNewOwner(router, ref, { kind: 'weights', weights });
}

/** Puts the owned route back as it was read. */
export function restoreRoute(router: TrafficRouter, ref: RouteRef, route: HttpRoute): Promise<RouteSnapshot> {
  return asNewOwner(router, ref, { kind: 'original', route });
}
