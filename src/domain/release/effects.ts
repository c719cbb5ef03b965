/**
 * What `decide` asks the app to do, as data. The app persists the next release first (conditional write),
 * then carries out the effects in order.
 */
import type { RequestMatch } from '../routing/route-math.js';
import type { Destination, WeightedDestination } from '../routing/virtual-service.js';

/**
 * One change of the mesh, in the terms of `TrafficRouter`. Every change is absolute, so carrying it out
 * twice is harmless as long as the app treats "the target is already live" as done (checked before
 * `expected`): that is what makes re-emission after a crash safe.
 *
 * `expected`: the weights the owned route must still have (the route's drift check); absent when a person
 * explicitly asked to overwrite (manual rollback, cancel, resume after drift).
 */
export type MeshChange =
  | {
      readonly kind: 'set-weights';
      readonly weights: readonly WeightedDestination[];
      readonly expected?: readonly WeightedDestination[];
    }
  | {
      readonly kind: 'add-match';
      /** Starts with `canary-bot-<releaseId>-`; already present = done. */
      readonly name: string;
      readonly matches: readonly RequestMatch[];
      readonly destination: Destination;
      readonly expected?: readonly WeightedDestination[];
    }
  | {
      readonly kind: 'remove-matches';
      readonly prefix: string;
      readonly expected?: readonly WeightedDestination[];
    }
  | {
      readonly kind: 'set-mirror';
      readonly destination: Destination;
      readonly percent: number;
      readonly expected?: readonly WeightedDestination[];
    }
  | { readonly kind: 'clear-mirror'; readonly expected?: readonly WeightedDestination[] }
  | {
      readonly kind: 'restore';
      /** The owned route exactly as captured before the release (`Release.original.route`). */
      readonly original: unknown;
      /** Remove every route whose name starts with this (the release's A/B routes and pins). */
      readonly removePrefix: string;
      readonly expected?: readonly WeightedDestination[];
    };

/** A Flagger-style event: posted to the release's thread and recorded as a Kubernetes Event. */
export interface ReleaseEvent {
  readonly type: 'Normal' | 'Warning';
  /** `Synced`, as Flagger writes every event. */
  readonly reason: string;
  readonly message: string;
}

/** Actions written to the audit trail. */
export type ReleaseAuditAction =
  | 'start'
  | 'approve'
  | 'approval-expired'
  | 'reject'
  | 'rollback'
  | 'pause'
  | 'resume'
  | 'cancel'
  | 'advance'
  | 'halt'
  | 'drift'
  | 'promote'
  | 'complete'
  | 'rolled-back'
  | 'cancelled'
  | 'fail';

/** An effect: the app executes it. */
export type Effect =
  | {
      /** Change the mesh. Execute every mesh effect of one decision in order, then observe `applied` (all
       * succeeded) or `apply-failed` (the first failure; stop there), naming `revision`. */
      readonly kind: 'mesh';
      readonly revision: number;
      readonly change: MeshChange;
    }
  | ({ readonly kind: 'event' } & ReleaseEvent)
  | {
      /** Post an approval request (the card's buttons carry `step` and `stateVersion`). */
      readonly kind: 'request-approval';
      readonly step: number;
      readonly stateVersion: number;
      readonly expiresAt: string;
      /** What approving does, e.g. `canary weight 25`. */
      readonly description: string;
      readonly unjudged?: 'inconclusive' | 'no-data';
    }
  | {
      readonly kind: 'audit';
      readonly action: ReleaseAuditAction;
      /** Slack user id, or `canary-bot` for automatic decisions. */
      readonly actor: string;
      readonly at: string;
      readonly step: number;
      /** The version of the release the decision was made on. */
      readonly stateVersion: number;
      readonly detail: Readonly<Record<string, unknown>>;
    }
  | {
      /** The release changed: re-render its card. */
      readonly kind: 'notify';
    };

/** Why a person's action changed nothing. */
export type RefusalReason =
  | 'duplicate' // the same thing was already done (same approval, already paused, already rolling back)
  | 'wrong-step' // the button is for another step
  | 'stale' // the button is for an older state of the release
  | 'expired' // the approval request expired; a new one was posted
  | 'wrong-phase' // the action makes no sense in this phase
  | 'finished' // the release is over
  | 'invalid'; // the observation itself is malformed (e.g. its time)

/**
 * What became of an observation, in a sentence the app can show (ephemerally for a refusal).
 * `accepted`: acted on; `refused`: a person's action that changed nothing; `ignored`: nothing to do.
 */
export type Outcome =
  | { readonly status: 'accepted'; readonly message: string }
  | { readonly status: 'refused'; readonly reason: RefusalReason; readonly message: string }
  | { readonly status: 'ignored'; readonly message: string };
