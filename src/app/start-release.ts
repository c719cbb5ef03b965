import type { FreezeNote } from '../domain/governance/index.js';
import {
  type Actor,
  authorize,
  authorizeFreezeBypass,
  hostConfinementProblem,
  InvalidReleaseError,
  type PlanRequest,
  type Release,
  type ReleaseEvent,
  type ReleaseOptions,
  type ReleaseVersion,
  type SourcePin,
  startRelease as startDomainRelease,
  targetName,
} from '../domain/release/index.js';
import {
  candidateName,
  chooseRoute,
  pinRefusal,
  type RouteApi,
  type ViaChoice,
} from '../domain/routing/route-api.js';
import type { RequestMatch } from '../domain/routing/route-math.js';
import type { Destination, WeightedDestination } from '../domain/routing/virtual-service.js';
import { announceChanges } from './change-events.js';
import type { ReleaseDependencies } from './dependencies.js';
import { freezeOf, freezeSentence } from './governance.js';
import { MeshError } from './ports/mesh-errors.js';
import { type NewAuditEntry, routeKeyOf } from './ports/release-store.js';
import { RouteBusyError } from './ports/store-errors.js';
import {
  type RouteRef,
  type RouteSnapshot,
  type TrafficRouter,
  UnknownClusterError,
} from './ports/traffic-router.js';
import { recordRefusal } from './refusals.js';
import { auditEntriesOf, type ChatBacklog, publish, settle, showNewRelease } from './release-runner.js';
import { done, refused, type UseCaseResult } from './use-case-result.js';

/** A request to start a release, as the command grammar produces it. */
export interface StartInput {
  kind: PlanRequest['kind'];
  service: string;
  /** The canary version (`v2`). */
  version: string;
  namespace?: string;
  /** The stable version; by default the one that has most of the traffic now. */
  baselineVersion?: string;
  /** Name of the VirtualService; default the service's name. */
  virtualService?: string;
  /** `--via`: which route API (and object) to drive; by default the one that routes the service. */
  via?: ViaChoice;
  /** A named route to own; default the VirtualService's default route. */
  route?: string;
  steps?: number[];
  matches?: RequestMatch[];
  mirrorPercent?: number;
  /** Manual weights by version: `{ v1: 90, v2: 10 }`. */
  weights?: Record<string, number>;
  /** Host of a version when destinations differ by host: `{ v2: 'apps-svc-v2' }`. */
  hosts?: Record<string, string>;
  withSources?: SourcePin[];
  options?: Partial<ReleaseOptions>;
  cluster?: string;
  /** The app's references (channel...). */
  meta?: Record<string, string>;
  /** `--bypass-freeze "…"`: start during a freeze, with this reason (the policy's `freezeBypass` only). */
  bypassFreeze?: string;
}

/**
 * Starts a release: checks the policy, that the canary exists and is ready, reads the owned route (kept for
 * an exact restore), and records the release waiting for its first approval. Changes no traffic.
 *
 * @example await startRelease(deps, { kind: 'canary', service: 'reviews', version: 'v2', namespace: 'bookinfo' }, actor);
 */
