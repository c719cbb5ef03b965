import type {
  CardRef,
  FlaggerEvent,
  FlaggerRevision,
  GateHook,
  GateTarget,
  PersonGateAction,
} from '../../domain/flagger/index.js';

/** A line in a revision's thread. */
export type FlaggerThreadLine =
  | { readonly kind: 'event'; readonly event: FlaggerEvent }
  | { readonly kind: 'gate-waiting'; readonly hook: GateHook }
  | {
      readonly kind: 'decision';
      readonly target: GateTarget;
      readonly action: PersonGateAction;
      readonly actor: string;
    };

/**
 * How a Flagger canary revision shows up in chat: one card per revision, updated in place, and a thread of
 * its events and decisions. `version` is the stored record's version (the card's buttons carry it).
 */
export interface FlaggerNotifier {
  /** Posts the revision's card and says where it is. */
  postCard(revision: FlaggerRevision, version: number): Promise<CardRef>;
  /** Redraws the card in place. */
  updateCard(card: CardRef, revision: FlaggerRevision, version: number): Promise<void>;
  /** Posts a line in the card's thread (in the channel when there is no card). */
  postLine(card: CardRef | undefined, revision: FlaggerRevision, line: FlaggerThreadLine): Promise<void>;
}
