import {
  auditTrail,
  commandErrorMessage,
  errorMessage,
  helpMessage,
  historyList,
  policyRefusalMessage,
  refusalMessage,
  releaseChoice,
  releaseEventLine,
  statusList,
} from '../../src/chat/views/index.js';
import { whereWords } from '../../src/chat/views/release-words.js';
import { parseCommand } from '../../src/domain/command/index.js';
import { authorize, DEFAULT_APPROVAL_POLICY, decide } from '../../src/domain/release/index.js';
import { appliedNow, approveNow, drive, passStep, REQUESTER, started } from './release-fixtures.js';

const md = (text: string) => ({ type: 'mrkdwn', text });
const sectionOf = (text: string) => ({ type: 'section', text: md(text) });
const date = (seconds: number, fallback: string) =>
  `<!date^${1746093600 + seconds}^{date_short_pretty} {time}|2025-05-01 ${fallback} UTC>`;

describe('help message', () => {
  it('lists every command on one line', () => {
    // Act
    const help = helpMessage();
    // Assess
    expect(help).toEqual({
      text: 'canary-bot commands: start, ab, switch, mirror, weights, approve, rollback, pause, resume, cancel, status, metrics, history, subscribe, unsubscribe, subscriptions, freeze, unfreeze, audit, help',
      blocks: [
        sectionOf('*canary-bot*: progressive releases on Istio, approved in Slack.'),
        sectionOf(
          [
            '`/canary start &lt;service&gt; &lt;version&gt; [options]` — weighted canary, each step approved on the card',
            "`/canary ab &lt;service&gt; &lt;version&gt; (--header NAME=VALUE | --header NAME~REGEX | --cookie 'NAME=VALUE' | --user-agent REGEX)... [options]` — A/B test: matching requests go to the version, then promotion",
            '`/canary switch &lt;service&gt; &lt;version&gt; [options]` — blue/green: all traffic to the version at once, instant switch-back',
            '`/canary mirror &lt;service&gt; &lt;version&gt; [options]` — shadow traffic: copy requests to the version, answers discarded',
            '`/canary weights &lt;service&gt; &lt;version&gt;=&lt;weight&gt;... [options]` — set weights by hand (still approved); the last version listed is the one released',
            '`/canary approve [&lt;service&gt;|&lt;release-id&gt;] [options]` — approve the step the release is waiting for',
            '`/canary rollback [&lt;service&gt;|&lt;release-id&gt;] [options]` — restore the original route now',
            '`/canary pause [&lt;service&gt;|&lt;release-id&gt;] [options]` — halt the release where it is',
            '`/canary resume [&lt;service&gt;|&lt;release-id&gt;] [options]` — carry on after a pause',
            '`/canary cancel [&lt;service&gt;|&lt;release-id&gt;] [options]` — stop the release and restore the original route',
            '`/canary status [&lt;service&gt;] [options]` — active releases, one line each',
            '`/canary metrics &lt;service&gt; [options]` — RED report (rate, errors, p99) per version, with a chart',
            '`/canary history &lt;service&gt; [options]` — past releases of a service, newest first',
            '`/canary subscribe &lt;service|namespace&gt; --every 15m|1h|daily HH:MM [options]` — post a RED summary to this channel on a schedule',
            '`/canary unsubscribe &lt;service|namespace&gt; [options]` — stop the scheduled summary in this channel',
            "`/canary subscriptions` — this channel's scheduled summaries",
            '`/canary freeze [now] [options]` — freeze windows and stops in force, and what they hold; `freeze now` stops the line',
            '`/canary unfreeze [options]` — lift the stop of the line of a namespace, a cluster, or everything',
            "`/canary audit &lt;service&gt; [options]` — the audit trail of a service as a CSV file in this channel (the namespace's starters and approvers)",
            '`/canary help [&lt;command&gt;]` — this list, or the options of one command',
          ].join('\n'),
        ),
        {
          type: 'context',
          elements: [md('`/canary help &lt;command&gt;` shows the options of one command.')],
        },
      ],
    });
  });

  it('gives the options of one command', () => {
    // Act
    const help = helpMessage('subscribe');
    // Assess
    expect(help).toEqual({
      text: '/canary subscribe &lt;service|namespace&gt; --every 15m|1h|daily HH:MM [--ns NS] [--cluster NAME]: post a RED summary to this channel on a schedule',
      blocks: [
        sectionOf(
          '`/canary subscribe &lt;service|namespace&gt; --every 15m|1h|daily HH:MM [--ns NS] [--cluster NAME]`\npost a RED summary to this channel on a schedule',
        ),
        sectionOf(
          '`--every 15m|1h|daily HH:MM` — how often to post the summary\n`--ns NS` — namespace (default: the configured one)\n`--cluster NAME` — configured cluster (default: the default one)',
        ),
        { type: 'context', elements: [md('Example: `/canary subscribe bookinfo --every 1h`')] },
      ],
    });
  });
});