export async function startRelease(
  deps: ReleaseDependencies,
  input: StartInput,
  actor: Actor,
): Promise<UseCaseResult<Release>> {
  const namespace = input.namespace ?? deps.defaultNamespace;
  const cluster = input.cluster ?? deps.defaultCluster ?? 'default';
  const permission = authorize('start', actor, { namespace, cluster }, deps.policy);
  if (!permission.allowed) {
    await recordRefusal(deps, `start:${namespace}/${input.service}`, actor, 'start', permission.reason, {
      cluster,
    });
    return refused(permission.reason);
  }
  const at = deps.clock();
  const target = { namespace, service: input.service, cluster };
  const freeze = await freezeOf(deps, target, at);
  const bypass = freeze ? await freezeBypass(deps, input, actor, freeze, target) : undefined;
  if (typeof bypass === 'string') return refused(bypass);
  try {
    const router = await deps.routers(cluster);
    const chosen = await routeObjectOf(router, input, namespace);
    if (typeof chosen === 'string') return refused(chosen);
    const ref: RouteRef = {
      namespace,
      name: chosen.name,
      route: input.route ? { kind: 'named', name: input.route } : { kind: 'default' },
      ...(chosen.api === 'HTTPRoute' ? { api: chosen.api } : {}),
    };
    // A release already driving this service through the other API would be overridden (or override this
    // one) without a word: refuse, as for a service routed by both.
    const mixed = (await deps.store.history(namespace, input.service, 20)).find(
      (r) =>
        r.active &&
        (r.state.meta.cluster ?? cluster) === cluster &&
        (r.state.target.api ?? 'VirtualService') !== (ref.api ?? 'VirtualService'),
    );
    if (mixed)
      return refused(
        `${input.service}.${namespace} already has an active release (${mixed.id}) through its ${mixed.state.target.api ?? 'VirtualService'}; two releases of one service through a VirtualService and an HTTPRoute would override each other. Finish or cancel it first.`,
      );
    const pins = input.withSources ?? [];
    const waypoint =
      pins.length > 0 && ref.api !== 'HTTPRoute'
        ? await router.waypointOf?.(namespace, input.service)
        : undefined;
    const pinProblem = pinRefusal(ref.api ?? 'VirtualService', pins, waypoint);
    if (pinProblem) return refused(pinProblem);
    const snapshot = await router.readRoute(ref);
    const versions = resolveVersions(input, snapshot);
    if (typeof versions === 'string') return refused(versions);
    const { baseline, canary } = versions;
    const confinement = confinementProblem(input, snapshot, canary, namespace, deps.policy);
    if (confinement) return refused(confinement);
    // Every host newly named is a Service that exists (and is ready) before anything is recorded.
    const live = new Set(snapshot.weights.map((w) => w.destination.host));
    const named = [...new Set(Object.values(input.hosts ?? {}))]
      .filter((host) => !live.has(host) && host !== canary.destination.host)
      .map((host) => ({ host }));
    await router.validateDestinations(namespace, [canary.destination, ...named], ref.api);
    // A custom check Prometheus refuses would leave the release judged without it: refuse instead.
    const checkProblem = await deps.customCheckGate?.problemOf(
      cluster,
      { namespace, service: input.service },
      { namespace, service: canary.destination.host.split('.')[0] ?? input.service, version: canary.version },
      { baseline: baseline.version, sameService: canary.destination.host === baseline.destination.host },
    );
    if (checkProblem)
      return refused(
        `${input.service}.${namespace} cannot start: its ${checkProblem}. Fix it in the bot's custom checks setting (CANARY_BOT_CHECKS).`,
      );
    const id = deps.newId();
    const startedAt = at.toISOString();
    const options = { ...deps.releaseOptions?.(namespace), ...input.options };
    const { release, effects } = startDomainRelease(
      {
        target: {
          namespace,
          service: input.service,
          virtualService: ref.name,
          route: ref.route,
          ...(ref.api === 'HTTPRoute' ? { api: ref.api } : {}),
        },
        baseline,
        canary,
        plan: planOf(input, baseline, canary),
        requestedBy: actor.userId,
        original: {
          route: snapshot.route,
          weights: snapshot.weights,
          ...(snapshot.owner !== undefined ? { owner: snapshot.owner } : {}),
        },
        options,
        ...(input.withSources ? { withSources: input.withSources } : {}),
        meta: { ...input.meta, cluster },
      },
      startedAt,
      id,
    );
    const bypassed = bypass ? bypassRecord(release, actor, bypass, startedAt) : undefined;
    const stored = await deps.store.create(
      {
        id,
        routeKey: routeKeyOf(cluster, namespace, ref.name, input.route ?? '(default)', ref.api),
        namespace,
        service: input.service,
        active: true,
        state: release,
      },
      { audit: [...auditEntriesOf(release, effects), ...(bypassed ? [bypassed.audit] : [])] },
    );
    if (bypassed) await announceChanges(deps, stored.state, [bypassed.audit]);
    // The card first: its thread must exist before the events go into it. Then the events.
    const { release: shown, later } = await showNewRelease(deps, stored.state);
    const chat: ChatBacklog = { events: [], redraw: false };
    await settle(deps, stored, effects, chat);
    if (bypassed) chat.events.push(bypassed.event);
    await publish(deps, shown, { events: chat.events, redraw: later, cardFirst: later });
    return done(
      shown,
      `Started ${input.kind} of ${targetName(release)}: ${baseline.version} -> ${canary.version}.`,
    );
  } catch (error) {
    if (error instanceof RouteBusyError) {
      return refused(
        `${input.service}.${namespace} already has an active release (${error.activeReleaseId}); finish or cancel it first.`,
      );
    }
    if (error instanceof MeshError && error.code !== 'unavailable') return refused(error.message);
    if (error instanceof InvalidReleaseError) return refused(error.message);
    if (error instanceof UnknownClusterError) return refused(error.message);
    throw error;
  }
}

