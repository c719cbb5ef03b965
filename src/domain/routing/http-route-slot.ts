/**
 * The part of an HTTPRoute a release takes over (its slot) and the one rule it owns there.
 *
 * A release names a rule of the route as a VirtualService release names a route: a named rule, or the
 * catch-all (the last rule without matches, or matching every path and nothing else). The release never
 * edits that rule: it writes its own rule, `canary-bot-<release>`, on the same path, which Gateway API prefers
 * (equally specific and earlier in the route) for weights, or for the requests its A/B conditions take.
 * Removing the owned rule gives the route back exactly as it was.
 */

import type { RouteTarget } from './converge.js';
import {
  type DesiredRule,
  type HTTPBackendRef,
  type HTTPPathMatch,
  type HTTPRoute,
  type HTTPRouteRule,
  type HTTPValueMatch,
  mirrorShareFor,
  percentagesOf,
  routeKey,
} from './http-route.js';
import { effectiveRuleFor, type GatewayRequest } from './http-route-precedence.js';
import {
  botRoutePrefix,
  cookiePairOf,
  describeDestination,
  sameDestination,
  sameWeights,
} from './route-math.js';
import { RouteError } from './routing-errors.js';
import type { Destination, RouteSelector, WeightedDestination } from './virtual-service.js';

function isCatchAll(rule: HTTPRouteRule): boolean {
  return (rule.matches ?? []).every(
    (m) =>
      Object.keys(m).every((k) => k === 'path') &&
      (m.path?.type ?? 'PathPrefix') === 'PathPrefix' &&
      (m.path?.value ?? '/') === '/',
  );
}

/**
 * Index of the rule a release is about: the rule with the selector's name, or the last catch-all rule that
 * is not the bot's.
 *
 * @example baseRuleIndex(route, { kind: 'default' }) // 1 for rules [team-debug (/debug), main (no matches)]
 * @throws RouteError 'route-not-found' naming what is missing
 */
export function baseRuleIndex(route: HTTPRoute, selector: RouteSelector): number {
  const rules = route.spec.rules ?? [];
  if (selector.kind === 'named') {
    const index = rules.findIndex((r) => r.name === selector.name);
    if (index < 0)
      throw new RouteError(
        'route-not-found',
        `HTTPRoute ${routeKey(route)} has no rule named "${selector.name}".`,
      );
    return index;
  }
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i] as HTTPRouteRule;
    if (!rule.name?.startsWith(botRoutePrefix) && isCatchAll(rule)) return i;
  }
  throw new RouteError(
    'route-not-found',
    `HTTPRoute ${routeKey(route)} has no catch-all rule (one without matches, or matching every path and nothing else); name the rule the release is about.`,
  );
}

/**
 * The path the release's rule covers: the base rule's single exact or prefix path. A rule that matches on
 * more (headers, query parameters, a method, several matches, a regex path) cannot be copied exactly and is
 * refused.
 *
 * @example slotPath({ name: 'main' }) // { type: 'PathPrefix', value: '/' }
 */
export function slotPath(rule: HTTPRouteRule): HTTPPathMatch {
  const matches = rule.matches ?? [];
  if (matches.length === 0) return { type: 'PathPrefix', value: '/' };
  const [only] = matches;
  const type = only?.path?.type ?? 'PathPrefix';
  if (
    matches.length === 1 &&
    only &&
    Object.keys(only).every((k) => k === 'path') &&
    type !== 'RegularExpression'
  )
    return { type, value: only.path?.value ?? '/' };
  throw new RouteError(
    'invalid-match',
    `Rule "${rule.name ?? '(unnamed)'}" matches on more than one exact or prefix path (headers, query parameters, a method, several matches or a regex); the release's rule can only take over a rule that matches a path and nothing else.`,
  );
}

