/**
 * Step plans. A plan is a list of steps; a step is exactly one of a few kinds (as in Argo Rollouts), and
 * everything that depends on the kind — what it changes in the mesh, whether it is analysed, how it reads —
 * comes from one switch, {@link stepFacts}.
 */
import type { RequestMatch } from '../routing/route-math.js';
import type { Destination, WeightedDestination } from '../routing/virtual-service.js';
import { isDnsLabel, isHeaderName, isLabelValue, regexProblem } from '../validation/index.js';
import type { MatchRoute, MirrorTarget, ReleaseVersion, SourcePin } from './release.js';
import { InvalidReleaseError } from './release-errors.js';

/** The kinds of release. */
export type PlanKind = 'canary' | 'blue-green' | 'ab' | 'mirror' | 'weights';

/** One step of a plan. */
export type Step =
  /** Send `canaryWeight` % to the canary, the rest to the baseline. */
  | { readonly kind: 'set-weight'; readonly canaryWeight: number }
  /** Send everything to the canary at once (blue/green); the baseline stays in the route at 0 for a fast switch-back. */
  | { readonly kind: 'switch' }
  /** Send requests that match to the canary (A/B). */
  | { readonly kind: 'set-match'; readonly matches: readonly RequestMatch[] }
  /** Mirror `percent` % of the owned route's requests to the canary (shadow traffic). */
  | { readonly kind: 'set-mirror'; readonly percent: number }
  /** Stop mirroring. Nothing to analyse afterwards. */
  | { readonly kind: 'end-mirror' }
  /** Set weights chosen by hand. */
  | { readonly kind: 'set-weights'; readonly weights: readonly WeightedDestination[] };

/** What a person asks for; {@link buildPlan} turns it into steps. */
export type PlanRequest =
  | { readonly kind: 'canary'; readonly steps?: readonly number[] }
  | { readonly kind: 'blue-green' }
  | { readonly kind: 'ab'; readonly matches: readonly RequestMatch[] }
  | { readonly kind: 'mirror'; readonly percent?: number }
  | { readonly kind: 'weights'; readonly weights: readonly WeightedDestination[] };

/** `--steps` when none is given. */
export const DEFAULT_CANARY_STEPS: readonly number[] = [10, 25, 50, 100];

/** A canary has at most this many steps (each needs an approval and a line on the card). */
export const MAX_CANARY_STEPS = 20;

/** The mesh as a step leaves it. */
export interface MeshShape {
  readonly weights: readonly WeightedDestination[];
  readonly routes: readonly MatchRoute[];
  readonly mirror?: MirrorTarget;
}

/** What a step's facts are computed from. */
export interface StepContext {
  readonly baseline: ReleaseVersion;
  readonly canary: ReleaseVersion;
  /** `canary-bot-<releaseId>-`. */
  readonly routePrefix: string;
}

/** Everything that depends on a step's kind. */
export interface StepFacts {
  /** What approving the step does, e.g. `canary weight 25`. */
  readonly description: string;
  /** Whether the step is judged before the release moves on. */
  readonly analysed: boolean;
  /** Whether the step sends all live traffic to the canary (its approval is a promotion approval). */
  readonly sendsAllTraffic: boolean;
  /** The mesh after the step, from the mesh before it. */
  readonly apply: (current: MeshShape) => MeshShape;
}

/**
 * The facts of one step: the single switch over step kinds.
 *
 * @example
 * stepFacts({ kind: 'set-weight', canaryWeight: 25 }, context).description // 'canary weight 25'
 */
