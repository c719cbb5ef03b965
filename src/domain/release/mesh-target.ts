/**
 * What the route must look like for a release at its current state version, and who may write it. The app
 * converges the live route on {@link meshTargetOf} of the release as stored when the write runs; the
 * fence ({@link fenceAllows}) refuses a write from a release that no longer owns the route, or from an
 * older state of the one that does, even when a worker outlives its turn.
 */
import type { WeightedDestination } from '../routing/virtual-service.js';
import { isFinal } from './phases.js';
import { type MatchRoute, type MirrorTarget, type Release, releaseRoutePrefix } from './release.js';

/** The owned route and the release's own routes as the release wants them at one state version. */
export interface MeshTarget {
  /** The desired revision this target realises. */
  readonly revision: number;
  /** Weights (and mirror) set on the live owned route, or the route captured before the release, verbatim. */
  readonly owned:
    | {
        readonly kind: 'weights';
        readonly weights: readonly WeightedDestination[];
        readonly mirror?: MirrorTarget;
      }
    | { readonly kind: 'original'; readonly route: unknown };
  /** The release's own routes, in order, in front of the owned route; any other route with the prefix goes. */
  readonly routes: readonly MatchRoute[];
  /** `canary-bot-<release>-`. */
  readonly routePrefix: string;
  /** The weights the owned route must still have unless it already holds the target (drift check). */
  readonly expected?: readonly WeightedDestination[];
  readonly fence: Fence;
}

/** Who writes: the release, the state version it writes for, and the mark it found when it started. */
export interface Fence {
  readonly release: string;
  readonly stateVersion: number;
  /** The owner mark the release read at its start (`OriginalRoute.owner`); its first write needs it unchanged. */
  readonly predecessor?: string;
  /** A tombstone: the release is over, no write of it may land after this one. */
  readonly final: boolean;
}

/**
 * The target of a release that has a mesh state to converge on.
 *
 * @example meshTargetOf(release).owned // { kind: 'weights', weights: [v1 90, v2 10] }
 */
export function meshTargetOf(release: Release): MeshTarget {
  const { desired } = release;
  return {
    revision: desired.revision,
    owned: desired.restore
      ? { kind: 'original', route: release.original.route }
      : { kind: 'weights', weights: desired.weights, ...(desired.mirror ? { mirror: desired.mirror } : {}) },
    routes: desired.routes,
    routePrefix: releaseRoutePrefix(release.id),
    ...(desired.checkDrift ? { expected: release.confirmedWeights } : {}),
    fence: fenceOf(release),
  };
}

/** The fence of a write by `release` as it is now (a tombstone once it is final). */
export function fenceOf(release: Release): Fence {
  return {
    release: release.id,
    stateVersion: release.version,
    ...(release.original.owner !== undefined ? { predecessor: release.original.owner } : {}),
    final: isFinal(release),
  };
}

/**
 * The owner mark a write leaves on the route object: `<release>/<state version>[/final][@<digest>]`, the
 * digest being a short hash of the route as that write left it. A live route that still matches the digest
 * of its owner's last write was not changed by hand since.
 */
export function ownerMark(fence: Pick<Fence, 'release' | 'stateVersion' | 'final'>, digest?: string): string {
  return `${fence.release}/${fence.stateVersion}${fence.final ? '/final' : ''}${digest ? `@${digest}` : ''}`;
}

/** An owner mark read back, or undefined when the text is not one. */
export function parseOwnerMark(mark: string | undefined):
  | {
      readonly release: string;
      readonly stateVersion: number;
      readonly final: boolean;
      readonly digest?: string;
    }
  | undefined {
  const parts = /^([A-Za-z0-9]{1,40})\/(\d{1,15})(\/final)?(?:@([0-9a-f]{8,64}))?$/.exec(mark ?? '');
  if (!parts?.[1] || !parts[2]) return undefined;
  return {
    release: parts[1],
    stateVersion: Number(parts[2]),
    final: parts[3] !== undefined,
    ...(parts[4] ? { digest: parts[4] } : {}),
  };
}

/**
 * Whether the route's mark is the tombstone its predecessor left after this release started, with the routes
 * exactly as this release saw them (same digest): a job of an ended release that died before its tombstone
 * leaves it when delivered again, and only the annotation changes, so the new owner may still take over.
 */
function predecessorSealedSince(
  mark: NonNullable<ReturnType<typeof parseOwnerMark>>,
  seen: ReturnType<typeof parseOwnerMark>,
): boolean {
  return (
    seen !== undefined &&
    mark.final &&
    mark.release === seen.release &&
    mark.stateVersion >= seen.stateVersion &&
    mark.digest !== undefined &&
    mark.digest === seen.digest
  );
}

/**
 * Whether a write with `fence` may land on a route that carries `current` (its owner mark, if any):
 * - the release owns the route: only from the same or a newer state version, and never after its tombstone;
 * - it does not own it yet: only if the mark is still the one it found at its start (so the earlier owner
 *   has not written since, and a late write of that earlier owner cannot land after this one), or the earlier
 *   owner's tombstone over the very routes it found.
 *
 * @example fenceAllows('R1/7', { release: 'R1', stateVersion: 5, final: false }) // { allowed: false, ... }
 */
export function fenceAllows(
  current: string | undefined,
  fence: Fence,
): { readonly allowed: true } | { readonly allowed: false; readonly reason: string } {
  const mark = parseOwnerMark(current);
  if (mark && mark.release === fence.release) {
    if (mark.final)
      return { allowed: false, reason: `release ${mark.release} is over (version ${mark.stateVersion})` };
    if (mark.stateVersion > fence.stateVersion)
      return {
        allowed: false,
        reason: `release ${mark.release} already wrote version ${mark.stateVersion}; this write is for version ${fence.stateVersion}`,
      };
    return { allowed: true };
  }
  if ((current ?? undefined) === (fence.predecessor ?? undefined)) return { allowed: true };
  if (mark && predecessorSealedSince(mark, parseOwnerMark(fence.predecessor))) return { allowed: true };
  return {
    allowed: false,
    reason: mark
      ? `the route now belongs to release ${mark.release} (version ${mark.stateVersion}${mark.final ? ', over' : ''})`
      : `the route's owner mark changed since the release started (found "${current ?? ''}")`,
  };
}
