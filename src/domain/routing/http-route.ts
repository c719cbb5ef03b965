/**
 * Gateway API `HTTPRoute` (gateway.networking.k8s.io/v1) as plain JSON, and the one rule a release owns in it.
 *
 * The bot owns exactly one named rule, `canary-bot-<release>`. Every other rule, filter, timeout, parentRef,
 * annotation and field this module does not know is carried through untouched (index signatures, the same
 * objects in the same places), so a rule the bot does not own survives a write byte for byte.
 *
 * Weights in Gateway API are relative integers (0 to 1,000,000), not percentages; the bot writes a percentage
 * split as ten-thousandths of a percent, so 10/90 becomes 100,000/900,000 and the split is exact.
 */
import { isDnsSubdomain } from '../validation/index.js';
import { botRoutePrefix, type RequestMatch, toMatchRequest } from './route-math.js';
import { RouteError } from './routing-errors.js';

/** The largest `backendRefs[].weight` the HTTPRoute CRD accepts. */
export const MAX_BACKEND_WEIGHT = 1_000_000;
/** Weight units per percent: 100 % is {@link MAX_BACKEND_WEIGHT}. */
export const WEIGHT_PER_PERCENT = MAX_BACKEND_WEIGHT / 100;
/** `spec.rules` holds at most this many rules (CRD `maxItems`). */
export const MAX_RULES = 16;
/** The matches of all rules of a route together (CRD validation rule). */
export const MAX_MATCHES_PER_ROUTE = 128;

/** A header or query parameter condition. `type` defaults to Exact on the server. */
export interface HTTPValueMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
  [field: string]: unknown;
}

/** A path condition. The server defaults an absent path to `PathPrefix /`. */
export interface HTTPPathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value?: string;
  [field: string]: unknown;
}

/** One `rules[].matches[]` entry: every condition must hold. */
export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPValueMatch[];
  queryParams?: HTTPValueMatch[];
  method?: string;
  [field: string]: unknown;
}

/** A backend (a per-version Service). `weight` defaults to 1 on the server. */
export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [field: string]: unknown;
}

/** `RequestMirror` filter settings: `percent` or `fraction`, never both. */
export interface HTTPRequestMirror {
  backendRef: HTTPBackendRef;
  percent?: number;
  fraction?: { numerator: number; denominator?: number };
  [field: string]: unknown;
}

/** One `rules[].filters[]` entry. */
export interface HTTPRouteFilter {
  type: string;
  requestMirror?: HTTPRequestMirror;
  [field: string]: unknown;
}

/** One `spec.rules[]` entry. */
export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  [field: string]: unknown;
}

/** A condition of `status.parents[].conditions`. */
export interface RouteCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
  [field: string]: unknown;
}

/** One `status.parents[]` entry: what one controller says about the route on one parent. */
export interface RouteParentStatus {
  parentRef: { kind?: string; namespace?: string; name: string; [field: string]: unknown };
  controllerName: string;
  conditions?: RouteCondition[];
  [field: string]: unknown;
}

/** An HTTPRoute object. */
export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    creationTimestamp?: string;
    generation?: number;
    [field: string]: unknown;
  };
  spec: {
    parentRefs?: { kind?: string; namespace?: string; name: string; [field: string]: unknown }[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
    [field: string]: unknown;
  };
  status?: { parents?: RouteParentStatus[]; [field: string]: unknown };
  [field: string]: unknown;
}

/** A per-version Service and the percentage of requests it gets. */
export interface BackendShare {
  service: string;
  port: number;
  percent: number;
}

/** How much of the traffic a mirror copies: a percentage, or an exact fraction. */
export type MirrorShare = { percent: number } | { numerator: number; denominator: number };

