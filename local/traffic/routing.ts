/**
 * Where Istio's sidecar sends an HTTP request: the VirtualService's http routes in order, first match
 * wins, weighted split among destinations, optional mirror. Pure: no I/O, no randomness.
 */
import { RE2JS } from 're2js';
import type {
  Destination,
  DestinationRule,
  HttpMatchRequest,
  HttpMirrorPolicy,
  HttpRoute,
  StringMatch,
  VirtualService,
} from './istio-types.js';
import { type ServiceProfile, versionLabels } from './profile.js';

/** What the sidecar can see of a request. */
export interface RequestAttributes {
  /** Header names in lower case; the cookie travels as the `cookie` header. */
  headers?: Readonly<Record<string, string>>;
  /** Labels of the calling pod, for `sourceLabels` matches. */
  sourceLabels?: Readonly<Record<string, string>>;
  sourceNamespace?: string;
  /** Default `/`. */
  uri?: string;
  /** Default `GET`. */
  method?: string;
}

/** A share of the requests reaching one version of the service. */
export interface RoutedShare {
  version: string;
  workload: string;
  /** Share of the requests, 0..1; mirrored shares come on top of the primary ones. */
  fraction: number;
  mirrored: boolean;
  /** Short name of the destination host, the Service that answered (`destination_service_name`). */
  host: string;
  subset?: string;
}

export type UnroutedReason =
  | 'no-route' // a VirtualService exists but no http route matches: Envoy answers 404 NR
  | 'no-destination' // the matching route redirects or answers directly
  | 'zero-weight'
  | 'unknown-host' // a host the service profile does not map to any version
  | 'unknown-subset'; // no DestinationRule, no such subset, or no pod carries its labels: 503 NC

/** A share of the requests that never reaches a workload of this service. */
export interface UnroutedShare {
  reason: UnroutedReason;
  fraction: number;
  mirrored: boolean;
  host?: string;
  subset?: string;
}

export interface RouteDecision {
  /** Index of the http route that matched; undefined without a VirtualService or without a match. */
  routeIndex?: number;
  routeName?: string;
  shares: RoutedShare[];
  unrouted: UnroutedShare[];
}

/** The parts of a service profile routing needs. */
export type RoutableService = Pick<ServiceProfile, 'name' | 'namespace' | 'app' | 'versions' | 'hosts'>;

export interface RouteInput {
  /** Undefined when the service has no VirtualService: Kubernetes balances over the Service's pods. */
  virtualService?: VirtualService;
  destinationRules?: readonly DestinationRule[];
  service: RoutableService;
  request: RequestAttributes;
}

/**
 * Decides where requests with these attributes go.
 * @example decideRoutes({ virtualService, destinationRules: [dr], service, request: { headers: { 'end-user': 'jason' } } })
 */
export function decideRoutes(input: RouteInput): RouteDecision {
  const { virtualService: vs, service } = input;
  const vsNamespace = vs?.metadata.namespace ?? service.namespace;
  const resolve = (destination: Destination) =>
    resolveDestination(destination, vsNamespace, service, input.destinationRules ?? []);
  const decision: RouteDecision = { shares: [], unrouted: [] };

  // Pilot drops the routes whose every match names another caller (sourceLabels, sourceNamespace); a
  // VirtualService left with no route for this caller configures nothing, as if it did not exist.
  if (!vs || !appliesToSidecars(vs) || !(vs.spec.http ?? []).some((r) => appliesToCaller(r, input.request))) {
    addResolved(decision, resolve({ host: service.name }), 1, false);
    return decision;
  }
  const selected = selectHttpRoute(vs, input.request);
  if (!selected) {
    decision.unrouted.push({ reason: 'no-route', fraction: 1, mirrored: false });
    return decision;
  }
  decision.routeIndex = selected.index;
  if (selected.route.name !== undefined) decision.routeName = selected.route.name;
  splitByWeight(decision, selected.route, resolve);
  // Envoy mirrors only requests it forwards: one answered 503 for a cluster that does not exist has no copy.
  const forwarded = decision.shares.reduce((sum, share) => sum + share.fraction, 0);
  for (const mirror of mirrorPolicies(selected.route)) {
    const percent = Math.min(100, Math.max(0, mirror.percentage?.value ?? 100));
    if (percent > 0 && forwarded > 0)
      addResolved(decision, resolve(mirror.destination), (percent / 100) * forwarded, true);
  }
  return decision;
}

