/** The release state machine: data, one pure total `decide`, step plans, approval policy, views. */
export {
  type Actor,
  type ApprovalPolicy,
  type ApprovalRule,
  type Authorization,
  approvalRuleOf,
  authorize,
  authorizeFreezeBypass,
  authorizeOrigin,
  type ClusterPolicy,
  DEFAULT_APPROVAL_POLICY,
  groupsOf,
  isOpenPolicy,
  MAX_QUORUM,
  type NamespacePolicy,
  type Origin,
  type Principal,
  RELEASE_CHANNEL_META,
  RELEASE_TEAM_META,
  type ReasonAction,
  type ReleaseAction,
  reasonRefusal,
  ruleFor,
  type UserKind,
  validateApprovalPolicy,
} from './approval-policy.js';
export { type Decision, decide, type Governance } from './decide.js';
export { UNREADABLE_TICKS_TO_ESCALATE } from './decide-analysis.js';
export { recordedTraffic, trafficOf } from './decide-bake.js';
export type {
  Effect,
  Outcome,
  RefusalReason,
  ReleaseAuditAction,
  ReleaseEvent,
} from './effects.js';
export { hostConfinementProblem } from './host-confinement.js';
export {
  type Fence,
  fenceAllows,
  fenceOf,
  type MeshTarget,
  meshTargetOf,
  ownerMark,
  parseOwnerMark,
} from './mesh-target.js';
export {
  type ApplyFailureCode,
  type JudgedVerdict,
  OBSERVATION_TYPES,
  type Observation,
  type PersonStop,
} from './observations.js';
export {
  type ActivePhase,
  FINAL_PHASES,
  type FinalPhase,
  type InterruptiblePhase,
  isFinal,
  PHASE_WORDS,
  PHASES,
  type Phase,
} from './phases.js';
export {
  isQuorum,
  type QuorumProgress,
  quorumProgress,
  quorumWords,
  SINGLE_APPROVAL,
} from './quorum.js';
export {
  type AnalysisWindow,
  type ApplyError,
  type Approval,
  type ApprovalRequest,
  type BakeReference,
  type BakeWindow,
  BOT_ACTOR,
  DEFAULT_RELEASE_OPTIONS,
  type DesiredMesh,
  type HeldApproval,
  type MatchRoute,
  type MirrorTarget,
  type OriginalRoute,
  type PauseInfo,
  type PauseReason,
  type Quorum,
  type RecordedTraffic,
  type Release,
  type ReleaseOptions,
  type ReleasePlan,
  type ReleaseTarget,
  type ReleaseVersion,
  type RollbackInfo,
  releaseRoutePrefix,
  type SourcePin,
  targetName,
  type UnjudgedKind,
} from './release.js';
export {
  InvalidApprovalPolicyError,
  type InvalidReleaseCode,
  InvalidReleaseError,
} from './release-errors.js';
export { clockTime, describePlan, formatSeconds, releaseEvents } from './release-events.js';
export { describeStep, stepLabel, stepName } from './release-steps.js';
export {
  availableActions,
  currentWeights,
  nextWeights,
  type ProgressSummary,
  summarizeProgress,
  weightsAfterStep,
} from './release-summary.js';
export {
  MAX_BAKE_SECONDS,
  MIN_BAKE_SECONDS,
  type ReleaseRequest,
  releaseOptions,
  startRelease,
} from './start-release.js';
export {
  buildPlan,
  canaryWeights,
  DEFAULT_CANARY_STEPS,
  describeMatch,
  describeWeightList,
  destinationName,
  MAX_CANARY_STEPS,
  type MeshShape,
  type PlanKind,
  type PlanRequest,
  parseCanarySteps,
  type Step,
  type StepFacts,
  stepFacts,
  successPhaseOf,
} from './step-plan.js';
