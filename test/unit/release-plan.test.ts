import {
  buildPlan,
  canaryWeights,
  describeMatch,
  InvalidReleaseError,
  parseCanarySteps,
  releaseOptions,
  startRelease,
} from '../../src/domain/release/index.js';
import { cookieRegex } from '../../src/domain/routing/route-math.js';
import type { Destination } from '../../src/domain/routing/virtual-service.js';
import { releaseRequest, T0, v1, v2 } from './release-fixtures.js';

/** A plan of manual weights, from `[destination, weight]` pairs. */
const weightsPlan = (...pairs: [Destination, number][]) => ({
  kind: 'weights' as const,
  weights: pairs.map(([destination, weight]) => ({ destination, weight })),
});

const versions = { baseline: { version: 'v1', destination: v1 }, canary: { version: 'v2', destination: v2 } };

function refusal(work: () => unknown): InvalidReleaseError {
  try {
    work();
  } catch (error) {
    if (error instanceof InvalidReleaseError) return error;
    throw error;
  }
  throw new Error('expected an InvalidReleaseError');
}

describe('canary steps', () => {
  it('defaults to 10, 25, 50, 100', () => {
    // Act
    const steps = buildPlan({ kind: 'canary' }, versions);
    // Assess
    expect(steps).toEqual([10, 25, 50, 100].map((canaryWeight) => ({ kind: 'set-weight', canaryWeight })));
  });

  it('appends 100 when the person leaves it out', () => {
    expect(canaryWeights([10, 50])).toEqual([10, 50, 100]);
    expect(parseCanarySteps('5, 20 60')).toEqual([5, 20, 60, 100]);
    expect(parseCanarySteps('100')).toEqual([100]);
  });

  it.each([
    ['', 'Give at least one canary weight, e.g. --steps 10,25,50,100.'],
    ['10,25,25', 'Canary weights must increase at every step; 25 comes after 25.'],
    ['50,25', 'Canary weights must increase at every step; 25 comes after 50.'],
    ['0,50', 'Canary weights are whole percentages from 1 to 100; 0 is not one.'],
    ['10,150', 'Canary weights are whole percentages from 1 to 100; 150 is not one.'],
    ['12.5', 'Canary weights are whole percentages from 1 to 100; "12.5" is not one.'],
    ['10%,20', 'Canary weights are whole percentages from 1 to 100; "10%" is not one.'],
    [Array.from({ length: 20 }, (_, i) => i + 1).join(','), 'A canary has at most 20 steps; 21 were given.'],
  ])('refuses --steps "%s" with a clear sentence', (text, message) => {
    // Act
    const error = refusal(() => parseCanarySteps(text));
    // Assess
    expect(error).toMatchObject({ name: 'InvalidReleaseError', code: 'invalid-steps', message });
  });

  it('refuses weights that are not whole numbers when given as numbers', () => {
    expect(refusal(() => canaryWeights([10, 12.5])).message).toBe(
      'Canary weights are whole percentages from 1 to 100; 12.5 is not one.',
    );
  });
});

describe('other plans', () => {
  it('builds blue/green, A/B, mirror and manual weights plans', () => {
    // Prepare
    const header = { kind: 'header', name: 'end-user', match: { exact: 'jason' } } as const;
    const weights = [
      { destination: v1, weight: 90 },
      { destination: v2, weight: 10 },
    ];
    // Act / Assess
    expect(buildPlan({ kind: 'blue-green' }, versions)).toEqual([{ kind: 'switch' }]);
    expect(buildPlan({ kind: 'ab', matches: [header] }, versions)).toEqual([
      { kind: 'set-match', matches: [header] },
      { kind: 'switch' },
    ]);
    expect(buildPlan({ kind: 'mirror' }, versions)).toEqual([
      { kind: 'set-mirror', percent: 100 },
      { kind: 'end-mirror' },
    ]);
    expect(buildPlan({ kind: 'weights', weights }, versions)).toEqual([{ kind: 'set-weights', weights }]);
  });

  it.each([
    [
      { kind: 'mirror', percent: 0 },
      'invalid-mirror',
      'The mirror percentage must be above 0 and at most 100, not 0.',
    ],
    [
      { kind: 'ab', matches: [] },
      'invalid-match',
      'An A/B release needs a header, cookie or user agent to match, e.g. --header end-user=jason.',
    ],
    [
      { kind: 'ab', matches: [{ kind: 'cookie', regex: '(' }] },
      'invalid-match',
      'The cookie regex "(" is not valid RE2 (the syntax Istio and Envoy use): missing closing ): `(`.',
    ],
    [
      { kind: 'ab', matches: [{ kind: 'header', name: 'bad header', match: { exact: 'x' } }] },
      'invalid-match',
      '"bad header" is not a valid header name.',
    ],
    [
      weightsPlan([v1, 90], [v2, 5]),
      'invalid-weights',
      'Weights must add up to 100, not 95 (reviews/v1=90, reviews/v2=5).',
    ],
    [
      weightsPlan([v1, 100], [v2, 0]),
      'invalid-weights',
      'The weights give nothing to reviews/v2, the version being released.',
    ],
    [weightsPlan([v2, 50], [v2, 50]), 'invalid-weights', 'reviews/v2 is listed twice.'],
  ] as const)('refuses %j', (plan, code, message) => {
    // Act
    const error = refusal(() => buildPlan(plan as never, versions));
    // Assess
    expect(error).toMatchObject({ code, message });
  });
});

