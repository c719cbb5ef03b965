/**
 * A release as data: everything `decide` needs, JSON-serialisable, so the store can keep it as is.
 * Times are ISO 8601 strings that come in through observations; the domain never reads a clock.
 */
import type { FreezeNote } from '../governance/freeze-note.js';
import type { Verdict } from '../judge/verdict.js';
import type { RequestMatch } from '../routing/route-math.js';
import type { Destination, RouteSelector, WeightedDestination } from '../routing/virtual-service.js';
import type { InterruptiblePhase, Phase } from './phases.js';
import type { PlanKind, Step } from './step-plan.js';

/** The route a release drives: of a VirtualService, or of an HTTPRoute (`api`). */
export interface ReleaseTarget {
  readonly namespace: string;
  /** The service being released (`reviews`); with the namespace it names the release: `reviews.bookinfo`. */
  readonly service: string;
  /** Name of the route object: the VirtualService, or the HTTPRoute when `api` says so. */
  readonly virtualService: string;
  /** The route of it the release owns. */
  readonly route: RouteSelector;
  /** Set only for an HTTPRoute; left out for a VirtualService (as in every release recorded before). */
  readonly api?: 'HTTPRoute';
}

/** A version and where its traffic goes: `{host:'reviews', subset:'v2'}` or `{host:'apps-svc-v2'}`. */
export interface ReleaseVersion {
  readonly version: string;
  readonly destination: Destination;
}

/** `--with frontend=v2`: requests from `frontend` pods labelled `version: v2` go to the canary. */
export interface SourcePin {
  readonly service: string;
  readonly version: string;
}

/** How a release behaves; see {@link DEFAULT_RELEASE_OPTIONS}. */
export interface ReleaseOptions {
  /** What a failing verdict does: restore the original route, or halt for a person. */
  readonly onFailure: 'rollback' | 'pause';
  /** A step passes no sooner than this after it went live, however good the verdict. */
  readonly minAnalysisSeconds: number;
  /** After this, an inconclusive (or no-data) analysis stops waiting and asks a person. */
  readonly maxAnalysisSeconds: number;
  /** An approval request expires after this; a click on an expired one asks again. */
  readonly approvalExpirySeconds: number;
  /** No-data verdicts for this long raise one Warning per step. */
  readonly noTrafficAlertSeconds: number;
  /**
   * After the last step passes, the canary keeps being judged for this long against the baseline figures
   * recorded before 100% before the release is promoted (`--bake 30m`); none or 0: no bake.
   */
  readonly bakeSeconds?: number;
}

/** Defaults: roll back on failure, analyse each step 5 to 30 minutes, approvals valid for an hour. */
export const DEFAULT_RELEASE_OPTIONS: ReleaseOptions = {
  onFailure: 'rollback',
  minAnalysisSeconds: 300,
  maxAnalysisSeconds: 1800,
  approvalExpirySeconds: 3600,
  noTrafficAlertSeconds: 300,
};

/** The owned route as it was before the release changed anything: restored exactly on rollback. */
export interface OriginalRoute {
  /** The `spec.http[]` entry as read (opaque to the domain), e.g. `RouteSnapshot.route`. */
  readonly route: unknown;
  /** Its weights, as read (`RouteSnapshot.weights`): the reference the first change is checked against. */
  readonly weights: readonly WeightedDestination[];
  /**
   * The route's owner mark as read (`RouteSnapshot.owner`): the release that wrote it last, if any. The
   * release's first write requires it unchanged, so a late write of an earlier release cannot interleave.
   */
  readonly owner?: string;
}

/** A route the release adds in front of its owned route (A/B match or source pin). */
export interface MatchRoute {
  /** Starts with `canary-bot-<releaseId>-`, so that restore can find and remove it. */
  readonly name: string;
  readonly matches: readonly RequestMatch[];
  readonly destination: Destination;
}

/** Mirroring of the owned route. */
export interface MirrorTarget {
  readonly destination: Destination;
  readonly percent: number;
}

/**
 * The mesh as the release wants it now. The app converges the route on it (see `meshTargetOf`): the write
 * is computed from the stored release when it runs, never replayed from an earlier decision.
 */
