import { checkMessageContent } from '../../local/slack/block-kit-limits.js';
import {
  CARD_ACTION_IDS,
  cardActionOf,
  encodeButtonValue,
  parseButtonValue,
  type RedFigures,
  releaseCard,
  weightBars,
} from '../../src/chat/views/index.js';
import { decide, type Release } from '../../src/domain/release/index.js';
import {
  APPROVER,
  appliedNow,
  approveNow,
  at,
  drive,
  FAIL,
  INCONCLUSIVE,
  passStep,
  started,
  tick,
} from './release-fixtures.js';

const md = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });
const sectionOf = (text: string) => ({ type: 'section', text: md(text) });
const headerOf = (text: string) => ({ type: 'header', text: plain(text) });

/** Slack's date token with its UTC fallback, for times of the fixtures (T0 = 2025-05-01T10:00:00Z). */
const date = (seconds: number, fallback: string) =>
  `<!date^${1746093600 + seconds}^{date_short_pretty} {time}|2025-05-01 ${fallback} UTC>`;

const about = `Release \`R1\` · requested by <@U0REQUESTER> ${date(0, '10:00')} · VirtualService \`reviews\`, default route · on failure: roll back`;

const rollbackButton = (value: string) => ({
  type: 'button',
  action_id: 'release.rollback',
  text: plain('Roll back'),
  value,
  style: 'danger',
  confirm: {
    title: plain('Roll back reviews.bookinfo?'),
    text: plain('This restores the original route (all traffic to v1) and ends the release as rolled back.'),
    confirm: plain('Roll back'),
    deny: plain('Keep going'),
    style: 'danger',
  },
});

const cancelButton = (value: string) => ({
  type: 'button',
  action_id: 'release.cancel',
  text: plain('Cancel release'),
  value,
  confirm: {
    title: plain('Cancel the release of reviews.bookinfo?'),
    text: plain('This restores the original route and ends the release as cancelled.'),
    confirm: plain('Cancel release'),
    deny: plain('Keep going'),
    style: 'danger',
  },
});

const red: RedFigures = {
  baseline: { requests: 9000, requestRate: 30, errorRate: 0.001, latencyMs: { p99: 120 } },
  canary: { requests: 12, requestRate: 0.2, errorRate: 0, latencyMs: undefined },
  windowSeconds: 60,
};

