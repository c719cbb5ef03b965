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
import { convergedSpec, type RouteTarget } from '../../domain/routing/converge.js';
import {
  botRoutePrefix,
  canonicalJson,
  describeWeights,
  findRouteIndex,
  routeAt,
  routeWeights,
  sameRoute,
  sameWeights,
  weightsDrift,
} from '../../domain/routing/route-math.js';
import { RouteError } from '../../domain/routing/routing-errors.js';
import { findShadowingRoute, requestClassesOf } from '../../domain/routing/shadowed-route.js';
import type {
  Destination,
  HttpRoute,
  VirtualServiceSpec,
  WeightedDestination,
} from '../../domain/routing/virtual-service.js';
import { bestEffort, recordRouteEvent } from '../route-events.js';
import { DestinationValidator } from './destination-validator.js';
import { readWithRetries, routeObjectExists, toMeshError } from './kube-errors.js';
import { requestTimeout } from './request-timeout.js';

const group = 'networking.istio.io';

/** The annotation that says which release (and state version) wrote the default route last: the fence. */
export const OWNER_ANNOTATION = 'canary-bot.io/owner';

/**
 * The owner annotation of one owned route: releases of different named routes of one VirtualService each
 * have their own (a valid annotation name, hashed when the route's name is not one).
 *
 * @example ownerAnnotation({ kind: 'named', name: 'primary' }) // 'canary-bot.io/owner.primary'
 */
export function ownerAnnotation(route: RouteRef['route']): string {
  if (route.kind === 'default') return OWNER_ANNOTATION;
  const name = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,40}[A-Za-z0-9])?$/.test(route.name)
    ? route.name
    : createHash('sha256').update(route.name).digest('hex').slice(0, 16);
  return `${OWNER_ANNOTATION}.${name}`;
}

interface VirtualServiceObject {
  apiVersion: string;
  kind: 'VirtualService';
  metadata: k8s.V1ObjectMeta;
  spec: VirtualServiceSpec;
}

/** Tuning of the write loop; the defaults suit a Lambda with a 30 s budget. */
export interface IstioRouterOptions {
  /** How many times a write is retried after a 409 before giving up with `conflict`. */
  maxAttempts?: number;
  /** First back-off after a 409, doubled each time, with full jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** The Istio API version to use; discovered (v1, else v1beta1) when not given. */
  apiVersion?: 'v1' | 'v1beta1';
  /** Name recorded as the reporting component of Kubernetes Events. */
  component?: string;
  /** Longest wait for one Kubernetes request; default 10 s. A write that times out is settled by reading. */
  requestTimeoutMs?: number;
  /** Fault-injection point, called after each read and before the write: for tests and chaos drills. */
  beforeWrite?: (attempt: number) => Promise<void>;
  /** Called once the API server accepted a write (not after a refused one): for tests that trace writes. */
  afterWrite?: () => void;
  /**
   * How long a destination found to exist and be ready is trusted without asking again; default 0 (asked
   * before every write). Tests that write the same destinations thousands of times raise it.
   */
  validationCacheMs?: number;
}

/**
 * The Istio implementation of {@link TrafficRouter}: edits one route of a VirtualService with a full update
 * guarded by `resourceVersion`, re-applying only its own edit after a 409, and refusing to overwrite a route
 * that someone else changed (drift).
 *
 * @example
 * const router = new IstioTrafficRouter(kubeConfig);
 * await router.setWeights({ namespace: 'bookinfo', name: 'reviews', route: { kind: 'default' } },
 *   [{ destination: { host: 'reviews', subset: 'v1' }, weight: 90 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 10 }]);
 */