export interface DesiredMesh {
  /** +1 each time a new mesh state is requested; `converge`, `applied` and `apply-failed` name it. */
  readonly revision: number;
  /** Weights of the owned route (the original weights when `restore`). */
  readonly weights: readonly WeightedDestination[];
  /** The release's own routes in front of the owned route, in this order; any other of its routes goes. */
  readonly routes: readonly MatchRoute[];
  readonly mirror?: MirrorTarget;
  /** The owned route goes back to `original.route` exactly (a rollback or a cancellation). */
  readonly restore: boolean;
  /**
   * The live owned route must still hold `confirmedWeights` (or already the target): a route changed by hand
   * is reported as drift, never overwritten. False when a person explicitly asked to overwrite.
   */
  readonly checkDrift: boolean;
  /** When this state was requested. */
  readonly requestedAt: string;
}

/** An approval as given: explicit, attributed, tied to one step and one state version. */
export interface Approval {
  /** Slack user id. */
  readonly actor: string;
  readonly at: string;
  /** Index of the approved step (`plan.steps.length` = the completion). */
  readonly step: number;
  /** The `version` of the release the person saw. */
  readonly stateVersion: number;
  /** What the person saw: the verdict on the card (or the last verdict recorded). */
  readonly seen?: Verdict;
  /** Why, when the person gave a reason (the policy's `reasons` may require one). */
  readonly reason?: string;
  /** The quorum's required group (`S…`) when the approver is in it. */
  readonly fromGroup?: string;
}

/** A step's quorum: this many distinct approvers, at least one of them in `oneFrom` (a user group). */
export interface Quorum {
  readonly approvals: number;
  readonly oneFrom?: string;
}

/** An open approval request. */
export interface ApprovalRequest {
  readonly step: number;
  readonly stateVersion: number;
  readonly requestedAt: string;
  readonly expiresAt: string;
  /** Set when the analysis ended without a verdict: the person approves without evidence. */
  readonly unjudged?: UnjudgedKind;
  /** The tick posted this request again after an earlier one expired (it does so once). */
  readonly renewed?: boolean;
  /**
   * Approvals counted so far towards a quorum (distinct people, each with the state version they saw);
   * they go with the request: a new or renewed request starts from none.
   */
  readonly votes?: readonly Approval[];
  /** The quorum the votes count towards (as the policy said at the last vote). */
  readonly quorum?: Quorum;
}

/**
 * Why a step is approved without a verdict: the judge stayed inconclusive, the canary had no traffic, or
 * the metrics could not be read at all (Prometheus unreachable, unauthorized, a bad query).
 */
export type UnjudgedKind = 'inconclusive' | 'no-data' | 'unreadable';

/** The analysis of the step that is live. */
export interface AnalysisWindow {
  readonly step: number;
  /** Start of the window: the judge counts requests since then. */
  readonly startedAt: string;
  /** Start of the current run of no-data verdicts. */
  readonly noDataSince?: string;
  /** The no-traffic Warning was raised in this window (once per window). */
  readonly noTrafficWarned: boolean;
  /** Start of the current run of ticks whose metrics could not be read, and why (the latest reason). */
  readonly unreadableSince?: string;
  readonly unreadableTicks?: number;
  readonly unreadableReason?: string;
}

/** The baseline's figures from the last analysis before 100%: what a bake compares the canary with. */
export interface BakeReference {
  /** The step whose analysis they were read in, and when. */
  readonly step: number;
  readonly at: string;
  /** The baseline's traffic over that analysis window (requests, errors, latency buckets). */
  readonly baseline: RecordedTraffic;
}

/**
 * A version's traffic as the store keeps it: JSON has no Infinity, so the `+Inf` latency bucket is kept
 * apart (`latencyTotal`) and `latency` holds the finite boundaries only. See `recordedTraffic`.
 */
export interface RecordedTraffic {
  readonly requests: number;
  readonly errors: number;
  readonly latency?: readonly { readonly le: number; readonly count: number }[];
  readonly latencyTotal?: number;
}

/** The watch after the last step (see `ReleaseOptions.bakeSeconds`). */
export interface BakeWindow {
  readonly startedAt: string;
  /** The release is promoted at the first tick from then on, if nothing failed. */
  readonly until: string;
  /** Set when the bake is over: passed, or ended without evidence (a person then approves the promotion). */
  readonly outcome?: 'passed' | 'unjudged';
}

