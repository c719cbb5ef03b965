import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { DriftError, MeshError } from '../../app/ports/mesh-errors.js';
import type {
  ConvergeOptions,
  MeshEvent,
  RouteApi,
  RouteRef,
  RouteSnapshot,
  TrafficRouter,
} from '../../app/ports/traffic-router.js';
import {
  type Fence,
  fenceAllows,
  type MeshTarget,
  ownerMark,
  parseOwnerMark,
} from '../../domain/release/index.js';
import {
  awaitedParents,
  type HTTPRoute,
  type HTTPRouteRule,
  ownedRuleName,
  routeControllers,
  routeVerdict,
  withOwnedRule,
  withoutOwnedRule,
} from '../../domain/routing/http-route.js';
import {
  abShadowedBy,
  baseRuleIndex,
  desiredRuleFor,
  ruleWeights,
  servingRuleIndex,
  slotPath,
  withServerDefaults,
} from '../../domain/routing/http-route-slot.js';
import {
  botRoutePrefix,
  canonicalJson,
  describeDestination,
  describeWeights,
  sameWeights,
  weightsDrift,
} from '../../domain/routing/route-math.js';
import { RouteError } from '../../domain/routing/routing-errors.js';
import type { Destination, HttpRoute, WeightedDestination } from '../../domain/routing/virtual-service.js';
import { DestinationValidator, serviceOfHost } from '../istio/destination-validator.js';
import { ownerAnnotation } from '../istio/istio-router.js';
import { readWithRetries, routeObjectExists, toMeshError } from '../istio/kube-errors.js';
import { requestTimeout } from '../istio/request-timeout.js';
import { bestEffort, recordRouteEvent } from '../route-events.js';

const group = 'gateway.networking.k8s.io';
const version = 'v1';
const apiVersion = `${group}/${version}`;

/** An HTTPRoute as the API server returns it. */
type RouteObject = HTTPRoute & {
  metadata: HTTPRoute['metadata'] & {
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
  };
};

/** Tuning of the write loop, as for the Istio router. */
export interface HttpRouteRouterOptions {
  /** How many times a write is retried after a 409 before giving up with `conflict`. */
  maxAttempts?: number;
  /** First back-off after a 409, doubled each time, with full jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Name recorded as the reporting component of Kubernetes Events. */
  component?: string;
  /** Longest wait for one Kubernetes request; default 10 s. */
  requestTimeoutMs?: number;
  /** Fault-injection point, called after each read and before the write: for tests. */
  beforeWrite?: (attempt: number) => Promise<void>;
  /**
   * Longest wait after a write for the Gateway API controllers' verdict on the generation written; default
   * 5 s. Waited for when a controller is known to serve the route (it wrote status for an earlier
   * generation) or `expectController` says so; 0 never waits.
   */
  verdictTimeoutMs?: number;
  /** Wait for a verdict even on a route no controller has written status to yet. */
  expectController?: boolean;
}

/** First pause between two reads of the route's status while waiting for a verdict; doubled up to 1 s. */
const verdictPollMs = 50;

/**
 * A route written (and read back as written) on which a controller known to serve it gave no verdict in
 * time: the change is not confirmed, never taken as a success. Its code is `verify-failed`, so the release
 * retries on its next tick, where the verdict is waited for again.
 */
export class NoVerdictError extends MeshError {
  override name = 'NoVerdictError';
  constructor(
    message: string,
    readonly generation: number,
    readonly awaited: readonly string[],
  ) {
    super('verify-failed', message);
  }
}

/**
 * The Gateway API implementation of {@link TrafficRouter}: a release owns one rule of an HTTPRoute,
 * `canary-bot-<release>`, on the path of the rule it is about (see `http-route-slot.ts`); every other rule,
 * filter, timeout, parentRef and annotation is written back as read. Writes are full updates guarded by
 * `resourceVersion` and fenced by the same owner annotations as VirtualServices; a 409 is retried from a
 * fresh read; a hand edit of the owned rule is reported as drift, never overwritten.
 *
 * After a write the controllers' verdict is read from `status.parents`: a route refused for the generation
 * written halts the change with the controller's reason. When a controller is known to serve the route (it
 * wrote status for an earlier generation, or `expectController`), the verdict on the generation written is
 * waited for (`verdictTimeoutMs`, polling with back-off), and one that never comes is a
 * {@link NoVerdictError}. On a route no controller has ever written status to (a cluster without a Gateway
 * API controller) nothing is waited for: the change returns its snapshot.
 *
 * @example
 * const router = new HttpRouteTrafficRouter(kubeConfig);
 * await router.converge({ namespace: 'bookinfo', name: 'reviews', route: { kind: 'default' } }, meshTargetOf(release));
 */