/** What the owned rule should do. */
export interface DesiredRule {
  /** Destinations and their percentages (adding up to 100); a blue/green switch is 100 and 0. */
  backends: readonly BackendShare[];
  /** A/B: the conditions a request must all meet; none means every request on `path`. */
  match?: readonly RequestMatch[];
  /**
   * A/B alternatives, used instead of `match`: a request that meets every condition of any one of them
   * (one `matches[]` entry each, all on `path`), as an Istio route lists several match blocks.
   */
  anyOf?: readonly (readonly RequestMatch[])[];
  /** The path the rule covers; `PathPrefix /` unless given. */
  path?: HTTPPathMatch;
  /** A shadow copy of part of the rule's requests. */
  mirror?: { service: string; port: number; share: MirrorShare };
}

/**
 * The name of the rule a release owns.
 *
 * @example ownedRuleName('r1') // 'canary-bot-r1'
 */
export function ownedRuleName(releaseName: string): string {
  const name = `${botRoutePrefix}${releaseName}`;
  if (!isDnsSubdomain(name))
    throw new RouteError(
      'invalid-match',
      `"${name}" cannot name an HTTPRoute rule: it must be lowercase letters, digits, '-' and '.', at most 253 characters.`,
    );
  return name;
}

/**
 * Relative weights for a percentage split, exact to a ten-thousandth of a percent; refuses a split that
 * does not add up to 100 or has more precision than that.
 *
 * @example weightsForPercentages([10, 90]) // [100000, 900000]
 */
export function weightsForPercentages(percentages: readonly number[]): number[] {
  const weights = percentages.map((percent) => {
    const weight = Math.round(percent * WEIGHT_PER_PERCENT);
    if (!(percent >= 0 && percent <= 100) || Math.abs(weight - percent * WEIGHT_PER_PERCENT) > 1e-6) {
      throw new RouteError(
        'invalid-weights',
        `A share must be a percentage from 0 to 100 with at most four decimals, not ${percent}.`,
      );
    }
    return weight;
  });
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (total !== MAX_BACKEND_WEIGHT)
    throw new RouteError(
      'invalid-weights',
      `Shares must add up to 100, not ${total / WEIGHT_PER_PERCENT} (${percentages.join(', ')}).`,
    );
  return weights;
}

/**
 * The percentage each backend of a rule gets, as a Gateway API implementation reads relative weights
 * (an absent weight is 1; all zero sends nothing anywhere, so every share is 0).
 *
 * @example percentagesOf({ backendRefs: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] }) // [25, 75]
 */
export function percentagesOf(rule: HTTPRouteRule): number[] {
  const weights = (rule.backendRefs ?? []).map((b) => b.weight ?? 1);
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => (total === 0 ? 0 : (w * 100) / total));
}

/**
 * The mirror share as the filter writes it: a whole percentage as `percent`, anything finer as `fraction`.
 *
 * @example mirrorShareFor(20) // { percent: 20 }
 * @example mirrorShareFor(0.5) // { numerator: 5, denominator: 1000 }
 */
export function mirrorShareFor(percent: number): MirrorShare {
  if (!(percent > 0 && percent <= 100))
    throw new RouteError(
      'invalid-weights',
      `Mirror percentage must be above 0 and at most 100, not ${percent}.`,
    );
  if (Number.isInteger(percent)) return { percent };
  for (let denominator = 1000; denominator <= 1_000_000; denominator *= 10) {
    const numerator = Math.round((percent * denominator) / 100);
    if (Math.abs(numerator - (percent * denominator) / 100) < 1e-9) return { numerator, denominator };
  }
  throw new RouteError(
    'invalid-weights',
    `Mirror percentage ${percent} has more precision than a fraction of a million can express.`,
  );
}

