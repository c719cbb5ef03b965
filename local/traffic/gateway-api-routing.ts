/**
 * Gateway API HTTPRoute semantics for the traffic simulator, written from the Gateway API specification
 * (independently of the bot's own routing code, so a mistake there is not repeated here): every match of
 * every rule competes by specificity, not by list order; backend weights are relative (0 to 1,000,000);
 * a `RequestMirror` filter mirrors `percent` or `fraction` of the requests. The result is expressed as the
 * ordered list of http routes of an equivalent VirtualService, which the simulator already routes.
 * Pure: no I/O.
 */
import type { HttpMatchRequest, HttpRoute, StringMatch, VirtualService } from './istio-types.js';

/** The parts of an HTTPRoute the simulator obeys. */
export interface GatewayHttpRoute {
  metadata: { name: string; namespace?: string; creationTimestamp?: string };
  spec: {
    parentRefs?: { group?: string; kind?: string; name: string; namespace?: string; port?: number }[];
    rules?: GatewayHttpRule[];
  };
}

export interface GatewayHttpRule {
  name?: string;
  matches?: GatewayHttpMatch[];
  filters?: GatewayFilter[];
  backendRefs?: GatewayBackendRef[];
}

export interface GatewayHttpMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  headers?: { type?: 'Exact' | 'RegularExpression'; name: string; value: string }[];
  queryParams?: { type?: 'Exact' | 'RegularExpression'; name: string; value: string }[];
  method?: string;
}

export interface GatewayFilter {
  type: string;
  requestMirror?: {
    backendRef: { name: string; namespace?: string; port?: number };
    percent?: number;
    fraction?: { numerator: number; denominator?: number };
  };
}

export interface GatewayBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  /** Relative; 1 when left out. */
  weight?: number;
}

/** One match of one rule, with what decides its precedence. */
interface Candidate {
  rule: GatewayHttpRule;
  ruleIndex: number;
  matchIndex: number;
  match: GatewayHttpMatch;
}

/**
 * The Gateway API precedence of two matches of one route: an Exact path first, then the longest
 * PathPrefix, then a method match, then more header matches, then more query parameter matches; equal
 * ones keep the order of rules and of matches within a rule.
 */
export function comparePrecedence(a: Candidate, b: Candidate): number {
  const kind = (m: GatewayHttpMatch) => {
    const type = m.path?.type ?? 'PathPrefix';
    return type === 'Exact' ? 0 : type === 'PathPrefix' ? 1 : 2;
  };
  const length = (m: GatewayHttpMatch) => (m.path?.value ?? '/').length;
  return (
    kind(a.match) - kind(b.match) ||
    (kind(a.match) === 1 ? length(b.match) - length(a.match) : 0) ||
    Number(b.match.method !== undefined) - Number(a.match.method !== undefined) ||
    (b.match.headers?.length ?? 0) - (a.match.headers?.length ?? 0) ||
    (b.match.queryParams?.length ?? 0) - (a.match.queryParams?.length ?? 0) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

/**
 * The VirtualService that routes exactly as the HTTPRoute does: one http route per match, most specific
 * first. Backends are Services in the route's namespace (their short names as hosts).
 *
 * @example decideRoutes({ virtualService: httpRouteAsVirtualService(route), service, request })
 */
export function httpRouteAsVirtualService(route: GatewayHttpRoute): VirtualService {
  const candidates: Candidate[] = (route.spec.rules ?? []).flatMap((rule, ruleIndex) => {
    const matches = rule.matches?.length
      ? rule.matches
      : [{ path: { type: 'PathPrefix' as const, value: '/' } }];
    return matches.map((match, matchIndex) => ({ rule, ruleIndex, matchIndex, match }));
  });
  candidates.sort(comparePrecedence);
  return {
    metadata: {
      name: route.metadata.name,
      ...(route.metadata.namespace ? { namespace: route.metadata.namespace } : {}),
    },
    spec: {
      hosts: (route.spec.parentRefs ?? []).map((p) => p.name),
      http: candidates.map(asHttpRoute),
    },
  };
}

function asHttpRoute({ rule, match }: Candidate): HttpRoute {
  const http: HttpRoute = { match: [matchOf(match)] };
  if (rule.name !== undefined) http.name = rule.name;
  const backends = rule.backendRefs ?? [];
  // No backend: Gateway API answers 500 for the rule's requests; the simulator counts them as unrouted.
  http.route =
    backends.length === 0
      ? []
      : backends.map((b) => ({
          destination: { host: b.name, ...(b.port !== undefined ? { port: { number: b.port } } : {}) },
          weight: b.weight ?? 1,
        }));
  const mirror = rule.filters?.find((f) => f.type === 'RequestMirror')?.requestMirror;
  if (mirror) {
    const percent =
      mirror.percent ??
      (mirror.fraction ? (100 * mirror.fraction.numerator) / (mirror.fraction.denominator ?? 100) : 100);
    http.mirrors = [{ destination: { host: mirror.backendRef.name }, percentage: { value: percent } }];
  }
  return http;
}

function matchOf(match: GatewayHttpMatch): HttpMatchRequest {
  const string = (type: string | undefined, value: string): StringMatch =>
    type === 'RegularExpression' ? { regex: value } : { exact: value };
  const path = match.path ?? { type: 'PathPrefix', value: '/' };
  const out: HttpMatchRequest = {};
  const value = path.value ?? '/';
  if (path.type === 'Exact') out.uri = { exact: value };
  else if (path.type === 'RegularExpression') out.uri = { regex: value };
  // PathPrefix matches whole path segments: `/api` takes `/api` and `/api/x`, never `/apix`.
  else if (value !== '/') out.uri = { regex: `${escapeRegex(value.replace(/\/$/, ''))}(/.*)?` };
  if (match.method) out.method = { exact: match.method };
  if (match.headers?.length)
    out.headers = Object.fromEntries(
      match.headers.map((h) => [h.name.toLowerCase(), string(h.type, h.value)]),
    );
  if (match.queryParams?.length)
    out.queryParams = Object.fromEntries(match.queryParams.map((q) => [q.name, string(q.type, q.value)]));
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
