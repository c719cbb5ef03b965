/** Change events from audit entries, and their PagerDuty and generic shapes. */
import {
  type ChangeSubject,
  changeEventsOf,
  genericChangeBody,
  PAGERDUTY_SUMMARY_MAX,
  pagerDutyChangeBody,
} from '../../src/domain/audit/index.js';

const subject: ChangeSubject = {
  releaseId: 'r1',
  namespace: 'shop',
  service: 'reviews',
  cluster: 'prod',
  baselineVersion: 'v1',
  canaryVersion: 'v2',
  steps: ['canary weight 10', 'canary weight 50', 'canary weight 100'],
  link: 'https://bot.example.com/releases/r1',
};
const at = '2026-12-01T10:00:00.000Z';

describe('change events', () => {
  it('are the steps, rollbacks and freeze bypasses of a decision, in order', () => {
    const events = changeEventsOf(subject, [
      {
        releaseId: 'r1',
        at,
        actor: 'U1',
        action: 'freeze-bypass',
        step: 1,
        stateVersion: 5,
        detail: { reason: 'INC-42 hotfix' },
      },
      { releaseId: 'r1', at, actor: 'U1', action: 'approve', step: 1, stateVersion: 5 },
      { releaseId: 'r1', at, actor: 'U1', action: 'approval-held', step: 1, stateVersion: 5 },
      { releaseId: 'r1', at, actor: 'canary-bot', action: 'advance', step: 1, stateVersion: 7 },
      {
        releaseId: 'r1',
        at,
        actor: 'U2',
        action: 'rollback',
        step: 2,
        stateVersion: 9,
        detail: { reason: 'errors' },
      },
      { releaseId: 'r1', at, actor: 'canary-bot', action: 'promote', step: 2, stateVersion: 11 },
      { releaseId: 'r1', at, actor: 'U3', action: 'constructor', step: 2, stateVersion: 11 },
    ]);
    expect(events.map((e) => [e.kind, e.action])).toEqual([
      ['freeze-bypass', 'freeze-bypass'],
      ['step', 'approve'],
      ['step', 'advance'],
      ['rollback', 'rollback'],
      ['step', 'promote'],
    ]);
    expect(events.map((e) => e.summary)).toEqual([
      'reviews.shop on prod: freeze bypassed by U1: INC-42 hotfix (v1 → v2)',
      'reviews.shop on prod: canary weight 50 approved by U1 (v1 → v2)',
      'reviews.shop on prod: canary weight 50 passed its analysis (v1 → v2)',
      'reviews.shop on prod: rolled back by U2: errors (v1 → v2)',
      'reviews.shop on prod: v2 promoted (v1 → v2)',
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events[1]?.id).toBe(`r1:5:approve:${at}`);
  });

  it('leave out approvals only counted towards a quorum, and report a cancel as the route restored', () => {
    const events = changeEventsOf(subject, [
      {
        releaseId: 'r1',
        at,
        actor: 'U1',
        action: 'approve',
        step: 1,
        stateVersion: 5,
        detail: { counted: '1 of 2 approvals: <@U1>' },
      },
      { releaseId: 'r1', at, actor: 'U2', action: 'approve', step: 1, stateVersion: 5 },
      { releaseId: 'r1', at, actor: 'U3', action: 'cancel', step: 1, stateVersion: 8 },
    ]);
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['step', 'U2'],
      ['rollback', 'U3'],
    ]);
    expect(events[1]?.summary).toBe(
      'reviews.shop on prod: cancelled by U3, original route restored (v1 → v2)',
    );
  });

  it('have the PagerDuty Events API v2 change shape', () => {
    const [event] = changeEventsOf(subject, [
      {
        releaseId: 'r1',
        at,
        actor: 'U1',
        action: 'approve',
        step: 0,
        stateVersion: 2,
        detail: { verdict: 'pass' },
      },
    ]);
    if (!event) throw new Error('no event');
    const body = pagerDutyChangeBody(event, 'a'.repeat(32));
    expect(Object.keys(body).sort()).toEqual(['links', 'payload', 'routing_key']);
    expect(Object.keys(body.payload).sort()).toEqual(['custom_details', 'source', 'summary', 'timestamp']);
    expect(body).toMatchObject({
      routing_key: 'a'.repeat(32),
      payload: {
        summary: 'reviews.shop on prod: canary weight 10 approved by U1 (v1 → v2)',
        timestamp: at,
        source: 'canary-bot/prod/shop',
        custom_details: {
          release: 'r1',
          action: 'approve',
          step: 0,
          state_version: 2,
          detail: { verdict: 'pass' },
        },
      },
      links: [{ href: 'https://bot.example.com/releases/r1', text: 'Release r1' }],
    });
    const long = pagerDutyChangeBody({ ...event, summary: 'x'.repeat(5000) }, 'k');
    expect(long.payload.summary).toHaveLength(PAGERDUTY_SUMMARY_MAX);
    expect(genericChangeBody(event)).toMatchObject({
      type: 'canary-bot.change',
      version: 1,
      id: event.id,
      release: subject,
    });
  });
});
