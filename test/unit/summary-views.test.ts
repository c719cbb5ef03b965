import { checkMessageContent } from '../../local/slack/block-kit-limits.js';
import {
  digestMessages,
  pointsChange,
  relativeChange,
  type SlackMessage,
  subscribedNote,
  subscriptionList,
  versionLine,
} from '../../src/chat/views/index.js';
import { buildDigest, type Subscription, type VersionPeriod } from '../../src/domain/summary/index.js';
import { appliedNow, approveNow, drive, PASS, started, tick } from './release-fixtures.js';

const subscription: Subscription = {
  id: 'C0RELEASES:bookinfo',
  channelId: 'C0RELEASES',
  subject: { kind: 'namespace', namespace: 'bookinfo' },
  schedule: { kind: 'interval', seconds: 900 },
  createdBy: 'U0ALICE001',
  createdAt: '2025-05-01T09:00:00.000Z',
};
const slot = {
  at: new Date('2025-05-01T10:00:00Z'),
  periodStart: new Date('2025-05-01T09:45:00Z'),
  previousStart: new Date('2025-05-01T09:30:00Z'),
};
const v = (
  service: string,
  version: string,
  rps: number,
  errorRate: number,
  p99Ms: number,
): VersionPeriod => ({
  namespace: 'bookinfo',
  service,
  version,
  requests: rps * 900,
  requestRate: rps,
  errors: rps * 900 * errorRate,
  errorRate,
  p99Ms,
});

/** `count` services of two versions each; every 7th got worse (errors of v2 up 0.1% -> 5%). */
function bigDigest(count: number) {
  const current: VersionPeriod[] = [];
  const previous: VersionPeriod[] = [];
  for (let i = 0; i < count; i++) {
    const name = `service-with-a-realistic-name-${String(i).padStart(4, '0')}`;
    current.push(v(name, 'v1', 12.5, 0.001, 95.2), v(name, 'v2', 1.25, i % 7 === 0 ? 0.05 : 0.001, 120));
    previous.push(v(name, 'v1', 10, 0.001, 90.1), v(name, 'v2', 1, 0.001, 118));
  }
  return buildDigest({ subscription, slot }, current, previous, []);
}

const allText = (messages: readonly SlackMessage[]) =>
  messages.map((m) => JSON.stringify(m.blocks)).join('\n');

describe('digest messages', () => {
  it('writes each version with its changes', () => {
    // Prepare
    const digest = buildDigest(
      { subscription, slot },
      [v('reviews', 'v2', 4, 0.25, 110)],
      [v('reviews', 'v2', 2, 0, 108)],
      [],
    );
    // Act
    const line = versionLine(digest.services[0]!.versions[0]!);
    // Assess
    expect(line).toBe('• *v2* 4/s (+100%) · errors 25% (+25 pp) · p99 110 ms (+1.9%)');
    expect([relativeChange(0.001), relativeChange(-0.125), pointsChange(-0.0004), pointsChange(0)]).toEqual([
      '=',
      '-13%',
      '-0.04 pp',
      '=',
    ]);
  });

  it('puts services that got worse first, and lists active releases with their step and verdict', () => {
    // Prepare: a release analysing its first step with a passing verdict.
    const release = drive(
      started(),
      (r) => approveNow(r, 60),
      (r) => appliedNow(r, 61),
      tick(180, { verdict: PASS }),
    ).release;
    const digest = buildDigest(
      { subscription, slot },
      [v('details', 'v1', 10, 0, 20), v('reviews', 'v1', 9, 0, 100), v('reviews', 'v2', 1, 0.2, 100)],
      [v('details', 'v1', 10, 0, 20), v('reviews', 'v1', 9, 0, 100), v('reviews', 'v2', 1, 0, 100)],
      [release],
    );
    // Act
    const messages = digestMessages(digest, { timeZone: 'UTC', withChart: true });
    // Assess
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe('RED summary of bookinfo: 1 of 2 services got worse');
    const text = allText(messages);
    expect(text.indexOf(':warning: *reviews* — errors of v2 0% → 20%')).toBeGreaterThan(0);
    expect(text.indexOf('*reviews.bookinfo* v1 → v2 canary')).toBeGreaterThan(
      text.indexOf(':warning: *reviews*'),
    );
    expect(text).toContain('analysing step 1/4: canary weight 10');
    expect(text).toContain('verdict :large_green_circle: pass');
    expect(text.indexOf(':large_green_circle: *details*')).toBeGreaterThan(text.indexOf('*Active releases*'));
    expect(text).toContain('Chart in the thread.');
    expect(checkMessageContent(messages[0]!)).toBeUndefined();
  });

  it('pages 300 services of two versions into messages Slack accepts, every service shown', () => {
    // Act
    const messages = digestMessages(bigDigest(300), { timeZone: 'UTC' });
    // Assess
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.length).toBeLessThanOrEqual(5);
    for (const message of messages) expect(checkMessageContent(message)).toBeUndefined();
    const text = allText(messages);
    expect(text.match(/service-with-a-realistic-name-\d{4}\*/g)).toHaveLength(300);
    expect(text).not.toContain('not shown here');
    // The 43 that got worse come first.
    expect(text.indexOf('name-0294*')).toBeLessThan(text.indexOf('name-0001*'));
  });

  it('counts what does not fit in 5 messages, and never drops a worse service before the others', () => {
    // Act
    const messages = digestMessages(bigDigest(1000), { timeZone: 'UTC' });
    // Assess
    expect(messages).toHaveLength(5);
    for (const message of messages) expect(checkMessageContent(message)).toBeUndefined();
    const text = allText(messages);
    const shown = text.match(/service-with-a-realistic-name-\d{4}\*/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(250);
    expect(text).toContain(`…and ${1000 - shown} more services are not shown here; none of them got worse.`);
    expect(text.match(/:warning:/g)).toHaveLength(143);
  });

  it('says so when there was no traffic at all', () => {
    const [message] = digestMessages(buildDigest({ subscription, slot }, [], [], []), { timeZone: 'UTC' });
    expect(message!.text).toBe('RED summary of bookinfo: no traffic');
    expect(checkMessageContent(message!)).toBeUndefined();
  });
});

describe('subscription messages', () => {
  it('lists the channel subscriptions with their schedule and the way to stop them', () => {
    const message = subscriptionList(
      [
        subscription,
        {
          ...subscription,
          id: 'C0RELEASES:shop/cart',
          subject: { kind: 'service', namespace: 'shop', service: 'cart' },
          schedule: { kind: 'daily', hour: 9, minute: 0 },
        },
      ],
      'Europe/Paris',
      new Date('2025-05-01T10:07:00Z'),
    );
    const text = JSON.stringify(message.blocks);
    expect(message.text).toBe('2 scheduled summaries in this channel');
    expect(text).toContain('*bookinfo* (namespace) · every 15 min');
    expect(text).toContain('*cart.shop* (service) · daily at 09:00 (Europe/Paris)');
    expect(text).toContain('`/canary unsubscribe cart --ns shop`');
  });

  it('announces a subscription with who, what, how often and when the first one comes', () => {
    const message = subscribedNote(subscription, undefined, 'UTC', new Date('2025-05-01T10:07:00Z'));
    expect(message.text).toBe(
      'U0ALICE001 subscribed this channel to RED summaries of bookinfo, every 15 min',
    );
    expect(JSON.stringify(message.blocks)).toContain('<!date^1746094500^');
  });
});
