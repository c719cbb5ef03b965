/**
 * What `decide` asks the app to do, as data. The app persists the next release first (conditional write),
 * then carries out the effects: the store's audit entries, then the mesh, then chat (the mesh never waits on
 * chat; only a new release's card is posted before anything else, since its events go into its thread).
 */
import type { UnjudgedKind } from './release.js';

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
  | 'approval-held'
  | 'approval-expired'
  | 'freeze-bypass'
  | 'frozen'
  | 'thawed'
  | 'reject'
  | 'rollback'
  | 'pause'
  | 'resume'
  | 'cancel'
  | 'advance'
  | 'bake'
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
      /**
       * Make the mesh what the release wants at this state version ({@link meshTargetOf} of the stored
       * release, computed when the write runs), then observe `applied` or `apply-failed` naming `revision`.
       */
      readonly kind: 'converge';
      readonly revision: number;
    }
  | {
      /** The release is final: mark its route so that no late write of this release can land any more. */
      readonly kind: 'tombstone';
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
      readonly unjudged?: UnjudgedKind;
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
  | 'frozen' // a freeze window or a stop of the line holds promotions
  | 'invalid'; // the observation itself is malformed (e.g. its time)

/**
 * What became of an observation, in a sentence the app can show (ephemerally for a refusal).
 * `accepted`: acted on; `refused`: a person's action that changed nothing; `ignored`: nothing to do.
 */
export type Outcome =
  | { readonly status: 'accepted'; readonly message: string }
  | { readonly status: 'refused'; readonly reason: RefusalReason; readonly message: string }
  | { readonly status: 'ignored'; readonly message: string };
