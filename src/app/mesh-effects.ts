import type { MeshChange } from '../domain/release/index.js';
import { sameRoute } from '../domain/routing/route-math.js';
import { RouteError } from '../domain/routing/routing-errors.js';
import type { HttpRoute, WeightedDestination } from '../domain/routing/virtual-service.js';
import { MeshError } from './ports/mesh-errors.js';
import type { RouteRef, TrafficRouter } from './ports/traffic-router.js';

/**
 * Carries out one mesh change. A change whose target is already live counts as done, and that is checked
 * before `expected`: it is what makes a change sent twice (after a crash, or by two runs at once) harmless.
 *
 * @example await applyMeshChange(router, ref, { kind: 'set-weights', weights, expected });
 */
export async function applyMeshChange(
  router: TrafficRouter,
  ref: RouteRef,
  change: MeshChange,
): Promise<void> {
  const options = change.expected ? { expected: change.expected as WeightedDestination[] } : {};
  switch (change.kind) {
    case 'set-weights':
      if ((await router.checkDrift(ref, change.weights)) === undefined) return;
      await router.setWeights(ref, change.weights, options);
      return;
    case 'add-match':
      try {
        await router.addMatchRoute(
          ref,
          { name: change.name, matches: [...change.matches], destination: change.destination },
          options,
        );
      } catch (error) {
        const alreadyThere =
          error instanceof MeshError &&
          error.cause instanceof RouteError &&
          error.cause.code === 'route-name-taken';
        if (!alreadyThere) throw error;
      }
      return;
    case 'remove-matches':
      await router.removeMatchRoutes(ref, change.prefix, options);
      return;
    case 'set-mirror':
      await router.setMirror(ref, { destination: change.destination, percent: change.percent }, options);
      return;
    case 'clear-mirror':
      await router.setMirror(ref, undefined, options);
      return;
    case 'restore': {
      const original = change.original as HttpRoute;
      // Owned route already back: only the release's own routes may be left, and removing them needs no
      // drift check (the expected weights are those of before the restore).
      const alreadyRestored = sameRoute((await router.readRoute(ref)).route, original);
      await router.restoreRoute(ref, original, {
        ...(alreadyRestored ? {} : options),
        removeRoutesWithPrefix: change.removePrefix,
      });
      return;
    }
  }
}
