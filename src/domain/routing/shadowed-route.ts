/**
 * Whether a match route the bot inserts would ever see its requests: Istio takes the first route that
 * matches, so a route someone else placed in front (the weather app's own `testers` cookie route, for
 * example) can take every request the release means to route, and the release would never get them.
 *
 * The analysis routes request classes, concrete requests that the bot's route matches, through the
 * routes in front of it, with Envoy's semantics (whole-value RE2 regexes, all conditions of a match).
 */
import { RE2JS } from 're2js';
import { botRoutePrefix, cookiePairOf, sameDestination } from './route-math.js';
import type { Destination, HttpMatchRequest, HttpRoute, StringMatch } from './virtual-service.js';

/** A concrete request the release's route is meant for. */
export interface RequestClass {
  /** `cookie user=tester`, in words, for the sentence a person reads. */
  description: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  sourceLabels: Record<string, string>;
}

/** A route in front that takes a request class of the release. */
export interface ShadowingRoute {
  index: number;
  /** `"testers"`, or `#2 (unnamed)`. */
  route: string;
  request: RequestClass;
}

/** Values a request can carry that this condition accepts; empty when none can be derived (a free regex). */
function sampleValues(name: string, condition: StringMatch): string[] {
  if ('exact' in condition) return [condition.exact];
  if ('prefix' in condition) return [condition.prefix];
  const pair = name === 'cookie' ? cookiePairOf(condition.regex) : undefined;
  if (pair === undefined) return [];
  // The cookie alone, and as a browser sends it among others.
  return [pair, `session=4f2a9c; ${pair}; theme=dark`];
}

/**
 * Concrete requests that `match` accepts, one per combination of sample values; a condition whose
 * values cannot be derived (a free regex) yields none, and the analysis then has nothing to say.
 *
 * @example requestClassesOf([{ headers: { 'end-user': { exact: 'jason' } } }])
 * // [{ description: 'header end-user: jason', headers: { 'end-user': 'jason' }, sourceLabels: {} }]
 */
export function requestClassesOf(match: readonly HttpMatchRequest[]): RequestClass[] {
  const classes: RequestClass[] = [];
  for (const m of match) {
    let partial: RequestClass[] = [
      { description: '', headers: {}, sourceLabels: { ...(m.sourceLabels ?? {}) } },
    ];
    for (const [rawName, condition] of Object.entries(m.headers ?? {})) {
      const name = rawName.toLowerCase();
      const values = sampleValues(name, condition);
      partial = partial.flatMap((c) => values.map((v) => ({ ...c, headers: { ...c.headers, [name]: v } })));
    }
    for (const c of partial) {
      const parts = [
        ...Object.entries(c.headers).map(([n, v]) => `${n}: ${v}`),
        ...Object.entries(c.sourceLabels).map(([n, v]) => `from ${n}=${v}`),
      ];
      if (parts.length > 0 && matchesEveryRequestOf(m, c))
        classes.push({ ...c, description: parts.join(', ') });
    }
  }
  return classes;
}

const regexCache = new Map<string, RE2JS | undefined>();

function stringMatches(condition: StringMatch, value: string): boolean {
  if ('exact' in condition) return value === condition.exact;
  if ('prefix' in condition) return value.startsWith(condition.prefix);
  if (!regexCache.has(condition.regex)) {
    let compiled: RE2JS | undefined;
    try {
      compiled = RE2JS.compile(`^(?:${condition.regex})$`);
    } catch {
      compiled = undefined; // Istio would not have admitted it; it matches nothing
    }
    regexCache.set(condition.regex, compiled);
  }
  return regexCache.get(condition.regex)?.matches(value) ?? false;
}

/**
 * Whether every request of the class meets `match`. Conditions on what a class does not fix (a URI
 * other than `/`-prefix, method, authority, port...) hold only for some of its requests, so not for all.
 */
function matchesEveryRequestOf(match: HttpMatchRequest, request: RequestClass): boolean {
  for (const [name, condition] of Object.entries(match.headers ?? {})) {
    const value = request.headers[name.toLowerCase()];
    if (value === undefined || !stringMatches(condition, value)) return false;
  }
  const without = (match.withoutHeaders ?? {}) as Record<string, StringMatch>;
  for (const [name, condition] of Object.entries(without)) {
    const value = request.headers[name.toLowerCase()];
    if (value !== undefined && (Object.keys(condition).length === 0 || stringMatches(condition, value)))
      return false;
  }
  for (const [name, value] of Object.entries(match.sourceLabels ?? {}))
    if (request.sourceLabels[name] !== value) return false;
  const uri = match.uri as StringMatch | undefined;
  if (uri !== undefined && !('prefix' in uri && uri.prefix === '/')) return false;
  const gateways = match.gateways as string[] | undefined;
  if (gateways && gateways.length > 0 && !gateways.includes('mesh')) return false;
  const known = new Set([
    'name',
    'headers',
    'withoutHeaders',
    'sourceLabels',
    'uri',
    'gateways',
    'ignoreUriCase',
  ]);
  return Object.keys(match).every((key) => known.has(key));
}

// A route that sends everything to the release's own destination takes nothing away from it.
function sendsOnlyTo(route: HttpRoute, destination: Destination): boolean {
  const targets = (route.route ?? []).filter(
    (d) => (d.weight ?? 100) > 0 || (route.route ?? []).length === 1,
  );
  return (
    targets.length > 0 && targets.every((d) => sameDestination(d.destination, destination)) && !route.redirect
  );
}

/**
 * A route in front of `insertAt` that is the first to take a request the new route is meant for and sends
 * it elsewhere than `destination` (not one of the bot's own routes), or undefined when every request class
 * reaches the new route, or its destination, or one of the bot's routes.
 *
 * @example
 * findShadowingRoute(
 *   [{ name: 'testers', match: [{ headers: { cookie: { regex: cookieRegex('user=tester') } } }], route }, { route }],
 *   1,
 *   requestClassesOf([{ headers: { cookie: { regex: cookieRegex('user=tester') } } }]),
 *   { host: 'frontend', subset: 'v3' },
 * ) // { index: 0, route: '"testers"', request: { description: 'cookie: user=tester', ... } }
 */
export function findShadowingRoute(
  http: readonly HttpRoute[],
  insertAt: number,
  classes: readonly RequestClass[],
  destination: Destination,
): ShadowingRoute | undefined {
  // The first route that takes a request decides where it goes; the routes behind it never see it.
  for (const request of classes) {
    const index = http
      .slice(0, insertAt)
      .findIndex(
        (route) =>
          (route.match ?? []).length === 0 ||
          (route.match ?? []).some((m) => matchesEveryRequestOf(m, request)),
      );
    const route = http[index];
    if (index < 0 || !route || route.name?.startsWith(botRoutePrefix) || sendsOnlyTo(route, destination))
      continue;
    return { index, route: route.name ? `"${route.name}"` : `#${index + 1} (unnamed)`, request };
  }
  return undefined;
}
