/**
 * Which HTTPRoute rule takes a request. Gateway API orders matches by specificity across every route on a
 * parent, not by list order: an exact path, then the longest path prefix, then a method, then the most
 * header matches, then the most query parameter matches; remaining ties go to the oldest route, then the
 * first by `namespace/name`, then the first rule in the route. Routes with intersecting hostnames are first
 * ordered by the longest matching hostname (non-wildcard characters, then all characters).
 *
 * Header and query regexes are whole-value RE2, as Envoy reads them. Regex paths have implementation-specific
 * precedence; they are ranked below every exact and prefix path here.
 */
import { RE2JS } from 're2js';
import {
  type HTTPPathMatch,
  type HTTPRoute,
  type HTTPRouteMatch,
  type HTTPValueMatch,
  ownedRuleName,
  routeKey,
} from './http-route.js';
import { cookiePairOf } from './route-math.js';

/** A request as the data plane sees it. Header names in any case. */
export interface GatewayRequest {
  host?: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

/** The rule that takes a request. */
export interface EffectiveRule {
  route: string;
  ruleIndex: number;
  ruleName?: string;
  matchIndex: number;
}

interface Candidate extends EffectiveRule {
  match: HTTPRouteMatch;
  host: [number, number];
  created: string;
}

const defaultMatch: HTTPRouteMatch = { path: { type: 'PathPrefix', value: '/' } };

function pathOf(match: HTTPRouteMatch): Required<Pick<HTTPPathMatch, 'type' | 'value'>> {
  return { type: match.path?.type ?? 'PathPrefix', value: match.path?.value ?? '/' };
}

/** Gateway API prefixes match whole path elements: `/abc` takes `/abc`, `/abc/` and `/abc/d`, not `/abcd`. */
function prefixTakes(prefix: string, path: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/$/, '') : prefix;
  return p === '/' || path === p || path.startsWith(`${p}/`);
}

function fullMatch(regex: string, value: string): boolean {
  try {
    return RE2JS.compile(regex).matches(value);
  } catch {
    return false;
  }
}

function valueTakes(condition: HTTPValueMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  return condition.type === 'RegularExpression'
    ? fullMatch(condition.value, value)
    : condition.value === value;
}