function requestMirrorFilter(mirror: NonNullable<DesiredRule['mirror']>): HTTPRouteFilter {
  const { share } = mirror;
  const backendRef = serviceRef(mirror.service, mirror.port);
  if ('percent' in share) {
    if (!Number.isInteger(share.percent) || share.percent <= 0 || share.percent > 100)
      throw new RouteError(
        'invalid-weights',
        `Mirror percent must be a whole number above 0 and at most 100, not ${share.percent}.`,
      );
    return { type: 'RequestMirror', requestMirror: { backendRef, percent: share.percent } };
  }
  const { numerator, denominator } = share;
  if (
    !Number.isInteger(numerator) ||
    !Number.isInteger(denominator) ||
    numerator <= 0 ||
    denominator < 1 ||
    numerator > denominator
  )
    throw new RouteError(
      'invalid-weights',
      `Mirror fraction must be whole numbers with 0 < numerator <= denominator, not ${numerator}/${denominator}.`,
    );
  return { type: 'RequestMirror', requestMirror: { backendRef, fraction: { numerator, denominator } } };
}

function serviceRef(service: string, port: number): HTTPBackendRef {
  if (!isDnsSubdomain(service) || service.length > 63)
    throw new RouteError('invalid-weights', `"${service}" is not a Service name.`);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new RouteError('invalid-weights', `Port of ${service} must be from 1 to 65535, not ${port}.`);
  return { name: service, port };
}

/** Escapes a literal for an RE2 regex. */
function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The Gateway API header condition for an A/B predicate: headers exact or regex (a prefix becomes a regex),
 * cookie and user agent as regexes on the `Cookie` and `User-Agent` headers. Source labels have no Gateway
 * API equivalent and are refused, never dropped.
 *
 * @example headerMatchFor({ kind: 'user-agent', regex: '.*Firefox.*' })
 * // { type: 'RegularExpression', name: 'User-Agent', value: '.*Firefox.*' }
 */
export function headerMatchFor(match: RequestMatch): HTTPValueMatch {
  if (match.kind === 'source')
    throw new RouteError(
      'invalid-match',
      "An HTTPRoute cannot match on the caller's labels (no sourceLabels in Gateway API); pin callers with a route in their namespace instead.",
    );
  // toMatchRequest validates names, values and regexes the same way as for VirtualServices.
  const [name, condition] = Object.entries(toMatchRequest(match).headers ?? {})[0] as [
    string,
    { exact?: string; prefix?: string; regex?: string },
  ];
  const headerName = match.kind === 'cookie' ? 'Cookie' : match.kind === 'user-agent' ? 'User-Agent' : name;
  if (condition.exact !== undefined) return { type: 'Exact', name: headerName, value: condition.exact };
  if (condition.prefix !== undefined)
    return { type: 'RegularExpression', name: headerName, value: `${escapeRegex(condition.prefix)}.*` };
  return { type: 'RegularExpression', name: headerName, value: condition.regex ?? '' };
}

/** One `matches[]` entry: the path and every condition on headers. */
function matchFor(conditions: readonly RequestMatch[], path: HTTPPathMatch | undefined): HTTPRouteMatch {
  const headers = conditions.map(headerMatchFor);
  headers.forEach((h, i) => {
    if (headers.findIndex((o) => o.name.toLowerCase() === h.name.toLowerCase()) !== i)
      throw new RouteError(
        'invalid-match',
        `Header ${h.name} is matched twice; Gateway API considers only the first condition on a header.`,
      );
  });
  const match: HTTPRouteMatch = { path: path ?? { type: 'PathPrefix', value: '/' } };
  if (headers.length > 0) match.headers = headers;
  return match;
}

/**
 * The rule a release owns for `desired`: named, one match (path and every A/B condition), an optional
 * `RequestMirror` filter, weighted backendRefs to per-version Services.
 *
 * @example
 * ownedRule('r1', { backends: [{ service: 'reviews-v1', port: 9080, percent: 90 }, { service: 'reviews-v2', port: 9080, percent: 10 }] })
 * // { name: 'canary-bot-r1', matches: [{ path: { type: 'PathPrefix', value: '/' } }],
 * //   backendRefs: [{ name: 'reviews-v1', port: 9080, weight: 900000 }, { name: 'reviews-v2', port: 9080, weight: 100000 }] }
 */
