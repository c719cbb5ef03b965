/** What `decide` reacts to: people's actions, the mesh's answers, and the periodic tick. */
import type { Verdict, VersionTraffic } from '../judge/verdict.js';

/** Codes of mesh failures, as `MeshError.code` gives them. */
export type ApplyFailureCode =
  | 'not-found'
  | 'invalid'
  | 'unknown-host'
  | 'unknown-subset'
  | 'not-ready'
  | 'drift'
  | 'conflict'
  | 'verify-failed'
  | 'forbidden'
  | 'rejected'
  | 'superseded'
  | 'unavailable';

/**
 * The judge's verdict and the analysis it was computed for: the state version the figures were read for and
 * the window (step and start). A verdict for another window is stale and ignored.
 */
export interface JudgedVerdict {
  readonly verdict: Verdict;
  readonly stateVersion: number;
  readonly step: number;
  readonly windowStartedAt: string;
  /** The baseline's figures the verdict was computed on (recorded for a bake). */
  readonly baseline?: VersionTraffic;
}

/** Reject, roll back, pause, resume or cancel, naming the state version the person acted on. */
export interface PersonStop<T extends 'reject' | 'rollback' | 'pause' | 'resume' | 'cancel'> {
  readonly type: T;
  readonly actor: string;
  readonly at: string;
  /** The release version on the button (or that a command resolved when it ran). */
  readonly stateVersion: number;
  /** Why (reject and roll back). */
  readonly reason?: string;
}

/** An observation. `actor` is a Slack user id; `at` an ISO 8601 time. */
export type Observation =
  | {
      readonly type: 'approve';
      readonly actor: string;
      readonly at: string;
      /** The step on the button (index into the plan; `steps.length` = completion). */
      readonly step: number;
      /** The release version on the button. */
      readonly stateVersion: number;
      /** The verdict the card showed, recorded with the approval. */
      readonly seen?: Verdict;
      /** Where the approval came from (`channel`, `team`, `enterprise`), recorded with it. */
      readonly origin?: Readonly<Record<string, string>>;
      /**
       * The approver bypasses a freeze, with this reason (the app sets it only for principals the policy's
       * `freezeBypass` names); announced in the thread and audited.
       */
      readonly bypassFreeze?: string;
      /** Why (the app requires one when the policy's `reasons` lists `approve`). */
      readonly reason?: string;
      /**
       * The step needs this many distinct approvers, one of them in `oneFrom` (the policy's `quorum`); `inGroup`
       * says whether this approver is in that group (as the app resolved it). Left out: one approval suffices.
       */
      readonly quorum?: { readonly approvals: number; readonly oneFrom?: string; readonly inGroup: boolean };
    }
  | PersonStop<'reject'>
  | PersonStop<'rollback'>
  | PersonStop<'pause'>
  | PersonStop<'resume'>
  | PersonStop<'cancel'>
  | {
      /** Every mesh effect of `revision` is confirmed in the mesh (written and read back, or already live). */
      readonly type: 'applied';
      readonly at: string;
      readonly revision: number;
    }
  | {
      /** A mesh effect of `revision` failed; `code` is the `MeshError` code. */
      readonly type: 'apply-failed';
      readonly at: string;
      readonly revision: number;
      readonly code: ApplyFailureCode;
      readonly message: string;
    }
  | {
      /**
       * The periodic look: the judge's verdict on the live step (or why the metrics could not be read) and,
       * if checked, drift of the live route, read by the release's own writer when it runs.
       */
      readonly type: 'tick';
      readonly at: string;
      readonly verdict?: JudgedVerdict;
      /** The metrics could not be read this time (Prometheus unreachable, unauthorized, a bad query): why. */
      readonly unreadable?: string;
      /** Description of how the live route differs from what the release last confirmed. */
      readonly drift?: string;
      /**
       * Why the version the release started from cannot take traffic back (gone, or no ready replicas): read
       * when a bake fails, before anything is restored.
       */
      readonly previousUnavailable?: string;
    };

/** Every observation type, for tables and tests. */
export const OBSERVATION_TYPES = [
  'approve',
  'reject',
  'rollback',
  'pause',
  'resume',
  'cancel',
  'applied',
  'apply-failed',
  'tick',
] as const satisfies readonly Observation['type'][];