/**
 * The route object the release drives: the API the cluster routes the service with (`--via` or `--vs` to
 * choose), or the sentence refusing the start. A router of one API (tests') answers for VirtualServices only.
 */
async function routeObjectOf(
  router: TrafficRouter,
  input: StartInput,
  namespace: string,
): Promise<{ api: RouteApi; name: string } | string> {
  const choice = {
    service: input.service,
    namespace,
    ...(input.via ? { via: input.via } : {}),
    ...(input.virtualService !== undefined ? { virtualService: input.virtualService } : {}),
  };
  const found = router.routeApisOf
    ? await router.routeApisOf(namespace, candidateName(choice))
    : (['VirtualService'] as const);
  return chooseRoute({ ...choice, found });
}

/** A start during a freeze: the bypass (the freeze and its reason), or why the start is refused. */
async function freezeBypass(
  deps: ReleaseDependencies,
  input: StartInput,
  actor: Actor,
  freeze: FreezeNote,
  target: { namespace: string; service: string; cluster: string },
): Promise<{ freeze: FreezeNote; reason: string } | string> {
  const frozen = `${target.service}.${target.namespace} cannot start now: ${freezeSentence(freeze, deps.clock())}.`;
  const subject = `start:${target.namespace}/${target.service}`;
  if (input.bypassFreeze === undefined) {
    await recordRefusal(deps, subject, actor, 'start', frozen, { cluster: target.cluster });
    return `${frozen} Wait for the freeze to end${deps.policy.freezeBypass?.length ? ', or bypass it with --bypass-freeze "reason" if the policy lets you' : ''}.`;
  }
  const permission = authorizeFreezeBypass(actor, deps.policy, input.bypassFreeze);
  if (!permission.allowed) {
    await recordRefusal(deps, subject, actor, 'freeze-bypass', permission.reason, {
      cluster: target.cluster,
    });
    return `${frozen} ${permission.reason}`;
  }
  return { freeze, reason: input.bypassFreeze };
}

/** The audit entry and the thread's announcement of a start that bypassed a freeze. */
function bypassRecord(
  release: Release,
  actor: Actor,
  bypass: { freeze: FreezeNote; reason: string },
  at: string,
): { audit: NewAuditEntry; event: ReleaseEvent } {
  const { freeze, reason } = bypass;
  return {
    audit: {
      releaseId: release.id,
      at,
      actor: actor.userId,
      ...(release.meta.cluster !== undefined ? { cluster: release.meta.cluster } : {}),
      action: 'freeze-bypass',
      step: 0,
      stateVersion: release.version,
      detail: {
        action: 'start',
        reason,
        freeze: freeze.window,
        ...(freeze.until ? { until: freeze.until } : {}),
        freezeReason: freeze.reason,
      },
    },
    event: {
      type: 'Warning',
      reason: 'FreezeBypassed',
      message: `Freeze bypassed to start ${targetName(release)} by ${actor.userId}: ${reason} (${freezeSentence(freeze, new Date(at))})`,
    },
  };
}

