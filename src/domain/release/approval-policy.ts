/**
 * Who may do what to a release, per namespace. Pure: the app passes the actor's user id and user groups
 * (Slack `usergroups.list`/`users` data it already has) and acts only on `{ allowed: true }`.
 */
import type { Release } from './release.js';
import { InvalidApprovalPolicyError } from './release-errors.js';

/**
 * A Slack user id (`U…` or `W…`), a user group id (`S…`), or `*` for anyone in the workspace.
 */
export type Principal = string;

/** The rules of one namespace. */
export interface NamespacePolicy {
  /** Who may start a release. */
  readonly starters: readonly Principal[];
  /** Who may approve (and reject) a step. */
  readonly approvers: readonly Principal[];
  /** The person who started a release may not approve its steps. */
  readonly fourEyes: boolean;
  /** Hosts beyond the namespace's own Services that releases may send traffic to (see host-confinement.ts). */
  readonly allowedHosts?: readonly string[];
}

/** The policy: one default and optional overrides per namespace. */
export interface ApprovalPolicy {
  readonly default: NamespacePolicy;
  readonly namespaces?: Readonly<Record<string, NamespacePolicy>>;
}

/** Anyone may start and approve, but never their own release. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  default: { starters: ['*'], approvers: ['*'], fourEyes: true },
};

/** What can be authorized. */
export type ReleaseAction = 'start' | 'approve' | 'reject' | 'rollback' | 'pause' | 'resume' | 'cancel';

/** Who asks. */
export interface Actor {
  readonly userId: string;
  readonly groupIds: readonly string[];
}

/** The answer; a refusal names the policy and says why in a sentence. */
export type Authorization = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const principalShape = /^(\*|[UWS][A-Z0-9]{2,})$/;

/**
 * Checks a policy loaded from configuration.
 *
 * @example validateApprovalPolicy({ default: { starters: ['*'], approvers: ['S0PLATFORM'], fourEyes: true } })
 * @throws InvalidApprovalPolicyError
 */
export function validateApprovalPolicy(policy: ApprovalPolicy): void {
  const rules: [string, NamespacePolicy][] = [
    ['the default approval policy', policy.default],
    ...Object.entries(policy.namespaces ?? {}).map(([namespace, rule]): [string, NamespacePolicy] => [
      `the approval policy of namespace ${namespace}`,
      rule,
    ]),
  ];
  for (const [name, rule] of rules) {
    for (const field of ['starters', 'approvers'] as const) {
      for (const principal of rule[field]) {
        if (!principalShape.test(principal)) {
          throw new InvalidApprovalPolicyError(
            `In ${name}, ${field} lists "${principal}", which is not a Slack user id (U…/W…), user group id (S…) or *.`,
          );
        }
      }
    }
  }
}

/**
 * Whether `actor` may do `action` on a release (or, for `start`, in a namespace).
 *
 * - start: the namespace's starters.
 * - approve: its approvers, except the requester when four-eyes applies.
 * - resume after a halt the bot raised (drift, failed analysis, refused mesh change): as approve.
 * - reject, rollback, pause, resume, cancel: its approvers and the requester. These move towards safety
 *   (or back to a state someone already approved), the requester is usually the first to see trouble and
 *   must not wait for an approver to stop their own release; four-eyes guards going forward, not going back.
 *
 * @example
 * authorize('approve', { userId: 'U1', groupIds: [] }, release, policy)
 * // { allowed: false, reason: 'The approval policy of namespace bookinfo requires four eyes: U1 started this release and cannot approve it.' }
 */
export function authorize(
  action: ReleaseAction,
  actor: Actor,
  subject: Release | { readonly namespace: string },
  policy: ApprovalPolicy,
): Authorization {
  const release = 'target' in subject ? subject : undefined;
  const namespace = release ? release.target.namespace : (subject as { namespace: string }).namespace;
  const override = policy.namespaces?.[namespace];
  const rule = override ?? policy.default;
  const policyName = override
    ? `The approval policy of namespace ${namespace}`
    : 'The default approval policy';
  const isRequester = release !== undefined && release.requestedBy === actor.userId;
  const deny = (why: string): Authorization => ({ allowed: false, reason: `${policyName} ${why}` });

  // Resuming after drift, a failed analysis or a refused mesh change goes forward over a halt the bot raised
  // (after drift, over a change made by hand): it is an approval, with its rules.
  const resumesAHalt =
    action === 'resume' && release?.phase === 'paused' && (release.pause?.reason ?? 'manual') !== 'manual';
  if (resumesAHalt) {
    const why = `resuming after ${release?.pause?.reason === 'drift' ? 'a change made by hand' : release?.pause?.reason === 'failed-analysis' ? 'a failed analysis' : 'a refused mesh change'} is an approval`;
    if (rule.fourEyes && isRequester)
      return deny(
        `requires four eyes, and ${why}: ${actor.userId} started this release and cannot resume it.`,
      );
    return includes(rule.approvers, actor)
      ? { allowed: true }
      : deny(
          `lets only ${listOf(rule.approvers)} approve releases in ${namespace}, and ${why}; ${actor.userId} is not one of them.`,
        );
  }
  switch (action) {
    case 'start':
      return includes(rule.starters, actor)
        ? { allowed: true }
        : deny(
            `lets only ${listOf(rule.starters)} start releases in ${namespace}; ${actor.userId} is not one of them.`,
          );
    case 'approve':
      if (rule.fourEyes && isRequester)
        return deny(`requires four eyes: ${actor.userId} started this release and cannot approve it.`);
      return includes(rule.approvers, actor)
        ? { allowed: true }
        : deny(
            `lets only ${listOf(rule.approvers)} approve releases in ${namespace}; ${actor.userId} is not one of them.`,
          );
    case 'reject':
    case 'rollback':
    case 'pause':
    case 'resume':
    case 'cancel':
      return isRequester || includes(rule.approvers, actor)
        ? { allowed: true }
        : deny(
            `lets only the requester and ${listOf(rule.approvers)} ${action} releases in ${namespace}; ${actor.userId} is neither.`,
          );
    default:
      return action satisfies never;
  }
}

function includes(principals: readonly Principal[], actor: Actor): boolean {
  return principals.some((p) => p === '*' || p === actor.userId || actor.groupIds.includes(p));
}

function listOf(principals: readonly Principal[]): string {
  if (principals.length === 0) return 'nobody';
  return principals.map((p) => (p === '*' ? 'anyone' : p)).join(', ');
}
