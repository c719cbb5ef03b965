/** What `decide` reacts to: people's actions, the mesh's answers, and the periodic tick. */
import type { Verdict } from '../judge/verdict.js';

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
  | 'unavailable';

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
    }
  | { readonly type: 'reject'; readonly actor: string; readonly at: string; readonly reason?: string }
  | { readonly type: 'rollback'; readonly actor: string; readonly at: string; readonly reason?: string }
  | { readonly type: 'pause'; readonly actor: string; readonly at: string }
  | { readonly type: 'resume'; readonly actor: string; readonly at: string }
  | { readonly type: 'cancel'; readonly actor: string; readonly at: string }
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
      /** The periodic look: the judge's verdict on the live step and, if checked, drift of the live route. */
      readonly type: 'tick';
      readonly at: string;
      readonly verdict?: Verdict;
      /** Description of how the live route differs from what the release last confirmed. */
      readonly drift?: string;
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
