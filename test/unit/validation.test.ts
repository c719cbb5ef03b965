import fc from 'fast-check';
import type { VirtualService } from '../../local/traffic/istio-types.js';
import { decideRoutes, matchesString } from '../../local/traffic/routing.js';
import { parseCommand } from '../../src/domain/command/index.js';
import { InvalidReleaseError } from '../../src/domain/release/release-errors.js';
import { validateMatches } from '../../src/domain/release/step-plan.js';
import { cookieRegex, toMatchRequest } from '../../src/domain/routing/route-math.js';
import {
  isCookiePair,
  isDnsLabel,
  isHeaderName,
  isLabelValue,
  re2SyntaxError,
  regexProblem,
} from '../../src/domain/validation/index.js';

// Istio's webhook refuses each of these (Go's RE2 parser), and Envoy's RE2 would not compile them.
const refused: [string, string][] = [
  ['a\\Z', 'invalid escape sequence: `\\Z`'],
  ['(?<n>a)\\k<n>', 'invalid escape sequence: `\\k`'],
  ['\\y', 'invalid escape sequence: `\\y`'],
  ['a{1001}', 'invalid repeat count: `{1001}`'],
  ['[^]', 'missing closing ]: `[^]`'],
  ['(?=a)b', 'invalid or unsupported Perl syntax: `(?=`'],
  ['(a', 'missing closing ): `(a`'],
];

describe('regexes are checked with RE2 rules', () => {
  it.each(refused)('refuses %p with RE2 reason %p', (regex, reason) => {
    expect(re2SyntaxError(regex)).toBe(reason);
    expect(regexProblem(regex, 'header end-user')).toContain(reason);
  });

  it.each(['(?i)jason', '^(yes|true)$', '(?P<n>a)', '(?<n>a)', '\\pL+', 'a{1000}', '.*Mobile.*'])(
    'accepts %p, valid RE2',
    (regex) => {
      expect(re2SyntaxError(regex)).toBeUndefined();
    },
  );

  it('refuses regexes longer than Istio allows, counted in bytes', () => {
    expect(re2SyntaxError('a'.repeat(1024))).toBeUndefined();
    expect(re2SyntaxError('é'.repeat(513))).toMatch(/too large/);
  });

  it.each(refused)('the command grammar refuses --header x~%p with RE2 reason', (regex, reason) => {
    const parsed = parseCommand(`ab reviews v2 --header "x-test~${regex}"`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(reason);
  });

  it('the command grammar accepts (?i)jason', () => {
    const parsed = parseCommand('ab reviews v2 --header "end-user~(?i)jason"');
    expect(parsed.ok).toBe(true);
  });

  it.each(refused)('the step plan refuses a user-agent regex %p', (regex, reason) => {
    expect(() => validateMatches([{ kind: 'user-agent', regex }])).toThrow(InvalidReleaseError);
    expect(() => validateMatches([{ kind: 'user-agent', regex }])).toThrow(reason);
  });
});

describe('names', () => {
  it('checks Kubernetes and HTTP names', () => {
    expect(isDnsLabel('reviews')).toBe(true);
    expect(isDnsLabel('Reviews')).toBe(false);
    expect(isDnsLabel('a'.repeat(64))).toBe(false);
    expect(isLabelValue('v2.1_rc')).toBe(true);
    expect(isLabelValue('-v2')).toBe(false);
    expect(isHeaderName('end-user')).toBe(true);
    expect(isHeaderName('end user')).toBe(false);
    expect(isCookiePair('user=tester')).toBe(true);
    expect(isCookiePair('user=a b')).toBe(false);
    expect(isCookiePair('user=a;b')).toBe(false);
    expect(isCookiePair('=tester')).toBe(false);
  });
});

describe('the cookie route matches what browsers send', () => {
  const regex = cookieRegex('user=tester');
  it.each([
    'user=tester',
    'a=b; user=tester',
    'a=b;user=tester',
    'user=tester; b=2',
    'a=1; user=tester; b=2',
    'a=1;\tuser=tester',
  ])('matches %p', (cookie) => {
    expect(matchesString({ regex }, cookie)).toBe(true);
  });

  it.each(['user=testers', 'xuser=tester', 'a=b; xuser=tester', 'user=test', 'a=user=tester'])(
    'does not match %p',
    (cookie) => {
      expect(matchesString({ regex }, cookie)).toBe(false);
    },
  );

  it('matches a generated browser cookie header wherever the cookie stands', () => {
    const other = fc
      .tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{0,8}$/))
      .filter(([name]) => name !== 'user')
      .map(([n, v]) => `${n}=${v}`);
    fc.assert(
      fc.property(fc.array(other, { maxLength: 5 }), fc.nat(5), (others, at) => {
        const cookies = [...others];
        cookies.splice(Math.min(at, cookies.length), 0, 'user=tester');
        expect(matchesString({ regex }, cookies.join('; '))).toBe(true);
        expect(matchesString({ regex }, others.join('; '))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the simulator matches in linear time', () => {
  it('does not hang on a catastrophic pattern', () => {
    // (a+)+$ backtracks exponentially in JavaScript's engine; RE2 answers at once.
    expect(matchesString({ regex: '(a+)+b' }, `${'a'.repeat(40)}c`)).toBe(false);
    expect(matchesString({ regex: '(?i)JASON' }, 'jason')).toBe(true);
  });
});

describe('the A/B route the bot builds for --cookie', () => {
  it('sends a browser-shaped cookie header to the A/B version in the simulator', () => {
    const parsed = parseCommand(`ab frontend v2 --cookie 'user=tester'`);
    if (!parsed.ok || parsed.command.kind !== 'ab') throw new Error('the command should parse');
    const match = parsed.command.matches[0];
    if (match?.kind !== 'cookie') throw new Error('a cookie match');
    const vs: VirtualService = {
      kind: 'VirtualService',
      metadata: { name: 'frontend', namespace: 'weather' },
      spec: {
        hosts: ['frontend'],
        http: [
          { match: [toMatchRequest(match)], route: [{ destination: { host: 'frontend', subset: 'v2' } }] },
          { route: [{ destination: { host: 'frontend', subset: 'v1' } }] },
        ],
      },
    };
    const decision = decideRoutes({
      virtualService: vs,
      destinationRules: [
        {
          kind: 'DestinationRule',
          metadata: { name: 'frontend', namespace: 'weather' },
          spec: {
            host: 'frontend',
            subsets: [
              { name: 'v1', labels: { version: 'v1' } },
              { name: 'v2', labels: { version: 'v2' } },
            ],
          },
        },
      ],
      service: {
        name: 'frontend',
        namespace: 'weather',
        versions: [
          { version: 'v1', workload: 'frontend-v1' },
          { version: 'v2', workload: 'frontend-v2' },
        ],
      },
      request: { headers: { cookie: 'a=b; user=tester' } },
    });
    expect(decision.shares.map((s) => [s.version, s.fraction])).toEqual([['v2', 1]]);
  });
});