describe('release card', () => {
  it('names the cluster the release runs on', () => {
    // Prepare
    const release = started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'prod-eu' } });
    // Act
    const card = releaseCard(release);
    // Assess
    expect(card.blocks[2]).toEqual({
      type: 'context',
      elements: [
        md(
          `Release \`R1\` · requested by <@U0REQUESTER> ${date(0, '10:00')} · cluster \`prod-eu\`, VirtualService \`reviews\`, default route · on failure: roll back`,
        ),
      ],
    });
  });

  it('asks for approval of the first step of a new canary', () => {
    // Prepare
    const release = started();
    // Act
    const card = releaseCard(release);
    // Assess
    expect(card).toEqual({
      text: 'reviews.bookinfo v2: waiting for approval of step 1/4 (canary weight 10)',
      blocks: [
        headerOf('reviews.bookinfo · canary v1 → v2'),
        sectionOf(
          `:hourglass_flowing_sand: *Waiting for approval* of step 1/4: canary weight 10\nApproval requested ${date(0, '10:00')}, expires ${date(3600, '11:00')}.`,
        ),
        { type: 'context', elements: [md(about)] },
        sectionOf('*Traffic* (confirmed in the mesh)\n```v1 ████████████████████ 100%```'),
        sectionOf(
          '*Plan*: canary weight 10, 25, 50, 100\n:arrow_forward: *1. canary weight 10*\n:white_circle: 2. canary weight 25\n:white_circle: 3. canary weight 50\n:white_circle: 4. canary weight 100',
        ),
        {
          type: 'actions',
          block_id: 'release-R1',
          elements: [
            {
              type: 'button',
              action_id: 'release.approve',
              text: plain('Approve: canary weight 10'),
              value: '{"r":"R1","s":0,"v":1}',
              style: 'primary',
            },
            {
              type: 'button',
              action_id: 'release.pause',
              text: plain('Pause'),
              value: '{"r":"R1","s":0,"v":1}',
            },
            rollbackButton('{"r":"R1","s":0,"v":1}'),
            cancelButton('{"r":"R1","s":0,"v":1}'),
          ],
        },
      ],
    });
  });

  it('shows the live step, RED of both versions, the verdict and the approvals while analysing', () => {
    // Prepare
    const { release } = drive(
      started(),
      ...passStep(10),
      (r) => approveNow(r, 400),
      (r) => appliedNow(r, 405),
      tick(465, { verdict: INCONCLUSIVE }),
    );
    // Act
    const card = releaseCard(release, { red });
    // Assess
    const here = `{"r":"R1","s":1,"v":${release.version}}`;
    expect(release.phase).toBe('analysing');
    expect(card).toEqual({
      text: 'reviews.bookinfo v2: analysing step 2/4 (canary weight 25)',
      blocks: [
        headerOf('reviews.bookinfo · canary v1 → v2'),
        sectionOf(`:mag: *Analysing* step 2/4: canary weight 25\nAnalysis since ${date(405, '10:06')}.`),
        { type: 'context', elements: [md(about)] },
        sectionOf(
          '*Traffic* (confirmed in the mesh)\n```v1 ███████████████░░░░░  75%\nv2 █████░░░░░░░░░░░░░░░  25%```',
        ),
        sectionOf(
          '*Plan*: canary weight 10, 25, 50, 100\n:white_check_mark: 1. canary weight 10\n:arrow_forward: *2. canary weight 25*\n:white_circle: 3. canary weight 50\n:white_circle: 4. canary weight 100',
        ),
        {
          type: 'section',
          fields: [
            md('*Baseline v1* (last 1 min)'),
            md('*Canary v2*'),
            md('Requests: 9000 (30/s)'),
            md('Requests: 12 (0.2/s)'),
            md('Errors: 0.1%'),
            md('Errors: 0%'),
            md('p99: 120 ms'),
            md('p99: n/a'),
          ],
        },
        sectionOf(
          '*Latest verdict*: :large_yellow_circle: inconclusive\n:hourglass: canary served 12 requests; not enough to judge yet',
        ),
        sectionOf(
          `*Approvals*\n:ballot_box_with_check: <@U0APPROVER> approved step 2/4 (canary weight 25) ${date(400, '10:06')}, seeing :large_green_circle: pass\n:ballot_box_with_check: <@U0APPROVER> approved step 1/4 (canary weight 10) ${date(10, '10:00')}`,
        ),
        {
          type: 'actions',
          block_id: 'release-R1',
          elements: [
            { type: 'button', action_id: 'release.pause', text: plain('Pause'), value: here },
            rollbackButton(here),
            cancelButton(here),
          ],
        },
      ],
    });
  });

  it('tells how a rolled-back release ended, without buttons', () => {
    // Prepare
    const { release } = drive(
      started(),
      ...passStep(10),
      (r) => approveNow(r, 400),
      (r) => appliedNow(r, 405),
      tick(500, { verdict: FAIL }),
      (r) => appliedNow(r, 510),
    );
    // Act
    const card = releaseCard(release);
    // Assess
    const why =
      'failed checks: canary error rate 4.8% (24/500) vs baseline 0.1% (3/3000): 99.99% sure it is worse than the tolerance';
    expect(release.phase).toBe('rolled-back');
    expect(card).toEqual({
      text: `reviews.bookinfo v2: rolled back: ${why}; original route restored`,
      blocks: [
        headerOf('reviews.bookinfo · canary v1 → v2'),
        sectionOf(
          `:leftwards_arrow_with_hook: *Rolled back*: ${why}; original route restored\nFinished ${date(510, '10:08')}.`,
        ),
        { type: 'context', elements: [md(about)] },
        sectionOf('*Traffic* (confirmed in the mesh)\n```v1 ████████████████████ 100%```'),
        sectionOf(
          '*Plan*: canary weight 10, 25, 50, 100\n:white_check_mark: 1. canary weight 10\n:x: 2. canary weight 25\n:white_circle: 3. canary weight 50\n:white_circle: 4. canary weight 100',
        ),
        sectionOf(
          '*Latest verdict*: :red_circle: fail\n:x: canary error rate 4.8% (24/500) vs baseline 0.1% (3/3000): 99.99% sure it is worse than the tolerance',
        ),
        sectionOf(`:leftwards_arrow_with_hook: Stopped by canary-bot ${date(500, '10:08')}.`),
        sectionOf(
          `*Approvals*\n:ballot_box_with_check: <@U0APPROVER> approved step 2/4 (canary weight 25) ${date(400, '10:06')}, seeing :large_green_circle: pass\n:ballot_box_with_check: <@U0APPROVER> approved step 1/4 (canary weight 10) ${date(10, '10:00')}`,
        ),
      ],
    });
    expect(card.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('says until when a release bakes, what it is judged against, and that the bake passed', () => {
    // Prepare
    const { release } = drive(
      started({ kind: 'canary', steps: [50, 100] }, { options: { bakeSeconds: 1800 } }),
      ...passStep(10),
      ...passStep(400),
    );
    // Act
    const card = releaseCard(release);
    // Assess
    expect(release.phase).toBe('baking');
    expect(card.text).toBe(
      'reviews.bookinfo v2: baking until 10:41 UTC: step 2/2 (canary weight 100) stays live and judged',
    );
    const status = JSON.stringify(card.blocks[1]);
    expect(status).toContain(':fire: *Baking* until 10:41 UTC');
    expect(status).toContain(`Baking since ${date(705, '10:11')}, until ${date(2505, '10:41')}`);
    expect(status).toContain(
      'no baseline figures were recorded before 100%, so only the absolute limits apply',
    );
    expect(JSON.stringify(card.blocks[2])).toContain('bake: 30 min');
    const buttons = card.blocks.find((b) => b.type === 'actions');
    expect(JSON.stringify(buttons)).not.toContain('release.approve');
    const promoted = drive(release, tick(720 + 1800, { verdict: INCONCLUSIVE })).release;
    expect(promoted.phase).toBe('promoted');
    expect(JSON.stringify(releaseCard(promoted).blocks[1])).toContain('Bake passed.');
  });

  it('offers resume with a warning after drift, and no approve button', () => {
    // Prepare
    const { release } = drive(
      started(),
      ...passStep(10),
      tick(400, { drift: 'reviews/v1=50, reviews/v2=50 (expected 90/10)' }),
    );
    // Act
    const card = releaseCard(release);
    // Assess
    const actions = card.blocks.find((b) => b.type === 'actions');
    expect(release.phase).toBe('paused');
    expect(actions && actions.type === 'actions' && actions.elements.map((e) => e.action_id)).toEqual([
      'release.resume',
      'release.rollback',
      'release.cancel',
    ]);
    const resume = actions && actions.type === 'actions' ? actions.elements[0] : undefined;
    expect(resume?.confirm?.title.text).toBe('Overwrite the hand change?');
    expect(card.blocks).toContainEqual(
      sectionOf(
        `:warning: *The route was changed outside canary-bot* ${date(400, '10:06')}: ${release.pause?.detail}\nResume overwrites the change; roll back restores the original route.`,
      ),
    );
  });

  it('shows A/B match routes and an approve button clipped to 75 characters', () => {
    // Prepare
    const release = started({
      kind: 'ab',
      matches: [
        { kind: 'header', name: 'end-user', match: { exact: 'jason' } },
        { kind: 'cookie', regex: '^(.*?;)?(user=tester)(;.*)?$' },
      ],
    });
    const live = decide(release, approveNow(release, 10)).next;
    // Act
    const card = releaseCard(decide(live, appliedNow(live, 15)).next);
    const first = releaseCard(release);
    // Assess
    expect(JSON.stringify(card.blocks)).toContain(
      'Requests with header end-user=jason or cookie user=tester → v2',
    );
    const approve = first.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []))[0];
    expect(approve?.text.text).toBe(
      'Approve: route requests with header end-user=jason or cookie user=tester t…',
    );
    expect(approve?.text.text.length).toBe(75);
  });

  it('escapes text it did not write, so a reason cannot mention or link', () => {
    // Prepare
    const release = started();
    const { next } = decide(release, {
      type: 'rollback',
      stateVersion: release.version,
      actor: APPROVER,
      at: at(5),
      reason: '<!channel> & <http://x|y>',
    });
    // Act
    const card = releaseCard(next);
    // Assess
    const text = JSON.stringify(card);
    expect(text).not.toContain('<!channel>');
    expect(card.text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
  });
});