export function ownedRule(releaseName: string, desired: DesiredRule): HTTPRouteRule {
  if (desired.backends.length === 0)
    throw new RouteError('invalid-weights', 'At least one Service needs a share.');
  const weights = weightsForPercentages(desired.backends.map((b) => b.percent));
  const backendRefs = desired.backends.map((b, i) => ({
    ...serviceRef(b.service, b.port),
    weight: weights[i],
  }));
  backendRefs.forEach((b, i) => {
    if (backendRefs.findIndex((o) => o.name === b.name && o.port === b.port) !== i)
      throw new RouteError('duplicate-destination', `${b.name}:${b.port} is listed twice.`);
  });
  const alternatives = desired.anyOf ?? [desired.match ?? []];
  if (alternatives.length === 0)
    throw new RouteError('invalid-match', 'An A/B rule needs at least one set of conditions.');
  const matches = alternatives.map((conditions) => matchFor(conditions, desired.path));
  const rule: HTTPRouteRule = { name: ownedRuleName(releaseName), matches };
  if (desired.mirror) rule.filters = [requestMirrorFilter(desired.mirror)];
  rule.backendRefs = backendRefs;
  return rule;
}

/**
 * The shares of a blue/green switch: everything to `active`, nothing to `idle`, which stays referenced so
 * that switching back is a change of weights only.
 *
 * @example blueGreenBackends({ service: 'web-green', port: 80 }, { service: 'web-blue', port: 80 })
 * // [{ service: 'web-green', port: 80, percent: 100 }, { service: 'web-blue', port: 80, percent: 0 }]
 */
export function blueGreenBackends(
  active: { service: string; port: number },
  idle: { service: string; port: number },
): BackendShare[] {
  return [
    { ...active, percent: 100 },
    { ...idle, percent: 0 },
  ];
}

/**
 * The rule `releaseName` owns in `route`, if any.
 *
 * @example ownedRuleOf(route, 'r1')?.backendRefs
 */
export function ownedRuleOf(route: HTTPRoute, releaseName: string): HTTPRouteRule | undefined {
  const name = ownedRuleName(releaseName);
  return (route.spec.rules ?? []).find((r) => r.name === name);
}

/**
 * A copy of `route` whose owned rule is what `desired` says: replaced where it is, or put first when new (so
 * it wins ties of specificity within the route, and only those). Every other rule is the same object in the
 * same order; every other field of the route is kept.
 *
 * @example const written = withOwnedRule(live, 'r1', { backends: [...], match: [{ kind: 'cookie', regex: cookieRegex('user=tester') }] });
 */
export function withOwnedRule(route: HTTPRoute, releaseName: string, desired: DesiredRule): HTTPRoute {
  const rule = ownedRule(releaseName, desired);
  const rules = [...(route.spec.rules ?? [])];
  const index = rules.findIndex((r) => r.name === rule.name);
  if (index >= 0) rules[index] = rule;
  else {
    if (rules.length >= MAX_RULES)
      throw new RouteError(
        'route-full',
        `HTTPRoute ${routeKey(route)} already has ${rules.length} rules, the most Gateway API allows; the release needs one more.`,
      );
    rules.unshift(rule);
  }
  const matches = rules.reduce((sum, r) => sum + Math.max(1, r.matches?.length ?? 0), 0);
  if (matches > MAX_MATCHES_PER_ROUTE)
    throw new RouteError(
      'route-full',
      `HTTPRoute ${routeKey(route)} would have ${matches} matches across its rules; Gateway API allows ${MAX_MATCHES_PER_ROUTE}.`,
    );
  return { ...route, spec: { ...route.spec, rules } };
}

