import fc from 'fast-check';
import { checkMessageContent, totalBlockText } from '../../local/slack/block-kit-limits.js';
import { clip, escaped, fitMessage, section } from '../../src/chat/views/block-kit.js';
import {
  auditTrail,
  commandErrorMessage,
  errorMessage,
  helpMessage,
  historyList,
  policyRefusalMessage,
  refusalMessage,
  releaseCard,
  releaseEventLine,
  type SlackMessage,
  statusList,
} from '../../src/chat/views/index.js';
import { COMMAND_NAMES, parseCommand } from '../../src/domain/command/index.js';
import type { Verdict } from '../../src/domain/judge/index.js';
import { type Approval, decide, type Release, startRelease } from '../../src/domain/release/index.js';
import {
  appliedNow,
  approveNow,
  at,
  drive,
  releaseRequest,
  started,
  tick,
  tickOf,
} from './release-fixtures.js';

const long = (n: number, word = 'latency ') => word.repeat(Math.ceil(n / word.length)).slice(0, n);

/** A verdict with many 1000-character reasons, some full of characters mrkdwn must escape. */
const wordyVerdict: Verdict = {
  verdict: 'fail',
  reasons: Array.from({ length: 12 }, (_, i) => ({
    check: 'errors-vs-baseline' as const,
    status: i % 2 === 0 ? ('fail' as const) : ('pending' as const),
    message: i % 3 === 0 ? long(1000, '<&> ') : long(1000),
    figures: {},
  })),
};

/** A canary of 20 steps (19 given + 100) driven to analysing its 3rd step, then given 50 approvals and long texts. */
function bigRelease(): Release {
  const steps = Array.from({ length: 19 }, (_, i) => i * 5 + 1);
  const base = startRelease(
    releaseRequest(
      { kind: 'canary', steps },
      { withSources: Array.from({ length: 10 }, (_, i) => ({ service: `caller-${i}`, version: 'v2' })) },
    ),
    at(0),
    'R1',
  ).release;
  const { release } = drive(
    base,
    (r) => approveNow(r, 10),
    (r) => appliedNow(r, 15),
    tick(400, { verdict: wordyVerdict }),
  );
  const approvals: Approval[] = Array.from({ length: 50 }, (_, i) => ({
    actor: `U0APPROVER${i}`,
    at: at(20 + i),
    step: i % 20,
    stateVersion: i + 1,
    seen: wordyVerdict,
  }));
  return {
    ...release,
    approvals,
    lastVerdict: wordyVerdict,
    summary: long(1000),
    pause: {
      reason: 'drift',
      from: 'analysing',
      at: at(500),
      actor: 'canary-bot',
      detail: long(1000, '<x> '),
    },
    applyError: { at: at(510), revision: 3, code: 'rejected', message: long(1000) },
    rollback: { endAs: 'rolled-back', actor: 'U0APPROVER', at: at(520), reason: long(1000) },
  };
}

const hugeRed = {
  baseline: {
    requests: 1e15 + 0.5,
    requestRate: 123456789.123,
    errorRate: 0.123456,
    latencyMs: { p99: 123456.789 },
  },
  canary: {
    requests: Number.NaN,
    requestRate: Number.POSITIVE_INFINITY,
    errorRate: undefined,
    latencyMs: undefined,
  },
  windowSeconds: 7 * 86_400,
};

function expectAccepted(message: SlackMessage): void {
  expect(checkMessageContent(message)).toBeUndefined();
  expect(message.text.length).toBeGreaterThan(0);
}

describe('block kit guards', () => {
  it('fitMessage keeps 50 blocks and cuts the longest texts under the total', () => {
    // Prepare
    const blocks = Array.from({ length: 60 }, (_, i) => section(long(i === 0 ? 3500 : 2900)));
    // Act
    const fitted = fitMessage('', blocks);
    // Assess
    expectAccepted(fitted);
    expect(fitted.text).toBe('canary-bot');
    expect(fitted.blocks).toHaveLength(50);
    expect(fitted.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '…11 more blocks not shown.' }],
    });
    expect(totalBlockText(fitted.blocks)).toBeLessThanOrEqual(12_000);
  });

  it('clip never leaves half an entity or half a surrogate pair', () => {
    // Act / Assess
    expect(clip('canary weight 25', 8)).toBe('canary …');
    expect(escaped('a & b', 5)).toBe('a …');
    expect(clip('ab\u{1F680}cd', 4)).toBe('ab…');
    expect(clip('short', 5)).toBe('short');
  });
});