describe('weight bars', () => {
  it('line up, and never show 1% as nothing or 99% as everything', () => {
    // Act
    const bars = weightBars(
      [
        { label: 'v1', weight: 99 },
        { label: 'reviews/v3', weight: 1 },
      ],
      10,
    );
    // Assess
    expect(bars).toBe('v1         █████████░  99%\nreviews/v3 █░░░░░░░░░   1%');
  });
});

describe('button values', () => {
  it('round-trip the release, step and state version', () => {
    // Prepare
    const value = encodeButtonValue({ r: '01JABC', s: 2, v: 17 });
    // Act
    const parsed = parseButtonValue(value);
    // Assess
    expect(value).toBe('{"r":"01JABC","s":2,"v":17}');
    expect(parsed).toEqual({ ok: true, value: { r: '01JABC', s: 2, v: 17 } });
  });

  it.each([
    ['not json', 'The button value is not JSON.'],
    [
      '{"r":"R1","s":1}',
      'The button value is not a release reference: v: Invalid input: expected number, received undefined.',
    ],
    [
      '{"r":"R1","s":1,"v":2,"token":"xoxb-1"}',
      'The button value is not a release reference: value: Unrecognized key: "token".',
    ],
    [
      '{"r":"R-1","s":1,"v":2}',
      'The button value is not a release reference: r: Invalid string: must match pattern /^[A-Za-z0-9]{1,40}$/.',
    ],
    [
      '{"r":"R1","s":-1,"v":2}',
      'The button value is not a release reference: s: Too small: expected number to be >=0.',
    ],
    [
      '{"r":"R1","s":1.5,"v":2}',
      'The button value is not a release reference: s: Invalid input: expected int, received number.',
    ],
    [
      '[1,2,3]',
      'The button value is not a release reference: value: Invalid input: expected object, received array.',
    ],
    ['x'.repeat(2001), 'The button value is missing or too long.'],
  ])('refuses %#', (value, error) => {
    // Act
    const parsed = parseButtonValue(value);
    // Assess
    expect(parsed).toEqual({ ok: false, error });
  });

  it('name the card actions with constant ids', () => {
    // Act / Assess
    expect(CARD_ACTION_IDS).toEqual({
      approve: 'release.approve',
      rollback: 'release.rollback',
      pause: 'release.pause',
      resume: 'release.resume',
      cancel: 'release.cancel',
    });
    expect(cardActionOf('release.resume')).toBe('resume');
    expect(cardActionOf('release.nope')).toBeUndefined();
  });

  it('carry no more than the reference on every button of every phase', () => {
    // Prepare
    const releases: Release[] = [started(), drive(started(), ...passStep(10)).release];
    for (const release of releases) {
      // Act
      const card = releaseCard(release);
      // Assess
      for (const button of card.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []))) {
        const parsed = parseButtonValue(button.value ?? '');
        expect(parsed.ok && parsed.value.r).toBe('R1');
      }
      expect(checkMessageContent(card)).toBeUndefined();
    }
  });
});
