/**
 * What a person's App Home tab shows, and which releases the "Roll back a release" shortcut offers: read
 * queries over the store, filtered by the approval policy so that nobody is offered a button that the
 * click path would refuse.
 */
import {
  type Actor,
  type ApprovalPolicy,
  type ApprovalRule,
  approvalRuleOf,
  authorize,
  authorizeOrigin,
  availableActions,
  type Release,
  type ReleaseAction,
  ruleFor,
} from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';

/** What a person may do to a release from the home tab (never `start`). */
export type HomeAction = Exclude<ReleaseAction, 'start'>;

/** A release on the home tab, with what the person may press there. */
export interface HomeRow {
  readonly release: Release;
  /** The actions the person may press from the home tab, in the card's order; none for a finished release. */
  readonly actions: readonly HomeAction[];
  /**
   * True when the person may approve this release, but only in its card's channel (the policy takes
   * approvals only there): the row links to the card instead of showing the button.
   */
  readonly approveOnCard: boolean;
  /** What the policy asks of the release's approvals: its buttons ask for a reason where the rule does. */
  readonly rule?: ApprovalRule;
}

/** The four sections of the home tab; a release appears in the first that holds it, and only there. */
export interface HomeContent {
  /** The person the tab is for (Slack user id). */
  readonly userId: string;
  /** Releases waiting for an approval the person may give, the longest waiting first. */
  readonly awaitingMyApproval: readonly HomeRow[];
  /** Active releases the person started, oldest first. */
  readonly mine: readonly HomeRow[];
  /** Other active releases in the namespaces where the person may approve, oldest first. */
  readonly inMyNamespaces: readonly HomeRow[];
  /** Releases of any namespace that ended since `recentSince`, the latest first, at most `recentLimit`. */
  readonly recentOutcomes: readonly HomeRow[];
  readonly recentSince: string;
  /** The cluster commands use when they name none: lines name the cluster only when it is another. */
  readonly defaultCluster?: string;
}

/** Options of {@link homeFor}. */
export interface HomeOptions {
  /** Recent outcomes listed (1 to 100); 10 when left out. */
  readonly recentLimit?: number;
  /** How far back recent outcomes go, in days (at most 31); 7 when left out. */
  readonly recentDays?: number;
}

/** The order of the card's buttons, and of a row's actions. */
const ACTION_ORDER: readonly HomeAction[] = ['approve', 'reject', 'pause', 'resume', 'rollback', 'cancel'];

/**
 * The person as a click on the home tab presents them: their workspace, but no channel (the home tab is
 * not a channel). `authorize` does not tie such a request to the card's channel; {@link homeRowOf} does.
 */
function fromHomeTab(actor: Actor): Actor {
  const { teamId, enterpriseId } = actor.origin ?? {};
  return {
    ...actor,
    origin: { ...(teamId ? { teamId } : {}), ...(enterpriseId ? { enterpriseId } : {}) },
  };
}

/** Whether an action goes forward as an approval does: approve, reject, and a resume over a halt the bot raised. */
function isApprovalLike(action: HomeAction, release: Release): boolean {
  if (action === 'approve' || action === 'reject') return true;
  return (
    action === 'resume' && release.phase === 'paused' && (release.pause?.reason ?? 'manual') !== 'manual'
  );
}

/**
 * A release as a row of the home tab for `actor`: the actions the release accepts now and the policy allows.
 * A home-tab click does not happen in the card's channel, so approval-like actions (approve, reject, a resume
 * over a halt) are offered only where the policy takes approvals from any channel; where the person could
 * approve in the card's channel instead, `approveOnCard` says so.
 *
 * @example homeRowOf(release, { userId: 'U1', groupIds: [] }, policy) // { release, actions: ['pause', 'rollback', 'cancel'], approveOnCard: true }
 */
export function homeRowOf(release: Release, actor: Actor, policy: ApprovalPolicy): HomeRow {
  const home = fromHomeTab(actor);
  const anyChannel = ruleFor(policy, release.target.namespace, release.meta.cluster).rule
    .approveFromAnyChannel;
  const accepted = new Set<string>(availableActions(release));
  const allowed = (action: HomeAction) =>
    accepted.has(action) &&
    (action !== 'approve' || release.approvalRequest !== undefined) &&
    authorize(action, home, release, policy).allowed;
  const actions = ACTION_ORDER.filter(
    (action) => allowed(action) && (anyChannel === true || !isApprovalLike(action, release)),
  );
  return {
    release,
    actions,
    approveOnCard: anyChannel !== true && allowed('approve'),
    rule: approvalRuleOf(policy, release),
  };
}