/** Only the first condition on a name counts (header names case-insensitive). */
function distinct(conditions: readonly HTTPValueMatch[] | undefined, fold: boolean): HTTPValueMatch[] {
  const seen = new Set<string>();
  return (conditions ?? []).filter((c) => {
    const key = fold ? c.name.toLowerCase() : c.name;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Whether one match takes a request: every condition holds.
 *
 * @example matchTakes({ path: { type: 'PathPrefix', value: '/api' } }, { path: '/api/v1' }) // true
 */
export function matchTakes(match: HTTPRouteMatch, request: GatewayRequest): boolean {
  const path = pathOf(match);
  const pathOnly = request.path.split('?')[0] ?? request.path;
  if (path.type === 'Exact' && pathOnly !== path.value) return false;
  if (path.type === 'PathPrefix' && !prefixTakes(path.value, pathOnly)) return false;
  if (path.type === 'RegularExpression' && !fullMatch(path.value, pathOnly)) return false;
  if (match.method && match.method !== (request.method ?? 'GET')) return false;
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  if (!distinct(match.headers, true).every((h) => valueTakes(h, headers[h.name.toLowerCase()]))) return false;
  return distinct(match.queryParams, false).every((q) => valueTakes(q, request.query?.[q.name]));
}

/** [non-wildcard characters, characters] of the route hostname that takes `host`; [0, 0] for none listed. */
function hostnameRank(route: HTTPRoute, host: string | undefined): [number, number] | undefined {
  const hostnames = route.spec.hostnames ?? [];
  if (hostnames.length === 0) return [0, 0];
  if (host === undefined) return undefined;
  const name = host.split(':')[0]?.toLowerCase() ?? '';
  let best: [number, number] | undefined;
  for (const h of hostnames) {
    const wildcard = h.startsWith('*.');
    if (wildcard ? !name.endsWith(h.slice(1)) : name !== h) continue;
    const rank: [number, number] = [wildcard ? 0 : h.length, h.length];
    if (!best || rank[0] > best[0] || (rank[0] === best[0] && rank[1] > best[1])) best = rank;
  }
  return best;
}

/** The specificity of a match, largest first: [exact, prefix length, method, headers, query]. */
function specificity(match: HTTPRouteMatch): number[] {
  const path = pathOf(match);
  return [
    path.type === 'Exact' ? 1 : 0,
    path.type === 'PathPrefix' ? path.value.replace(/(.)\/$/, '$1').length : -1,
    match.method ? 1 : 0,
    distinct(match.headers, true).length,
    distinct(match.queryParams, false).length,
  ];
}

const criteria = [
  'an exact path',
  'a longer path prefix',
  'a method match',
  'more header matches',
  'more query parameter matches',
] as const;

/** Negative when `a` takes precedence over `b`, with the deciding reason in words. */
function compare(a: Candidate, b: Candidate): { order: number; reason: string } {
  for (const [i, reason] of ['a longer non-wildcard hostname', 'a longer hostname'].entries()) {
    const d = (b.host[i] ?? 0) - (a.host[i] ?? 0);
    if (d !== 0) return { order: d, reason };
  }
  const [sa, sb] = [specificity(a.match), specificity(b.match)];
  for (let i = 0; i < sa.length; i++) {
    const d = (sb[i] ?? 0) - (sa[i] ?? 0);
    if (d !== 0) return { order: d, reason: criteria[i] ?? '' };
  }
  if (a.route !== b.route) {
    if (a.created !== b.created)
      return { order: a.created < b.created ? -1 : 1, reason: 'an equally specific match on an older route' };
    return {
      order: a.route < b.route ? -1 : 1,
      reason: 'an equally specific match on a route first in namespace/name order',
    };
  }
  return { order: a.ruleIndex - b.ruleIndex, reason: 'an equally specific match on an earlier rule' };
}

function candidates(routes: readonly HTTPRoute[], request: GatewayRequest): Candidate[] {
  const found: Candidate[] = [];
  for (const route of routes) {
    const host = hostnameRank(route, request.host);
    if (!host) continue;
    (route.spec.rules ?? []).forEach((rule, ruleIndex) => {
      const matches = rule.matches?.length ? rule.matches : [defaultMatch];
      matches.forEach((match, matchIndex) => {
        if (!matchTakes(match, request)) return;
        found.push({
          route: routeKey(route),
          ruleIndex,
          ...(rule.name ? { ruleName: rule.name } : {}),
          matchIndex,
          match,
          host,
          created: route.metadata.creationTimestamp ?? '',
        });
      });
    });
  }
  return found;
}

function best(found: Candidate[]): Candidate | undefined {
  return found.reduce<Candidate | undefined>((b, c) => (!b || compare(c, b).order < 0 ? c : b), undefined);
}

/**
 * The rule of the routes (all attached to the same parent) that takes `request`, per Gateway API
 * precedence; undefined when none does (the data plane answers 404).
 *
 * @example effectiveRuleFor([route], { path: '/', headers: { 'x-user': 'tester' } })
 * // { route: 'shop/web', ruleIndex: 0, ruleName: 'canary-bot-r1', matchIndex: 0 }
 */
export function effectiveRuleFor(
  routes: readonly HTTPRoute[],
  request: GatewayRequest,
): EffectiveRule | undefined {
  const winner = best(candidates(routes, request));
  if (!winner) return undefined;
  const { match: _m, host: _h, created: _c, ...rule } = winner;
  return rule;
}

/** A requirement set on a header or query parameter, merged from two matches; undefined when they conflict. */
function mergeValues(
  a: readonly HTTPValueMatch[],
  b: readonly HTTPValueMatch[],
  fold: boolean,
): Record<string, string> | undefined {
  const merged: Record<string, string> = {};
  const key = (name: string) => (fold ? name.toLowerCase() : name);
  for (const c of [...b, ...a]) {
    const other = [...a, ...b].filter((o) => key(o.name) === key(c.name));
    const exact = other.find((o) => o.type !== 'RegularExpression');
    const value = exact?.value ?? cookiePairOf(c.value);
    if (value === undefined) return undefined;
    if (!other.every((o) => valueTakes(o, value))) return undefined;
    merged[key(c.name)] = value;
  }
  return merged;
}

/** A request both matches take, built from their conditions; undefined when they exclude each other. */
function commonRequest(a: HTTPRouteMatch, b: HTTPRouteMatch, host?: string): GatewayRequest | undefined {
  const [pa, pb] = [pathOf(a), pathOf(b)];
  const paths = [pa, pb].filter((p) => p.type !== 'RegularExpression').map((p) => p.value);
  const path =
    [pa, pb].find((p) => p.type === 'Exact')?.value ?? paths.sort((x, y) => y.length - x.length)[0];
  if (path === undefined) return undefined;
  if (a.method && b.method && a.method !== b.method) return undefined;
  const headers = mergeValues(distinct(a.headers, true), distinct(b.headers, true), true);
  const query = mergeValues(distinct(a.queryParams, false), distinct(b.queryParams, false), false);
  if (!headers || !query) return undefined;
  const request: GatewayRequest = { path, headers, query, method: a.method ?? b.method ?? 'GET' };
  if (host) request.host = host;
  return matchTakes(a, request) && matchTakes(b, request) ? request : undefined;
}

/** Hosts to try: one per hostname of the routes (a wildcard stands for one name under it). */
function hostsOf(routes: readonly HTTPRoute[]): (string | undefined)[] {
  const names = routes.flatMap((r) => r.spec.hostnames ?? []).map((h) => h.replace(/^\*\./, 'any.'));
  return names.length > 0 ? [...new Set(names)] : [undefined];
}

/** A request the owned rule is meant for that another rule takes, and why. */
export interface Shadowing {
  request: GatewayRequest;
  winner: EffectiveRule;
  sentence: string;
}

function describeRequest(request: GatewayRequest): string {
  const parts = [`${request.method ?? 'GET'} ${request.path}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) parts.push(`${name}: ${value}`);
  for (const [name, value] of Object.entries(request.query ?? {})) parts.push(`?${name}=${value}`);
  return parts.join(', ');
}

/**
 * The first request the release's owned rule (in `owner`) is meant for that another rule takes instead,
 * found by building, for each other match, a request both take; undefined when none can be built. A
 * condition with a free regex on either side yields no request (the bot's own cookie regex does).
 *
 * @example findShadowing([owner, api], owner, 'r1')?.winner.route // 'shop/api'
 */
export function findShadowing(
  routes: readonly HTTPRoute[],
  owner: HTTPRoute,
  releaseName: string,
): Shadowing | undefined {
  const name = ownedRuleName(releaseName);
  const ownerKey = routeKey(owner);
  const owned = (owner.spec.rules ?? []).find((r) => r.name === name);
  if (!owned) return undefined;
  const all = routes.some((r) => routeKey(r) === ownerKey) ? routes : [owner, ...routes];
  for (const host of hostsOf(all)) {
    for (const ownMatch of owned.matches?.length ? owned.matches : [defaultMatch]) {
      for (const route of all) {
        for (const rule of route.spec.rules ?? []) {
          if (routeKey(route) === ownerKey && rule.name === name) continue;
          for (const other of rule.matches?.length ? rule.matches : [defaultMatch]) {
            const request = commonRequest(ownMatch, other, host);
            if (!request) continue;
            const found = candidates(all, request);
            const winner = best(found);
            const mine = found.find((c) => c.route === ownerKey && c.ruleName === name);
            if (!winner || !mine || (winner.route === ownerKey && winner.ruleName === name)) continue;
            const { match: _m, host: _h, created: _c, ...effective } = winner;
            const label = winner.ruleName ? `rule "${winner.ruleName}"` : `rule #${winner.ruleIndex + 1}`;
            return {
              request,
              winner: effective,
              sentence: `Requests like ${describeRequest(request)} match release ${releaseName}'s rule but go to ${label} of HTTPRoute ${winner.route}, which Gateway API prefers for ${compare(winner, mine).reason}.`,
            };
          }
        }
      }
    }
  }
  return undefined;
}

/**
 * In a sentence, where another rule takes requests the release's owned rule is meant for; undefined when
 * no such request could be found.
 *
 * @example shadowingOf([owner, api], owner, 'r1')
 * // 'Requests like GET /api, cookie: user=tester match release r1\'s rule but go to rule "api" of HTTPRoute shop/api, which Gateway API prefers for a longer path prefix.'
 */
export function shadowingOf(
  routes: readonly HTTPRoute[],
  owner: HTTPRoute,
  releaseName: string,
): string | undefined {
  return findShadowing(routes, owner, releaseName)?.sentence;
}