export class IstioTrafficRouter implements TrafficRouter {
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  private readonly validator: DestinationValidator;
  private version: Promise<string> | undefined;
  private readonly options: Required<
    Omit<
      IstioRouterOptions,
      'apiVersion' | 'beforeWrite' | 'afterWrite' | 'requestTimeoutMs' | 'validationCacheMs'
    >
  >;
  private readonly call: k8s.ConfigurationOptions;
  private readonly beforeWrite: (attempt: number) => Promise<void>;
  private readonly afterWrite: () => void;
  private readonly validationCacheMs: number;
  private readonly validated = new Map<string, number>();

  constructor(kubeConfig: k8s.KubeConfig, options: IstioRouterOptions = {}) {
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.validator = new DestinationValidator(
      kubeConfig,
      () => this.apiVersion(),
      requestTimeout(options.requestTimeoutMs ?? 10_000),
    );
    if (options.apiVersion) this.version = Promise.resolve(options.apiVersion);
    this.options = {
      maxAttempts: options.maxAttempts ?? 12,
      baseBackoffMs: options.baseBackoffMs ?? 25,
      maxBackoffMs: options.maxBackoffMs ?? 1000,
      component: options.component ?? 'canary-bot',
    };
    this.beforeWrite = options.beforeWrite ?? (async () => {});
    this.afterWrite = options.afterWrite ?? (() => {});
    this.validationCacheMs = options.validationCacheMs ?? 0;
    this.call = requestTimeout(options.requestTimeoutMs ?? 10_000);
  }

  /**
   * `v1` where the cluster serves VirtualServices in it (Istio 1.22+), otherwise `v1beta1`. Discovered once,
   * per resource: other kinds of the group may serve a version that VirtualService does not.
   */
  apiVersion(): Promise<string> {
    this.version ??= (async () => {
      try {
        for (const version of ['v1', 'v1beta1']) {
          const served = await readWithRetries(
            () => this.custom.getAPIResources({ group, version }, this.call),
            'discover the Istio API version',
          ).catch((error: unknown) => {
            if (error instanceof MeshError && error.code === 'not-found') return undefined;
            throw error;
          });
          const names = served?.resources.map((r) => r.name) ?? [];
          if (names.includes('virtualservices') && names.includes('destinationrules')) return version;
        }
        throw new MeshError(
          'not-found',
          'This cluster serves Istio VirtualServices neither in v1 nor in v1beta1: is Istio installed?',
        );
      } catch (error) {
        this.version = undefined;
        throw toMeshError(error, 'discover the Istio API version');
      }
    })();
    return this.version;
  }

  async readRoute(ref: RouteRef): Promise<RouteSnapshot> {
    const vs = await this.get(ref);
    return snapshot(ref, vs, findOwned(vs, ref));
  }

  async converge(ref: RouteRef, target: MeshTarget, options: ConvergeOptions = {}): Promise<RouteSnapshot> {
    const routeTarget: RouteTarget = {
      owned:
        target.owned.kind === 'original'
          ? { kind: 'original', route: target.owned.route as HttpRoute }
          : target.owned,
      routes: target.routes,
      routePrefix: target.routePrefix,
    };
    if (!routeTarget.routePrefix.startsWith(botRoutePrefix))
      throw new MeshError('invalid', `The bot's routes must start with "${botRoutePrefix}".`);
    const receiving = [
      ...(target.owned.kind === 'weights'
        ? [
            ...target.owned.weights.filter((w) => w.weight > 0).map((w) => w.destination),
            ...(target.owned.mirror ? [target.owned.mirror.destination] : []),
          ]
        : []),
      ...target.routes.map((route) => route.destination),
    ];
    await this.validateDestinations(ref.namespace, receiving);
    return await this.change(
      ref,
      target,
      (spec) =>
        refuseShadowed(
          guard(() => convergedSpec(spec, ref.route, routeTarget)),
          routeTarget,
        ),
      {
        ...(target.expected ? { expected: target.expected } : {}),
        ...(options.event ? { event: options.event } : {}),
      },
    );
  }

