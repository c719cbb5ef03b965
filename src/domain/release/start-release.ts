/** Starting a release: from a command-like request to a release waiting for approval of its first step. */
import type { Effect } from './effects.js';
import {
  DEFAULT_RELEASE_OPTIONS,
  type OriginalRoute,
  type Release,
  type ReleaseOptions,
  type ReleaseTarget,
  type ReleaseVersion,
  type SourcePin,
} from './release.js';
import { InvalidReleaseError } from './release-errors.js';
import { releaseEvents } from './release-events.js';
import { describeStep } from './release-steps.js';
import { buildPlan, destinationName, type PlanRequest, sameDestination, validatePins } from './step-plan.js';

/** What starting a release needs; the app resolves versions to destinations and reads the original route. */
export interface ReleaseRequest {
  readonly target: ReleaseTarget;
  readonly baseline: ReleaseVersion;
  readonly canary: ReleaseVersion;
  readonly plan: PlanRequest;
  /** Slack user id of the person starting it. */
  readonly requestedBy: string;
  /** The owned route as read just now (`TrafficRouter.readRoute`): restored exactly on rollback. */
  readonly original: OriginalRoute;
  readonly options?: Partial<ReleaseOptions>;
  /** `--with frontend=v2`: services whose given version is pinned to the canary from the first step. */
  readonly withSources?: readonly SourcePin[];
  /** The app's own references (channel, thread...). */
  readonly meta?: Readonly<Record<string, string>>;
}

/** Ids become part of route names (`canary-bot-<id>-ab`); without dashes no prefix can cover another's. */
const releaseIdShape = /^[A-Za-z0-9]{1,40}$/;

/**
 * Builds a release waiting for approval of its first step, with the effects that announce it: a "New release"
 * event, the approval request (and its `Halt ... waiting for approval` event), the audit entry, a card.
 *
 * @example
 * const { release, effects } = startRelease({ target, baseline, canary, plan: { kind: 'canary', steps: [10, 50] },
 *   requestedBy: 'U1', original }, '2025-05-01T10:00:00Z', '01JABC');
 * // release.plan.steps: weights 10, 50, 100; release.phase: 'awaiting-approval'
 * @throws InvalidReleaseError with a sentence for the person who asked
 */
export function startRelease(
  request: ReleaseRequest,
  at: string,
  id: string,
): { release: Release; effects: Effect[] } {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms))
    throw new InvalidReleaseError('invalid-release', `"${at}" is not an ISO 8601 timestamp.`);
  if (!releaseIdShape.test(id))
    throw new InvalidReleaseError(
      'invalid-release',
      `A release id is 1 to 40 letters and digits, not "${id}".`,
    );
  validateTarget(request);
  const options = releaseOptions(request.options);
  const steps = buildPlan(request.plan, request);
  const pins = request.withSources ?? [];
  validatePins(pins, request.target.service, request.plan.kind);

  const now = new Date(ms).toISOString();
  const expiresAt = new Date(ms + options.approvalExpirySeconds * 1000).toISOString();
  const release: Release = {
    id,
    kind: request.plan.kind,
    target: request.target,
    baseline: request.baseline,
    canary: request.canary,
    plan: { steps },
    phase: 'awaiting-approval',
    currentStep: 0,
    version: 1,
    requestedBy: request.requestedBy,
    meta: { ...(request.meta ?? {}) },
    createdAt: now,
    updatedAt: now,
    phaseSince: now,
    original: request.original,
    desired: {
      revision: 0,
      weights: request.original.weights,
      routes: [],
      restore: false,
      checkDrift: true,
      requestedAt: now,
    },
    applied: true,
    confirmedWeights: request.original.weights,
    meshChanged: false,
    options,
    approvals: [],
    ...(pins.length > 0 ? { withSources: pins } : {}),
    approvalRequest: { step: 0, stateVersion: 1, requestedAt: now, expiresAt },
  };
  const effects: Effect[] = [
    { kind: 'event', ...releaseEvents.newRelease(release) },
    { kind: 'event', ...releaseEvents.waitingForApproval(release, 0) },
    { kind: 'request-approval', step: 0, stateVersion: 1, expiresAt, description: describeStep(release, 0) },
    {
      kind: 'audit',
      action: 'start',
      actor: request.requestedBy,
      at: now,
      step: 0,
      stateVersion: 1,
      detail: {
        kind: release.kind,
        baseline: request.baseline.version,
        canary: request.canary.version,
        steps: steps.map((_, i) => describeStep(release, i)),
        ...(pins.length > 0 ? { withSources: pins.map((p) => `${p.service}=${p.version}`) } : {}),
        options,
      },
    },
    { kind: 'notify' },
  ];
  return { release, effects };
}