function mayApproveIn(release: Release, actor: Actor, policy: ApprovalPolicy): boolean {
  const subject = {
    namespace: release.target.namespace,
    ...(release.meta.cluster !== undefined ? { cluster: release.meta.cluster } : {}),
  };
  return authorize('approve', fromHomeTab(actor), subject, policy).allowed;
}

/**
 * Whether `actor` may see a release outside its card (an outcome on their home tab, a link preview): its
 * rule lets their workspace and kind in, and they started it or may start or approve in its namespace.
 *
 * @example maySee(release, { userId: 'U1', groupIds: [], kind: 'guest' }, policy) // false unless the rule allows guests
 */
export function maySee(release: Release, actor: Actor, policy: ApprovalPolicy): boolean {
  const subject = {
    namespace: release.target.namespace,
    ...(release.meta.cluster !== undefined ? { cluster: release.meta.cluster } : {}),
  };
  const found = ruleFor(policy, subject.namespace, subject.cluster);
  if (!authorizeOrigin(actor, policy, found).allowed) return false;
  return (
    release.requestedBy === actor.userId ||
    authorize('start', actor, subject, policy).allowed ||
    authorize('approve', fromHomeTab(actor), subject, policy).allowed
  );
}

function waitingSince(release: Release): string {
  return release.approvalRequest?.requestedAt ?? release.phaseSince;
}

/**
 * The home tab of `actor`: approvals waiting for them, their own active releases, the other active releases
 * of the namespaces where they may approve, and what ended recently. Reads the active releases once and the
 * recently finished ones once (bounded by `recentLimit` and `recentDays`).
 *
 * @example
 * const content = await homeFor(deps, { userId: 'U024BE7LH', groupIds: ['S0PLATFORM'], origin: { teamId: 'T0001' } });
 * await views.publish('U024BE7LH', homeTab(content, { page: 0, now: new Date(), newReleaseButton: true }));
 */
export async function homeFor(
  deps: Pick<ReleaseDependencies, 'store' | 'policy' | 'clock' | 'defaultCluster'>,
  actor: Actor,
  options: HomeOptions = {},
): Promise<HomeContent> {
  const recentLimit = options.recentLimit ?? 10;
  const recentDays = options.recentDays ?? 7;
  const recentSince = new Date(deps.clock().getTime() - recentDays * 86_400_000).toISOString();
  const active = await deps.store.listActive();
  // Outcomes the person may not see are left out after the read: read more than are shown.
  const ended = await deps.store.recentlyFinished(Math.min(100, recentLimit * 5), recentSince);
  const awaitingMyApproval: HomeRow[] = [];
  const mine: HomeRow[] = [];
  const inMyNamespaces: HomeRow[] = [];
  for (const { state: release } of active) {
    const row = homeRowOf(release, actor, deps.policy);
    const waitsForMe =
      release.phase === 'awaiting-approval' && (row.actions.includes('approve') || row.approveOnCard);
    if (waitsForMe) awaitingMyApproval.push(row);
    else if (release.requestedBy === actor.userId) mine.push(row);
    else if (mayApproveIn(release, actor, deps.policy)) inMyNamespaces.push(row);
  }
  awaitingMyApproval.sort((a, b) => waitingSince(a.release).localeCompare(waitingSince(b.release)));
  return {
    userId: actor.userId,
    awaitingMyApproval,
    mine,
    inMyNamespaces,
    recentOutcomes: ended
      .filter(({ state }) => maySee(state, actor, deps.policy))
      .slice(0, recentLimit)
      .map(({ state }) => ({ release: state, actions: [], approveOnCard: false })),
    recentSince,
    ...(deps.defaultCluster !== undefined ? { defaultCluster: deps.defaultCluster } : {}),
  };
}

/**
 * The active releases `actor` may roll back now (the release accepts it and the policy allows it), the
 * latest started first: what the "Roll back a release" shortcut offers.
 *
 * @example const releases = await rollbackChoices(deps, { userId: 'U1', groupIds: [], origin: { teamId: 'T1', channelId: 'C1' } });
 */
export async function rollbackChoices(
  deps: Pick<ReleaseDependencies, 'store' | 'policy'>,
  actor: Actor,
): Promise<Release[]> {
  return (await deps.store.listActive())
    .map(({ state }) => state)
    .filter(
      (release) =>
        availableActions(release).includes('rollback') &&
        authorize('rollback', actor, release, deps.policy).allowed,
    )
    .reverse();
}
