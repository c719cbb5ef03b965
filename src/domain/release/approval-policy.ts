/**
 * Who may do what to a release, per namespace. Pure: the app passes the actor's user id and user groups
 * (Slack `usergroups.list`/`users` data it already has) and acts only on `{ allowed: true }`.
 */
import type { FreezeWindow } from '../governance/windows.js';
import type { Quorum, Release } from './release.js';
import { InvalidApprovalPolicyError } from './release-errors.js';

/**
 * A Slack user id (`U…` or `W…`), a user group id (`S…`), or `*` for anyone in the workspace.
 */
export type Principal = string;

/** The rules of one namespace (or the default of a cluster, or of everything). */
export interface NamespacePolicy {
  /** Who may start a release. */
  readonly starters: readonly Principal[];
  /** Who may approve (and reject) a step. */
  readonly approvers: readonly Principal[];
  /** The person who started a release may not approve its steps. */
  readonly fourEyes: boolean;
  /** Hosts beyond the namespace's own Services that releases may send traffic to (see host-confinement.ts). */
  readonly allowedHosts?: readonly string[];
  /** Guests of the workspace (single- and multi-channel) may act too; refused when left out. */
  readonly allowGuests?: boolean;
  /** Members of other organisations in shared channels (Slack Connect) may act too; refused when left out. */
  readonly allowExternal?: boolean;
  /** An approval may come from another channel than the release's card (a command elsewhere); refused when left out. */
  readonly approveFromAnyChannel?: boolean;
  /**
   * Each step needs `approvals` distinct approvers (1 to {@link MAX_QUORUM}), at least one of them in the user
   * group `oneFrom` (`S…`) when given; one approval when left out.
   */
  readonly quorum?: Quorum;
  /** Actions that need a reason (approve; rollback, which is how a waiting step is rejected); none when left out. */
  readonly reasons?: readonly ReasonAction[];
}

/** The actions a policy can require a reason for. */
export type ReasonAction = 'approve' | 'rollback';

/** The most approvers a quorum may ask for. */
export const MAX_QUORUM = 10;

/** What a namespace's rule asks of approvals: its quorum (one approval by default) and its reasons. */
export interface ApprovalRule {
  readonly quorum: Quorum;
  readonly reasons: readonly ReasonAction[];
}

/** The rules of one cluster: its own default and namespaces, over the top-level ones. */
export interface ClusterPolicy {
  readonly default?: NamespacePolicy;
  readonly namespaces?: Readonly<Record<string, NamespacePolicy>>;
}

/**
 * The policy: the workspaces it serves, one default, optional overrides per namespace, and per cluster (whose
 * namespaces and default come before the top-level ones).
 */
export interface ApprovalPolicy {
  /**
   * Workspace ids (`T…`) and Enterprise Grid organisation ids (`E…`) whose requests are served; a request
   * from any other is refused. Left out: any workspace that holds the signing secret (`npm start` only).
   */
  readonly workspaces?: readonly string[];
  readonly default: NamespacePolicy;
  readonly namespaces?: Readonly<Record<string, NamespacePolicy>>;
  readonly clusters?: Readonly<Record<string, ClusterPolicy>>;
  /** Freeze windows (checked by `parseFreezeWindows` when the configuration is loaded); none when left out. */
  readonly freezeWindows?: readonly FreezeWindow[];
  /** Who may bypass a freeze with a reason (`--bypass-freeze "…"`); nobody when left out. */
  readonly freezeBypass?: readonly Principal[];
}

/** `npm start`'s policy: anyone may start and approve, but never their own release. Never used in AWS. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  default: { starters: ['*'], approvers: ['*'], fourEyes: true },
};

/** Whether anyone may act: no workspace pinned and `*` everywhere. `npm start` says so on its page. */
export function isOpenPolicy(policy: ApprovalPolicy): boolean {
  const rules = rulesOf(policy).map(([, rule]) => rule);
  return (
    policy.workspaces === undefined &&
    rules.some((rule) => rule.starters.includes('*') && rule.approvers.includes('*'))
  );
}

/** What can be authorized. */
export type ReleaseAction = 'start' | 'approve' | 'reject' | 'rollback' | 'pause' | 'resume' | 'cancel';

/** What a person is to the workspace the bot serves (from Slack's `users.info`). */
export type UserKind = 'member' | 'guest' | 'external';