/** Why a release is paused. */
export type PauseReason = 'manual' | 'drift' | 'failed-analysis' | 'apply-failed';

/** A halt: who or what, why, and the phase a resume returns to. */
export interface PauseInfo {
  readonly reason: PauseReason;
  readonly from: InterruptiblePhase;
  readonly at: string;
  /** Slack user id, or `canary-bot`. */
  readonly actor: string;
  /** A sentence: what happened. */
  readonly detail: string;
}

/** A rollback under way and what the release ends as once the original route is back. */
export interface RollbackInfo {
  readonly endAs: 'rolled-back' | 'cancelled' | 'failed';
  readonly actor: string;
  readonly at: string;
  readonly reason: string;
}

/** The last failure of a mesh change. */
export interface ApplyError {
  readonly at: string;
  readonly revision: number;
  readonly code: string;
  readonly message: string;
}

/** The plan: a list of steps, each exactly one kind; progress is `Release.currentStep`. */
export interface ReleasePlan {
  readonly steps: readonly Step[];
}

/** A release. Change it only through `decide`. */
export interface Release {
  /** 1 to 40 letters and digits (it is part of route names). */
  readonly id: string;
  readonly kind: PlanKind;
  readonly target: ReleaseTarget;
  readonly baseline: ReleaseVersion;
  readonly canary: ReleaseVersion;
  readonly plan: ReleasePlan;
  readonly phase: Phase;
  /** Index into `plan.steps`; `plan.steps.length` while waiting for approval of the completion. */
  readonly currentStep: number;
  /** State version: 1 at start, +1 on every change; approvals name it. */
  readonly version: number;
  /** Slack user id of the person who started the release. */
  readonly requestedBy: string;
  /** The app's own references (channel, thread...), never read by the domain. */
  readonly meta: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the current phase began. */
  readonly phaseSince: string;
  readonly finishedAt?: string;
  readonly original: OriginalRoute;
  readonly desired: DesiredMesh;
  /** True when `desired` is confirmed in the mesh. */
  readonly applied: boolean;
  /** Weights last confirmed in the mesh: what automatic changes expect to find (drift check). */
  readonly confirmedWeights: readonly WeightedDestination[];
  /** True once a mesh change was requested: from then on, stopping means restoring the original route. */
  readonly meshChanged: boolean;
  readonly lastVerdict?: Verdict;
  readonly options: ReleaseOptions;
  readonly approvals: readonly Approval[];
  readonly withSources?: readonly SourcePin[];
  readonly approvalRequest?: ApprovalRequest;
  readonly analysis?: AnalysisWindow;
  readonly pause?: PauseInfo;
  readonly rollback?: RollbackInfo;
  readonly applyError?: ApplyError;
  /** A sentence saying how the release ended (set in final phases). */
  readonly summary?: string;
  /** The baseline figures recorded for a bake (kept from the last analysis before 100%; only with a bake). */
  readonly bakeReference?: BakeReference;
  /** The bake, once it started. */
  readonly bake?: BakeWindow;
  /** The freeze holding the release's promotions, as the last tick or action saw it (governance). */
  readonly freeze?: FreezeNote;
  /**
   * An approval clicked during a freeze: applied by the first tick after the freeze ends, if its request
   * has not expired by then (otherwise dropped, and said so).
   */
  readonly heldApproval?: HeldApproval;
}

/** An approval given during a freeze, kept until the freeze ends. */
export interface HeldApproval extends Approval {
  /** Where it came from (`channel`, `team`, `enterprise`). */
  readonly origin?: Readonly<Record<string, string>>;
  /** The quorum it completes (see {@link ApprovalRequest.votes}), checked again when it is applied. */
  readonly quorum?: Quorum;
}

/** Actor of automatic decisions in events and the audit trail. */
export const BOT_ACTOR = 'canary-bot';

/**
 * Prefix of the names of every route a release adds; restore removes routes by it.
 *
 * @example releaseRoutePrefix('01J2ABC') // 'canary-bot-01J2ABC-'
 */
export function releaseRoutePrefix(releaseId: string): string {
  return `canary-bot-${releaseId}-`;
}

/** `reviews.bookinfo`: Flagger's `name.namespace`. */
export function targetName(release: Pick<Release, 'target'>): string {
  return `${release.target.service}.${release.target.namespace}`;
}
