/**
 * Flagger's webhook protocol through the real Flagger handler behind the local API Gateway front door:
 * Flagger's exact payloads for every hook type the bot serves, authentication, Slack approvals clicked as
 * Slack sends them (signed block_actions through the real ingress and worker), the bed's DynamoDB Local and
 * Slack emulator.
 */

import { uniqueNamespace } from '../../local/bed/manifests.js';
import { checkMessageContent } from '../../local/slack/block-kit-limits.js';
import { sendBlockActions } from '../../local/slack/interaction-client.js';
import type { RecordedMessage } from '../../local/slack/message-record.js';
import { auditTrail } from '../../src/app/release-queries.js';
import { auditSubjectOf } from '../../src/domain/flagger/index.js';
import { FLAGGER_KEY_METADATA, flaggerNamespaceKey } from '../../src/flagger/namespace-key.js';
import { type FlaggerStack, startFlaggerStack } from './support/flagger-stack.js';

const alice = { id: 'U0ALICE001', name: 'alice' }; // in S0APPROVERS
const bob = { id: 'U0BOB00001', name: 'bob' };

let stack: FlaggerStack;
let namespace: string;
/** The key of the test's namespace, as `npm run flagger-webhooks` prints it for the Canary's metadata. */
let key: string;
const stderr: string[] = [];
const writeStderr = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  // What the handler logs is read back at the end: the secret must never be in it.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    stderr.push(String(chunk));
    return writeStderr(chunk, ...rest);
  }) as typeof process.stderr.write;
  stack = await startFlaggerStack();
  namespace = uniqueNamespace('flagger');
  key = flaggerNamespaceKey(stack.secret, namespace);
});

afterAll(async () => {
  process.stderr.write = writeStderr;
  await stack?.close();
});

/** The body Flagger's CallWebhook sends for confirm-* and rollback hooks: the webhook's metadata holds the key. */
const gateBody = (checksum: string, name = 'podinfo', phase = 'Progressing', ns = namespace, k = key) =>
  `{"name":"${name}","namespace":"${ns}","phase":"${phase}","checksum":"${checksum}","metadata":{"${FLAGGER_KEY_METADATA}":"${k}"}}`;

/** The body Flagger's CallEventWebhook sends: its event fields, and the webhook's metadata (the key) merged in. */
const eventBody = (
  checksum: string,
  message: string,
  type: 'Normal' | 'Warning',
  phase: string,
  ts: number,
  ns = namespace,
  k = key,
) =>
  `{"name":"podinfo","namespace":"${ns}","phase":"${phase}","checksum":"${checksum}","metadata":{"eventMessage":"${message}","eventType":"${type}","timestamp":"${ts}","${FLAGGER_KEY_METADATA}":"${k}"}}`;

/** Flagger's event of a promotion completed (Normal, Succeeded) for the revision `checksum`, at `ts`. */
const promotedBody = (checksum: string, ts: number, ns = namespace, k = key) =>
  eventBody(checksum, `Promotion completed! Scaling down podinfo.${ns}`, 'Normal', 'Succeeded', ts, ns, k);

async function callFlagger(
  hook: string,
  body: string,
  options: { path?: string; headers?: Record<string, string>; method?: string } = {},
): Promise<{ status: number; json: { decision?: string; message?: string }; text: string }> {
  const response = await fetch(options.path ?? `${stack.flaggerBase}/${hook}`, {
    method: options.method ?? 'POST',
    // Flagger sets exactly this header (retryablehttp adds its user agent).
    headers: options.headers ?? { 'Content-Type': 'application/json' },
    ...(options.method === 'GET' ? {} : { body }),
  });
  const text = await response.text();
  let json = {};
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json, text };
}

function buttons(message: RecordedMessage) {
  return (message.blocks ?? []).flatMap((b) => {
    const block = b as { type: string; elements?: { action_id: string; value: string }[] };
    return block.type === 'actions' ? (block.elements ?? []) : [];
  });
}

