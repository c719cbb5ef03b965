import { isHeaderName, regexProblem } from '../validation/index.js';
import { RouteError } from './routing-errors.js';
import type {
  Destination,
  HttpMatchRequest,
  HttpRoute,
  RouteDestination,
  RouteSelector,
  StringMatch,
  VirtualServiceSpec,
  WeightedDestination,
} from './virtual-service.js';

/** Prefix of the names of routes the bot adds (A/B matches, source pins), so it can find and remove them. */
export const botRoutePrefix = 'canary-bot-';

/** `reviews/v2` for a subset destination, `apps-svc-v2` for a host destination. */
export function describeDestination(destination: Destination): string {
  return destination.subset ? `${destination.host}/${destination.subset}` : destination.host;
}

/** Two destinations are the same if host, subset and port agree. */
export function sameDestination(a: Destination, b: Destination): boolean {
  return (
    a.host === b.host &&
    (a.subset ?? '') === (b.subset ?? '') &&
    (a.port?.number ?? 0) === (b.port?.number ?? 0)
  );
}

/** `reviews/v1=90, reviews/v2=10`: weights in the order of the route. */
export function describeWeights(weights: readonly WeightedDestination[]): string {
  return weights.map((w) => `${describeDestination(w.destination)}=${w.weight}`).join(', ');
}

function describeSelector(selector: RouteSelector): string {
  return selector.kind === 'named'
    ? `the route named "${selector.name}"`
    : 'a default route (one without match)';
}

/**
 * Index of the route a release owns: the named route, or the last route without a match (the catch-all).
 *
 * @example
 * findRouteIndex({ http: [{ match: [...], route }, { route }] }, { kind: 'default' }) // 1
 */
export function findRouteIndex(spec: VirtualServiceSpec, selector: RouteSelector): number {
  const routes = spec.http ?? [];
  let index = -1;
  if (selector.kind === 'named') {
    index = routes.findIndex((r) => r.name === selector.name);
  } else {
    for (let i = routes.length - 1; i >= 0; i--) {
      if ((routes[i]?.match ?? []).length === 0) {
        index = i;
        break;
      }
    }
  }
  if (index < 0)
    throw new RouteError(
      'route-not-found',
      `The VirtualService has no HTTP route matching ${describeSelector(selector)}.`,
    );
  return index;
}

/** The route at `index`; throws if it is missing. */
export function routeAt(spec: VirtualServiceSpec, index: number): HttpRoute {
  const route = spec.http?.[index];
  if (!route)
    throw new RouteError('route-not-found', `The VirtualService has no HTTP route at position ${index}.`);
  return route;
}

/**
 * The weights a route applies, as Istio reads them: a lone destination without weight gets 100,
 * other destinations without weight get 0.
 */
export function routeWeights(route: HttpRoute): WeightedDestination[] {
  const entries = route.route ?? [];
  return entries.map((entry) => ({
    destination: entry.destination,
    weight: entry.weight ?? (entries.length === 1 ? 100 : 0),
  }));
}

/** Same destinations with the same weights, in any order; zero weights count as absent. */
export function sameWeights(a: readonly WeightedDestination[], b: readonly WeightedDestination[]): boolean {
  const positive = (list: readonly WeightedDestination[]) => list.filter((w) => w.weight > 0);
  const [pa, pb] = [positive(a), positive(b)];
  return (
    pa.length === pb.length &&
    pa.every((w) => pb.some((o) => sameDestination(o.destination, w.destination) && o.weight === w.weight))
  );
}

/**
 * How live weights differ from the expected ones, in words; undefined when they agree.
 *
 * @example weightsDrift([{ destination: { host: 'a' }, weight: 70 }], [{ destination: { host: 'a' }, weight: 90 }])
 * // 'expected a=90, found a=70'
 */
export function weightsDrift(
  found: readonly WeightedDestination[],
  expected: readonly WeightedDestination[],
): string | undefined {
  return sameWeights(found, expected)
    ? undefined
    : `expected ${describeWeights(expected)}, found ${describeWeights(found)}`;
}

/** Refuses weights that Istio would refuse or that make no sense: not integers, not adding up to 100, duplicates. */
export function validateWeights(weights: readonly WeightedDestination[]): void {
  if (weights.length === 0)
    throw new RouteError('invalid-weights', 'At least one destination needs a weight.');
  for (const w of weights) {
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 100) {
      throw new RouteError(
        'invalid-weights',
        `Weight of ${describeDestination(w.destination)} must be a whole number from 0 to 100, not ${w.weight}.`,
      );
    }
    if (!w.destination.host) throw new RouteError('invalid-weights', 'Every destination needs a host.');
  }
  const total = weights.reduce((sum, w) => sum + w.weight, 0);
  if (total !== 100) {
    throw new RouteError(
      'invalid-weights',
      `Weights must add up to 100, not ${total} (${describeWeights(weights)}).`,
    );
  }
  weights.forEach((w, i) => {
    if (weights.findIndex((o) => sameDestination(o.destination, w.destination)) !== i) {
      throw new RouteError('duplicate-destination', `${describeDestination(w.destination)} is listed twice.`);
    }
  });
}

/**
 * A copy of `route` whose destinations and weights are `weights`, in that order. Fields of an existing
 * destination entry (header operations, for example) are kept; every other field of the route is kept.
 */
