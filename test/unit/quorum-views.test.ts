/**
 * What people see of quorums and reasons: the card's quorum line and its buttons that ask for a reason,
 * and the reason form, from the view to a submission in Slack's shape and back.
 */
import fc from 'fast-check';
import { checkMessageContent, findViewProblems } from '../../local/slack/block-kit-limits.js';
import { homeRowOf } from '../../src/app/home.js';
import { encodeButtonValue } from '../../src/chat/views/button-value.js';
import { homeTab } from '../../src/chat/views/home-tab.js';
import {
  REASON_ACTION_IDS,
  REASON_CALLBACK_ID,
  REASON_INPUT,
  type ReasonSource,
  reasonFromSubmission,
  reasonModal,
} from '../../src/chat/views/reason-modal.js';
import { quorumLine, releaseCard } from '../../src/chat/views/release-card.js';
import { type ApprovalRule, decide, type Release } from '../../src/domain/release/index.js';
import { at, started } from './release-fixtures.js';

const SRE = 'S0SRE';
const rule: ApprovalRule = { quorum: { approvals: 3, oneFrom: SRE }, reasons: [] };

/** A release whose first step has the votes of `actors` (none in the group) towards `rule`'s quorum. */
function withVotes(...actors: string[]): Release {
  let release = started();
  actors.forEach((actor, i) => {
    release = decide(release, {
      type: 'approve',
      actor,
      at: at(10 + i),
      step: release.currentStep,
      stateVersion: release.version,
      quorum: { ...rule.quorum, inGroup: false },
    }).next;
  });
  return release;
}

const buttonsOf = (card: { blocks: readonly unknown[] }) =>
  (card.blocks as { type: string; elements?: { action_id: string; confirm?: unknown }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

describe('the card under a quorum', () => {
  it('says "2 of 3 approvals: <@U1>, <@U2>; needs one from <!subteam^S…>", within Block Kit limits', () => {
    const release = withVotes('U0ALICE', 'U0CAROL');
    const card = releaseCard(release, { rule });
    const text = JSON.stringify(card.blocks);
    expect(text).toContain(
      ':busts_in_silhouette: 2 of 3 approvals: <@U0ALICE>, <@U0CAROL>; needs one from <!subteam^S0SRE>',
    );
    expect(checkMessageContent(card)).toBeUndefined();
  });

  it('says "0 of 3 approvals" before anyone approved, and nothing without a quorum', () => {
    expect(quorumLine(started(), rule)).toBe(
      ':busts_in_silhouette: 0 of 3 approvals; needs one from <!subteam^S0SRE>',
    );
    expect(quorumLine(started(), { quorum: { approvals: 1 }, reasons: [] })).toBeUndefined();
    expect(quorumLine(started())).toBeUndefined();
  });

  it('keeps the quorum line with its votes even without the rule (as counted)', () => {
    expect(quorumLine(withVotes('U0ALICE'))).toBe(
      ':busts_in_silhouette: 1 of 3 approvals: <@U0ALICE>; needs one from <!subteam^S0SRE>',
    );
  });

  it('stays within Block Kit limits with ten voters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), (n) => {
        const voters = Array.from({ length: n }, (_, i) => `U0VOTER${String(i).padStart(3, '0')}`);
        const tenRule: ApprovalRule = { quorum: { approvals: 10, oneFrom: SRE }, reasons: [] };
        let release = started();
        for (const [i, actor] of voters.entries())
          release = decide(release, {
            type: 'approve',
            actor,
            at: at(10 + i),
            step: 0,
            stateVersion: release.version,
            quorum: { ...tenRule.quorum, inGroup: false },
          }).next;
        expect(checkMessageContent(releaseCard(release, { rule: tenRule }))).toBeUndefined();
      }),
    );
  });

  it('draws the approve and roll back buttons as reason buttons when the policy asks for reasons', () => {
    const plain = buttonsOf(releaseCard(started(), { rule }));
    expect(plain.map((b) => b.action_id)).toEqual(
      expect.arrayContaining(['release.approve', 'release.rollback']),
    );
    const asking = buttonsOf(releaseCard(started(), { rule: { ...rule, reasons: ['approve', 'rollback'] } }));
    const ids = asking.map((b) => b.action_id);
    expect(ids).toEqual(expect.arrayContaining([REASON_ACTION_IDS.approve, REASON_ACTION_IDS.rollback]));
    expect(ids).not.toContain('release.approve');
    // The reason form is the rollback's confirmation.
    expect(asking.find((b) => b.action_id === REASON_ACTION_IDS.rollback)?.confirm).toBeUndefined();
  });

  it('gives the App Home the same reason buttons, from the policy of the release', () => {
    const release = { ...started(), meta: { channel: 'C0RELEASES', ts: '1714557600.000100' } };
    const policy = {
      default: {
        starters: ['*'],
        approvers: ['*'],
        fourEyes: true,
        approveFromAnyChannel: true,
        reasons: ['approve' as const],
      },
    };
    const row = homeRowOf(release, { userId: 'U0BOB', groupIds: [] }, policy);
    const view = homeTab(
      {
        userId: 'U0BOB',
        awaitingMyApproval: [row],
        mine: [],
        inMyNamespaces: [],
        recentOutcomes: [],
        recentSince: at(0),
      },
      { page: 0, now: new Date(at(60)), newReleaseButton: false },
    );
    const ids = JSON.stringify(view.blocks);
    expect(ids).toContain(`"action_id":"${REASON_ACTION_IDS.approve}"`);
    expect(ids).not.toContain('"action_id":"release.approve"');
  });

  it('shows an approval’s reason with it', () => {
    const release = decide(started(), {
      type: 'approve',
      actor: 'U0BOB',
      at: at(10),
      step: 0,
      stateVersion: 1,
      reason: 'dashboards clean',
    }).next;
    expect(JSON.stringify(releaseCard(release).blocks)).toContain('dashboards clean');
  });
});