/** Clicks a button of a card as `user`, waits for the worker, returns the private answer. */
async function click(user: { id: string; name: string }, card: RecordedMessage, actionId: string, index = 0) {
  const button = buttons(card).filter((b) => b.action_id === actionId)[index];
  if (!button) throw new Error(`no ${actionId} on the card: ${buttons(card).map((b) => b.action_id)}`);
  const response = await sendBlockActions(
    { url: stack.slackUrl, signingSecret: stack.bed.slack.signingSecret },
    {
      user: { id: user.id, username: user.name },
      channel: { id: stack.channel },
      messageTs: card.ts,
      // The card as this person's Slack shows it, which may be older than the one in the channel now.
      message: { type: 'message', ts: card.ts, text: card.text, blocks: card.blocks, user: card.user },
      actions: [{ action_id: actionId, value: button.value }],
      teamId: 'T0CANARYBOT',
      emulator: stack.emulator,
    },
  );
  expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
  await stack.queue.drain();
  const posts = (await stack.emulator.snapshot()).responseUrlPosts.filter(
    (p) => p.responseUrl === response.responseUrl,
  );
  return posts.map((p) => (p.body as { text?: string }).text ?? '').join('\n');
}

describe('Flagger webhooks through the real handler', () => {
  it("refuses callers without a key (401), with another namespace's key (403), bad requests with a reason, and never logs a key", async () => {
    const body = gateBody('aaa111');
    const other = flaggerNamespaceKey(stack.secret, 'another-team');
    expect(
      (await callFlagger('confirm-promotion', gateBody('aaa111', 'podinfo', 'Progressing', namespace, '')))
        .status,
    ).toBe(401);
    const wrong = await callFlagger(
      'confirm-promotion',
      gateBody('aaa111', 'podinfo', 'Progressing', namespace, other),
    );
    expect(wrong).toMatchObject({ status: 403, json: { decision: 'refused' } });
    expect(wrong.json.message).toMatch(new RegExp(`not the key of namespace ${namespace}`));
    // The master secret is no key: it never leaves the bot's configuration.
    const master = await callFlagger(
      'confirm-promotion',
      gateBody('aaa111', 'podinfo', 'Progressing', namespace, stack.secret),
    );
    expect(master.status).toBe(403);
    const badBearer = await callFlagger('', body, {
      path: `${stack.flaggerBase}/confirm-promotion`,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${other}` },
    });
    expect(badBearer.status).toBe(403);
    // A key in the URL (the former form) is not read: keys never travel where Flagger logs them.
    expect(
      (await callFlagger('', body, { path: `${stack.flaggerBase}/${key}/confirm-promotion` })).status,
    ).toBe(404);
    expect((await callFlagger('', body, { path: `${stack.flaggerBase}/pre-rollout` })).status).toBe(404);
    expect(
      (await callFlagger('confirm-promotion', body, { headers: { 'Content-Type': 'text/plain' } })).status,
    ).toBe(415);
    expect((await callFlagger('confirm-promotion', '', { method: 'GET' })).status).toBe(405);
    const malformed = await callFlagger(
      'confirm-promotion',
      `{"name":"podinfo","namespace":"${namespace}","metadata":{"${FLAGGER_KEY_METADATA}":"${key}"}}`,
    );
    expect(malformed).toMatchObject({ status: 400, json: { decision: 'refused' } });
    expect(malformed.json.message).toMatch(/checksum/);
    const tooBig = await callFlagger('event', `{"name":"${'x'.repeat(70_000)}"}`);
    expect(tooBig.status).toBe(413);
    // Nothing was stored or posted for refused requests.
    expect(await stack.revision(namespace, 'podinfo', 'aaa111')).toBeUndefined();
  });

  it('posts an approval card on the first confirm-promotion call, refuses until an approver approves, then 200', async () => {
    // Act: Flagger asks twice before anyone clicks
    const first = await callFlagger('confirm-promotion', gateBody('c0ffee01'));
    const second = await callFlagger('confirm-promotion', gateBody('c0ffee01'));
    // Assess: refused, one card with the buttons, a waiting notice in its thread (shown in the channel)
    expect(first).toMatchObject({ status: 403, json: { decision: 'waiting' } });
    expect(second).toMatchObject({ status: 403, json: { decision: 'waiting' } });
    const card = await stack.card(namespace, 'podinfo', 'c0ffee01');
    expect(buttons(card).map((b) => b.action_id)).toEqual(['flagger.approve', 'flagger.reject']);
    expect(checkMessageContent({ text: card.text, blocks: card.blocks })).toBeUndefined();
    const cards = await stack.emulator.messages({ channel: stack.channel, inThread: false });
    expect(cards.filter((m) => m.text.includes(`podinfo.${namespace} revision c0ffee01`))).toHaveLength(1);
    const [notice] = await stack.thread(card);
    expect(notice).toMatchObject({ replyBroadcast: true });
    expect(notice?.text).toMatch(/Flagger waits for confirm-promotion/);

    // Act: bob is no approver
    const refusal = await click(bob, card, 'flagger.approve');
    // Assess: privately refused, recorded, still closed
    expect(refusal).toMatch(/lets only S0APPROVERS approve/);
    expect((await callFlagger('confirm-promotion', gateBody('c0ffee01'))).status).toBe(403);

    // Act: alice approves
    const approval = await click(alice, card, 'flagger.approve');
    const after = await callFlagger('confirm-promotion', gateBody('c0ffee01'));
    // Assess
    expect(approval).toMatch(/U0ALICE001 approved confirm-promotion/);
    expect(after).toMatchObject({ status: 200, json: { decision: 'approved' } });
    expect((await callFlagger('confirm-promotion', gateBody('c0ffee01'))).status).toBe(200);
    const updated = await stack.card(namespace, 'podinfo', 'c0ffee01');
    expect(buttons(updated)).toEqual([]);
    expect(JSON.stringify(updated.blocks)).toContain('approved by <@U0ALICE001>');
    expect((await stack.thread(card)).map((m) => m.text)).toContain(
      `U0ALICE001 approved confirm-promotion of podinfo.${namespace} revision c0ffee01`,
    );
    const trail = await auditTrail(
      { store: stack.store } as never,
      auditSubjectOf({ namespace, name: 'podinfo', checksum: 'c0ffee01' }),
    );
    expect(trail.map((e) => [e.actor, e.action])).toEqual([
      ['flagger', 'flagger-request'],
      [bob.id, 'refused-approve'],
      [alice.id, 'approve'],
      ['flagger', 'flagger-proceed'],
    ]);
    expect(trail[2]).toMatchObject({
      stateVersion: expect.any(Number),
      detail: { gate: 'confirm-promotion' },
    });

    // Act: a second click on the old card (stale) changes nothing and says who approved
    const stale = await click(alice, card, 'flagger.approve');
    expect(stale).toMatch(/already approved by U0ALICE001/);
  });

  it('needs a new approval for a new checksum, and a separate one per hook', async () => {
    await callFlagger('confirm-promotion', gateBody('beef0001'));
    await click(alice, await stack.card(namespace, 'podinfo', 'beef0001'), 'flagger.approve');
    expect((await callFlagger('confirm-promotion', gateBody('beef0001'))).status).toBe(200);

    // A new revision of the same canary: refused, and a card of its own.
    expect((await callFlagger('confirm-promotion', gateBody('beef0002'))).status).toBe(403);
    const newCard = await stack.card(namespace, 'podinfo', 'beef0002');
    expect(newCard.ts).not.toBe((await stack.card(namespace, 'podinfo', 'beef0001')).ts);

    // Another gate of the approved revision (Flagger's exact confirm-traffic-increase and confirm-rollout bodies).
    expect((await callFlagger('confirm-traffic-increase', gateBody('beef0001'))).status).toBe(403);
    expect(
      (await callFlagger('confirm-rollout', gateBody('beef0001', 'podinfo', 'Initialized'))).status,
    ).toBe(403);
    const card = await stack.card(namespace, 'podinfo', 'beef0001');
    expect(buttons(card).map((b) => b.action_id)).toEqual([
      'flagger.approve',
      'flagger.reject',
      'flagger.approve',
      'flagger.reject',
    ]);
    await click(alice, card, 'flagger.approve', 1); // the second approve: confirm-traffic-increase
    expect((await callFlagger('confirm-traffic-increase', gateBody('beef0001'))).status).toBe(200);
    expect(
      (await callFlagger('confirm-rollout', gateBody('beef0001', 'podinfo', 'Initialized'))).status,
    ).toBe(403);
  });

  it('records a rejection and keeps refusing that revision', async () => {
    await callFlagger('confirm-rollout', gateBody('dead0001', 'podinfo', 'Initialized'));
    const card = await stack.card(namespace, 'podinfo', 'dead0001');

    const answer = await click(alice, card, 'flagger.reject');

    expect(answer).toMatch(/rejected confirm-rollout/);
    const after = await callFlagger('confirm-rollout', gateBody('dead0001', 'podinfo', 'Initialized'));
    expect(after).toMatchObject({ status: 403, json: { decision: 'rejected' } });
    expect(after.json.message).toMatch(/rejected by U0ALICE001/);
    expect(await click(alice, card, 'flagger.approve')).toMatch(/already rejected by U0ALICE001/);
    const trail = await auditTrail(
      { store: stack.store } as never,
      auditSubjectOf({ namespace, name: 'podinfo', checksum: 'dead0001' }),
    );
    expect(trail.map((e) => e.action)).toEqual(['flagger-request', 'reject']);
  });

  it('answers the rollback hook with 2xx once an approver pressed Roll back', async () => {
    // Prepare: Flagger calls the rollback hook during the analysis
    const first = await callFlagger('rollback', gateBody('a11b0001'));
    expect(first).toMatchObject({ status: 403, json: { decision: 'no-rollback' } });
    const card = await stack.card(namespace, 'podinfo', 'a11b0001');
    expect(buttons(card).map((b) => b.action_id)).toEqual(['flagger.rollback']);

    // Act
    expect(await click(bob, card, 'flagger.rollback')).toMatch(
      /lets only the requester and S0APPROVERS rollback/,
    );
    expect((await callFlagger('rollback', gateBody('a11b0001'))).status).toBe(403);
    expect(await click(alice, card, 'flagger.rollback')).toMatch(/asked Flagger to roll back/);

    // Assess
    expect(await callFlagger('rollback', gateBody('a11b0001'))).toMatchObject({
      status: 200,
      json: { decision: 'rollback-requested' },
    });
    const trail = await auditTrail(
      { store: stack.store } as never,
      auditSubjectOf({ namespace, name: 'podinfo', checksum: 'a11b0001' }),
    );
    expect(trail.map((e) => e.action)).toEqual(['refused-rollback', 'rollback', 'flagger-rollback']);
  });

  it("relays Flagger's events into the revision's thread, Warnings flagged, retries posted once", async () => {
    // Prepare: the first deployment's events open no thread
    const init = await callFlagger(
      'event',
      eventBody(
        '1n1t0001',
        `Initialization done! podinfo.${namespace}`,
        'Normal',
        'Initialized',
        1_795_350_296_147,
      ),
    );
    expect(init).toMatchObject({ status: 200, json: { decision: 'ignored' } });
    expect(await stack.revision(namespace, 'podinfo', '1n1t0001')).toBeUndefined();

    // Act: an analysis, a retry of the same event, a Warning, then the gate of the same revision
    const ts = 1_795_350_316_114;
    const start = eventBody(
      'e7e70001',
      `Starting canary analysis for podinfo.${namespace}`,
      'Normal',
      'Progressing',
      ts,
    );
    expect((await callFlagger('event', start)).json.decision).toBe('relayed');
    expect((await callFlagger('event', start)).json.decision).toBe('duplicate');
    const warning = eventBody(
      'e7e70001',
      `Halt podinfo.${namespace} advancement waiting for promotion approval ask`,
      'Warning',
      'Progressing',
      ts + 20_000,
    );
    // A caller that can set headers may send the namespace's key as a bearer token instead.
    const viaHeader = await callFlagger('event', warning.replace(`,"${FLAGGER_KEY_METADATA}":"${key}"`, ''), {
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    });
    expect(viaHeader).toMatchObject({ status: 200, json: { decision: 'relayed' } });
    expect((await callFlagger('confirm-promotion', gateBody('e7e70001'))).status).toBe(403);

    // Assess: one card (opened by the first event), its thread in order
    const card = await stack.card(namespace, 'podinfo', 'e7e70001');
    const thread = await stack.thread(card);
    expect(thread.map((m) => m.text)).toEqual([
      `Normal Synced: Starting canary analysis for podinfo.${namespace}`,
      `Warning Synced: Halt podinfo.${namespace} advancement waiting for promotion approval ask`,
      expect.stringMatching(/^Flagger waits for confirm-promotion/),
    ]);
    expect(JSON.stringify(thread[1]?.blocks)).toContain(':warning: *Warning*');
    expect(buttons(card).map((b) => b.action_id)).toEqual(['flagger.approve', 'flagger.reject']);
    expect(JSON.stringify(card.blocks)).toContain('1 warning from Flagger');

    // Act: promotion completes
    await callFlagger('event', promotedBody('e7e70001', ts + 60_000));
    const final = await stack.card(namespace, 'podinfo', 'e7e70001');
    expect(JSON.stringify(final.blocks)).toContain('was promoted');
    expect(buttons(final)).toEqual([]);
  });

  it("refuses a forged Succeeded sent with another namespace's key, and changes nothing", async () => {
    // Prepare: team-b's canary waits for its promotion approval (its card has buttons).
    const teamB = uniqueNamespace('flagger-b');
    const keyB = flaggerNamespaceKey(stack.secret, teamB);
    const ask = await callFlagger(
      'confirm-promotion',
      gateBody('f0f0f001', 'podinfo', 'Progressing', teamB, keyB),
    );
    expect(ask.status).toBe(403);
    const before = await stack.revision(teamB, 'podinfo', 'f0f0f001');
    const card = await stack.card(teamB, 'podinfo', 'f0f0f001');
    const threadBefore = await stack.thread(card);
    // Act: a Canary author of the test's namespace forges Flagger's Succeeded event for team-b with their key.
    const forged = await callFlagger('event', promotedBody('f0f0f001', Date.now(), teamB, key));
    // Assess: refused with the reason; the revision, its card (buttons) and its thread are as they were.
    expect(forged).toMatchObject({ status: 403, json: { decision: 'refused' } });
    expect(forged.json.message).toMatch(new RegExp(`not the key of namespace ${teamB}`));
    expect(await stack.revision(teamB, 'podinfo', 'f0f0f001')).toEqual(before);
    const after = await stack.card(teamB, 'podinfo', 'f0f0f001');
    expect(buttons(after).map((b) => b.action_id)).toEqual(['flagger.approve', 'flagger.reject']);
    expect(after.blocks).toEqual(card.blocks);
    expect(await stack.thread(card)).toEqual(threadBefore);
    // The same event with team-b's own key is Flagger's, and is relayed.
    const genuine = await callFlagger('event', promotedBody('f0f0f001', Date.now(), teamB, keyB));
    expect(genuine.status).toBe(200);
    expect(JSON.stringify((await stack.card(teamB, 'podinfo', 'f0f0f001')).blocks)).toContain('was promoted');
  });

  it('sent only messages within Slack limits, had no failed worker job, and logged no secret', async () => {
    const snapshot = await stack.emulator.snapshot();
    const mine = snapshot.messages.filter((m) => m.text.includes(namespace));
    expect(mine.length).toBeGreaterThan(5);
    for (const message of mine)
      expect(checkMessageContent({ text: message.text, blocks: message.blocks as never })).toBeUndefined();
    expect(stack.jobErrors).toEqual([]);
    expect(stderr.join('')).toMatch(/flagger: (answered|refused)/);
    expect(stderr.join('')).not.toContain(stack.secret);
    expect(stderr.join('')).not.toContain(key);
  });
});