export function stepFacts(step: Step, context: StepContext): StepFacts {
  const { baseline, canary, routePrefix } = context;
  const canaryName = destinationName(canary.destination);
  switch (step.kind) {
    case 'set-weight': {
      const weights = [
        { destination: baseline.destination, weight: 100 - step.canaryWeight },
        { destination: canary.destination, weight: step.canaryWeight },
      ];
      return {
        description: `canary weight ${step.canaryWeight}`,
        analysed: true,
        sendsAllTraffic: step.canaryWeight === 100,
        apply: (current) => ({ ...current, weights }),
      };
    }
    case 'switch': {
      const weights = [
        { destination: baseline.destination, weight: 0 },
        { destination: canary.destination, weight: 100 },
      ];
      return {
        description: `switch all traffic to ${canaryName}`,
        analysed: true,
        sendsAllTraffic: true,
        apply: (current) => ({ ...current, weights }),
      };
    }
    case 'set-match': {
      const route: MatchRoute = {
        name: `${routePrefix}ab`,
        matches: step.matches,
        destination: canary.destination,
      };
      return {
        description: `route requests with ${step.matches.map(describeMatch).join(' or ')} to ${canaryName}`,
        analysed: true,
        sendsAllTraffic: false,
        apply: (current) => ({
          ...current,
          routes: [...current.routes.filter((r) => r.name !== route.name), route],
        }),
      };
    }
    case 'set-mirror': {
      const mirror: MirrorTarget = { destination: canary.destination, percent: step.percent };
      return {
        description: `mirror ${step.percent}% of traffic to ${canaryName}`,
        analysed: true,
        sendsAllTraffic: false,
        apply: (current) => ({ ...current, mirror }),
      };
    }
    case 'end-mirror':
      return {
        description: `stop mirroring traffic to ${canaryName}`,
        analysed: false,
        sendsAllTraffic: false,
        apply: (current) => {
          const { mirror: _mirror, ...rest } = current;
          return rest;
        },
      };
    case 'set-weights':
      return {
        description: `weights ${describeWeightList(step.weights)}`,
        analysed: true,
        sendsAllTraffic: false,
        apply: (current) => ({ ...current, weights: step.weights }),
      };
    default:
      return unknownStep(step);
  }
}

function unknownStep(step: never): never {
  throw new InvalidReleaseError('invalid-release', `Unknown step kind in ${JSON.stringify(step)}.`);
}

/** The final phase a plan kind reaches when everything passes. */
export function successPhaseOf(kind: PlanKind): 'promoted' | 'completed' {
  switch (kind) {
    case 'canary':
    case 'blue-green':
    case 'ab':
      return 'promoted';
    case 'mirror':
    case 'weights':
      return 'completed';
    default:
      return kind satisfies never;
  }
}

/**
 * Validates canary weights: whole numbers from 1 to 100, strictly increasing, at most
 * {@link MAX_CANARY_STEPS}; 100 is appended when missing.
 *
 * @example canaryWeights([10, 50]) // [10, 50, 100]
 * @throws InvalidReleaseError with code `invalid-steps`
 */
export function canaryWeights(weights: readonly number[]): number[] {
  if (weights.length === 0)
    throw new InvalidReleaseError(
      'invalid-steps',
      'Give at least one canary weight, e.g. --steps 10,25,50,100.',
    );
  weights.forEach((weight, i) => {
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      throw new InvalidReleaseError(
        'invalid-steps',
        `Canary weights are whole percentages from 1 to 100; ${weight} is not one.`,
      );
    }
    const before = weights[i - 1];
    if (before !== undefined && weight <= before) {
      throw new InvalidReleaseError(
        'invalid-steps',
        `Canary weights must increase at every step; ${weight} comes after ${before}.`,
      );
    }
  });
  const complete = weights.at(-1) === 100 ? [...weights] : [...weights, 100];
  if (complete.length > MAX_CANARY_STEPS) {
    throw new InvalidReleaseError(
      'invalid-steps',
      `A canary has at most ${MAX_CANARY_STEPS} steps; ${complete.length} were given.`,
    );
  }
  return complete;
}

/**
 * Parses `--steps 10,25,50` (commas and/or spaces) and validates it like {@link canaryWeights}.
 *
 * @example parseCanarySteps('10, 25,50') // [10, 25, 50, 100]
 * @throws InvalidReleaseError with code `invalid-steps`
 */