  async seal(ref: RouteRef, fence: Fence): Promise<void> {
    const live = await this.get(ref);
    const mark = live.metadata.annotations?.[ownerAnnotation(ref.route)];
    const allowed = fenceAllows(mark, fence);
    if (!allowed.allowed) return; // already sealed, or another release owns the route: nothing to mark
    try {
      const digest = routesDigest(live.spec, ref, `${botRoutePrefix}${fence.release}-`);
      await this.replace(ref, withOwner(live, ref, fence, digest));
    } catch (error) {
      throw toMeshError(error, `mark VirtualService ${ref.namespace}/${ref.name}`);
    }
  }

  async checkDrift(ref: RouteRef, expected: readonly WeightedDestination[]): Promise<string | undefined> {
    return weightsDrift((await this.readRoute(ref)).weights, expected);
  }

  async validateDestinations(namespace: string, destinations: readonly Destination[]): Promise<void> {
    const key = `${namespace}/${JSON.stringify(destinations)}`;
    if ((this.validated.get(key) ?? 0) > Date.now()) return;
    await this.validator.validate(namespace, destinations);
    if (this.validationCacheMs > 0) this.validated.set(key, Date.now() + this.validationCacheMs);
  }

  async waypointOf(namespace: string, service: string): Promise<string | undefined> {
    const found = await readWithRetries(
      () => this.core.readNamespacedService({ name: service, namespace }, this.call),
      `read Service ${namespace}/${service}`,
    );
    const waypoint = found.metadata?.labels?.['istio.io/use-waypoint'];
    return waypoint && waypoint !== 'none' ? waypoint : undefined;
  }

  async routeApisOf(namespace: string, name: string): Promise<RouteApi[]> {
    return (await routeObjectExists(() => this.get({ namespace, name }))) ? ['VirtualService'] : [];
  }