export class HttpRouteTrafficRouter implements TrafficRouter {
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  private readonly call: k8s.ConfigurationOptions;
  private readonly options: Required<
    Omit<HttpRouteRouterOptions, 'beforeWrite' | 'requestTimeoutMs' | 'verdictTimeoutMs' | 'expectController'>
  >;
  private readonly beforeWrite: (attempt: number) => Promise<void>;
  private readonly readiness: DestinationValidator;
  private readonly verdictWait: { timeoutMs: number; expect: boolean };

  constructor(kubeConfig: k8s.KubeConfig, options: HttpRouteRouterOptions = {}) {
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.call = requestTimeout(options.requestTimeoutMs ?? 10_000);
    // Destinations here are Services, never subsets: the validator reads no DestinationRule.
    this.readiness = new DestinationValidator(kubeConfig, async () => 'v1', this.call);
    this.options = {
      maxAttempts: options.maxAttempts ?? 12,
      baseBackoffMs: options.baseBackoffMs ?? 25,
      maxBackoffMs: options.maxBackoffMs ?? 1000,
      component: options.component ?? 'canary-bot',
    };
    this.beforeWrite = options.beforeWrite ?? (async () => {});
    this.verdictWait = {
      timeoutMs: options.verdictTimeoutMs ?? 5000,
      expect: options.expectController ?? false,
    };
  }

  /** The rule that serves the slot now (the release's, an earlier release's, or the base rule) and its weights. */
  async readRoute(ref: RouteRef): Promise<RouteSnapshot> {
    const live = await this.get(ref);
    return snapshot(
      ref,
      live,
      guard(ref, () => servingRuleIndex(live, ref.route)),
    );
  }

  async converge(ref: RouteRef, target: MeshTarget, options: ConvergeOptions = {}): Promise<RouteSnapshot> {
    if (!target.routePrefix.startsWith(botRoutePrefix))
      throw new MeshError('invalid', `The bot's routes must start with "${botRoutePrefix}".`);
    const receiving =
      target.owned.kind === 'weights'
        ? [
            ...target.owned.weights.filter((w) => w.weight > 0).map((w) => w.destination),
            ...(target.owned.mirror ? [target.owned.mirror.destination] : []),
            ...target.routes.map((r) => r.destination),
          ]
        : [];
    await this.validateDestinations(ref.namespace, receiving);
    const ports = await this.ports(ref.namespace, [
      ...receiving,
      ...(target.owned.kind === 'weights' ? target.owned.weights.map((w) => w.destination) : []),
    ]);
    return await this.change(ref, target, (live) => guard(ref, () => converged(live, ref, target, ports)), {
      ...(target.expected ? { expected: target.expected } : {}),
      ...(options.event ? { event: options.event } : {}),
    });
  }

  async seal(ref: RouteRef, fence: Fence): Promise<void> {
    const live = await this.get(ref);
    const mark = live.metadata.annotations?.[ownerAnnotation(ref.route)];
    if (!fenceAllows(mark, fence).allowed) return; // already sealed, or another release owns the route
    const digest = guard(ref, () => ownedDigest(live, fence.release));
    try {
      await this.replace(ref, withOwner(live, ref, fence, digest));
    } catch (error) {
      throw toMeshError(error, `mark HTTPRoute ${ref.namespace}/${ref.name}`);
    }
  }

  async checkDrift(ref: RouteRef, expected: readonly WeightedDestination[]): Promise<string | undefined> {
    return weightsDrift((await this.readRoute(ref)).weights, expected);
  }

  /**
   * Refuses destinations an HTTPRoute cannot send to: a DestinationRule subset (each version is its own
   * Service here), a Service in another namespace, or a Service that does not exist. Nothing is written.
   */
  async validateDestinations(namespace: string, destinations: readonly Destination[]): Promise<void> {
    for (const destination of destinations) {
      const name = serviceName(destination, namespace);
      await this.service(namespace, name, destination);
    }
    // Each version's Service has ready pods behind it (Deployments whose pod labels its selector matches).
    await this.readiness.validate(namespace, destinations);
  }