export function parseCanarySteps(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((part) => part.length > 0);
  const numbers = parts.map((part) => {
    if (!/^\d+$/.test(part)) {
      throw new InvalidReleaseError(
        'invalid-steps',
        `Canary weights are whole percentages from 1 to 100; "${part}" is not one.`,
      );
    }
    return Number(part);
  });
  return canaryWeights(numbers);
}

/**
 * The steps of a plan, validated.
 *
 * - canary: one `set-weight` per weight (default 10, 25, 50, 100).
 * - blue-green: one `switch`.
 * - ab: `set-match`, then a `switch` that promotes (the person approves it, or cancels to end the test).
 * - mirror: `set-mirror` (default 100 %), then `end-mirror`.
 * - weights: one `set-weights`.
 *
 * @throws InvalidReleaseError
 */
export function buildPlan(request: PlanRequest, versions: Pick<StepContext, 'baseline' | 'canary'>): Step[] {
  switch (request.kind) {
    case 'canary':
      return canaryWeights(request.steps ?? DEFAULT_CANARY_STEPS).map((canaryWeight) => ({
        kind: 'set-weight',
        canaryWeight,
      }));
    case 'blue-green':
      return [{ kind: 'switch' }];
    case 'ab':
      validateMatches(request.matches);
      return [{ kind: 'set-match', matches: request.matches }, { kind: 'switch' }];
    case 'mirror': {
      const percent = request.percent ?? 100;
      if (!(Number.isFinite(percent) && percent > 0 && percent <= 100)) {
        throw new InvalidReleaseError(
          'invalid-mirror',
          `The mirror percentage must be above 0 and at most 100, not ${percent}.`,
        );
      }
      return [{ kind: 'set-mirror', percent }, { kind: 'end-mirror' }];
    }
    case 'weights':
      validateManualWeights(request.weights, versions.canary);
      return [{ kind: 'set-weights', weights: request.weights }];
    default:
      return request satisfies never;
  }
}

function validateManualWeights(weights: readonly WeightedDestination[], canary: ReleaseVersion): void {
  if (weights.length === 0)
    throw new InvalidReleaseError('invalid-weights', 'Give the weights, e.g. v1=90 v2=10.');
  for (const w of weights) {
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 100) {
      throw new InvalidReleaseError(
        'invalid-weights',
        `Weights are whole percentages from 0 to 100; ${destinationName(w.destination)}=${w.weight} is not.`,
      );
    }
  }
  const total = weights.reduce((sum, w) => sum + w.weight, 0);
  if (total !== 100)
    throw new InvalidReleaseError(
      'invalid-weights',
      `Weights must add up to 100, not ${total} (${describeWeightList(weights)}).`,
    );
  weights.forEach((w, i) => {
    if (weights.findIndex((o) => sameDestination(o.destination, w.destination)) !== i)
      throw new InvalidReleaseError('invalid-weights', `${destinationName(w.destination)} is listed twice.`);
  });
  if (!weights.some((w) => sameDestination(w.destination, canary.destination) && w.weight > 0)) {
    throw new InvalidReleaseError(
      'invalid-weights',
      `The weights give nothing to ${destinationName(canary.destination)}, the version being released.`,
    );
  }
}

export function validateMatches(matches: readonly RequestMatch[]): void {
  if (matches.length === 0)
    throw new InvalidReleaseError(
      'invalid-match',
      'An A/B release needs a header, cookie or user agent to match, e.g. --header end-user=jason.',
    );
  for (const match of matches) {
    switch (match.kind) {
      case 'header': {
        if (!isHeaderName(match.name))
          throw new InvalidReleaseError('invalid-match', `"${match.name}" is not a valid header name.`);
        const [how, value] = Object.entries(match.match)[0] ?? ['exact', ''];
        if (typeof value !== 'string' || value.length === 0)
          throw new InvalidReleaseError(
            'invalid-match',
            `The value to match in header ${match.name} is empty.`,
          );
        if (how === 'regex') checkRegex(value, `header ${match.name}`);
        break;
      }
      case 'cookie':
        checkRegex(match.regex, 'cookie');
        break;
      case 'user-agent':
        checkRegex(match.regex, 'user agent');
        break;
      case 'source':
        if (Object.keys(match.labels).length === 0)
          throw new InvalidReleaseError('invalid-match', 'A source match needs at least one label.');
        break;
      default:
        match satisfies never;
    }
  }
}

