import { checkMessageContent } from '../../local/slack/block-kit-limits.js';
import {
  FLAGGER_ACTION_IDS,
  flaggerActionOf,
  flaggerCard,
  flaggerDecisionLine,
  flaggerEventLine,
  flaggerWaitingLine,
  parseFlaggerButtonValue,
  type SlackMessage,
} from '../../src/chat/views/index.js';
import { FLAGGER_GATE_HOOKS, type FlaggerRevision } from '../../src/domain/flagger/index.js';

const since = '2026-05-01T10:00:00.000Z';
const base: FlaggerRevision = {
  namespace: 'test',
  name: 'podinfo',
  checksum: '7845487b68',
  firstSeenAt: since,
  phase: 'WaitingPromotion',
  gates: { 'confirm-promotion': { status: 'waiting', since } },
  rollback: { status: 'offered', since },
  events: 4,
  warnings: 1,
  lastWarning: 'Halt podinfo.test advancement waiting for promotion approval ask',
};

function buttons(message: SlackMessage) {
  return message.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
}

describe('flaggerCard', () => {
  it('offers approve and reject for the waiting gate and Roll back, each carrying only the gate id and version', () => {
    // Act
    const card = flaggerCard(base, 7);
    // Assess
    expect(buttons(card).map((b) => [b.action_id, b.text.text, b.value])).toEqual([
      [
        FLAGGER_ACTION_IDS.approve,
        'Approve promotion',
        '{"g":"test/podinfo/7845487b68/confirm-promotion","v":7}',
      ],
      [FLAGGER_ACTION_IDS.reject, 'Reject', '{"g":"test/podinfo/7845487b68/confirm-promotion","v":7}'],
      [FLAGGER_ACTION_IDS.rollback, 'Roll back', '{"g":"test/podinfo/7845487b68/rollback","v":7}'],
    ]);
    expect(card.text).toBe('Flagger waits for confirm-promotion of podinfo.test revision 7845487b68');
    expect(checkMessageContent(card)).toBeUndefined();
  });

  it('shows who approved and drops the buttons of decided gates', () => {
    const card = flaggerCard(
      {
        ...base,
        gates: {
          'confirm-promotion': { status: 'approved', since, by: 'U0ALICE001', at: since, usedAt: since },
        },
      },
      8,
    );
    expect(buttons(card).map((b) => b.action_id)).toEqual([FLAGGER_ACTION_IDS.rollback]);
    expect(JSON.stringify(card.blocks)).toContain('approved by <@U0ALICE001>');
  });

  it('has no buttons once Flagger is done with the revision', () => {
    const card = flaggerCard({ ...base, outcome: 'succeeded', phase: 'Succeeded' }, 9);
    expect(buttons(card)).toEqual([]);
    expect(JSON.stringify(card.blocks)).toContain('was promoted');
  });

  it('stays within Slack limits with the longest names, every gate waiting and a huge warning', () => {
    // Prepare
    const huge: FlaggerRevision = {
      ...base,
      namespace: 'n'.repeat(63),
      name: `${'a'.repeat(120)}.${'b'.repeat(132)}`,
      checksum: 'c'.repeat(128),
      phase: '<!channel>'.repeat(10),
      gates: Object.fromEntries(FLAGGER_GATE_HOOKS.map((h) => [h, { status: 'waiting', since }])),
      lastWarning: '<!channel> & <@U0EVIL> '.repeat(2000),
      warnings: 10_000,
      events: 20_000,
    };
    // Act
    const card = flaggerCard(huge, Number.MAX_SAFE_INTEGER);
    // Assess
    expect(checkMessageContent(card)).toBeUndefined();
    expect(buttons(card)).toHaveLength(7);
    for (const b of buttons(card)) expect(parseFlaggerButtonValue(b.value ?? '')).toMatchObject({ ok: true });
    expect(JSON.stringify(card)).not.toContain('<!channel>');
  });
});

describe('thread lines', () => {
  it('flags Warning events', () => {
    const line = flaggerEventLine({
      type: 'Warning',
      message: 'Halt podinfo.test advancement waiting for promotion approval ask',
      timestampMs: Date.parse(since),
    });
    expect(line.text).toBe(
      'Warning Synced: Halt podinfo.test advancement waiting for promotion approval ask',
    );
    expect(JSON.stringify(line.blocks)).toContain(':warning: *Warning*');
    expect(checkMessageContent(line)).toBeUndefined();
  });

  it('says what Flagger waits for, and who decided', () => {
    expect(flaggerWaitingLine(base, 'confirm-promotion').text).toMatch(
      /^Flagger waits for confirm-promotion of podinfo\.test revision 7845487b68/,
    );
    expect(flaggerDecisionLine(base, 'confirm-promotion', 'approve', 'U0ALICE001').text).toBe(
      'U0ALICE001 approved confirm-promotion of podinfo.test revision 7845487b68',
    );
  });
});

describe('Flagger button values', () => {
  it('reads back the action ids and refuses anything else', () => {
    expect(flaggerActionOf('flagger.reject')).toBe('reject');
    expect(flaggerActionOf('release.approve')).toBeUndefined();
    for (const value of [
      '{"g":"test/podinfo/7845487b68/confirm-promotion"}',
      '{"g":"test/podinfo/7845487b68/pre-rollout","v":1}',
      '{"g":"test/podinfo/7845487b68/rollback","v":1,"x":1}',
      '{"r":"R1","s":1,"v":1}',
      'nope',
    ])
      expect(parseFlaggerButtonValue(value)).toMatchObject({ ok: false });
  });
});
