/**
 * Freezes as the app sees them: the policy's freeze windows and the stops of the line people put in the
 * store (`/canary freeze now`, lifted by `/canary unfreeze`). Every decision on a release asks
 * {@link freezeOf} (release-runner.ts), so cards, commands, buttons, the App Home and the tick obey the same
 * answer; starting a release asks it too (start-release.ts).
 */
import {
  describeFreeze,
  type Freeze,
  type FreezeNote,
  type FreezeTarget,
  freezeAt,
  freezeNoteOf,
  type StopScope,
  type StopTheLine,
  type WindowHold,
  windowsHolding,
} from '../domain/governance/index.js';
import { type Actor, authorize, type Release } from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import { recordRefusal } from './refusals.js';
import { done, refused, type UseCaseResult } from './use-case-result.js';

/** What stopping and restarting the line need. */
export type GovernanceDependencies = Pick<
  ReleaseDependencies,
  'store' | 'policy' | 'clock' | 'log' | 'telemetry'
>;

/** The store record kind of a stop of the line (keyed by {@link stopKey}). */
export const STOP_THE_LINE_KIND = 'stop-the-line';

/** Where a stop of the line applies, as a command names it: nothing (everything), a namespace, a cluster, both. */
export interface StopRequest {
  readonly namespace?: string;
  readonly cluster?: string;
}

/**
 * The scope of a stop, and its record id.
 *
 * @example stopKey({ namespace: 'payments' }) // 'ns:payments'
 */
export function stopKey(request: StopRequest): string {
  if (request.cluster !== undefined && request.namespace !== undefined)
    return `cluster:${request.cluster}/ns:${request.namespace}`;
  if (request.cluster !== undefined) return `cluster:${request.cluster}`;
  if (request.namespace !== undefined) return `ns:${request.namespace}`;
  return 'all';
}

function scopeOf(request: StopRequest): StopScope {
  if (request.cluster !== undefined)
    return {
      cluster: request.cluster,
      ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
    };
  if (request.namespace !== undefined) return { namespace: request.namespace };
  return 'all';
}

/** `namespace payments`, `cluster prod`, `namespace payments in cluster prod`, `everything`. */
export function scopeWords(request: StopRequest): string {
  if (request.cluster !== undefined && request.namespace !== undefined)
    return `namespace ${request.namespace} in cluster ${request.cluster}`;
  if (request.cluster !== undefined) return `cluster ${request.cluster}`;
  if (request.namespace !== undefined) return `namespace ${request.namespace}`;
  return 'every namespace and cluster';
}

/** The freezes in force: the policy's windows and the stops of the line in the store. */
export async function freezesNow(deps: Pick<ReleaseDependencies, 'policy' | 'store'>): Promise<Freeze[]> {
  const stops = await deps.store.listRecords<StopTheLine>(STOP_THE_LINE_KIND);
  return [...(deps.policy.freezeWindows ?? []), ...stops.map((record) => record.value)];
}

/** The service a release (or a start) is about, as freezes see it. */
export function freezeTargetOf(release: Pick<Release, 'target' | 'meta'>): FreezeTarget {
  return {
    namespace: release.target.namespace,
    service: release.target.service,
    ...(release.meta.cluster !== undefined ? { cluster: release.meta.cluster } : {}),
  };
}

/**
 * The freeze holding a service's promotions at `at`, as a release keeps it; undefined when none does.
 *
 * @example await freezeOf(deps, { namespace: 'payments', service: 'api', cluster: 'prod' }, new Date())
 * // { window: 'weekend', kind: 'deny', until: '2026-03-30T06:00:00.000Z', timeZone: 'Europe/Berlin', reason: '…' }
 */
export async function freezeOf(
  deps: Pick<ReleaseDependencies, 'policy' | 'store'>,
  target: FreezeTarget,
  at: Date,
): Promise<FreezeNote | undefined> {
  // A stop in the store holds now, whatever moment a decision is made for: a tick job scheduled before the
  // stop but run after it must not promote (nor apply a held approval) under it.
  const freezes = (await freezesNow(deps)).map((freeze) =>
    freeze.kind === 'stop' && Date.parse(freeze.since) > at.getTime()
      ? { ...freeze, since: at.toISOString() }
      : freeze,
  );
  if (freezes.length === 0) return undefined;
  return freezeNoteOf(freezeAt(freezes, target, at), deps.policy.freezeWindows);
}

/** Only the approvers of a scope stop or restart its line (the default rules for every namespace). */
async function authorizeStop(
  deps: GovernanceDependencies,
  request: StopRequest,
  actor: Actor,
  action: 'freeze' | 'unfreeze',
): Promise<string | undefined> {
  const subject = {
    namespace: request.namespace ?? '',
    ...(request.cluster !== undefined ? { cluster: request.cluster } : {}),
  };
  const permission = authorize('approve', actor, subject, deps.policy);
  if (permission.allowed) return undefined;
  const why = permission.reason.replace(/ approve releases in [^;]*;/, ` ${action} ${scopeWords(request)};`);
  await recordRefusal(deps, `freeze:${stopKey(request)}`, actor, action, why, {
    ...(request.cluster !== undefined ? { cluster: request.cluster } : {}),
  });
  return why;
}

/** What `/canary freeze now` and `/canary unfreeze` answer: a sentence and the releases the stop holds. */
export interface StopAnswer {
  readonly stop: StopTheLine;
  readonly held: readonly Release[];
}

