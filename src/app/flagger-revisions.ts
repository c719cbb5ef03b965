/**
 * Reading and writing Flagger canary revisions (store records with optimistic concurrency) and making sure a
 * revision has its Slack card: what the webhook side (flagger-gate.ts) and the click side
 * (flagger-actions.ts) share.
 */

import { type CardRef, type FlaggerRevision, REVISION_RECORD_KIND } from '../domain/flagger/index.js';
import { describeError, type Logger } from './logger.js';
import type { FlaggerNotifier } from './ports/flagger-notifier.js';
import type { AuditLog, ClaimStore, RecordStore } from './ports/release-store.js';
import { VersionConflictError } from './ports/store-errors.js';

/** What the Flagger use cases need; the Flagger function builds it without the Kubernetes client. */
export interface FlaggerGateDependencies {
  store: RecordStore & AuditLog & ClaimStore;
  notifier: FlaggerNotifier;
  clock: () => Date;
  log: Logger;
}

/** A revision as stored, with the version its next write must expect (0: not stored yet). */
export interface StoredRevision {
  revision: FlaggerRevision;
  version: number;
}

/** Writes that lost a race are decided again on fresh state, at most this many times. */
const MAX_ATTEMPTS = 6;
/** One card per revision: whoever claims this posts it; another caller may try after it expires. */
const CARD_CLAIM_SECONDS = 60;

/**
 * Reads a revision, lets `decide` compute the next one (undefined: nothing to write), and writes it if the
 * stored version did not move meanwhile; on a conflict it reads and decides again.
 *
 * @example const { value, saved } = await updateRevision(deps, id, (stored) => decideHookCall(stored, call, at));
 */
export async function updateRevision<D>(
  deps: Pick<FlaggerGateDependencies, 'store'>,
  id: string,
  decide: (stored: StoredRevision | undefined) => { next?: FlaggerRevision; value: D },
): Promise<{ value: D; saved: StoredRevision | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const record = await deps.store.getRecord<FlaggerRevision>(REVISION_RECORD_KIND, id);
    const stored = record ? { revision: record.value, version: record.version } : undefined;
    const { next, value } = decide(stored);
    if (!next) return { value, saved: stored };
    try {
      const written = await deps.store.putRecord(REVISION_RECORD_KIND, id, next, {
        expectedVersion: stored?.version ?? 0,
      });
      return { value, saved: { revision: written.value, version: written.version } };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * The revision's card, posting it first if it has none. Only one caller posts (a claim per revision); the
 * others wait briefly for its reference. Slack failures are logged and give undefined: the next call of
 * Flagger tries again once the claim has expired.
 *
 * @example const card = await ensureCard(deps, id, saved); // then post events into card's thread
 */
export async function ensureCard(
  deps: FlaggerGateDependencies,
  id: string,
  saved: StoredRevision,
): Promise<CardRef | undefined> {
  if (saved.revision.card) return saved.revision.card;
  if (!(await deps.store.claim(`flagger-card:${id}`, CARD_CLAIM_SECONDS)))
    return await cardPostedByOther(deps, id);
  let card: CardRef;
  try {
    card = await deps.notifier.postCard(saved.revision, saved.version);
  } catch (error) {
    deps.log.error('flagger: could not post the card of a revision', {
      revision: id,
      error: describeError(error),
    });
    return undefined;
  }
  await updateRevision(deps, id, (stored) => ({
    value: undefined,
    ...(stored && !stored.revision.card ? { next: { ...stored.revision, card } } : {}),
  }));
  return card;
}

async function cardPostedByOther(deps: FlaggerGateDependencies, id: string): Promise<CardRef | undefined> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const record = await deps.store.getRecord<FlaggerRevision>(REVISION_RECORD_KIND, id);
    if (record?.value.card) return record.value.card;
  }
  return undefined;
}

/**
 * Runs a chat side effect whose failure must not change the answer (the store already holds the truth).
 *
 * @example await bestEffort(deps, 'update the card', () => deps.notifier.updateCard(card, revision, version));
 */
export async function bestEffort(
  deps: Pick<FlaggerGateDependencies, 'log'>,
  what: string,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    deps.log.error(`flagger: could not ${what}`, { error: describeError(error) });
  }
}