describe('ephemeral notices', () => {
  it('show a command error with its usage line', () => {
    // Prepare
    const parsed = parseCommand('history');
    if (parsed.ok) throw new Error('history without a service must not parse');
    // Act
    const message = commandErrorMessage(parsed.error, parsed.usage);
    // Assess
    expect(message).toEqual({
      text: 'Name the service, e.g. reviews. Usage: /canary history &lt;service&gt; [--ns NS] [--limit N] [--cluster NAME]',
      blocks: [
        sectionOf(':warning: Name the service, e.g. reviews.'),
        {
          type: 'context',
          elements: [
            md('Usage: `/canary history &lt;service&gt; [--ns NS] [--limit N] [--cluster NAME]`'),
            md('`/canary help` lists every command.'),
          ],
        },
      ],
    });
  });

  it('explain a refused click with decide’s own sentence', () => {
    // Prepare
    const release = started();
    const old = approveNow(release, 10);
    const moved = drive(
      release,
      () => old,
      (r) => appliedNow(r, 15),
    ).release;
    const { outcome } = decide(moved, { ...old, at: '2025-05-01T10:00:20.000Z' });
    if (outcome.status !== 'refused') throw new Error('a second click on the same approval must be refused');
    // Act
    const message = refusalMessage(outcome);
    // Assess
    expect(message).toEqual({
      text: outcome.message,
      blocks: [sectionOf(`:information_source: ${outcome.message}`)],
    });
  });

  it('say who may approve when the policy refuses', () => {
    // Prepare
    const release = started();
    const answer = authorize(
      'approve',
      { userId: REQUESTER, groupIds: [] },
      release,
      DEFAULT_APPROVAL_POLICY,
    );
    if (answer.allowed) throw new Error('four eyes must refuse the requester');
    // Act
    const message = policyRefusalMessage('approve', release, answer.reason);
    // Assess
    expect(message).toEqual({
      text: `You cannot approve reviews.bookinfo v2: ${answer.reason}`,
      blocks: [sectionOf(`:lock: *You cannot approve reviews.bookinfo v2*\n${answer.reason}`)],
    });
  });

  it('show an error with a hint, escaped', () => {
    // Act
    const message = errorMessage('Could not read <VirtualService> reviews.', 'Try again in a minute.');
    // Assess
    expect(message).toEqual({
      text: 'Could not read &lt;VirtualService&gt; reviews. Try again in a minute.',
      blocks: [
        sectionOf(':x: Could not read &lt;VirtualService&gt; reviews.'),
        { type: 'context', elements: [md('Try again in a minute.')] },
      ],
    });
  });
});

describe('thread event line', () => {
  it('marks Normal and Warning like Flagger and escapes the message', () => {
    // Act
    const normal = releaseEventLine({
      type: 'Normal',
      reason: 'Synced',
      message: 'Advance reviews.bookinfo canary weight 25',
    });
    const warning = releaseEventLine(
      { type: 'Warning', reason: 'Synced', message: 'Halt reviews.bookinfo advancement p99 <1s> & more' },
      '2025-05-01T10:05:00Z',
    );
    // Assess
    expect(normal).toEqual({
      text: 'Normal Synced: Advance reviews.bookinfo canary weight 25',
      blocks: [sectionOf(':large_blue_circle: *Normal* Advance reviews.bookinfo canary weight 25')],
    });
    expect(warning).toEqual({
      text: 'Warning Synced: Halt reviews.bookinfo advancement p99 &lt;1s&gt; &amp; more',
      blocks: [
        sectionOf(':warning: *Warning* Halt reviews.bookinfo advancement p99 &lt;1s&gt; &amp; more'),
        { type: 'context', elements: [md(`Synced · ${date(300, '10:05')}`)] },
      ],
    });
  });
});