describe('startRelease validation', () => {
  it('refuses pins on a mirror, the released service itself, and a bad id', () => {
    expect(
      refusal(() =>
        startRelease(
          releaseRequest({ kind: 'mirror' }, { withSources: [{ service: 'frontend', version: 'v2' }] }),
          T0,
          'R1',
        ),
      ),
    ).toMatchObject({
      code: 'invalid-pins',
      message: '--with pins route live requests to the canary, which a mirror release does not do.',
    });
    expect(
      refusal(() =>
        startRelease(
          releaseRequest({ kind: 'canary' }, { withSources: [{ service: 'reviews', version: 'v2' }] }),
          T0,
          'R1',
        ),
      ),
    ).toMatchObject({
      code: 'invalid-pins',
      message: 'reviews is the service being released; pin other services.',
    });
    expect(refusal(() => startRelease(releaseRequest(), T0, 'R-1'))).toMatchObject({
      code: 'invalid-release',
      message: 'A release id is 1 to 40 letters and digits, not "R-1".',
    });
  });

  it('refuses a canary that is the baseline, and options that contradict each other', () => {
    expect(
      refusal(() =>
        startRelease(
          releaseRequest({ kind: 'canary' }, { canary: { version: 'v1', destination: v1 } }),
          T0,
          'R1',
        ),
      ),
    ).toMatchObject({ message: 'The canary and the baseline are the same destination (reviews/v1).' });
    expect(refusal(() => releaseOptions({ minAnalysisSeconds: 600, maxAnalysisSeconds: 300 }))).toMatchObject(
      {
        code: 'invalid-options',
        message: 'The longest analysis (300 s) cannot be shorter than the shortest (600 s).',
      },
    );
    expect(refusal(() => releaseOptions({ approvalExpirySeconds: 0 })).code).toBe('invalid-options');
  });

  it('accepts host-based destinations (no subsets)', () => {
    // Prepare
    const request = releaseRequest(
      { kind: 'canary', steps: [20] },
      {
        baseline: { version: 'v1', destination: { host: 'apps-svc-v1' } },
        canary: { version: 'v2', destination: { host: 'apps-svc-v2' } },
        original: { route: {}, weights: [{ destination: { host: 'apps-svc-v1' }, weight: 100 }] },
      },
    );
    // Act
    const { effects } = startRelease(request, T0, 'R2');
    // Assess
    expect(effects).toContainEqual(
      expect.objectContaining({ kind: 'request-approval', description: 'canary weight 20' }),
    );
  });
});

describe('describeMatch', () => {
  it('says what an A/B route matches in words', () => {
    expect(describeMatch({ kind: 'header', name: 'end-user', match: { exact: 'jason' } })).toBe(
      'header end-user=jason',
    );
    expect(describeMatch({ kind: 'header', name: 'x-beta', match: { prefix: 'yes' } })).toBe(
      'header x-beta starting with yes',
    );
    expect(describeMatch({ kind: 'cookie', regex: cookieRegex('user=tester') })).toBe('cookie user=tester');
    expect(describeMatch({ kind: 'cookie', regex: 'beta' })).toBe('cookie matching /beta/');
    expect(describeMatch({ kind: 'user-agent', regex: '.*Firefox.*' })).toBe(
      'user agent matching /.*Firefox.*/',
    );
  });
});
