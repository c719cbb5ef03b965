/** Shared data for the release state machine tests: one service, two versions, verdicts, and a driver. */
import type { Verdict } from '../../src/domain/judge/index.js';
import {
  type Decision,
  decide,
  type Effect,
  type MeshTarget,
  meshTargetOf,
  type Observation,
  type PlanRequest,
  type Release,
  type ReleaseRequest,
  startRelease,
} from '../../src/domain/release/index.js';
import type { Destination } from '../../src/domain/routing/virtual-service.js';

export const T0 = '2025-05-01T10:00:00.000Z';

/** The time `seconds` after T0. */
export function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

export const v1: Destination = { host: 'reviews', subset: 'v1' };
export const v2: Destination = { host: 'reviews', subset: 'v2' };

/** The owned route before the release: everything to v1. */
export const originalRoute = { name: 'default', route: [{ destination: v1 }] };

export const REQUESTER = 'U0REQUESTER';
export const APPROVER = 'U0APPROVER';

/** A start request for reviews.bookinfo v1 -> v2. */
export function releaseRequest(
  plan: PlanRequest = { kind: 'canary' },
  extra: Partial<ReleaseRequest> = {},
): ReleaseRequest {
  return {
    target: {
      namespace: 'bookinfo',
      service: 'reviews',
      virtualService: 'reviews',
      route: { kind: 'default' },
    },
    baseline: { version: 'v1', destination: v1 },
    canary: { version: 'v2', destination: v2 },
    plan,
    requestedBy: REQUESTER,
    original: { route: originalRoute, weights: [{ destination: v1, weight: 100 }] },
    meta: { channel: 'C0RELEASES', thread: '1714557600.000100' },
    ...extra,
  };
}

/** A release started at T0 with id `R1` (or `id`). */
export function started(
  plan: PlanRequest = { kind: 'canary' },
  extra: Partial<ReleaseRequest> = {},
  id = 'R1',
): Release {
  return startRelease(releaseRequest(plan, extra), T0, id).release;
}

function verdict(
  kind: Verdict['verdict'],
  message: string,
  status: Verdict['reasons'][number]['status'],
): Verdict {
  return {
    verdict: kind,
    reasons: [{ check: kind === 'no-data' ? 'traffic' : 'errors-vs-baseline', status, message, figures: {} }],
  };
}

export const PASS = verdict(
  'pass',
  'canary error rate 0.1% (1/900) vs baseline 0.1% (9/9000): within tolerance',
  'pass',
);
export const FAIL = verdict(
  'fail',
  'canary error rate 4.8% (24/500) vs baseline 0.1% (3/3000): 99.99% sure it is worse than the tolerance',
  'fail',
);
export const INCONCLUSIVE = verdict(
  'inconclusive',
  'canary served 12 requests; not enough to judge yet',
  'pending',
);
export const NO_DATA = verdict(
  'no-data',
  'canary received no requests in the 2 min since the analysis started',
  'no-data',
);

/** Approval of whatever the release is waiting for, as the card's button would send it. */
export function approveNow(
  release: Release,
  seconds: number,
  actor = APPROVER,
): Extract<Observation, { type: 'approve' }> {
  return {
    type: 'approve',
    actor,
    at: at(seconds),
    step: release.currentStep,
    stateVersion: release.version,
  };
}

/** The mesh confirming the pending change. */
export function appliedNow(release: Release, seconds: number): Observation {
  return { type: 'applied', at: at(seconds), revision: release.desired.revision };
}

/** What a tick brings: a verdict (judged for the release's current analysis window), drift, or unreadable metrics. */
export interface TickExtra {
  verdict?: Verdict;
  drift?: string;
  unreadable?: string;
}

/** A tick as the release's writer builds it: a verdict names the analysis window it was computed for. */
export function tickOf(release: Release, seconds: number, extra: TickExtra = {}): Observation {
  const { verdict, ...rest } = extra;
  return {
    type: 'tick',
    at: at(seconds),
    ...rest,
    ...(verdict
      ? {
          verdict: {
            verdict,
            stateVersion: release.version,
            step: release.analysis?.step ?? release.currentStep,
            windowStartedAt: release.analysis?.startedAt ?? release.phaseSince,
          },
        }
      : {}),
  };
}

/** A tick for `drive`: computed from the release as it is at that point. */
export function tick(seconds: number, extra: TickExtra = {}): (r: Release) => Observation {
  return (r) => tickOf(r, seconds, extra);
}

/** A person's reject, rollback, pause, resume or cancel, naming the release's current state version. */
export function act(
  type: 'reject' | 'rollback' | 'pause' | 'resume' | 'cancel',
  seconds: number,
  actor: string,
  reason?: string,
): (r: Release) => Observation {
  return (r) => ({ type, actor, at: at(seconds), stateVersion: r.version, ...(reason ? { reason } : {}) });
}

/** Feeds observations one after the other (each may be computed from the release so far). */
export function drive(
  release: Release,
  ...steps: (Observation | ((r: Release) => Observation))[]
): { release: Release; decisions: Decision[] } {
  const decisions: Decision[] = [];
  let current = release;
  for (const step of steps) {
    const observation = typeof step === 'function' ? step(current) : step;
    const decision = decide(current, observation);
    decisions.push(decision);
    current = decision.next;
  }
  return { release: current, decisions };
}

/** The event messages of some decisions, in order. */
export function eventMessages(decisions: readonly { effects: readonly Effect[] }[]): string[] {
  return decisions.flatMap((d) =>
    d.effects.flatMap((e) => (e.kind === 'event' ? [`${e.type}: ${e.message}`] : [])),
  );
}

/** The mesh targets the decisions of a run asked to converge on (the release as each decision left it). */
export function meshTargets(decisions: readonly Decision[]): Omit<MeshTarget, 'fence' | 'routePrefix'>[] {
  return decisions.flatMap((d) =>
    d.effects.some((e) => e.kind === 'converge')
      ? [(({ fence: _fence, routePrefix: _prefix, ...rest }) => rest)(meshTargetOf(d.next))]
      : [],
  );
}

/** Approve at `seconds`, and the mesh applies the step 5 s later: the step's analysis begins. */
export function approveAndApply(seconds: number): ((r: Release) => Observation)[] {
  return [(r) => approveNow(r, seconds), (r) => appliedNow(r, seconds + 5)];
}

/** Approve, apply, then pass the analysis after the minimum time: one full step from `seconds` on. */
export function passStep(seconds: number): ((r: Release) => Observation)[] {
  return [...approveAndApply(seconds), tick(seconds + 5 + 300, { verdict: PASS })];
}