  async recordEvent(ref: Pick<RouteRef, 'namespace' | 'name'>, event: MeshEvent): Promise<void> {
    const vs = await this.get(ref);
    await recordRouteEvent(
      this.core,
      {
        apiVersion: vs.apiVersion,
        kind: 'VirtualService',
        namespace: ref.namespace,
        name: ref.name,
        metadata: vs.metadata,
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
   * in the same update, retry on 409 with jittered back-off (checking the fence again), then read back and
   * compare. A write whose outcome is unknown (timeout) is settled by reading.
   */
  private async change(
    ref: RouteRef,
    target: Pick<MeshTarget, 'fence' | 'routePrefix'>,
    edit: (spec: VirtualServiceSpec) => { spec: VirtualServiceSpec; ownedIndex: number },
    options: { expected?: readonly WeightedDestination[]; event?: MeshEvent },
  ): Promise<RouteSnapshot> {
    let reference: HttpRoute | undefined;
    for (let attempt = 1; ; attempt++) {
      const live = await this.get(ref);
      const mark = live.metadata.annotations?.[ownerAnnotation(ref.route)];
      const allowed = fenceAllows(mark, target.fence);
      if (!allowed.allowed) {
        throw new MeshError(
          'superseded',
          `VirtualService ${ref.namespace}/${ref.name} was not written: ${allowed.reason}.`,
        );
      }
      const index = findOwned(live, ref);
      const current = routeAt(live.spec, index);
      const { spec, ownedIndex } = edit(live.spec);
      const wanted = routeAt(spec, ownedIndex);
      const digest = routesDigest(spec, ref, target.routePrefix);
      // Already there, and already marked as this writer's: nothing to write. A route that is already there
      // under an older mark is still marked now: a late writer that read before us must find its read stale.
      if (sameRoutes(live.spec.http, spec.http) && mark === ownerMark(target.fence, digest))
        return snapshot(ref, live, index);
      // The route as this release's own last write left it (its mark's digest still matches): whatever it
      // holds, nobody changed it by hand since, so there is no drift to look for.
      const last = parseOwnerMark(mark);
      const ownLastWrite =
        last?.release === target.fence.release &&
        last.digest !== undefined &&
        last.digest === routesDigest(live.spec, ref, target.routePrefix);
      const holdsTarget = sameWeights(routeWeights(current), routeWeights(wanted));
      if (
        !ownLastWrite &&
        options.expected &&
        !holdsTarget &&
        !sameWeights(routeWeights(current), options.expected)
      ) {
        throw await this.drift(
          ref,
          describeWeights(options.expected),
          describeWeights(routeWeights(current)),
        );
      }
      // A route that changed between our attempts was changed by someone else: report it, never overwrite it.
      if (!ownLastWrite && reference && !sameRoute(reference, current)) {
        throw await this.drift(ref, JSON.stringify(reference), JSON.stringify(current));
      }
      reference = current;

      const next: VirtualServiceObject = withOwner({ ...live, spec }, ref, target.fence, digest);
      let written: VirtualServiceObject;
      await this.beforeWrite(attempt);
      try {
        written = await this.replace(ref, next);
        this.afterWrite();
      } catch (error) {
        const failure = toMeshError(error, `update VirtualService ${ref.namespace}/${ref.name}`);
        if (failure.code === 'conflict') {
          if (attempt >= this.options.maxAttempts) {
            throw new MeshError(
              'conflict',
              `VirtualService ${ref.namespace}/${ref.name} kept changing under us; gave up after ${attempt} attempts. Nothing was written.`,
              { cause: error },
            );
          }
          await sleep(this.backoff(attempt));
          continue;
        }
        if (failure.code === 'unavailable') return await this.settleUnknownWrite(ref, next, failure);
        throw failure;
      }
      const result = await this.verify(ref, next, written);
      if (options.event) await this.tryRecordEvent(ref, options.event);
      return result;
    }
  }

  /** Reads back after a write and checks the owned route (and, if nobody wrote since, every route). */
  private async verify(
    ref: RouteRef,
    intended: VirtualServiceObject,
    written: VirtualServiceObject,
  ): Promise<RouteSnapshot> {
    const back = await this.get(ref);
    const wantIndex = findOwned(intended, ref);
    const gotIndex = findOwned(back, ref);
    const same =
      back.metadata.resourceVersion === written.metadata.resourceVersion
        ? sameRoutes(back.spec.http, intended.spec.http)
        : sameRoute(routeAt(back.spec, gotIndex), routeAt(intended.spec, wantIndex));
    if (!same) {
      throw new MeshError(
        'verify-failed',
        `VirtualService ${ref.namespace}/${ref.name} does not read back as written; someone may have changed it at the same moment.`,
      );
    }
    return snapshot(ref, back, gotIndex);
  }

  /** The API server did not answer the write: find out by reading whether it landed (all or nothing). */
  private async settleUnknownWrite(
    ref: RouteRef,
    intended: VirtualServiceObject,
    failure: MeshError,
  ): Promise<RouteSnapshot> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        const back = await this.get(ref);
        if (sameRoutes(back.spec.http, intended.spec.http)) return snapshot(ref, back, findOwned(back, ref));
        throw new MeshError(
          'unavailable',
          `The Kubernetes API did not answer; the change to ${ref.namespace}/${ref.name} was not applied and the route is unchanged.`,
          { cause: failure },
        );
      } catch (error) {
        if (error instanceof MeshError && error.cause === failure) throw error;
        await sleep(this.backoff(attempt));
      }
    }
    throw failure;
  }