describe('the reason form', () => {
  const source: ReasonSource = {
    action: 'approve',
    value: { r: 'R1', s: 1, v: 7 },
    channelId: 'C0RELEASES',
    teamId: 'T0TEAM',
    responseUrl: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
  };
  const values = (reason: string | null) => ({
    [REASON_INPUT.blockId]: { [REASON_INPUT.actionId]: { type: 'plain_text_input', value: reason } },
  });

  it('is a valid Slack modal naming what the button does', () => {
    const view = reasonModal(source, 'Approve: canary weight 25');
    expect(view.callback_id).toBe(REASON_CALLBACK_ID);
    expect(findViewProblems(view)).toEqual([]);
    expect(JSON.stringify(view.blocks)).toContain('Approve: canary weight 25');
  });

  it('reads a submission back into the action, its button value and the trimmed reason', () => {
    const view = reasonModal(source, 'Approve');
    expect(reasonFromSubmission(values('  dashboards clean  '), view.private_metadata ?? '')).toEqual({
      ok: true,
      source,
      reason: 'dashboards clean',
    });
  });

  it('refuses an empty reason with a field error', () => {
    const metadata = reasonModal(source, 'Approve').private_metadata ?? '';
    for (const empty of [null, '', '   \n '])
      expect(reasonFromSubmission(values(empty), metadata)).toEqual({
        ok: false,
        errors: { [REASON_INPUT.blockId]: 'Say why you approve.' },
      });
    const rollback = reasonModal({ ...source, action: 'rollback' }, 'Roll back').private_metadata ?? '';
    expect(reasonFromSubmission(values(''), rollback)).toEqual({
      ok: false,
      errors: { [REASON_INPUT.blockId]: 'Say why you roll it back.' },
    });
  });

  it('refuses a reason over 500 characters, and a form whose metadata was altered', () => {
    const metadata = reasonModal(source, 'Approve').private_metadata ?? '';
    expect(reasonFromSubmission(values('x'.repeat(501)), metadata)).toMatchObject({ ok: false });
    for (const bad of [
      '',
      '{}',
      JSON.stringify({ ...source, action: 'cancel' }),
      JSON.stringify({ ...source, value: { r: 'R1', s: 1 } }),
      JSON.stringify({ ...source, extra: 1 }),
    ])
      expect(reasonFromSubmission(values('ok'), bad)).toEqual({
        ok: false,
        errors: { [REASON_INPUT.blockId]: 'This form could not be read; close it and use the button again.' },
      });
  });

  it('carries the same value as the plain button', () => {
    const card = releaseCard(started(), { rule: { ...rule, reasons: ['approve'] } });
    const button = (card.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((b) => b.action_id === REASON_ACTION_IDS.approve);
    expect(button?.value).toBe(encodeButtonValue({ r: 'R1', s: 0, v: 1 }));
  });
});