/**
 * The first host the release would newly send traffic to that its namespace may not use: the canary's, and
 * every `--host`. Hosts the route already sends traffic to are kept as they are (the bot does not widen them).
 */
function confinementProblem(
  input: Pick<StartInput, 'hosts'>,
  snapshot: Pick<RouteSnapshot, 'weights'>,
  canary: ReleaseVersion,
  namespace: string,
  policy: ReleaseDependencies['policy'],
): string | undefined {
  const live = new Set(snapshot.weights.map((w) => w.destination.host));
  const named = Object.entries(input.hosts ?? {}).map(([version, host]) => ({
    host,
    as: `--host ${version}=`,
  }));
  for (const { host, as } of [...named, { host: canary.destination.host, as: '' }]) {
    if (live.has(host)) continue;
    const problem = hostConfinementProblem(host, namespace, policy);
    if (problem) return `${as}${problem}`;
  }
  return undefined;
}

function planOf(input: StartInput, baseline: ReleaseVersion, canary: ReleaseVersion): PlanRequest {
  switch (input.kind) {
    case 'canary':
      return { kind: 'canary', ...(input.steps ? { steps: input.steps } : {}) };
    case 'blue-green':
      return { kind: 'blue-green' };
    case 'ab':
      return { kind: 'ab', matches: input.matches ?? [] };
    case 'mirror':
      return {
        kind: 'mirror',
        ...(input.mirrorPercent !== undefined ? { percent: input.mirrorPercent } : {}),
      };
    case 'weights': {
      const weights: WeightedDestination[] = Object.entries(input.weights ?? {}).map(([version, weight]) => ({
        destination:
          version === canary.version
            ? canary.destination
            : version === baseline.version
              ? baseline.destination
              : { host: baseline.destination.host, subset: version },
        weight,
      }));
      return { kind: 'weights', weights };
    }
  }
}

/**
 * Which destinations the baseline and canary versions are. Subset-based routes keep their host and switch
 * subsets; host-based routes use `--host`, or the baseline host with its version suffix replaced
 * (`apps-svc-v1` -> `apps-svc-v2`).
 */
export function resolveVersions(
  input: Pick<StartInput, 'version' | 'baselineVersion' | 'hosts' | 'service'>,
  snapshot: Pick<RouteSnapshot, 'weights'>,
): { baseline: ReleaseVersion; canary: ReleaseVersion } | string {
  const live = [...snapshot.weights].sort((a, b) => b.weight - a.weight);
  const main = live[0]?.destination;
  if (!main) return `The route of ${input.service} sends traffic nowhere; nothing to release against.`;
  const bySubset = live.some((w) => w.destination.subset);
  const versionOf = (d: Destination): string | undefined =>
    d.subset ??
    Object.entries(input.hosts ?? {}).find(([, host]) => host === d.host)?.[0] ??
    d.host.match(/-(v[0-9][a-z0-9]*)$/)?.[1];
  const baselineVersion = input.baselineVersion ?? versionOf(main);
  if (!baselineVersion) {
    return `Cannot tell which version ${main.host} is; name it with --from <version> or --host <version>=<host>.`;
  }
  if (baselineVersion === input.version)
    return `${input.version} already has most of the traffic of ${input.service}.`;
  const destinationOf = (version: string): Destination | string => {
    if (bySubset) return { host: main.host, subset: version };
    const host =
      input.hosts?.[version] ??
      (main.host.endsWith(`-${baselineVersion}`)
        ? `${main.host.slice(0, -baselineVersion.length)}${version}`
        : undefined);
    return host ? { host } : `Cannot tell the host of ${version}; name it with --host ${version}=<host>.`;
  };
  const baselineDestination =
    live.find((w) => versionOf(w.destination) === baselineVersion)?.destination ??
    destinationOf(baselineVersion);
  const canaryDestination = destinationOf(input.version);
  if (typeof baselineDestination === 'string') return baselineDestination;
  if (typeof canaryDestination === 'string') return canaryDestination;
  return {
    baseline: { version: baselineVersion, destination: baselineDestination },
    canary: { version: input.version, destination: canaryDestination },
  };
}