export function withWeights(route: HttpRoute, weights: readonly WeightedDestination[]): HttpRoute {
  validateWeights(weights);
  const entries: RouteDestination[] = weights.map((w) => {
    const existing = route.route?.find((e) => sameDestination(e.destination, w.destination));
    return existing ? { ...existing, weight: w.weight } : { destination: w.destination, weight: w.weight };
  });
  return { ...route, route: entries };
}

/** A copy of `spec` with the route at `index` replaced; every other route is the same object, in the same place. */
export function withRouteAt(spec: VirtualServiceSpec, index: number, route: HttpRoute): VirtualServiceSpec {
  const http = [...(spec.http ?? [])];
  routeAt(spec, index);
  http[index] = route;
  return { ...spec, http };
}

/**
 * A copy of `spec` with `route` inserted just before the route at `beforeIndex`, so that it takes precedence
 * over the owned route while every route already in front keeps its precedence.
 */
export function withRouteInserted(
  spec: VirtualServiceSpec,
  beforeIndex: number,
  route: HttpRoute,
): VirtualServiceSpec {
  if (route.name && (spec.http ?? []).some((r) => r.name === route.name)) {
    throw new RouteError('route-name-taken', `The VirtualService already has a route named "${route.name}".`);
  }
  const http = [...(spec.http ?? [])];
  http.splice(beforeIndex, 0, route);
  return { ...spec, http };
}

/** A copy of `spec` without the routes whose name satisfies `remove`. */
export function withoutRoutes(
  spec: VirtualServiceSpec,
  remove: (name: string) => boolean,
): VirtualServiceSpec {
  return { ...spec, http: (spec.http ?? []).filter((r) => !(r.name && remove(r.name))) };
}

/** A copy of `route` that also sends a shadow copy of `percent` % of its requests to `destination`. */
export function withMirror(route: HttpRoute, destination: Destination, percent: number): HttpRoute {
  if (!(percent > 0 && percent <= 100)) {
    throw new RouteError(
      'invalid-weights',
      `Mirror percentage must be above 0 and at most 100, not ${percent}.`,
    );
  }
  return { ...route, mirror: destination, mirrorPercentage: { value: percent } };
}

/** A copy of `route` without mirroring. */
export function withoutMirror(route: HttpRoute): HttpRoute {
  const { mirror: _mirror, mirrorPercentage: _percentage, ...rest } = route;
  return rest;
}

/** What an A/B route matches on. */
export type RequestMatch =
  | { kind: 'header'; name: string; match: StringMatch }
  | { kind: 'cookie'; regex: string }
  | { kind: 'user-agent'; regex: string }
  | { kind: 'source'; labels: Record<string, string> };

function checkRegex(regex: string, what: string): void {
  const problem = regexProblem(regex, what);
  if (problem) throw new RouteError('invalid-match', problem);
}

/**
 * The Istio match for a request predicate. Cookies and user agents are header regexes, as Istio expresses them.
 *
 * @example
 * toMatchRequest({ kind: 'cookie', regex: '^(.*?;\\s*)?(user=tester)(;.*)?$' })
 * // { headers: { cookie: { regex: '^(.*?;\\s*)?(user=tester)(;.*)?$' } } }
 */
export function toMatchRequest(match: RequestMatch): HttpMatchRequest {
  switch (match.kind) {
    case 'header': {
      const name = match.name.toLowerCase();
      if (!isHeaderName(name))
        throw new RouteError('invalid-match', `"${match.name}" is not a valid header name.`);
      const value = Object.values(match.match)[0] as string;
      if ('regex' in match.match) checkRegex(match.match.regex, 'header');
      else if (!value)
        throw new RouteError('invalid-match', `The value to match in header ${name} is empty.`);
      return { headers: { [name]: match.match } };
    }
    case 'cookie':
      checkRegex(match.regex, 'cookie');
      return { headers: { cookie: { regex: match.regex } } };
    case 'user-agent':
      checkRegex(match.regex, 'user agent');
      return { headers: { 'user-agent': { regex: match.regex } } };
    case 'source':
      if (Object.keys(match.labels).length === 0)
        throw new RouteError('invalid-match', 'A source match needs at least one label.');
      return { sourceLabels: { ...match.labels } };
  }
}

/**
 * The regex that matches one cookie `name=value` anywhere in the Cookie header as browsers send it
 * (`a=b; user=tester`): Istio's documented regex, which wants no space after ';', plus that space.
 *
 * @example cookieRegex('user=tester') // '^(.*?;\\s*)?(user=tester)(;.*)?$'
 */
export function cookieRegex(nameValue: string): string {
  const escaped = nameValue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `^(.*?;\\s*)?(${escaped})(;.*)?$`;
}

// Istio's documented cookie regex and the bot's, which also takes the space browsers put after ';'.
const cookieShape = /^\^\(\.\*\?;(?:\\s\*)?\)\?\((.*)\)\(;\.\*\)\?\$$/;

/**
 * The `name=value` a cookie regex of that shape stands for; undefined for any other regex.
 *
 * @example cookiePairOf(cookieRegex('user=tester')) // 'user=tester'
 */
export function cookiePairOf(regex: string): string | undefined {
  return cookieShape.exec(regex)?.[1]?.replace(/\\(.)/g, '$1');
}

/** JSON with object keys sorted, so that two routes compare equal whatever order the server keeps keys in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** True when two routes are the same, ignoring key order. */
export function sameRoute(a: HttpRoute | undefined, b: HttpRoute | undefined): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