/** Where a request came from, as Slack signed it. */
export interface Origin {
  readonly teamId?: string;
  readonly enterpriseId?: string;
  readonly channelId?: string;
}

/** Who asks, and from where. */
export interface Actor {
  readonly userId: string;
  readonly groupIds: readonly string[];
  /** Left out: a member (the worker always looks it up before acting). */
  readonly kind?: UserKind;
  /** Left out: no workspace and no channel (refused when the policy pins workspaces). */
  readonly origin?: Origin;
}

/** The answer; a refusal names the policy and says why in a sentence. */
export type Authorization = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** The keys under which the chat adapter keeps a release's card channel and workspace in `Release.meta`. */
export const RELEASE_CHANNEL_META = 'channel';
export const RELEASE_TEAM_META = 'team';

const principalShape = /^(\*|[UWS][A-Z0-9]{2,})$/;
const workspaceShape = /^[TE][A-Z0-9]{2,}$/;

function own<V>(map: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

function rulesOf(policy: ApprovalPolicy): [string, NamespacePolicy][] {
  return [
    ['the default approval policy', policy.default],
    ...Object.entries(policy.namespaces ?? {}).map(([namespace, rule]): [string, NamespacePolicy] => [
      `the approval policy of namespace ${namespace}`,
      rule,
    ]),
    ...Object.entries(policy.clusters ?? {}).flatMap(([cluster, c]): [string, NamespacePolicy][] => [
      ...(c.default
        ? [[`the default approval policy of cluster ${cluster}`, c.default] as [string, NamespacePolicy]]
        : []),
      ...Object.entries(c.namespaces ?? {}).map(([namespace, rule]): [string, NamespacePolicy] => [
        `the approval policy of namespace ${namespace} in cluster ${cluster}`,
        rule,
      ]),
    ]),
  ];
}

/** Every user group a policy names (the worker looks up only these). */
export function groupsOf(policy: ApprovalPolicy): string[] {
  return [
    ...new Set(
      [
        ...rulesOf(policy).flatMap(([, r]) => [
          ...r.starters,
          ...r.approvers,
          ...(r.quorum?.oneFrom ? [r.quorum.oneFrom] : []),
        ]),
        ...(policy.freezeBypass ?? []),
      ].filter((p) => p.startsWith('S')),
    ),
  ];
}

/**
 * Whether `actor` may bypass a freeze: named in the policy's `freezeBypass` (a person or one of their
 * groups), with a reason. `*` is not accepted there: a bypass is a named role.
 *
 * @example authorizeFreezeBypass({ userId: 'U1', groupIds: ['S0SRE'] }, { ...policy, freezeBypass: ['S0SRE'] }, 'hotfix') // { allowed: true }
 */
export function authorizeFreezeBypass(actor: Actor, policy: ApprovalPolicy, reason: string): Authorization {
  const named = (policy.freezeBypass ?? []).filter((p) => p !== '*');
  if (reason.trim() === '')
    return {
      allowed: false,
      reason: 'A freeze bypass needs a reason: --bypass-freeze "why it cannot wait".',
    };
  if (named.length === 0)
    return {
      allowed: false,
      reason:
        'The approval policy names nobody who may bypass a freeze (freezeBypass); wait for the freeze to end.',
    };
  return includes(named, actor)
    ? { allowed: true }
    : {
        allowed: false,
        reason: `The approval policy lets only ${listOf(named)} bypass a freeze; ${actor.userId} is not one of them.`,
      };
}

/**
 * The rule for a namespace in a cluster, and its name for sentences: the cluster's namespace, the
 * cluster's default, the top-level namespace, the top-level default. Own properties only: a namespace
 * called `constructor` is a namespace.
 */
export function ruleFor(
  policy: ApprovalPolicy,
  namespace: string,
  cluster?: string,
): { rule: NamespacePolicy; name: string } {
  const clusterPolicy = cluster === undefined ? undefined : own(policy.clusters, cluster);
  const inCluster = own(clusterPolicy?.namespaces, namespace);
  if (inCluster)
    return { rule: inCluster, name: `The approval policy of namespace ${namespace} in cluster ${cluster}` };
  if (clusterPolicy?.default)
    return { rule: clusterPolicy.default, name: `The default approval policy of cluster ${cluster}` };
  const top = own(policy.namespaces, namespace);
  if (top) return { rule: top, name: `The approval policy of namespace ${namespace}` };
  return { rule: policy.default, name: 'The default approval policy' };
}

/**
 * Checks a policy loaded from configuration.
 *
 * @example validateApprovalPolicy({ default: { starters: ['*'], approvers: ['S0PLATFORM'], fourEyes: true } })
 * @throws InvalidApprovalPolicyError
 */
export function validateApprovalPolicy(policy: ApprovalPolicy): void {
  for (const workspace of policy.workspaces ?? []) {
    if (!workspaceShape.test(workspace))
      throw new InvalidApprovalPolicyError(
        `The approval policy lists workspace "${workspace}", which is not a Slack workspace id (T…) or Enterprise Grid id (E…).`,
      );
  }
  if (policy.workspaces?.length === 0)
    throw new InvalidApprovalPolicyError('The approval policy lists no workspace: nobody could act.');
  for (const [name, rule] of rulesOf(policy)) {
    const label = name.charAt(0).toLowerCase() + name.slice(1);
    for (const field of ['starters', 'approvers'] as const) {
      for (const principal of rule[field]) {
        if (!principalShape.test(principal)) {
          throw new InvalidApprovalPolicyError(
            `In ${label}, ${field} lists "${principal}", which is not a Slack user id (U…/W…), user group id (S…) or *.`,
          );
        }
      }
    }
    const problem = quorumProblem(rule);
    if (problem) throw new InvalidApprovalPolicyError(`In ${label}, ${problem}`);
  }
}

/** Why a rule's quorum or reasons cannot work, as the end of a sentence, or undefined. */
function quorumProblem(rule: NamespacePolicy): string | undefined {
  for (const action of rule.reasons ?? [])
    if (action !== 'approve' && action !== 'rollback')
      return `reasons lists "${action}"; only approve and rollback can require a reason.`;
  const quorum = rule.quorum;
  if (!quorum) return undefined;
  const n = quorum.approvals;
  if (!Number.isInteger(n) || n < 1 || n > MAX_QUORUM)
    return `the quorum asks for ${n} approvals; it must be a whole number from 1 to ${MAX_QUORUM}.`;
  if (quorum.oneFrom !== undefined && !/^S[A-Z0-9]{2,}$/.test(quorum.oneFrom))
    return `the quorum's oneFrom is "${quorum.oneFrom}", which is not a Slack user group id (S…).`;
  if (
    quorum.oneFrom !== undefined &&
    !rule.approvers.includes('*') &&
    !rule.approvers.includes(quorum.oneFrom)
  )
    return `the quorum needs one approver from ${quorum.oneFrom}, which approvers does not list: list it there too, or its members could not approve.`;
  const open = rule.approvers.some((p) => p === '*' || p.startsWith('S'));
  const people = new Set(rule.approvers).size;
  if (!open && n > people)
    return `the quorum asks for ${n} distinct approvers but approvers names only ${people === 0 ? 'nobody' : people === 1 ? 'one person' : `${people} people`}: no step could ever be approved.`;
  return undefined;
}

/**
 * What the rule of a release's namespace (or of a namespace in a cluster) asks of approvals.
 *
 * @example approvalRuleOf(policy, release) // { quorum: { approvals: 2, oneFrom: 'S0SRE' }, reasons: ['approve'] }
 */
export function approvalRuleOf(
  policy: ApprovalPolicy,
  subject: Release | { readonly namespace: string; readonly cluster?: string },
): ApprovalRule {
  const namespace = 'target' in subject ? subject.target.namespace : subject.namespace;
  const cluster = 'target' in subject ? own(subject.meta, 'cluster') : subject.cluster;
  const { rule } = ruleFor(policy, namespace, cluster);
  return {
    quorum: rule.quorum ?? { approvals: 1 },
    reasons: rule.reasons ?? [],
  };
}

/**
 * Why an action is refused for want of a reason (the rule's `reasons`), or undefined.
 *
 * @example reasonRefusal('approve', '  ', { quorum: { approvals: 1 }, reasons: ['approve'] }) // 'The approval policy asks for a reason to approve: …'
 */
export function reasonRefusal(
  action: ReleaseAction,
  reason: string | undefined,
  rule: ApprovalRule,
): string | undefined {
  if (action !== 'approve' && action !== 'rollback') return undefined;
  if (!rule.reasons.includes(action) || (reason ?? '').trim() !== '') return undefined;
  return action === 'approve'
    ? 'The approval policy asks for a reason to approve: use the card\'s button (it asks for one) or /canary approve --reason "why".'
    : 'The approval policy asks for a reason to roll back: use the card\'s button (it asks for one) or /canary rollback --reason "why".';
}

/**
 * Whether a request may be served at all: its workspace is one the policy pins (or none is pinned), and the
 * person's kind is allowed by `rule` (the top-level default for requests about no release).
 *
 * @example authorizeOrigin({ userId: 'U1', groupIds: [], kind: 'guest' }, policy) // { allowed: false, reason: '…' }
 */
export function authorizeOrigin(
  actor: Actor,
  policy: ApprovalPolicy,
  rule: { rule: NamespacePolicy; name: string } = {
    rule: policy.default,
    name: 'The default approval policy',
  },
): Authorization {
  const pinned = policy.workspaces;
  if (pinned !== undefined) {
    const { teamId, enterpriseId } = actor.origin ?? {};
    const served = [teamId, enterpriseId].some((id) => id !== undefined && pinned.includes(id));
    if (!served)
      return {
        allowed: false,
        reason: `The approval policy lets only workspaces ${pinned.join(', ')} act on releases; this request came from ${teamId ? `workspace ${teamId}` : 'no workspace'}.`,
      };
  }
  if (actor.kind === 'guest' && !rule.rule.allowGuests)
    return {
      allowed: false,
      reason: `${rule.name} does not let guests act on releases; ${actor.userId} is a guest of the workspace.`,
    };
  if (actor.kind === 'external' && !rule.rule.allowExternal)
    return {
      allowed: false,
      reason: `${rule.name} does not let members of other organisations (Slack Connect) act on releases; ${actor.userId} is one.`,
    };
  return { allowed: true };
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
  subject: Release | { readonly namespace: string; readonly cluster?: string },
  policy: ApprovalPolicy,
): Authorization {
  const release = 'target' in subject ? subject : undefined;
  const namespace = release ? release.target.namespace : (subject as { namespace: string }).namespace;
  const cluster = release ? own(release.meta, 'cluster') : (subject as { cluster?: string }).cluster;
  const found = ruleFor(policy, namespace, cluster);
  const { rule } = found;
  const policyName = found.name;
  const origin = authorizeOrigin(actor, policy, found);
  if (!origin.allowed) return origin;
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
    const elsewhere = release ? fromElsewhere(release, actor, rule) : undefined;
    if (elsewhere) return deny(elsewhere);
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
      if (release) {
        const elsewhere = fromElsewhere(release, actor, rule);
        if (elsewhere) return deny(elsewhere);
      }
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

/**
 * Why an approval does not come from its release's card (its channel, and the workspace it was started in),
 * or undefined. A request that names no channel (not from Slack) is not tied.
 */
function fromElsewhere(release: Release, actor: Actor, rule: NamespacePolicy): string | undefined {
  if (rule.approveFromAnyChannel) return undefined;
  const channel = own(release.meta, RELEASE_CHANNEL_META);
  const team = own(release.meta, RELEASE_TEAM_META);
  const from = actor.origin;
  if (!from) return undefined;
  const otherChannel = channel !== undefined && from.channelId !== undefined && from.channelId !== channel;
  const otherTeam = team !== undefined && from.teamId !== undefined && from.teamId !== team;
  if (!otherChannel && !otherTeam) return undefined;
  // No channel: a click on the App Home tab, which is not the release's channel either.
  const where = otherTeam
    ? `workspace ${from.teamId}`
    : from.channelId === ''
      ? 'the App Home tab'
      : `<#${from.channelId}>`;
  return `takes approvals only in the channel of the release${channel ? ` (<#${channel}>)` : ''}; this one came from ${where}.`;
}

function includes(principals: readonly Principal[], actor: Actor): boolean {
  return principals.some((p) => p === '*' || p === actor.userId || actor.groupIds.includes(p));
}

function listOf(principals: readonly Principal[]): string {
  if (principals.length === 0) return 'nobody';
  return principals.map((p) => (p === '*' ? 'anyone' : p)).join(', ');
}
