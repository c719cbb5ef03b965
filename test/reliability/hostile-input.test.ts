/**
 * Hostile input through the real Slack ingress (in process, signed so that what is behind the signature check
 * is exercised): thousands of generated commands and payloads. Never a crash, never a change, always an
 * answer; every job handed to the worker is well formed.
 */
import fc from 'fast-check';
import { httpApiEvent } from '../../local/front-door.js';
import { buildSlashCommandBody } from '../../local/slack/interaction-client.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import { silentLogger } from '../../src/app/logger.js';
import { createSlackIngress } from '../../src/chat/slack/slack-ingress.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { unescapeSlackText } from '../../src/chat/slack/slack-listeners.js';
import { userKindOf } from '../../src/chat/slack/slack-users.js';
import { parseButtonValue } from '../../src/chat/views/index.js';
import { COMMAND_NAMES, parseCommand } from '../../src/domain/command/index.js';
import {
  type Actor,
  type ApprovalPolicy,
  authorize,
  DEFAULT_APPROVAL_POLICY,
  type ReleaseAction,
} from '../../src/domain/release/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { started } from '../unit/release-fixtures.js';

const secret = 'hostile-signing-secret-0123456789';
const jobs: SlackJob[] = [];
const store = new EmbeddedStore();
const handler = createSlackIngress({
  signingSecret: secret,
  apiUrl: 'http://127.0.0.1:9/api/',
  claims: store,
  queue: { send: async (queued) => void jobs.push(...queued.map((q) => q.body)) },
  policy: DEFAULT_APPROVAL_POLICY,
  defaultNamespace: 'bookinfo',
  defaultCluster: 'prod',
  clock: () => new Date(),
  log: silentLogger,
});
const PROD = 'T0PROD';
const pinnedPolicy: ApprovalPolicy = {
  workspaces: [PROD, 'E0ACME'],
  default: { starters: ['U0ALICE001'], approvers: ['*'], fourEyes: true },
  namespaces: { bookinfo: { starters: ['*'], approvers: ['S0SRE'], fourEyes: true } },
  clusters: { prod: { default: { starters: ['*'], approvers: ['*'], fourEyes: false } } },
};
const pinnedJobs: SlackJob[] = [];
const pinnedHandler = createSlackIngress({
  signingSecret: secret,
  apiUrl: 'http://127.0.0.1:9/api/',
  claims: store,
  queue: { send: async (queued) => void pinnedJobs.push(...queued.map((q) => q.body)) },
  policy: pinnedPolicy,
  defaultNamespace: 'bookinfo',
  defaultCluster: 'prod',
  clock: () => new Date(),
  log: silentLogger,
});
const issued = { responseUrl: 'http://127.0.0.1:9/response/x', triggerId: '1.2.3' };
const counts = { commands: 0, payloads: 0, bodies: 0 };

async function send(body: string, contentType = 'application/x-www-form-urlencoded', to = handler) {
  const ts = Math.floor(Date.now() / 1000);
  const headers = { 'content-type': contentType, ...slackSignatureHeaders(secret, ts, body) };
  return await to(httpApiEvent('POST', '/slack/events', headers, body) as never, {});
}

/** Workspace, enterprise, channel and user ids as Slack sends them, and as an attacker might. */
const slackId = (prefixes: string) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...prefixes), fc.stringMatching(/^[A-Z0-9]{2,11}$/)).map(([p, r]) => p + r),
    fc.constantFrom(PROD, 'E0ACME', 'constructor', '__proto__', '', ' T0PROD', 't0prod', 'T0PROD\u0000'),
    fc.string({ maxLength: 20 }),
  );

const words = [
  ...COMMAND_NAMES,
  'reviews',
  'v2',
  'v1=90',
  'v2=10',
  '--ns',
  'bookinfo',
  '--steps',
  '10,50',
  '--header',
  'end-user=jason',
  '--cookie',
  "'user=tester'",
  '--percent',
  '150',
  '--every',
  '1h',
  '"',
  "'",
  '--',
  '<@U123>',
  '&amp;',
  '<!channel>',
  '\u202e',
  '🦜',
  '$(reboot)',
];