/** The shortest and longest bake (`--bake 1m` .. `--bake 24h`). */
export const MIN_BAKE_SECONDS = 60;
export const MAX_BAKE_SECONDS = 86_400;

/**
 * Options with defaults filled in, validated.
 *
 * @example releaseOptions({ onFailure: 'pause' }).minAnalysisSeconds // 300
 * @throws InvalidReleaseError with code `invalid-options`
 */
export function releaseOptions(given: Partial<ReleaseOptions> = {}): ReleaseOptions {
  const options: ReleaseOptions = { ...DEFAULT_RELEASE_OPTIONS, ...definedOnly(given) };
  if (options.onFailure !== 'rollback' && options.onFailure !== 'pause')
    throw new InvalidReleaseError(
      'invalid-options',
      `On failure the release can roll back or pause, not "${options.onFailure}".`,
    );
  const seconds = [
    'minAnalysisSeconds',
    'maxAnalysisSeconds',
    'approvalExpirySeconds',
    'noTrafficAlertSeconds',
  ] as const;
  for (const name of seconds) {
    const value = options[name];
    if (!Number.isInteger(value) || value < 0 || (name !== 'minAnalysisSeconds' && value === 0))
      throw new InvalidReleaseError(
        'invalid-options',
        `${name} must be a whole number of seconds above 0, not ${value}.`,
      );
  }
  const bake = options.bakeSeconds ?? 0;
  if (!Number.isInteger(bake) || (bake !== 0 && (bake < MIN_BAKE_SECONDS || bake > MAX_BAKE_SECONDS)))
    throw new InvalidReleaseError(
      'invalid-options',
      `A bake lasts from 1 minute to 24 hours (or 0 for none), not ${bake} s.`,
    );
  if (options.maxAnalysisSeconds < options.minAnalysisSeconds)
    throw new InvalidReleaseError(
      'invalid-options',
      `The longest analysis (${options.maxAnalysisSeconds} s) cannot be shorter than the shortest (${options.minAnalysisSeconds} s).`,
    );
  return options;
}

function definedOnly(given: Partial<ReleaseOptions>): Partial<ReleaseOptions> {
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

function validateTarget(request: ReleaseRequest): void {
  const { target, baseline, canary } = request;
  for (const [what, value] of [
    ['namespace', target.namespace],
    ['service', target.service],
    ['route object (VirtualService or HTTPRoute)', target.virtualService],
    ['requester', request.requestedBy],
    ['baseline version', baseline.version],
    ['canary version', canary.version],
    ['baseline host', baseline.destination.host],
    ['canary host', canary.destination.host],
  ] as const) {
    if (typeof value !== 'string' || value.trim().length === 0)
      throw new InvalidReleaseError('invalid-release', `The ${what} is missing.`);
  }
  if (sameDestination(baseline.destination, canary.destination))
    throw new InvalidReleaseError(
      'invalid-release',
      `The canary and the baseline are the same destination (${destinationName(canary.destination)}).`,
    );
  if (request.original.weights.length === 0)
    throw new InvalidReleaseError('invalid-release', 'The original route has no destination to restore.');
}