describe('release lists', () => {
  it('give one line per active release', () => {
    // Prepare
    const waiting = started();
    const live = drive(started(), ...passStep(10)).release;
    // Act
    const message = statusList([waiting, live], { namespace: 'bookinfo' });
    // Assess
    expect(message).toEqual({
      text: '2 active releases in bookinfo',
      blocks: [
        sectionOf('*2 active releases in bookinfo*'),
        sectionOf(
          [
            ':hourglass_flowing_sand: *reviews.bookinfo* v1 → v2 canary · waiting for approval of step 1/4: canary weight 10 · v1 100% · `R1`',
            ':hourglass_flowing_sand: *reviews.bookinfo* v1 → v2 canary · waiting for approval of step 2/4: canary weight 25 · v1 90% · v2 10% · `R1`',
          ].join('\n'),
        ),
      ],
    });
  });

  it('name the cluster of each release, so that the same service on two clusters reads as two', () => {
    // Prepare
    const east = started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'east' } });
    const west = { ...started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'west' } }), id: 'R2' };
    // Act
    const status = JSON.stringify(statusList([east, west], { service: 'reviews', namespace: 'bookinfo' }));
    const history = JSON.stringify(historyList([west, east], { service: 'reviews', namespace: 'bookinfo' }));
    // Assess
    expect(status).toContain('v1 100% · cluster `east` · `R1`');
    expect(status).toContain('v1 100% · cluster `west` · `R2`');
    expect(history).toContain('by <@U0REQUESTER> · cluster `west` · `R2`');
    expect(history).toContain('by <@U0REQUESTER> · cluster `east` · `R1`');
  });

  it('say so when nothing is active', () => {
    // Act / Assess
    expect(statusList([], { service: 'reviews', namespace: 'bookinfo' })).toEqual({
      text: '0 active releases of reviews.bookinfo',
      blocks: [sectionOf('No active releases of reviews.bookinfo.')],
    });
  });

  it('tell the history with how each release ended', () => {
    // Prepare
    const release = started();
    const cancelled = decide(release, {
      type: 'cancel',
      stateVersion: release.version,
      actor: 'U0APPROVER',
      at: '2025-05-01T10:00:05.000Z',
    }).next;
    // Act
    const message = historyList([cancelled], { service: 'reviews', namespace: 'bookinfo' });
    // Assess
    expect(cancelled.phase).toBe('cancelled');
    expect(message).toEqual({
      text: 'Last 1 release of reviews.bookinfo',
      blocks: [
        sectionOf('*Last 1 release of reviews.bookinfo*'),
        sectionOf(
          `:no_entry_sign: ${date(0, '10:00')} v1 → v2 canary · cancelled: ${cancelled.summary} · by <@U0REQUESTER> · \`R1\``,
        ),
      ],
    });
  });

  it('show the audit trail with who, what, which step and what they saw', () => {
    // Prepare
    const release = started();
    // Act
    const message = auditTrail(release, [
      {
        at: '2025-05-01T10:00:00Z',
        actor: 'U0REQUESTER',
        action: 'start',
        step: 0,
        stateVersion: 1,
        detail: {},
      },
      {
        at: '2025-05-01T10:01:00Z',
        actor: 'U0APPROVER',
        action: 'approve',
        step: 0,
        detail: { description: 'canary weight 10', verdict: 'pass', reasons: ['within tolerance'] },
      },
      {
        at: '2025-05-01T10:02:00Z',
        actor: 'canary-bot',
        action: 'advance',
        step: 9,
        detail: 'not an object',
      },
    ]);
    // Assess
    expect(message).toEqual({
      text: 'Audit trail of reviews.bookinfo v1 → v2 (3 entries)',
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: 'Audit trail of reviews.bookinfo v1 → v2', emoji: true },
        },
        { type: 'context', elements: [md('Release `R1` · canary · now waiting for approval, step 1/4')] },
        sectionOf(
          [
            `${date(0, '10:00')} <@U0REQUESTER> *start* step 1/4`,
            `${date(60, '10:01')} <@U0APPROVER> *approve* step 1/4 · canary weight 10 · verdict pass · within tolerance`,
            `${date(120, '10:02')} canary-bot *advance*`,
          ].join('\n'),
        ),
      ],
    });
  });

  it('name the route object a release drives: a VirtualService, or an HTTPRoute', () => {
    const release = started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'east' } });
    expect(whereWords(release)).toBe('cluster `east`, VirtualService `reviews`, default route');
    expect(whereWords({ ...release, target: { ...release.target, api: 'HTTPRoute' } })).toBe(
      'cluster `east`, HTTPRoute `reviews`, default route',
    );
  });

  it('list the candidates of an ambiguous command with where each runs, and a button for exactly that one', () => {
    // Prepare: reviews.bookinfo on two clusters, and on a named route of the second
    const east = started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'east' } });
    const west = {
      ...drive(started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'west' } }), ...passStep(10))
        .release,
      id: 'R2',
    };
    const westPrimary = {
      ...started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'west' } }),
      id: 'R3',
      target: { ...east.target, route: { kind: 'named' as const, name: 'primary' } },
    };
    // Act
    const message = releaseChoice([east, west, westPrimary], 'rollback');
    // Assess
    const choose = (id: string, value: string) => ({
      type: 'actions',
      block_id: `choose.${id}`,
      elements: [
        {
          type: 'button',
          action_id: 'release.rollback',
          text: { type: 'plain_text', text: 'Roll back this one', emoji: true },
          value,
        },
      ],
    });
    expect(message).toEqual({
      text: '3 releases match: pick the one to roll back',
      blocks: [
        sectionOf(
          ':question: *3 releases match: pick the one to roll back.* Nothing was changed. Or name it: `/canary rollback &lt;release-id&gt;`, or narrow with `--cluster NAME`.',
        ),
        sectionOf(
          ':hourglass_flowing_sand: *reviews.bookinfo* v1 → v2 canary · waiting for approval of step 1/4: canary weight 10 · v1 100% · `R1`\ncluster `east`, VirtualService `reviews`, default route',
        ),
        choose('R1', '{"r":"R1","s":0,"v":1}'),
        sectionOf(
          `:hourglass_flowing_sand: *reviews.bookinfo* v1 → v2 canary · waiting for approval of step 2/4: canary weight 25 · v1 90% · v2 10% · \`R2\`\ncluster \`west\`, VirtualService \`reviews\`, default route`,
        ),
        choose('R2', `{"r":"R2","s":1,"v":${west.version}}`),
        sectionOf(
          ':hourglass_flowing_sand: *reviews.bookinfo* v1 → v2 canary · waiting for approval of step 1/4: canary weight 10 · v1 100% · `R3`\ncluster `west`, VirtualService `reviews`, route `primary`',
        ),
        choose('R3', '{"r":"R3","s":0,"v":1}'),
      ],
    });
  });

  it('offer to approve only what waits for an approval, with the step and version it waits on', () => {
    // Prepare
    const waiting = started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'east' } });
    const paused = {
      ...decide(started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'west' } }), {
        type: 'pause',
        actor: REQUESTER,
        at: '2025-05-01T10:00:05.000Z',
        stateVersion: 1,
      }).next,
      id: 'R2',
    };
    // Act
    const message = releaseChoice([waiting, paused], 'approve');
    // Assess
    const values = message.blocks.flatMap((b) =>
      b.type === 'actions' ? (b.elements as unknown as { value: string; action_id: string }[]) : [],
    );
    expect(paused.phase).toBe('paused');
    expect(values).toEqual([
      expect.objectContaining({ action_id: 'release.approve', value: '{"r":"R1","s":0,"v":1}' }),
    ]);
    expect(JSON.stringify(message.blocks)).toContain('cluster `west`');
  });
});