/** The first http route whose match list accepts the request; a route without `match` accepts all. */
export function selectHttpRoute(
  vs: VirtualService,
  request: RequestAttributes,
): { index: number; route: HttpRoute } | undefined {
  const routes = vs.spec.http ?? [];
  for (const [index, route] of routes.entries()) {
    const matches = route.match ?? [];
    if (matches.length === 0 || matches.some((match) => matchesRequest(match, request)))
      return { index, route };
  }
  return undefined;
}

/** Whether pilot keeps the route for this caller: no match, or one match whose caller conditions hold. */
function appliesToCaller(route: HttpRoute, request: RequestAttributes): boolean {
  const matches = route.match ?? [];
  if (matches.length === 0) return true;
  const sourceLabels = request.sourceLabels ?? {};
  return matches.some(
    (match) =>
      Object.entries(match.sourceLabels ?? {}).every(([name, value]) => sourceLabels[name] === value) &&
      (match.sourceNamespace === undefined || match.sourceNamespace === request.sourceNamespace) &&
      (!match.gateways || match.gateways.length === 0 || match.gateways.includes('mesh')),
  );
}

/**
 * Whether one HTTPMatchRequest accepts the request (all its conditions hold). Conditions on things a
 * simulated request never carries (query parameters, authority, scheme, port) do not match.
 */
export function matchesRequest(match: HttpMatchRequest, request: RequestAttributes): boolean {
  const headers = lowerCaseKeys(request.headers ?? {});
  if (match.uri && !matchesString(match.uri, request.uri ?? '/')) return false;
  if (match.method && !matchesString(match.method, request.method ?? 'GET')) return false;
  for (const [name, condition] of Object.entries(match.headers ?? {})) {
    const value = headers[name.toLowerCase()];
    if (value === undefined || !matchesString(condition, value)) return false;
  }
  for (const [name, condition] of Object.entries(match.withoutHeaders ?? {})) {
    const value = headers[name.toLowerCase()];
    if (value !== undefined && matchesString(condition, value)) return false;
  }
  const sourceLabels = request.sourceLabels ?? {};
  for (const [name, value] of Object.entries(match.sourceLabels ?? {})) {
    if (sourceLabels[name] !== value) return false;
  }
  if (match.sourceNamespace !== undefined && match.sourceNamespace !== request.sourceNamespace) return false;
  if (match.gateways && match.gateways.length > 0 && !match.gateways.includes('mesh')) return false;
  for (const unsupported of ['queryParams', 'authority', 'scheme', 'port']) {
    if (match[unsupported] !== undefined) return false;
  }
  return true;
}

/** Istio StringMatch: exact, prefix, or RE2 regex over the whole value; an empty match means "present". */
export function matchesString(condition: StringMatch, value: string): boolean {
  if (condition.exact !== undefined) return value === condition.exact;
  if (condition.prefix !== undefined) return value.startsWith(condition.prefix);
  if (condition.regex !== undefined) return wholeValueRegex(condition.regex)?.matches(value) ?? false;
  return true;
}

const regexCache = new Map<string, RE2JS | undefined>();

// Envoy's safe_regex is RE2 and must match the whole value; RE2 also runs in linear time, so a
// catastrophic pattern in a VirtualService cannot hang the simulator.
function wholeValueRegex(pattern: string): RE2JS | undefined {
  if (!regexCache.has(pattern)) {
    let compiled: RE2JS | undefined;
    try {
      compiled = RE2JS.compile(`^(?:${pattern})$`);
    } catch {
      // Istio's validation would have refused the pattern; for the simulator it matches nothing.
      compiled = undefined;
    }
    regexCache.set(pattern, compiled);
  }
  return regexCache.get(pattern);
}

// A VirtualService bound only to gateways does not configure sidecars.
function appliesToSidecars(vs: VirtualService): boolean {
  const gateways = vs.spec.gateways ?? [];
  return gateways.length === 0 || gateways.includes('mesh');
}

function mirrorPolicies(route: HttpRoute): HttpMirrorPolicy[] {
  if (route.mirrors && route.mirrors.length > 0) return route.mirrors;
  if (!route.mirror) return [];
  return [
    route.mirrorPercentage === undefined
      ? { destination: route.mirror }
      : { destination: route.mirror, percentage: route.mirrorPercentage },
  ];
}