/** A plain request on the slot's path (and the route's first hostname): what the slot serves. */
function slotRequest(
  route: HTTPRoute,
  path: HTTPPathMatch,
  headers: Record<string, string> = {},
): GatewayRequest {
  const host = route.spec.hostnames?.[0]?.replace(/^\*\./, 'any.');
  return { path: path.value ?? '/', headers, ...(host ? { host } : {}) };
}

/**
 * The rule that serves the slot's plain requests now, by Gateway API precedence: the release's own rule, a
 * rule an earlier release left, or the base rule.
 *
 * @example servingRuleIndex(route, { kind: 'default' }) // 0 while canary-bot-r1 is first with the same path
 */
export function servingRuleIndex(route: HTTPRoute, selector: RouteSelector): number {
  const base = baseRuleIndex(route, selector);
  const path = slotPath(route.spec.rules?.[base] as HTTPRouteRule);
  return effectiveRuleFor([route], slotRequest(route, path))?.ruleIndex ?? base;
}

/**
 * The weights a rule applies, as percentages of its backendRefs (relative weights read as Gateway API does);
 * a backend in another namespace is `name.namespace`.
 *
 * @example ruleWeights({ backendRefs: [{ name: 'reviews-v1', weight: 900000 }, { name: 'reviews-v2', weight: 100000 }] }, 'shop')
 * // [{ destination: { host: 'reviews-v1' }, weight: 90 }, { destination: { host: 'reviews-v2' }, weight: 10 }]
 */
export function ruleWeights(rule: HTTPRouteRule, namespace: string | undefined): WeightedDestination[] {
  const percentages = percentagesOf(rule);
  return (rule.backendRefs ?? []).map((b, i) => ({
    destination: { host: b.namespace && b.namespace !== namespace ? `${b.name}.${b.namespace}` : b.name },
    weight: percentages[i] ?? 0,
  }));
}

/** A per-version Service and its port, as the router resolves a destination. */
export type BackendOf = (destination: Destination) => { service: string; port: number };

/**
 * The owned rule a target wants, on the slot's path. One rule holds either a weight split (with an
 * optional mirror) or A/B conditions that send the requests they take to one version while every other
 * request keeps the split it has (`fallback`); A/B conditions next to a version already getting all
 * traffic add nothing. Anything else, and a pin on the caller's labels, is refused with a sentence.
 *
 * @example desiredRuleFor({ kind: 'weights', weights: [v1 90, v2 10] }, [], fallback, path, backendOf).backends
 * // [{ service: 'reviews-v1', port: 9080, percent: 90 }, { service: 'reviews-v2', port: 9080, percent: 10 }]
 */
export function desiredRuleFor(
  owned: Extract<RouteTarget['owned'], { kind: 'weights' }>,
  routes: RouteTarget['routes'],
  fallback: readonly WeightedDestination[],
  path: HTTPPathMatch,
  backendOf: BackendOf,
): DesiredRule {
  const pin = routes.find((r) => r.matches.some((m) => m.kind === 'source'));
  if (pin)
    throw new RouteError(
      'invalid-match',
      `${pin.name} pins callers by their labels (sourceLabels), which an HTTPRoute cannot express: Gateway API has no match on the caller, and a waypoint drops such matches. The pin is refused rather than dropped; release the caller with its own route instead.`,
    );
  const split: DesiredRule = {
    path,
    backends: owned.weights.map((w) => ({ ...backendOf(w.destination), percent: w.weight })),
    ...(owned.mirror
      ? {
          mirror: {
            ...backendOf(owned.mirror.destination),
            share: mirrorShareFor(owned.mirror.percent),
          },
        }
      : {}),
  };
  const [first] = routes;
  if (!first) return split;
  const other = routes.find((r) => !sameDestination(r.destination, first.destination));
  if (other)
    throw new RouteError(
      'invalid-match',
      `An HTTPRoute release owns one rule, so its A/B conditions can send requests to one version only, not to ${describeDestination(first.destination)} and ${describeDestination(other.destination)}.`,
    );
  const receiving = owned.weights.filter((w) => w.weight > 0);
  if (receiving.length === 1 && sameDestination(receiving[0]?.destination as Destination, first.destination))
    return split;
  if (owned.mirror || !sameWeights(owned.weights, fallback))
    throw new RouteError(
      'invalid-match',
      `An HTTPRoute release owns one rule: it can send the requests its A/B conditions take to ${describeDestination(first.destination)} while the rest keep their split, or split all requests by weight (or mirror them), not both at once.`,
    );
  return {
    path,
    backends: [{ ...backendOf(first.destination), percent: 100 }],
    anyOf: routes.flatMap((r) => r.matches.map((m) => [m])),
  };
}