/**
 * A copy of `route` without the rule `releaseName` owns: exactly the route before {@link withOwnedRule}
 * (the same object when there is no such rule). When the owned rule was the only one, `rules` is left
 * out, as the CRD refuses an empty list and the server then defaults it.
 *
 * @example withoutOwnedRule(withOwnedRule(route, 'r1', desired), 'r1') // deep-equal to route
 */
export function withoutOwnedRule(route: HTTPRoute, releaseName: string): HTTPRoute {
  const name = ownedRuleName(releaseName);
  const rules = route.spec.rules ?? [];
  if (!rules.some((r) => r.name === name)) return route;
  const kept = rules.filter((r) => r.name !== name);
  if (kept.length > 0) return { ...route, spec: { ...route.spec, rules: kept } };
  const { rules: _owned, ...spec } = route.spec;
  return { ...route, spec };
}

/** `namespace/name` of a route, as the Gateway API orders routes and as sentences name them. */
export function routeKey(route: HTTPRoute): string {
  return `${route.metadata.namespace ?? 'default'}/${route.metadata.name}`;
}

/** What the controllers say about a route at a generation. */
export type RouteVerdict = 'accepted' | 'pending' | { refused: string };

function describeParent(status: RouteParentStatus): string {
  const ref = status.parentRef;
  return `${ref.kind ?? 'Gateway'} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * The controllers' verdict on `generation` of a route, from `status.parents[].conditions`: refused when a
 * controller set `Accepted` or `ResolvedRefs` to False for that generation (its reason and message quoted),
 * accepted when every parent has both True for it, pending otherwise (no status yet, or only for an older
 * generation: a condition without observedGeneration proves nothing about this one).
 *
 * @example routeVerdict(route, 3) // 'pending' while status says observedGeneration 2
 */
export function routeVerdict(route: HTTPRoute, generation: number): RouteVerdict {
  const parents = route.status?.parents ?? [];
  let pending = parents.length === 0;
  for (const parent of parents) {
    for (const type of ['Accepted', 'ResolvedRefs'] as const) {
      const condition = parent.conditions?.find((c) => c.type === type);
      if (!condition || (condition.observedGeneration ?? -1) < generation) {
        pending = true;
        continue;
      }
      if (condition.status === 'False') {
        const what = type === 'Accepted' ? 'did not accept the route' : 'could not resolve its backends';
        const detail = [condition.reason, condition.message].filter(Boolean).join(': ');
        return {
          refused: `${parent.controllerName} ${what} on ${describeParent(parent)}${detail ? ` (${detail})` : ''}.`,
        };
      }
      if (condition.status !== 'True') pending = true;
    }
  }
  return pending ? 'pending' : 'accepted';
}

/**
 * The controllers that have written a verdict on the route, for any generation: proof that the route has
 * a Gateway API controller, so a verdict on the next generation is to be expected (and waited for).
 *
 * @example routeControllers(route) // ['istio.io/gateway-controller']
 */
export function routeControllers(route: HTTPRoute): string[] {
  const parents = route.status?.parents ?? [];
  return [
    ...new Set(parents.filter((p) => (p.conditions ?? []).length > 0).map((p) => p.controllerName)),
  ].sort();
}

/**
 * The parents still owing a verdict on `generation` (no `Accepted` or `ResolvedRefs` condition observed for
 * it yet), each as `<controller> on <parent>`, for a sentence saying who has not answered.
 *
 * @example awaitedParents(route, 3) // ['istio.io/gateway-controller on Service reviews']
 */
export function awaitedParents(route: HTTPRoute, generation: number): string[] {
  return (route.status?.parents ?? [])
    .filter((parent) =>
      (['Accepted', 'ResolvedRefs'] as const).some((type) => {
        const condition = parent.conditions?.find((c) => c.type === type);
        if (!condition || (condition.observedGeneration ?? -1) < generation) return true;
        return condition.status !== 'True' && condition.status !== 'False';
      }),
    )
    .map((parent) => `${parent.controllerName} on ${describeParent(parent)}`);
}