  async routeApisOf(namespace: string, name: string): Promise<RouteApi[]> {
    return (await routeObjectExists(() => this.get({ namespace, name }), true)) ? ['HTTPRoute'] : [];
  }

  async recordEvent(ref: Pick<RouteRef, 'namespace' | 'name'>, event: MeshEvent): Promise<void> {
    const live = await this.get(ref);
    await recordRouteEvent(
      this.core,
      {
        apiVersion,
        kind: 'HTTPRoute',
        namespace: ref.namespace,
        name: ref.name,
        metadata: live.metadata,
      },
      event,
      this.options.component,
      this.call,
    );
  }

  private async tryRecordEvent(ref: RouteRef, event: MeshEvent): Promise<void> {
    await bestEffort(() => this.recordEvent(ref, event));
  }

  /**
   * The write loop: read, check the fence and drift, edit, write with resourceVersion and the new owner mark
   * in one update, retry on 409 from a fresh read, then read back, compare and read the controllers' verdict.
   */
  private async change(
    ref: RouteRef,
    target: Pick<MeshTarget, 'fence'>,
    edit: (live: RouteObject) => RouteObject,
    options: { expected?: readonly WeightedDestination[]; event?: MeshEvent },
  ): Promise<RouteSnapshot> {
    const release = target.fence.release;
    let reference: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const live = await this.get(ref);
      const mark = live.metadata.annotations?.[ownerAnnotation(ref.route)];
      const allowed = fenceAllows(mark, target.fence);
      if (!allowed.allowed)
        throw new MeshError(
          'superseded',
          `HTTPRoute ${ref.namespace}/${ref.name} was not written: ${allowed.reason}.`,
        );
      const next = edit(live);
      const digest = ownedDigest(next, release);
      // Already as wanted (a retry, say): it still needs the controllers' verdict on the generation live.
      if (sameRules(live, next) && mark === ownerMark(target.fence, digest))
        return await this.verdict(ref, live, live.metadata.generation ?? 0);
      const current = live.spec.rules?.[guard(ref, () => servingRuleIndex(live, ref.route))];
      const last = parseOwnerMark(mark);
      const ownLastWrite =
        last?.release === release && last.digest !== undefined && last.digest === ownedDigest(live, release);
      const holdsTarget = sameWeights(
        ruleWeights(current ?? {}, ref.namespace),
        ruleWeights(next.spec.rules?.[servingRuleIndex(next, ref.route)] ?? {}, ref.namespace),
      );
      const found = ruleWeights(current ?? {}, ref.namespace);
      if (!ownLastWrite && options.expected && !holdsTarget && !sameWeights(found, options.expected))
        throw await this.drift(ref, describeWeights(options.expected), describeWeights(found));
      // The serving rule changed between two of our attempts: someone else edited it; report, never overwrite.
      if (!ownLastWrite && reference !== undefined && reference !== canonicalJson(current))
        throw await this.drift(ref, reference, canonicalJson(current));
      reference = canonicalJson(current);

      const body = withOwner(next, ref, target.fence, digest);
      await this.beforeWrite(attempt);
      let written: RouteObject;
      try {
        written = await this.replace(ref, body);
      } catch (error) {
        const failure = toMeshError(error, `update HTTPRoute ${ref.namespace}/${ref.name}`);
        if (failure.code !== 'conflict') throw failure;
        if (attempt >= this.options.maxAttempts)
          throw new MeshError(
            'conflict',
            `HTTPRoute ${ref.namespace}/${ref.name} kept changing under us; gave up after ${attempt} attempts. Nothing was written.`,
            { cause: error },
          );
        await sleep(this.backoff(attempt));
        continue;
      }
      let result: RouteSnapshot;
      try {
        result = await this.verify(ref, release, body, written);
      } catch (error) {
        if (error instanceof MeshError && error.code === 'rejected')
          throw await this.putBack(ref, live, error);
        throw error;
      }
      if (options.event) await this.tryRecordEvent(ref, options.event);
      return result;
    }
  }

  /** Reads back: the owned rule as written, and no controller refusing the generation written. */
  private async verify(
    ref: RouteRef,
    release: string,
    intended: RouteObject,
    written: RouteObject,
  ): Promise<RouteSnapshot> {
    const back = await this.get(ref);
    const same =
      back.metadata.resourceVersion === written.metadata.resourceVersion
        ? sameRules(back, intended)
        : ownedDigest(back, release) === ownedDigest(intended, release);
    if (!same)
      throw new MeshError(
        'verify-failed',
        `HTTPRoute ${ref.namespace}/${ref.name} does not read back as written; someone may have changed it at the same moment.`,
      );
    return await this.verdict(ref, back, written.metadata.generation ?? 0);
  }

  /**
   * The controllers' verdict on `generation`: a refusal halts with their reason; while it is pending on a
   * route a controller is known to serve, the route is read again (back-off from 50 ms to 1 s) until it
   * comes or `verdictTimeoutMs` runs out ({@link NoVerdictError}). Returns the snapshot of the last read.
   */
  private async verdict(ref: RouteRef, read: RouteObject, generation: number): Promise<RouteSnapshot> {
    const deadline = Date.now() + this.verdictWait.timeoutMs;
    const waits = this.verdictWait.expect || routeControllers(read).length > 0;
    let route = read;
    for (let pause = verdictPollMs; ; pause = Math.min(pause * 2, 1000)) {
      const verdict = routeVerdict(route, generation);
      if (typeof verdict === 'object')
        throw new MeshError(
          'rejected',
          `HTTPRoute ${ref.namespace}/${ref.name} was written but does not route: ${verdict.refused}`,
        );
      if (verdict === 'accepted' || !waits || this.verdictWait.timeoutMs <= 0)
        return snapshot(ref, route, servingRuleIndex(route, ref.route));
      const left = deadline - Date.now();
      if (left <= 0) throw noVerdict(ref, route, generation, this.verdictWait.timeoutMs);
      await sleep(Math.min(pause, left));
      route = await this.get(ref);
    }
  }

  /**
   * A write its controller refused is undone: the route (rules and owner mark) is written back as it was
   * read before the write, so the mesh is left in a known state, the one the release had before the step.
   * Returns the error to throw: the refusal, saying whether the route was put back.
   */
  private async putBack(ref: RouteRef, before: RouteObject, refusal: MeshError): Promise<MeshError> {
    try {
      const now = await this.get(ref);
      await this.replace(ref, {
        ...before,
        metadata: { ...before.metadata, resourceVersion: now.metadata.resourceVersion },
      } as RouteObject);
      return new MeshError(
        'rejected',
        `${refusal.message} The route was put back as it was before this change.`,
        {
          cause: refusal,
        },
      );
    } catch (error) {
      return new MeshError(
        'rejected',
        `${refusal.message} Putting the route back as it was failed too (${toMeshError(error, `update HTTPRoute ${ref.namespace}/${ref.name}`).message}): it holds the refused change until someone fixes it.`,
        { cause: refusal },
      );
    }
  }

  private async drift(ref: RouteRef, expected: string, actual: string): Promise<DriftError> {
    const message = `Rule of HTTPRoute ${ref.namespace}/${ref.name} was changed outside the bot: expected ${expected}, found ${actual}.`;
    await this.tryRecordEvent(ref, { type: 'Warning', reason: 'Drift', message });
    return new DriftError(message, expected, actual);
  }

  private backoff(attempt: number): number {
    return (
      Math.random() * Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (attempt - 1))
    );
  }

  /** The port of each destination: its own, else the Service's only port. */
  private async ports(namespace: string, destinations: readonly Destination[]): Promise<Map<string, number>> {
    const ports = new Map<string, number>();
    for (const destination of destinations) {
      const name = serviceName(destination, namespace);
      if (destination.port?.number) ports.set(name, destination.port.number);
      if (ports.has(name)) continue;
      const service = await this.service(namespace, name, destination);
      const numbers = (service.spec?.ports ?? []).map((p) => p.port);
      if (numbers.length !== 1 || numbers[0] === undefined)
        throw new MeshError(
          'invalid',
          `Service ${namespace}/${name} has ${numbers.length === 0 ? 'no ports' : `ports ${numbers.join(', ')}`}; an HTTPRoute backend needs one port, so name it.`,
        );
      ports.set(name, numbers[0]);
    }
    return ports;
  }

  private async service(namespace: string, name: string, destination: Destination): Promise<k8s.V1Service> {
    try {
      return await readWithRetries(
        () => this.core.readNamespacedService({ name, namespace }, this.call),
        `read Service ${namespace}/${name}`,
      );
    } catch (error) {
      if (error instanceof MeshError && error.code === 'not-found')
        throw new MeshError(
          'unknown-host',
          `${describeDestination(destination)}: there is no Service "${name}" in namespace ${namespace}; an HTTPRoute sends each version to its own Service (reviews-v2, say), so create it first.`,
          { cause: error },
        );
      throw error;
    }
  }

  private async get(ref: Pick<RouteRef, 'namespace' | 'name'>): Promise<RouteObject> {
    return await readWithRetries(
      async () =>
        (await this.custom.getNamespacedCustomObject(
          { group, version, namespace: ref.namespace, plural: 'httproutes', name: ref.name },
          this.call,
        )) as RouteObject,
      `read HTTPRoute ${ref.namespace}/${ref.name}`,
    );
  }

  private async replace(ref: RouteRef, body: RouteObject): Promise<RouteObject> {
    return (await this.custom.replaceNamespacedCustomObject(
      { group, version, namespace: ref.namespace, plural: 'httproutes', name: ref.name, body },
      this.call,
    )) as RouteObject;
  }
}

