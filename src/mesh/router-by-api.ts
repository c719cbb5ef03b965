import type {
  ConvergeOptions,
  MeshEvent,
  RouteApi,
  RouteRef,
  RouteSnapshot,
  TrafficRouter,
} from '../app/ports/traffic-router.js';
import type { Fence, MeshTarget } from '../domain/release/index.js';
import type { Destination, WeightedDestination } from '../domain/routing/virtual-service.js';

/**
 * One cluster's traffic router over both route APIs: each call goes to the router of the API its route
 * names (`ref.api`; a VirtualService when left out), and `routeApisOf` asks both.
 *
 * @example
 * const router = new RouterByApi({ VirtualService: new IstioTrafficRouter(kc), HTTPRoute: new HttpRouteTrafficRouter(kc) });
 * await router.routeApisOf('bookinfo', 'reviews'); // ['HTTPRoute']
 */
export class RouterByApi implements TrafficRouter {
  constructor(private readonly routers: Readonly<Record<RouteApi, TrafficRouter>>) {}

  readRoute(ref: RouteRef): Promise<RouteSnapshot> {
    return this.of(ref.api).readRoute(ref);
  }

  converge(ref: RouteRef, target: MeshTarget, options?: ConvergeOptions): Promise<RouteSnapshot> {
    return this.of(ref.api).converge(ref, target, options);
  }

  seal(ref: RouteRef, fence: Fence): Promise<void> {
    return this.of(ref.api).seal(ref, fence);
  }

  checkDrift(ref: RouteRef, expected: readonly WeightedDestination[]): Promise<string | undefined> {
    return this.of(ref.api).checkDrift(ref, expected);
  }

  validateDestinations(
    namespace: string,
    destinations: readonly Destination[],
    api?: RouteApi,
  ): Promise<void> {
    return this.of(api).validateDestinations(namespace, destinations, api);
  }

  recordEvent(ref: Pick<RouteRef, 'namespace' | 'name' | 'api'>, event: MeshEvent): Promise<void> {
    return this.of(ref.api).recordEvent(ref, event);
  }

  async routeApisOf(namespace: string, name: string): Promise<RouteApi[]> {
    const found = await Promise.all(
      (['VirtualService', 'HTTPRoute'] as const).map(
        async (api) => (await this.routers[api].routeApisOf?.(namespace, name)) ?? [api],
      ),
    );
    return found.flat();
  }

  waypointOf(namespace: string, service: string): Promise<string | undefined> {
    return this.routers.VirtualService.waypointOf?.(namespace, service) ?? Promise.resolve(undefined);
  }

  private of(api: RouteApi | undefined): TrafficRouter {
    return this.routers[api ?? 'VirtualService'];
  }
}