describe('hostile input through the Slack ingress', () => {
  it('answers every generated /canary text, and queues only commands the grammar accepts', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(fc.constantFrom(...words), { maxLength: 12 }).map((w) => w.join(' ')),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        counts.commands++;
        const before = jobs.length;
        const answer = await send(
          `${buildSlashCommandBody(
            { text: t, userId: 'U0ALICE001', userName: 'alice', channelId: 'C0RELEASES', teamId: 'T0' },
            issued,
          )}&n=${counts.commands}`,
        );
        expect(answer.statusCode).toBe(200);
        const body = JSON.parse(answer.body) as { response_type?: string; text?: string };
        expect(body.response_type).toBe('ephemeral');
        expect(body.text?.length).toBeGreaterThan(0);
        // Queued exactly when the grammar accepts the text (help is answered at once, never queued).
        const parsed = parseCommand(unescapeSlackText(t));
        const queued = jobs.slice(before);
        expect(queued.length).toBe(parsed.ok && parsed.command.kind !== 'help' ? 1 : 0);
        if (queued[0]?.kind === 'command' && parsed.ok) expect(queued[0].command).toEqual(parsed.command);
      }),
      { numRuns: 2000 },
    );
  });

  it('acknowledges every generated button payload and queues only well-formed release references', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.json(),
      fc.record({ r: fc.string(), s: fc.integer(), v: fc.integer() }).map((v) => JSON.stringify(v)),
    );
    const payload = fc.record({
      type: fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'nonsense'),
      user: fc.record({ id: fc.string({ maxLength: 20 }) }),
      response_url: fc.constant(issued.responseUrl),
      channel: fc.option(fc.record({ id: fc.string({ maxLength: 12 }) }), { nil: undefined }),
      actions: fc.array(
        fc.record({
          action_id: fc.constantFrom('release.approve', 'release.rollback', 'release.nope', 'x'),
          block_id: fc.string({ maxLength: 10 }),
          value,
          type: fc.constant('button'),
          action_ts: fc.constant('1.2'),
        }),
        { maxLength: 2 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          payload.map((p) => JSON.stringify(p)),
          fc.string({ maxLength: 200 }),
        ),
        async (json) => {
          counts.payloads++;
          const answer = await send(`payload=${encodeURIComponent(json)}&n=${counts.payloads}`);
          // 404: Bolt's answer to an interaction no listener handles (Slack never sends block_actions without actions).
          expect([200, 400, 404]).toContain(answer.statusCode);
        },
      ),
      { numRuns: 2000 },
    );
    for (const job of jobs.filter((j) => j.kind === 'action')) {
      expect(parseButtonValue(JSON.stringify(job.kind === 'action' ? job.value : {})).ok).toBe(true);
    }
  });

  it.each([
    // JSON is for the Events API only: anything else in JSON is refused before Bolt parses it.
    ['a JSON body that is not an Events API callback', '{"command":"/canary"}', 'application/json', 400],
    ['a JSON body that is not JSON', '{"type":"event_callback"', 'application/json', 400],
    ['a plain text body', 'text=status', 'text/plain', 415],
    ['a multipart body', 'text=status', 'multipart/form-data; boundary=x', 415],
    ['an oversized body', `text=${'a'.repeat(100_000)}`, 'application/x-www-form-urlencoded', 413],
  ])('refuses %s before parsing it', async (_what, body, type, status) => {
    counts.bodies++;
    const before = jobs.length;

    const answer = await send(body, type);

    expect(answer.statusCode).toBe(status);
    expect(jobs.length).toBe(before);
  });

  it('answers every generated Events API body without a server error, and queues only home and release-link events', async () => {
    const event = fc.record(
      {
        type: fc.constantFrom('app_home_opened', 'link_shared', 'message', 'app_mention', '__proto__', ''),
        user: slackId('UW'),
        tab: fc.constantFrom('home', 'messages', 'constructor'),
        channel: slackId('CDG'),
        message_ts: fc.constantFrom('1.2', '', 'x'),
        links: fc.array(
          fc.record({
            domain: fc.constantFrom('canary.example.com', 'evil.example.com'),
            url: fc.oneof(
              fc.constantFrom('https://canary.example.com/releases/r01', 'javascript:alert(1)', ''),
              fc.webUrl(),
            ),
          }),
          { maxLength: 8 },
        ),
      },
      { requiredKeys: ['type'] },
    );
    const body = fc.oneof(
      fc.record({
        type: fc.constant('event_callback'),
        team_id: slackId('TE'),
        event_id: fc.stringMatching(/^Ev[A-Z0-9]{1,12}$/),
        event,
      }),
      fc.record({ type: fc.constant('url_verification'), challenge: fc.string({ maxLength: 100 }) }),
      fc.anything().map((value) => ({ type: 'event_callback', event: value })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (envelope) => {
        counts.bodies++;
        const before = jobs.length;
        const answer = await send(JSON.stringify(envelope), 'application/json');
        expect(answer.statusCode).toBeLessThan(500);
        for (const job of jobs.slice(before)) expect(['home', 'unfurl']).toContain(job.kind);
        expect(jobs.length - before).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('answers commands from any workspace, channel and enterprise, and leaves the refusal of a foreign one to the worker (which records it)', async () => {
    const input = fc.record({
      team: slackId('TE'),
      enterprise: fc.option(slackId('E'), { nil: undefined }),
      channel: slackId('CGD'),
      user: slackId('UW'),
      text: fc.constantFrom(
        'start reviews v2',
        'start reviews v2 --ns constructor',
        'ab reviews v2 --ns __proto__ --header end-user=jason',
        'status',
        'approve reviews --ns toString',
      ),
    });
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        counts.commands++;
        const before = pinnedJobs.length;
        const answer = await send(
          `${buildSlashCommandBody(
            {
              text: i.text,
              userId: i.user,
              userName: 'x',
              channelId: i.channel,
              teamId: i.team,
              ...(i.enterprise !== undefined ? { enterpriseId: i.enterprise } : {}),
            },
            issued,
          )}&n=${counts.commands}`,
          undefined,
          pinnedHandler,
        );
        expect(answer.statusCode).toBe(200);
        expect((JSON.parse(answer.body) as { text?: string }).text?.length).toBeGreaterThan(0);
        const queued = pinnedJobs.slice(before);
        const served = [i.team, i.enterprise].some((id) => id === PROD || id === 'E0ACME');
        // Refused at once only for a served workspace (a start by someone not among the starters);
        // from any other workspace the job goes to the worker, which refuses it and records the refusal.
        if (!served) expect(queued).toHaveLength(parseCommand(i.text).ok ? 1 : 0);
        for (const job of queued) {
          expect(job.from).toMatchObject({ teamId: i.team, channelId: i.channel, userId: i.user });
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('authorizes any actor, kind, origin and namespace without throwing, and never lets an unserved workspace, a guest or an outsider through', () => {
    const actor = fc.record({
      userId: slackId('UW'),
      groupIds: fc.array(fc.constantFrom('S0SRE', 'S0DEVS', 'constructor'), { maxLength: 2 }),
      kind: fc.constantFrom('member', 'guest', 'external', undefined),
      origin: fc.option(
        fc.record({
          teamId: slackId('TE'),
          enterpriseId: fc.option(slackId('E'), { nil: undefined }),
          channelId: slackId('C'),
        }),
        { nil: undefined },
      ),
    });
    const action = fc.constantFrom<ReleaseAction>(
      'start',
      'approve',
      'reject',
      'rollback',
      'pause',
      'resume',
      'cancel',
    );
    const namespace = fc.oneof(
      fc.constantFrom('bookinfo', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'),
      fc.string({ maxLength: 12 }),
    );
    const cluster = fc.constantFrom('prod', 'constructor', '__proto__', undefined);
    fc.assert(
      fc.property(actor, action, namespace, cluster, (raw, act, ns, cl) => {
        const who = JSON.parse(JSON.stringify(raw)) as Actor;
        const subject =
          act === 'start'
            ? { namespace: ns, ...(cl ? { cluster: cl } : {}) }
            : started(undefined, {
                meta: { channel: 'C0RELEASES', team: PROD, ...(cl ? { cluster: cl } : {}) },
              });
        const answer = authorize(act, who, subject, pinnedPolicy);
        const served = [who.origin?.teamId, who.origin?.enterpriseId].some(
          (id) => id === PROD || id === 'E0ACME',
        );
        if (!served || who.kind === 'guest' || who.kind === 'external') expect(answer.allowed).toBe(false);
        if (act === 'approve' && who.origin && who.origin.channelId !== 'C0RELEASES')
          expect(answer.allowed).toBe(false);
        if (!answer.allowed) expect(answer.reason).toMatch(/^The (default )?approval policy/);
      }),
      { numRuns: 5000 },
    );
  });

  it("takes any users.info answer for a member only when Slack says it is one of the app's own, and never throws", () => {
    const user = fc.oneof(
      fc.record(
        {
          team_id: slackId('T'),
          is_restricted: fc.boolean(),
          is_ultra_restricted: fc.boolean(),
          is_stranger: fc.boolean(),
          enterprise_user: fc.record({ enterprise_id: slackId('E') }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      fc.object().map((o) => o as Record<string, never>),
    );
    fc.assert(
      fc.property(user, (u) => {
        const kind = userKindOf(u, { teamId: PROD, enterpriseId: 'E0ACME' });
        expect(['member', 'guest', 'external']).toContain(kind);
        const ours = u.team_id === PROD || u.enterprise_user?.enterprise_id === 'E0ACME';
        if (kind === 'member')
          expect(ours && u.is_stranger !== true && !u.is_restricted && !u.is_ultra_restricted).toBe(true);
        if (!ours || u.is_stranger === true) expect(kind).toBe('external');
      }),
      { numRuns: 5000 },
    );
  });
});