function noVerdict(ref: RouteRef, route: RouteObject, generation: number, timeoutMs: number): NoVerdictError {
  const awaited = awaitedParents(route, generation);
  const who =
    awaited.length > 0
      ? `still waiting for ${awaited.join(', ')}`
      : 'no controller has written its status; is a Gateway API controller running?';
  return new NoVerdictError(
    `HTTPRoute ${ref.namespace}/${ref.name} was written (generation ${generation}) but got no verdict from its Gateway API controller within ${timeoutMs / 1000} s (${who}); the change is not confirmed to route yet.`,
    generation,
    awaited,
  );
}

/** The Service a destination names: the host in the route's namespace, never a subset. */
function serviceName(destination: Destination, namespace: string): string {
  if (destination.subset)
    throw new MeshError(
      'unknown-subset',
      `${describeDestination(destination)}: an HTTPRoute sends each version to its own Service, not to a DestinationRule subset; name the version's Service (${destination.host}-${destination.subset}, say).`,
    );
  const service = serviceOfHost(destination.host, namespace);
  if (!service || service.namespace !== namespace)
    throw new MeshError(
      'unknown-host',
      `${destination.host} is not a Service in namespace ${namespace}; the bot sends an HTTPRoute's traffic only to Services beside it (another namespace would need a ReferenceGrant).`,
    );
  return service.name;
}