  private async drift(ref: RouteRef, expected: string, actual: string): Promise<DriftError> {
    const message = `Route of VirtualService ${ref.namespace}/${ref.name} was changed outside the bot: expected ${expected}, found ${actual}.`;
    await this.tryRecordEvent(ref, { type: 'Warning', reason: 'Drift', message });
    return new DriftError(message, expected, actual);
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (attempt - 1));
    return Math.random() * cap;
  }

  private async get(ref: Pick<RouteRef, 'namespace' | 'name'>): Promise<VirtualServiceObject> {
    const version = await this.apiVersion();
    return await readWithRetries(
      async () =>
        (await this.custom.getNamespacedCustomObject(
          {
            group,
            version,
            namespace: ref.namespace,
            plural: 'virtualservices',
            name: ref.name,
          },
          this.call,
        )) as VirtualServiceObject,
      `read VirtualService ${ref.namespace}/${ref.name}`,
    );
  }

  private async replace(ref: RouteRef, body: VirtualServiceObject): Promise<VirtualServiceObject> {
    return (await this.custom.replaceNamespacedCustomObject(
      {
        group,
        version: await this.apiVersion(),
        namespace: ref.namespace,
        plural: 'virtualservices',
        name: ref.name,
        body,
      },
      this.call,
    )) as VirtualServiceObject;
  }
}

/**
 * Refuses a converged spec in which a route someone else placed in front already takes requests one of the
 * release's match routes is meant for, and sends them elsewhere: that route would never see them.
 */
function refuseShadowed<T extends { spec: VirtualServiceSpec; ownedIndex: number }>(
  converged: T,
  target: RouteTarget,
): T {
  const first = converged.ownedIndex - target.routes.length;
  target.routes.forEach((route, i) => {
    const classes = requestClassesOf(converged.spec.http?.[first + i]?.match ?? []);
    const shadow = findShadowingRoute(converged.spec.http ?? [], first + i, classes, route.destination);
    if (shadow)
      throw new MeshError(
        'invalid',
        `Route ${shadow.route} of the VirtualService already sends these requests elsewhere: requests with ${shadow.request.description} match it first, so the release's route would never see them.`,
      );
  });
  return converged;
}

function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RouteError) throw new MeshError('invalid', error.message, { cause: error });
    throw error;
  }
}

function findOwned(vs: VirtualServiceObject, ref: RouteRef): number {
  try {
    return findRouteIndex(vs.spec, ref.route);
  } catch (error) {
    if (error instanceof RouteError) {
      throw new MeshError('not-found', `VirtualService ${ref.namespace}/${ref.name}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

function snapshot(ref: RouteRef, vs: VirtualServiceObject, index: number): RouteSnapshot {
  const route = routeAt(vs.spec, index);
  const owner = vs.metadata.annotations?.[ownerAnnotation(ref.route)];
  return {
    ref,
    apiVersion: vs.apiVersion,
    resourceVersion: vs.metadata.resourceVersion ?? '',
    index,
    route,
    weights: routeWeights(route),
    ...(owner !== undefined ? { owner } : {}),
  };
}

/** The object with the owned route's owner mark of `fence`; every other annotation is kept. */
function withOwner(
  vs: VirtualServiceObject,
  ref: RouteRef,
  fence: Fence,
  digest: string,
): VirtualServiceObject {
  return {
    ...vs,
    metadata: {
      ...vs.metadata,
      annotations: {
        ...(vs.metadata.annotations ?? {}),
        [ownerAnnotation(ref.route)]: ownerMark(fence, digest),
      },
    },
  };
}

/**
 * A short hash of what a release owns in a spec: its owned route and its own routes (by prefix), in order.
 * Its mark carries it, so a later read can tell the route its last write left from a route changed by hand.
 */
function routesDigest(spec: VirtualServiceSpec, ref: RouteRef, prefix: string): string {
  let owned: HttpRoute | undefined;
  try {
    owned = routeAt(spec, findRouteIndex(spec, ref.route));
  } catch {
    owned = undefined; // no owned route: nothing this release wrote can be there
  }
  const mine = (spec.http ?? []).filter((r) => r.name?.startsWith(prefix));
  return createHash('sha256').update(canonicalJson({ owned, mine })).digest('hex').slice(0, 16);
}

function sameRoutes(a: HttpRoute[] | undefined, b: HttpRoute[] | undefined): boolean {
  return (a ?? []).length === (b ?? []).length && (a ?? []).every((route, i) => sameRoute(route, b?.[i]));
}
