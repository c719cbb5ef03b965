/**
 * Which API routes a service, and which one a release drives: Istio's VirtualService or Gateway API's
 * HTTPRoute. A service routed by both is refused unless the person names one (`--via`): Istio does not
 * define which of the two wins for one workload, so a release on either could be silently overridden.
 */

/** The API that routes a service. */
export type RouteApi = 'VirtualService' | 'HTTPRoute';

/** `--via virtualservice|httproute[/NAME]` as typed. */
export interface ViaChoice {
  readonly api: RouteApi;
  /** The route object's name, when it is not the service's. */
  readonly name?: string;
}

/** The words `--via` takes, lower case, and the API each names. */
export const VIA_WORDS: Readonly<Record<string, RouteApi>> = {
  virtualservice: 'VirtualService',
  vs: 'VirtualService',
  httproute: 'HTTPRoute',
};

/**
 * Reads `--via`'s value: `httproute`, `httproute/reviews-mesh`, `virtualservice/reviews-vs`; a sentence
 * when it is neither API.
 *
 * @example parseVia('httproute/reviews-mesh') // { api: 'HTTPRoute', name: 'reviews-mesh' }
 */
export function parseVia(word: string): ViaChoice | string {
  const slash = word.indexOf('/');
  const head = (slash < 0 ? word : word.slice(0, slash)).toLowerCase();
  const api = Object.hasOwn(VIA_WORDS, head) ? VIA_WORDS[head] : undefined;
  if (!api) return `--via takes virtualservice or httproute (optionally /NAME), not "${word}".`;
  if (slash < 0) return { api };
  const name = word.slice(slash + 1);
  return name ? { api, name } : `--via ${head}/ needs the route object's name after the slash.`;
}

/** What the start of a release asked for and what the cluster holds. */
export interface RouteChoiceInput {
  readonly service: string;
  readonly namespace: string;
  /** `--via`, when given. */
  readonly via?: ViaChoice;
  /** `--vs NAME`: a VirtualService by name (the same as `--via virtualservice/NAME`). */
  readonly virtualService?: string;
  /** The APIs that have a route object of the candidate name. */
  readonly found: readonly RouteApi[];
}

/**
 * The route object a release drives, or the sentence that refuses the start.
 *
 * @example chooseRoute({ service: 'reviews', namespace: 'bookinfo', found: ['HTTPRoute'] }) // { api: 'HTTPRoute', name: 'reviews' }
 */
export function chooseRoute(input: RouteChoiceInput): { api: RouteApi; name: string } | string {
  const name = candidateName(input);
  const where = `in namespace ${input.namespace}`;
  const asked = input.via?.api ?? (input.virtualService !== undefined ? 'VirtualService' : undefined);
  if (asked) {
    if (input.via?.api === 'HTTPRoute' && input.virtualService !== undefined)
      return '--vs names a VirtualService and --via httproute an HTTPRoute: give one of them.';
    if (input.found.includes(asked)) return { api: asked, name };
    return `There is no ${asked} "${name}" ${where}${input.found.length > 0 ? ` (there is a ${input.found.join(' and a ')} of that name)` : ''}; name the route object with --via ${asked.toLowerCase()}/NAME.`;
  }
  if (input.found.length === 0)
    return `Neither a VirtualService nor an HTTPRoute named "${name}" routes ${input.service} ${where}; name the route object with --vs NAME or --via httproute/NAME.`;
  if (input.found.length > 1)
    return `Both a VirtualService and an HTTPRoute named "${name}" exist ${where}. Istio does not define which one routes ${input.service} when both do, so a release on either could be overridden without a word: remove one, or say which to drive with --via virtualservice or --via httproute.`;
  return { api: input.found[0] as RouteApi, name };
}

/** The name looked up: `--via …/NAME`, else `--vs NAME`, else the service's own. */
export function candidateName(input: Pick<RouteChoiceInput, 'service' | 'via' | 'virtualService'>): string {
  return input.via?.name ?? input.virtualService ?? input.service;
}

/**
 * Why `--with` pins cannot run on this route, or undefined. Pins match the calling pods' labels (Istio's
 * `sourceLabels`): Gateway API has no such match (a consumer route in the caller's namespace applies to
 * every caller there, not to one version of it), and Istio's waypoints ignore `sourceLabels` in a
 * VirtualService. The pin is refused at the start rather than dropped.
 *
 * @example pinRefusal('HTTPRoute', [{ service: 'frontend', version: 'v2' }]) // '--with frontend=v2 pins …'
 */
export function pinRefusal(
  api: RouteApi,
  pins: readonly { service: string; version: string }[],
  waypoint?: string,
): string | undefined {
  if (pins.length === 0) return undefined;
  const named = pins.map((p) => `--with ${p.service}=${p.version}`).join(', ');
  if (api === 'HTTPRoute')
    return `${named} pins callers by their pods' labels, which an HTTPRoute cannot express: Gateway API has no match on the calling workload, and a consumer route in the caller's namespace would take every caller there, not one version. The pin is refused rather than dropped: release the caller with its own route, or drive a VirtualService in sidecar mode.`;
  if (waypoint !== undefined)
    return `${named} pins callers by their pods' labels (sourceLabels), which the waypoint ${waypoint} in front of this service ignores (Istio's ambient mode), so the pin would be dropped without a word. It is refused instead: release the caller with its own route.`;
  return undefined;
}