/**
 * The route with the target applied: the release's rule for the target (or, to restore, without it and
 * with the rule an earlier release left put back), every other rule as read.
 */
function converged(
  live: RouteObject,
  ref: RouteRef,
  target: MeshTarget,
  ports: ReadonlyMap<string, number>,
): RouteObject {
  const release = target.fence.release;
  const name = ownedRuleName(release);
  const own = (r: HTTPRouteRule) => r.name?.startsWith(target.routePrefix) ?? false;
  const kept: RouteObject = {
    ...live,
    spec: { ...live.spec, rules: (live.spec.rules ?? []).filter((r) => !own(r)) },
  };
  if (target.owned.kind === 'original') return restored(kept, release, target.owned.route as HTTPRouteRule);
  const without = withoutOwnedRule(kept, release) as RouteObject;
  const base = without.spec.rules?.[baseRuleIndex(without, ref.route)] as HTTPRouteRule;
  const path = slotPath(base);
  const fallback = ruleWeights(
    without.spec.rules?.[servingRuleIndex(without, ref.route)] ?? {},
    ref.namespace,
  );
  const desired = desiredRuleFor(target.owned, target.routes, fallback, path, (d) => {
    const service = serviceName(d, ref.namespace);
    return { service, port: ports.get(service) ?? 0 };
  });
  const built = withOwnedRule(kept, release, desired) as RouteObject;
  const rules = (built.spec.rules ?? []).map((r) =>
    r.name === name ? withServerDefaults(inheriting(r, base)) : r,
  );
  const written: RouteObject = { ...built, spec: { ...built.spec, rules } };
  const owned = rules.find((r) => r.name === name) as HTTPRouteRule;
  const next = desired.anyOf ? written : withoutEarlierReleases(written, owned);
  const shadowed = abShadowedBy(next, owned, path);
  if (shadowed)
    throw new RouteError('invalid-match', `${shadowed.charAt(0).toUpperCase()}${shadowed.slice(1)}.`);
  return next;
}

