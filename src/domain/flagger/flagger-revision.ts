/**
 * A canary revision as the bot keeps it: one per `{namespace, name, checksum}`, holding the state of each
 * confirm-* gate Flagger asked about, the rollback request, what its events said, and where its Slack card is.
 */
import { FLAGGER_GATE_HOOKS, type GateHook, isGateHook } from './flagger-hooks.js';

/** Which canary revision: Flagger's checksum changes with every new spec (or tracked config) of the Canary. */
export interface CanaryRevisionKey {
  readonly namespace: string;
  readonly name: string;
  readonly checksum: string;
}

/** A confirm-* gate of a revision. */
export type GateState =
  | { readonly status: 'waiting'; readonly since: string }
  | {
      readonly status: 'approved';
      readonly since: string;
      readonly by: string;
      readonly at: string;
      /** When Flagger first got its 200 after the approval. */
      readonly usedAt?: string;
    }
  | { readonly status: 'rejected'; readonly since: string; readonly by: string; readonly at: string };

/** The rollback hook of a revision: offered once Flagger asks, requested when someone presses Roll back. */
export type RollbackState =
  | { readonly status: 'offered'; readonly since: string }
  | {
      readonly status: 'requested';
      readonly since: string;
      readonly by: string;
      readonly at: string;
      /** When Flagger first got its 2xx (and rolled back). */
      readonly usedAt?: string;
    };

/** How a revision ended, from Flagger's events. */
export type RevisionOutcome = 'succeeded' | 'failed';

/** Where a revision's Slack card is: its thread holds the events. */
export interface CardRef {
  readonly channel: string;
  readonly ts: string;
}

/** One canary revision. JSON-serialisable: it is stored as a record. */
export interface FlaggerRevision extends CanaryRevisionKey {
  readonly firstSeenAt: string;
  /** The canary phase its latest event reported. */
  readonly phase?: string;
  readonly outcome?: RevisionOutcome;
  readonly gates: Readonly<Partial<Record<GateHook, GateState>>>;
  readonly rollback?: RollbackState;
  /** Events relayed, and how many of them were Warnings. */
  readonly events: number;
  readonly warnings: number;
  readonly lastWarning?: string;
  readonly card?: CardRef;
}

/** The record kind revisions are stored under. */
export const REVISION_RECORD_KIND = 'flagger-revision';

const namespaceShape = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const nameShape = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const checksumShape = /^[A-Za-z0-9]+$/;

/** Limits of the key fields (Kubernetes: namespace 63, name 253; Flagger's checksum is ~10 characters). */
export const REVISION_KEY_LIMITS = { namespace: 63, name: 253, checksum: 128 } as const;

/**
 * Why a key cannot name a revision, or undefined when it can.
 *
 * @example revisionKeyProblem({ namespace: 'test', name: 'podinfo', checksum: '7845487b68' }) // undefined
 * @example revisionKeyProblem({ namespace: 'Test', name: 'podinfo', checksum: 'x' }) // 'namespace must be a DNS label…'
 */
export function revisionKeyProblem(key: CanaryRevisionKey): string | undefined {
  if (key.namespace.length > REVISION_KEY_LIMITS.namespace || !namespaceShape.test(key.namespace))
    return 'namespace must be a DNS label (lowercase letters, digits, "-"; at most 63 characters)';
  if (key.name.length > REVISION_KEY_LIMITS.name || !nameShape.test(key.name))
    return 'name must be a DNS subdomain (lowercase letters, digits, "-", "."; at most 253 characters)';
  if (key.checksum.length > REVISION_KEY_LIMITS.checksum || !checksumShape.test(key.checksum))
    return 'checksum must be 1 to 128 letters and digits';
  return undefined;
}

/**
 * The id of a revision: readable, and unique because namespaces and names never contain `/`.
 *
 * @example revisionIdOf({ namespace: 'test', name: 'podinfo', checksum: '7845487b68' }) // 'test/podinfo/7845487b68'
 */
export function revisionIdOf(key: CanaryRevisionKey): string {
  return `${key.namespace}/${key.name}/${key.checksum}`;
}

/**
 * The audit trail subject of a revision, apart from native release ids (which never hold `:`).
 *
 * @example auditSubjectOf({ namespace: 'test', name: 'podinfo', checksum: '7845487b68' }) // 'flagger:test/podinfo/7845487b68'
 */
export function auditSubjectOf(key: CanaryRevisionKey): string {
  return `flagger:${revisionIdOf(key)}`;
}

/** What a card button acts on: a gate of a revision, or its rollback. */
export type GateTarget = GateHook | 'rollback';

/**
 * The id of a gate (or of the rollback) of a revision: what a card button carries.
 *
 * @example gateIdOf(key, 'confirm-promotion') // 'test/podinfo/7845487b68/confirm-promotion'
 */
export function gateIdOf(key: CanaryRevisionKey, target: GateTarget): string {
  return `${revisionIdOf(key)}/${target}`;
}

/**
 * Reads a gate id back; undefined unless it is exactly what {@link gateIdOf} writes.
 *
 * @example parseGateId('test/podinfo/7845487b68/rollback') // { key: { namespace: 'test', … }, target: 'rollback' }
 */
export function parseGateId(id: string): { key: CanaryRevisionKey; target: GateTarget } | undefined {
  const parts = id.split('/');
  if (parts.length !== 4) return undefined;
  const [namespace = '', name = '', checksum = '', target = ''] = parts;
  const key = { namespace, name, checksum };
  if (revisionKeyProblem(key)) return undefined;
  if (target !== 'rollback' && !isGateHook(target)) return undefined;
  return { key, target };
}

/** `podinfo.test`: the way Flagger names a canary in its events. */
export function canaryName(key: Pick<CanaryRevisionKey, 'namespace' | 'name'>): string {
  return `${key.name}.${key.namespace}`;
}

/** A revision Flagger has not called about yet. */
export function newRevision(key: CanaryRevisionKey, at: string): FlaggerRevision {
  return {
    namespace: key.namespace,
    name: key.name,
    checksum: key.checksum,
    firstSeenAt: at,
    gates: {},
    events: 0,
    warnings: 0,
  };
}

/** Whether Flagger is done with the revision (promoted or failed). */
export function isFinished(revision: FlaggerRevision): boolean {
  return revision.outcome !== undefined;
}

/** The gates waiting for a person, in Flagger's order. */
export function waitingGates(revision: FlaggerRevision): GateHook[] {
  return FLAGGER_GATE_HOOKS.filter((hook) => revision.gates[hook]?.status === 'waiting');
}