function splitByWeight(decision: RouteDecision, route: HttpRoute, resolve: (d: Destination) => Resolution) {
  const destinations = route.route ?? [];
  if (destinations.length === 0) {
    decision.unrouted.push({ reason: 'no-destination', fraction: 1, mirrored: false });
    return;
  }
  // A lone destination without weight takes everything; otherwise a missing weight is 0.
  const weights = destinations.map((d) => d.weight ?? (destinations.length === 1 ? 100 : 0));
  const total = weights.reduce((sum, w) => sum + Math.max(0, w), 0);
  if (total <= 0) {
    decision.unrouted.push({ reason: 'zero-weight', fraction: 1, mirrored: false });
    return;
  }
  for (const [i, destination] of destinations.entries()) {
    const weight = Math.max(0, weights[i] ?? 0);
    if (weight > 0) addResolved(decision, resolve(destination.destination), weight / total, false);
  }
}

type Resolution =
  | { ok: true; host: string; subset?: string; targets: { version: string; workload: string }[] }
  | { ok: false; host: string; subset?: string; reason: UnroutedReason };

/** Versions (workloads) a destination reaches: by host map, then narrowed by the subset's labels. */
function resolveDestination(
  destination: Destination,
  vsNamespace: string,
  service: RoutableService,
  destinationRules: readonly DestinationRule[],
): Resolution {
  const host = parseHost(destination.host, vsNamespace);
  const base =
    destination.subset === undefined ? { host: host.name } : { host: host.name, subset: destination.subset };
  const versionNames = host.namespace === service.namespace ? versionsOfHost(service, host.name) : undefined;
  if (!versionNames) return { ...base, ok: false, reason: 'unknown-host' };
  let candidates = service.versions.filter((v) => versionNames.includes(v.version));
  if (destination.subset !== undefined) {
    const rule = destinationRules.find((dr) => {
      const drHost = parseHost(dr.spec.host, dr.metadata.namespace ?? service.namespace);
      return drHost.name === host.name && drHost.namespace === host.namespace;
    });
    const subset = rule?.spec.subsets?.find((s) => s.name === destination.subset);
    if (!subset) return { ...base, ok: false, reason: 'unknown-subset' };
    const wanted = Object.entries(subset.labels ?? {});
    candidates = candidates.filter((v) => {
      const labels = versionLabels(service, v);
      return wanted.every(([name, value]) => labels[name] === value);
    });
  }
  if (candidates.length === 0) return { ...base, ok: false, reason: 'unknown-subset' };
  return {
    ...base,
    ok: true,
    targets: candidates.map((v) => ({ version: v.version, workload: v.workload })),
  };
}

function versionsOfHost(service: RoutableService, hostName: string): readonly string[] | undefined {
  const mapped = service.hosts?.[hostName];
  if (mapped !== undefined) return typeof mapped === 'string' ? [mapped] : mapped;
  // The service's own host selects every version, as a Kubernetes Service on the app label does.
  if (hostName === service.name) return service.versions.map((v) => v.version);
  return undefined;
}

/** `reviews`, `reviews.bookinfo` and `reviews.bookinfo.svc.cluster.local` name the same Service. */
export function parseHost(host: string, defaultNamespace: string): { name: string; namespace: string } {
  const [name = host, namespace = defaultNamespace] = host.split('.');
  return { name, namespace };
}

// Endpoints of a host spread evenly over its versions (one replica each in the samples).
function addResolved(decision: RouteDecision, resolution: Resolution, fraction: number, mirrored: boolean) {
  if (!resolution.ok) {
    const share: UnroutedShare = { reason: resolution.reason, fraction, mirrored, host: resolution.host };
    if (resolution.subset !== undefined) share.subset = resolution.subset;
    decision.unrouted.push(share);
    return;
  }
  const each = fraction / resolution.targets.length;
  for (const target of resolution.targets) {
    const existing = decision.shares.find(
      (s) =>
        s.version === target.version &&
        s.host === resolution.host &&
        s.subset === resolution.subset &&
        s.mirrored === mirrored,
    );
    if (existing) {
      existing.fraction += each;
      continue;
    }
    const share: RoutedShare = { ...target, fraction: each, mirrored, host: resolution.host };
    if (resolution.subset !== undefined) share.subset = resolution.subset;
    decision.shares.push(share);
  }
}

function lowerCaseKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) out[k.toLowerCase()] = v;
  return out;
}