/**
 * The owned rule with what the base rule does to its requests besides choosing backends (filters,
 * timeouts, retries, session persistence...), so requests keep behaving as before whichever rule takes them.
 */
function inheriting(rule: HTTPRouteRule, base: HTTPRouteRule): HTTPRouteRule {
  const { name: _name, matches: _matches, backendRefs: _backends, filters, ...rest } = base;
  const all = [...(filters ?? []), ...(rule.filters ?? [])];
  const { filters: _own, ...ruleRest } = rule;
  return { ...rest, ...ruleRest, ...(all.length > 0 ? { filters: all } : {}) };
}

/**
 * A weight rule takes over the rules earlier releases left behind it on the same matches (they serve
 * nothing while it is in front), so rules do not pile up release after release; a rollback puts back the
 * one that served (`restored`).
 */
function withoutEarlierReleases(route: RouteObject, owned: HTTPRouteRule): RouteObject {
  const rules = route.spec.rules ?? [];
  const at = rules.indexOf(owned);
  const matches = canonicalJson(owned.matches);
  const kept = rules.filter(
    (r, i) => !(i > at && r.name?.startsWith(botRoutePrefix) && canonicalJson(r.matches) === matches),
  );
  return kept.length === rules.length ? route : { ...route, spec: { ...route.spec, rules: kept } };
}

/**
 * The route without the release's rule; when the release had taken over a rule an earlier release left
 * (`original`), that rule goes back where the release's rule was.
 */
function restored(route: RouteObject, release: string, original: HTTPRouteRule): RouteObject {
  const rules = route.spec.rules ?? [];
  const at = rules.findIndex((r) => r.name === ownedRuleName(release));
  const without = withoutOwnedRule(route, release) as RouteObject;
  const earlier = original.name?.startsWith(botRoutePrefix) && original.name !== ownedRuleName(release);
  if (!earlier || rules.some((r) => r.name === original.name)) return without;
  const back = [...(without.spec.rules ?? [])];
  back.splice(Math.max(at, 0), 0, original);
  return { ...without, spec: { ...without.spec, rules: back } };
}

function guard<T>(ref: Pick<RouteRef, 'namespace' | 'name'>, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RouteError)
      throw new MeshError(error.code === 'route-not-found' ? 'not-found' : 'invalid', error.message, {
        cause: error,
      });
    if (error instanceof MeshError) throw error;
    throw toMeshError(error, `change HTTPRoute ${ref.namespace}/${ref.name}`);
  }
}

function snapshot(ref: RouteRef, route: RouteObject, index: number): RouteSnapshot {
  const rule = route.spec.rules?.[index] ?? {};
  const owner = route.metadata.annotations?.[ownerAnnotation(ref.route)];
  return {
    ref,
    apiVersion: route.apiVersion ?? apiVersion,
    resourceVersion: route.metadata.resourceVersion ?? '',
    index,
    // The rule as read, kept verbatim for an exact restore; its shape is Gateway API's, not Istio's.
    route: rule as HttpRoute,
    weights: ruleWeights(rule, ref.namespace),
    ...(owner !== undefined ? { owner } : {}),
  };
}

/** The route with the owner mark of `fence`; every other annotation is kept. */
function withOwner(route: RouteObject, ref: RouteRef, fence: Fence, digest: string): RouteObject {
  return {
    ...route,
    metadata: {
      ...route.metadata,
      annotations: {
        ...(route.metadata.annotations ?? {}),
        [ownerAnnotation(ref.route)]: ownerMark(fence, digest),
      },
    },
  };
}

/** A short hash of the release's rule as it stands: its mark carries it, so a hand edit shows. */
function ownedDigest(route: HTTPRoute, release: string): string {
  const name = ownedRuleName(release);
  const owned = (route.spec.rules ?? []).find((r) => r.name === name);
  return createHash('sha256').update(canonicalJson({ owned })).digest('hex').slice(0, 16);
}

function sameRules(a: HTTPRoute, b: HTTPRoute): boolean {
  return canonicalJson(a.spec.rules ?? []) === canonicalJson(b.spec.rules ?? []);
}