// RE2's own rules: what Istio's webhook and Envoy accept, nothing else.
function checkRegex(regex: string, what: string): void {
  const problem = regexProblem(regex, what);
  if (problem) throw new InvalidReleaseError('invalid-match', problem);
}

/**
 * Validates `--with` pins: distinct services (not the released one), valid label values.
 *
 * @throws InvalidReleaseError with code `invalid-pins`
 */
export function validatePins(pins: readonly SourcePin[], releasedService: string, kind: PlanKind): void {
  if (pins.length === 0) return;
  if (kind === 'mirror' || kind === 'weights') {
    throw new InvalidReleaseError(
      'invalid-pins',
      `--with pins route live requests to the canary, which a ${kind} release does not do.`,
    );
  }
  pins.forEach((pin, i) => {
    if (!isDnsLabel(pin.service))
      throw new InvalidReleaseError('invalid-pins', `"${pin.service}" is not a service name.`);
    if (!isLabelValue(pin.version))
      throw new InvalidReleaseError('invalid-pins', `"${pin.version}" is not a version label value.`);
    if (pin.service === releasedService)
      throw new InvalidReleaseError(
        'invalid-pins',
        `${pin.service} is the service being released; pin other services.`,
      );
    if (pins.findIndex((o) => o.service === pin.service) !== i)
      throw new InvalidReleaseError('invalid-pins', `${pin.service} is pinned twice.`);
  });
}

/** The route that pins requests from `pin.service` at `pin.version` to the canary (Istio `sourceLabels`). */
export function pinRoute(pin: SourcePin, routePrefix: string, canary: Destination): MatchRoute {
  return {
    name: `${routePrefix}pin-${pin.service}`,
    matches: [{ kind: 'source', labels: { app: pin.service, version: pin.version } }],
    destination: canary,
  };
}

/** `reviews/v2` for a subset destination, `apps-svc-v2` for a host destination. */
export function destinationName(destination: Destination): string {
  return destination.subset ? `${destination.host}/${destination.subset}` : destination.host;
}

/** `reviews/v1=90, reviews/v2=10`. */
export function describeWeightList(weights: readonly WeightedDestination[]): string {
  return weights.map((w) => `${destinationName(w.destination)}=${w.weight}`).join(', ');
}

/** Same host, subset and port. */
export function sameDestination(a: Destination, b: Destination): boolean {
  return (
    a.host === b.host &&
    (a.subset ?? '') === (b.subset ?? '') &&
    (a.port?.number ?? 0) === (b.port?.number ?? 0)
  );
}

// Istio's documented cookie regex, and the bot's, which also takes the space browsers put after ';'.
const cookieRegexShape = /^\^\(\.\*\?;(?:\\s\*)?\)\?\((.*)\)\(;\.\*\)\?\$$/;

/**
 * A request match in words.
 *
 * @example describeMatch({ kind: 'header', name: 'end-user', match: { exact: 'jason' } }) // 'header end-user=jason'
 */
export function describeMatch(match: RequestMatch): string {
  switch (match.kind) {
    case 'header': {
      const [how, value] = Object.entries(match.match)[0] ?? ['exact', ''];
      if (how === 'exact') return `header ${match.name}=${value}`;
      if (how === 'prefix') return `header ${match.name} starting with ${value}`;
      return `header ${match.name} matching /${value}/`;
    }
    case 'cookie': {
      // Cookies built with Istio's documented regex read back as `name=value`.
      const plain = cookieRegexShape.exec(match.regex)?.[1];
      return plain !== undefined
        ? `cookie ${plain.replace(/\\(.)/g, '$1')}`
        : `cookie matching /${match.regex}/`;
    }
    case 'user-agent':
      return `user agent matching /${match.regex}/`;
    case 'source':
      return `requests from ${Object.entries(match.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`;
    default:
      return match satisfies never;
  }
}