describe('every view fits Slack limits for large inputs', () => {
  it('release card: 20 steps, 50 approvals, 1000-character reasons, in every phase it passes through', () => {
    // Prepare
    const big = bigRelease();
    const phases: Release[] = [
      big,
      { ...big, phase: 'paused' },
      {
        ...big,
        phase: 'awaiting-approval',
        approvalRequest: {
          step: 20,
          stateVersion: 9,
          requestedAt: at(1),
          expiresAt: at(2),
          unjudged: 'no-data',
        },
        currentStep: 20,
      },
      { ...big, phase: 'rolling-back' },
      { ...big, phase: 'rolled-back', finishedAt: at(600) },
    ];
    for (const release of phases) {
      // Act
      const card = releaseCard(release, { red: hugeRed });
      // Assess
      expectAccepted(card);
      expect(totalBlockText(card.blocks)).toBeLessThanOrEqual(12_000);
    }
  });

  it('release card keeps its buttons and header when text must be cut', () => {
    // Prepare
    const big = { ...bigRelease(), phase: 'paused' as const };
    // Act
    const card = releaseCard(big, { red: hugeRed });
    // Assess
    expect(card.blocks[0]?.type).toBe('header');
    expect(card.blocks.at(-1)?.type).toBe('actions');
  });

  it('status list of 300 releases says how many are not shown', () => {
    // Prepare
    const releases = Array.from(
      { length: 300 },
      (_, i) =>
        startRelease(
          releaseRequest(
            { kind: 'canary' },
            { target: { ...releaseRequest().target, service: `service-${i}` } },
          ),
          at(0),
          `R${i}`,
        ).release,
    );
    // Act
    const message = statusList(releases);
    // Assess
    expectAccepted(message);
    const last = message.blocks.at(-1);
    expect(last?.type === 'context' && last.elements[0]?.text).toMatch(
      /^…and \d+ more\. Narrow the list with/,
    );
  });

  it('history of 300 releases and an audit trail of 1000 entries', () => {
    // Prepare
    const release = bigRelease();
    const releases = Array.from({ length: 300 }, () => release);
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      at: at(i),
      actor: i % 2 ? 'U0APPROVER' : 'canary-bot',
      action: i % 3 ? 'approve' : long(100),
      step: i % 25,
      detail: { description: long(1000), reason: long(1000), verdict: 'fail', reasons: [long(1000)] },
    }));
    // Act / Assess
    expectAccepted(historyList(releases, { service: 'reviews', namespace: 'bookinfo' }));
    expectAccepted(auditTrail(release, entries));
  });

  it('notices, help and events with 1000-character texts', () => {
    // Prepare
    const text = long(5000, '<@U1> & ');
    const release = bigRelease();
    // Act
    const messages = [
      commandErrorMessage(text, text),
      errorMessage(text, text),
      refusalMessage({ status: 'refused', reason: 'stale', message: text }),
      policyRefusalMessage('approve', release, text),
      policyRefusalMessage('start', { namespace: 'bookinfo' }, text),
      releaseEventLine({ type: 'Warning', reason: text, message: text }, at(1)),
      helpMessage(),
      ...COMMAND_NAMES.map((name) => helpMessage(name)),
    ];
    // Assess
    for (const message of messages) expectAccepted(message);
  });

  it('any command error renders as an accepted message', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseCommand(text);
        if (!parsed.ok) expectAccepted(commandErrorMessage(parsed.error, parsed.usage));
      }),
      { numRuns: 500 },
    );
  });

  it('cards of releases driven by random observations are accepted', () => {
    const observation = fc.oneof(
      fc.constant('approve' as const),
      fc.constant('applied' as const),
      fc.constantFrom('pause', 'resume', 'rollback', 'cancel', 'tick-fail', 'tick-drift'),
    );
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 15 }), (kinds) => {
        let release = started({ kind: 'ab', matches: [{ kind: 'user-agent', regex: long(1000, '.*x') }] });
        kinds.forEach((kind, i) => {
          const t = at(10 * (i + 1));
          const o =
            kind === 'approve'
              ? approveNow(release, 10 * (i + 1))
              : kind === 'applied'
                ? appliedNow(release, 10 * (i + 1))
                : kind === 'tick-fail'
                  ? tickOf(release, 10 * (i + 1), { verdict: wordyVerdict })
                  : kind === 'tick-drift'
                    ? tickOf(release, 10 * (i + 1), { drift: long(2000) })
                    : { type: kind, actor: 'U0APPROVER', at: t, stateVersion: release.version };
          release = decide(release, o).next;
        });
        expectAccepted(releaseCard(release, { red: hugeRed }));
      }),
      { numRuns: 200 },
    );
  });
});