/**
 * Stops the line: holds every promotion and new release in scope until it is lifted (approvers of the
 * scope only). Written to the audit trail; the tick redraws each held card within a minute.
 *
 * @example await stopTheLine(deps, { namespace: 'payments' }, 'incident 4711', actor)
 */
export async function stopTheLine(
  deps: GovernanceDependencies,
  request: StopRequest,
  reason: string,
  actor: Actor,
): Promise<UseCaseResult<StopAnswer>> {
  const refusal = await authorizeStop(deps, request, actor, 'freeze');
  if (refusal) return refused(refusal);
  const key = stopKey(request);
  const found = await deps.store.getRecord<StopTheLine>(STOP_THE_LINE_KIND, key);
  // The same stop again (the queue's retry of a job that failed after the write): kept as it was.
  const again = found !== undefined && found.value.by === actor.userId && found.value.reason === reason;
  const earlier = again ? undefined : found;
  const stop: StopTheLine = {
    kind: 'stop',
    scope: scopeOf(request),
    reason,
    by: actor.userId,
    since: again ? found.value.since : deps.clock().toISOString(),
  };
  if (!again) await deps.store.putRecord(STOP_THE_LINE_KIND, key, stop);
  await deps.store.appendAudit({
    releaseId: `freeze:${key}`,
    at: stop.since,
    actor: actor.userId,
    ...(request.cluster !== undefined ? { cluster: request.cluster } : {}),
    action: 'stop-the-line',
    detail: { scope: scopeWords(request), reason, ...(earlier ? { replaces: earlier.value } : {}) },
  });
  const held = await heldBy(deps, stop);
  const replaced = earlier ? ` (it replaces the stop by ${earlier.value.by}: ${earlier.value.reason})` : '';
  return done(
    { stop, held },
    `Line stopped for ${scopeWords(request)} by ${actor.userId}: ${reason}${replaced}. Promotions and new releases there wait until \`/canary unfreeze\`; rollback, pause and cancel still work.`,
  );
}

/**
 * Lifts a stop of the line (approvers of its scope only); the next tick lets held releases go on and
 * applies approvals held meanwhile whose request has not expired.
 *
 * @example await liftStop(deps, { namespace: 'payments' }, actor)
 */
export async function liftStop(
  deps: GovernanceDependencies,
  request: StopRequest,
  actor: Actor,
): Promise<UseCaseResult<StopAnswer>> {
  const key = stopKey(request);
  const existing = await deps.store.getRecord<StopTheLine>(STOP_THE_LINE_KIND, key);
  if (!existing) {
    const stops = await deps.store.listRecords<StopTheLine>(STOP_THE_LINE_KIND);
    const others = stops.map((s) => `\`${unfreezeCommandOf(s.value.scope)}\``).join(', ');
    return refused(
      `The line is not stopped for ${scopeWords(request)}${others ? `; stops in force: ${others}` : '; no stop is in force'}.`,
    );
  }
  const refusal = await authorizeStop(deps, request, actor, 'unfreeze');
  if (refusal) return refused(refusal);
  // Audited before the stop goes: a failure in between leaves the stop for the queue's retry, never a lift
  // without its entry.
  await deps.store.appendAudit({
    releaseId: `freeze:${key}`,
    at: deps.clock().toISOString(),
    actor: actor.userId,
    ...(request.cluster !== undefined ? { cluster: request.cluster } : {}),
    action: 'unfreeze',
    detail: { scope: scopeWords(request), stoppedBy: existing.value.by, reason: existing.value.reason },
  });
  await deps.store.deleteRecord(STOP_THE_LINE_KIND, key);
  const held = await heldBy(deps, existing.value);
  return done(
    { stop: existing.value, held },
    `Line restarted for ${scopeWords(request)} by ${actor.userId} (stopped by ${existing.value.by}: ${existing.value.reason}). Held releases go on at the next tick, unless a freeze window still holds them.`,
  );
}

/** The unfreeze command that lifts a stop of this scope. */
function unfreezeCommandOf(scope: StopScope): string {
  if (scope === 'all') return '/canary unfreeze';
  const cluster = 'cluster' in scope ? ` --cluster ${scope.cluster}` : '';
  return `/canary unfreeze${scope.namespace !== undefined ? ` --ns ${scope.namespace}` : ''}${cluster}`;
}

async function heldBy(deps: GovernanceDependencies, stop: StopTheLine): Promise<Release[]> {
  const active = (await deps.store.listActive()).map((s) => s.state);
  return active.filter((r) =>
    windowsHolding([stop], [r], new Date(stop.since)).some((hold) => hold.releases.length > 0),
  );
}

/** What `/canary freeze` lists: every freeze that holds now, and the active releases each holds. */
export interface FreezeReport {
  readonly holds: readonly WindowHold[];
  readonly releases: readonly Release[];
  /** Windows configured (held or not), for the list. */
  readonly windows: number;
  readonly at: Date;
}

/**
 * The freezes in force and the releases they hold.
 *
 * @example const report = await freezeReport(deps); report.holds[0]?.releases // [{ id: 'r1', until: … }]
 */
export async function freezeReport(deps: GovernanceDependencies): Promise<FreezeReport> {
  const at = deps.clock();
  const freezes = await freezesNow(deps);
  const releases = (await deps.store.listActive()).map((s) => s.state);
  return {
    holds: windowsHolding(freezes, releases, at),
    releases,
    windows: deps.policy.freezeWindows?.length ?? 0,
    at,
  };
}

/** The freeze as the answer to a refused start or action says it. */
export function freezeSentence(note: FreezeNote, at: Date): string {
  return describeFreeze(note, at.getTime());
}