/**
 * A request each A/B alternative of the owned rule takes, on the slot's path with just its own headers, that
 * another rule of the route takes instead (Gateway API prefers more specific matches, whatever their
 * order); undefined when the owned rule gets them all. A free regex yields no sample request.
 *
 * @example abShadowedBy(route, ownedRule, path) // 'rule "testers"' when a rule on /, Cookie: user=tester wins
 */
export function abShadowedBy(
  route: HTTPRoute,
  owned: HTTPRouteRule,
  path: HTTPPathMatch,
): string | undefined {
  for (const match of owned.matches ?? []) {
    const values = (match.headers ?? []).map((h) => [
      h.name,
      h.type === 'RegularExpression' ? cookiePairOf(h.value) : h.value,
    ]);
    if (values.length === 0 || values.some(([, value]) => value === undefined)) continue;
    const headers = Object.fromEntries(values) as Record<string, string>;
    const winner = effectiveRuleFor([route], slotRequest(route, path, headers));
    if (winner && winner.ruleName !== owned.name) {
      const rule = winner.ruleName ? `rule "${winner.ruleName}"` : `rule #${winner.ruleIndex + 1}`;
      const sample = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      return `requests on ${path.value} with ${sample} go to ${rule} of HTTPRoute ${routeKey(route)}, which Gateway API prefers, so the release's A/B rule would never see them`;
    }
  }
  return undefined;
}

function backendDefaults(ref: HTTPBackendRef): HTTPBackendRef {
  return { group: '', kind: 'Service', ...ref };
}

function valueDefaults(values: HTTPValueMatch[] | undefined): HTTPValueMatch[] | undefined {
  return values?.map((v) => ({ type: 'Exact', ...v }));
}

/**
 * A rule as the API server stores it, with the CRD's defaults filled in (backend group, kind and weight,
 * the `PathPrefix /` match, `Exact` header and query matches), so that what the bot writes reads back the
 * same and a rule the server defaulted compares equal to the one the bot built.
 *
 * @example withServerDefaults({ name: 'r', backendRefs: [{ name: 'reviews-v1', port: 9080 }] })
 * // { name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/' } }],
 * //   backendRefs: [{ group: '', kind: 'Service', name: 'reviews-v1', port: 9080, weight: 1 }] }
 */
export function withServerDefaults(rule: HTTPRouteRule): HTTPRouteRule {
  const matches = (rule.matches?.length ? rule.matches : [{}]).map((m) => {
    const headers = valueDefaults(m.headers);
    const queryParams = valueDefaults(m.queryParams);
    return {
      ...m,
      path: { type: 'PathPrefix' as const, value: '/', ...m.path },
      ...(headers ? { headers } : {}),
      ...(queryParams ? { queryParams } : {}),
    };
  });
  const filters = rule.filters?.map((f) =>
    f.requestMirror
      ? {
          ...f,
          requestMirror: { ...f.requestMirror, backendRef: backendDefaults(f.requestMirror.backendRef) },
        }
      : f,
  );
  return {
    ...rule,
    matches,
    ...(filters ? { filters } : {}),
    ...(rule.backendRefs
      ? { backendRefs: rule.backendRefs.map((b) => ({ ...backendDefaults(b), weight: b.weight ?? 1 })) }
      : {}),
  };
}
