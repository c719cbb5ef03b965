/**
 * The ingress' and the worker's halves of the Slack surfaces that need no emulator: the Events API
 * listeners (once per event, Slack's retries dropped, the queue's failure answered so Slack retries), the
 * page a release link points at, the catalog the worker keeps for the ingress, and the redraw of home tabs.
 */
import { buildIngress } from '../../handlers/compose/ingress.js';
import { httpApiEvent } from '../../local/front-door.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import {
  CATALOG_FRESH_SECONDS,
  CATALOG_MAX_SERVICES,
  CATALOG_RECORD,
  type CatalogRecord,
  refreshCatalog,
  storedCatalog,
} from '../../src/app/catalog.js';
import { HOME_VIEWER_RECORD, homesOutOfDate } from '../../src/app/home-refresh.js';
import { silentLogger } from '../../src/app/logger.js';
import type { QueuedJob } from '../../src/app/ports/job-queue.js';
import type { ReleaseNotifier } from '../../src/app/ports/release-notifier.js';
import { releasePage } from '../../src/chat/slack/release-page.js';
import { createSlackIngress } from '../../src/chat/slack/slack-ingress.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import { redrawHomes, refreshingHomes } from '../../src/chat/slack/surface-jobs.js';
import { NEW_RELEASE_ACTION_ID } from '../../src/chat/views/start-modal.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_APPROVAL_POLICY } from '../../src/domain/release/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { started } from './release-fixtures.js';

const secret = 'surfaces-signing-secret-0123456789';
const publicUrl = 'https://canary.example.com';

function ingress(
  queue: { send: (jobs: readonly QueuedJob<SlackJob>[]) => Promise<void> },
  now: () => number = Date.now,
) {
  return createSlackIngress({
    signingSecret: secret,
    apiUrl: 'http://127.0.0.1:9/api/',
    claims: new EmbeddedStore({ now }),
    now,
    queue,
    policy: DEFAULT_APPROVAL_POLICY,
    defaultNamespace: 'bookinfo',
    defaultCluster: 'prod',
    clock: () => new Date(),
    log: silentLogger,
    publicUrl,
  });
}

/** An Events API delivery as API Gateway hands it to the Lambda, signed at `at` (ms). */
function eventRequest(envelope: object, at = Date.now(), retry?: number) {
  const body = JSON.stringify(envelope);
  return httpApiEvent(
    'POST',
    '/slack/events',
    {
      'content-type': 'application/json',
      ...slackSignatureHeaders(secret, Math.floor(at / 1000), body),
      ...(retry ? { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' } : {}),
    },
    body,
  );
}

const homeOpened = (eventId: string) => ({
  type: 'event_callback',
  team_id: 'T0CANARYBOT',
  api_app_id: 'A0CANARY',
  event_id: eventId,
  event_time: 1,
  event: { type: 'app_home_opened', user: 'U0ALICE001', channel: 'D0ALICE', tab: 'home', event_ts: '1.2' },
});

describe('the Events API at the ingress', () => {
  it('hands an App Home event to the worker once, and drops Slack retries of it', async () => {
    // Prepare
    const sent: QueuedJob<SlackJob>[] = [];
    const handler = ingress({ send: async (jobs) => void sent.push(...jobs) });
    // Act: the event, then two retries signed later (as Slack sends them).
    const answers = [
      await handler(eventRequest(homeOpened('Ev0001')) as never, {}),
      await handler(eventRequest(homeOpened('Ev0001'), Date.now() + 1000, 1) as never, {}),
      await handler(eventRequest(homeOpened('Ev0001'), Date.now() + 2000, 2) as never, {}),
    ];
    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      group: 'home:U0ALICE001',
      dedupId: 'slack:event:Ev0001',
      body: { kind: 'home', from: { userId: 'U0ALICE001', teamId: 'T0CANARYBOT', responseUrl: '' } },
    });
  });

  it('processes a retry of an event whose first delivery failed to reach the queue', async () => {
    // Prepare: the queue refuses the first delivery.
    const sent: QueuedJob<SlackJob>[] = [];
    let fail = true;
    const handler = ingress({
      send: async (jobs) => {
        if (fail) throw new Error('queue unavailable');
        sent.push(...jobs);
      },
    });
    // Act
    const first = await handler(eventRequest(homeOpened('Ev0002')) as never, {});
    fail = false;
    const retry = await handler(eventRequest(homeOpened('Ev0002'), Date.now() + 1000, 1) as never, {});
    // Assess: Slack was told to retry (not 2xx), and the retry went through.
    expect(first.statusCode).toBeGreaterThanOrEqual(500);
    expect(retry.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
  });

  it('keeps an event for the next retry when a retry, too, could not reach the queue', async () => {
    // Prepare: the queue refuses the first delivery and the first retry.
    const sent: { job: QueuedJob<SlackJob>; at: number }[] = [];
    let failures = 2;
    const start = Date.now();
    let now = start;
    const handler = ingress(
      {
        // As an SQS FIFO queue: a message whose dedup id was taken in the last five minutes is dropped.
        send: async (jobs) => {
          if (failures-- > 0) throw new Error('queue unavailable');
          for (const job of jobs)
            if (!sent.some((s) => s.job.dedupId === job.dedupId && now - s.at < 300_000))
              sent.push({ job, at: now });
        },
      },
      () => now,
    );
    // Act: Slack's schedule: a retry at once, one a minute later, one five minutes later.
    const deliver = async (afterSeconds: number, retry?: number) => {
      now = start + afterSeconds * 1000;
      return await handler(eventRequest(homeOpened('Ev0005'), now, retry) as never, {});
    };
    const answers = [await deliver(0), await deliver(1, 1), await deliver(61, 2), await deliver(301, 3)];
    // Assess: the second retry went through; the third was dropped as already handed over.
    expect(answers.map((a) => a.statusCode >= 500)).toEqual([true, true, false, false]);
    expect(sent).toHaveLength(1);
  });

  it("acknowledges Slack's notice that the app is rate limited, and hands nothing to the worker", async () => {
    const sent: QueuedJob<SlackJob>[] = [];
    const handler = ingress({ send: async (jobs) => void sent.push(...jobs) });
    const notice = {
      token: 'legacy',
      type: 'app_rate_limited',
      team_id: 'T0CANARYBOT',
      minute_rate_limited: 1518467820,
      api_app_id: 'A0CANARY',
    };
    const answer = await handler(eventRequest(notice) as never, {});
    expect(answer.statusCode).toBe(200);
    expect(sent).toEqual([]);
  });

  it("unfurls a release link pasted in the message composer (Slack's composer unfurl, no channel yet)", async () => {
    const sent: QueuedJob<SlackJob>[] = [];
    const handler = ingress({ send: async (jobs) => void sent.push(...jobs) });
    const composed = {
      ...homeOpened('Ev0006'),
      event: {
        type: 'link_shared',
        user: 'U0ALICE001',
        channel: 'COMPOSER',
        message_ts: 'U0ALICE001-909b5454-75f8-4ac4-b325-1b40e230bbd8-gryl3kb80b3wm49ihzoo35fyqoq08n2y',
        unfurl_id: 'C0RELEASES.U0ALICE001.909b5454',
        source: 'composer',
        links: [{ domain: 'canary.example.com', url: `${publicUrl}/releases/r01abc` }],
      },
    };
    const answer = await handler(eventRequest(composed) as never, {});
    expect(answer.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toMatchObject({
      kind: 'unfurl',
      unfurlId: 'C0RELEASES.U0ALICE001.909b5454',
      source: 'composer',
      releaseIds: [{ releaseId: 'r01abc' }],
    });
  });

  it('unfurls only links to releases under the public URL, at most five per message', async () => {
    const sent: QueuedJob<SlackJob>[] = [];
    const handler = ingress({ send: async (jobs) => void sent.push(...jobs) });
    const links = [
      ...Array.from({ length: 7 }, (_, i) => ({
        domain: 'canary.example.com',
        url: `${publicUrl}/releases/r0${i}`,
      })),
      { domain: 'canary.example.com', url: `${publicUrl}/other/r01` },
      { domain: 'evil.example.com', url: 'https://evil.example.com/releases/r01' },
    ];
    const shared = (eventId: string, list: typeof links) => ({
      ...homeOpened(eventId),
      event: {
        type: 'link_shared',
        user: 'U0ALICE001',
        channel: 'C0RELEASES',
        message_ts: '1.5',
        links: list,
      },
    });
    await handler(eventRequest(shared('Ev0003', links)) as never, {});
    await handler(eventRequest(shared('Ev0004', links.slice(7))) as never, {});
    expect(sent).toHaveLength(1);
    const job = sent[0]?.body as Extract<SlackJob, { kind: 'unfurl' }>;
    expect(job.releaseIds.map((r) => r.releaseId)).toEqual(['r00', 'r01', 'r02', 'r03', 'r04']);
  });

  it('answers a GET of a release link with a page that shows nothing of the release', async () => {
    const handler = ingress({ send: async () => undefined });
    const page = await handler(httpApiEvent('GET', '/releases/r01abc', {}, '') as never, {});
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-security-policy']).toBe("default-src 'none'");
    expect(releasePage('/releases/../../etc').statusCode).toBe(404);
    expect(releasePage('/releases/<script>').statusCode).toBe(404);
    expect(releasePage('/releases/r01abc/extra').statusCode).toBe(404);
  });
});

describe('CANARY_BOT_PUBLIC_URL, as the README documents it', () => {
  it('decides which links the ingress built from the environment unfurls', async () => {
    // Prepare: the ingress as the Lambda builds it, from variables only.
    const env = {
      CANARY_BOT_SLACK_SIGNING_SECRET: secret,
      CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
    };
    const shared = (eventId: string, url: string) => ({
      ...homeOpened(eventId),
      event: {
        type: 'link_shared',
        user: 'U0ALICE001',
        channel: 'C0RELEASES',
        message_ts: '1.5',
        links: [{ url }],
      },
    });
    const run = async (extra: Record<string, string>) => {
      const sent: QueuedJob<SlackJob>[] = [];
      const config = await loadConfig({ ...env, ...extra });
      const handler = await buildIngress(config, silentLogger, {
        send: async (jobs) => void sent.push(...jobs),
      });
      for (const [i, url] of [
        'https://canary.example.com/releases/r01abc',
        'https://other.example.org/releases/r02abc',
      ].entries())
        await handler(eventRequest(shared(`EvPublic${Object.keys(extra).length}${i}`, url)) as never, {});
      return sent.map((j) => (j.body as Extract<SlackJob, { kind: 'unfurl' }>).releaseIds[0]?.releaseId);
    };
    // Act and assess
    expect(await run({ CANARY_BOT_PUBLIC_URL: 'https://canary.example.com/' })).toEqual(['r01abc']);
    expect(await run({ CANARY_BOT_PUBLIC_URL: 'https://other.example.org' })).toEqual(['r02abc']);
    expect(await run({})).toEqual([]);
  });

  it('answers New release on the Home tab with the help for start when the ingress has no bot token', async () => {
    const sent: QueuedJob<SlackJob>[] = [];
    const config = await loadConfig({
      CANARY_BOT_SLACK_SIGNING_SECRET: secret,
      CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
    });
    const handler = await buildIngress(config, silentLogger, {
      send: async (jobs) => void sent.push(...jobs),
    });
    const payload = {
      type: 'block_actions',
      trigger_id: '123.456.abc',
      user: { id: 'U0ALICE001', team_id: 'T0CANARYBOT' },
      team: { id: 'T0CANARYBOT' },
      container: { type: 'view', view_id: 'V0HOME' },
      view: { id: 'V0HOME', type: 'home' },
      actions: [{ type: 'button', action_id: NEW_RELEASE_ACTION_ID, block_id: 'home.actions', value: 'new' }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const answer = await handler(
      httpApiEvent(
        'POST',
        '/slack/events',
        {
          'content-type': 'application/x-www-form-urlencoded',
          ...slackSignatureHeaders(secret, Math.floor(Date.now() / 1000), body),
        },
        body,
      ) as never,
      {},
    );
    expect(answer.statusCode).toBe(200);
    expect(sent.map((j) => j.body)).toMatchObject([
      {
        kind: 'command',
        command: { kind: 'help', topic: 'start' },
        from: { userId: 'U0ALICE001', responseUrl: '' },
      },
    ]);
  });
});

describe('the service catalog the worker keeps for the ingress', () => {
  const at = new Date('2026-12-05T10:00:00Z');
  const versionsOf: Record<string, string[]> = { reviews: ['v1', 'v2', 'v3'], ratings: ['v1'] };
  const cluster = {
    services: async () => Object.keys(versionsOf),
    versions: async (_c: string, _n: string, service: string) => versionsOf[service] ?? [],
  };

  it('asks the worker for a read when the record is missing, once a minute, and answers nothing meanwhile', async () => {
    // Prepare
    const store = new EmbeddedStore();
    const sent: QueuedJob<unknown>[] = [];
    const catalog = storedCatalog({
      store,
      queue: { send: async (jobs) => void sent.push(...jobs) },
      clock: () => at,
      log: silentLogger,
    });
    // Act
    const first = await catalog.services('prod', 'bookinfo');
    await catalog.versions('prod', 'bookinfo', 'reviews');
    // Assess: one job per namespace and minute (the queue drops repeats by dedup id).
    expect(first).toEqual([]);
    expect(new Set(sent.map((j) => j.dedupId))).toEqual(
      new Set([`catalog:prod/bookinfo:${Math.floor(at.getTime() / 60_000)}`]),
    );
    expect(sent[0]?.body).toMatchObject({ kind: 'catalog', cluster: 'prod', namespace: 'bookinfo' });
  });

  it('answers from a fresh record without asking, and from a stale one while asking', async () => {
    const store = new EmbeddedStore();
    await refreshCatalog({ store, catalog: cluster, clock: () => at }, 'prod', 'bookinfo');
    const sent: QueuedJob<unknown>[] = [];
    let now = at;
    const catalog = storedCatalog({
      store,
      queue: { send: async (jobs) => void sent.push(...jobs) },
      clock: () => now,
      log: silentLogger,
    });
    expect(await catalog.versions('prod', 'bookinfo', 'reviews')).toEqual(['v1', 'v2', 'v3']);
    expect(await catalog.versions('prod', 'bookinfo', 'toString')).toEqual([]);
    expect(sent).toEqual([]);
    now = new Date(at.getTime() + (CATALOG_FRESH_SECONDS + 1) * 1000);
    expect(await catalog.services('prod', 'bookinfo')).toEqual(['reviews', 'ratings']);
    expect(sent).toHaveLength(1);
  });

  it('reads a whole namespace at once where the catalog can (one list of DestinationRules, not one per service)', async () => {
    const store = new EmbeddedStore();
    let reads = 0;
    const record = await refreshCatalog(
      {
        store,
        catalog: {
          readNamespace: async () => {
            reads++;
            return new Map(Object.entries(versionsOf));
          },
        },
        clock: () => at,
      },
      'prod',
      'bookinfo',
    );
    expect(reads).toBe(1);
    expect(record.services).toEqual(versionsOf);
  });

  it('keeps no record of a namespace with nothing to offer (any name can be typed in the form)', async () => {
    const store = new EmbeddedStore();
    let services = ['reviews'];
    const catalog = { readNamespace: async () => new Map(services.map((s) => [s, ['v1']])) };
    await refreshCatalog({ store, catalog, clock: () => at }, 'prod', 'bookinfo');
    expect(await store.listRecords(CATALOG_RECORD)).toHaveLength(1);
    await refreshCatalog(
      { store, catalog: { readNamespace: async () => new Map() }, clock: () => at },
      'prod',
      'no-such-ns',
    );
    services = [];
    await refreshCatalog({ store, catalog, clock: () => at }, 'prod', 'bookinfo');
    expect(await store.listRecords(CATALOG_RECORD)).toEqual([]);
  });

  it('keeps at most CATALOG_MAX_SERVICES services and says so; a store failure answers nothing', async () => {
    const store = new EmbeddedStore();
    const many = Array.from({ length: CATALOG_MAX_SERVICES + 3 }, (_, i) => `svc-${i}`);
    const record = await refreshCatalog(
      { store, catalog: { services: async () => many, versions: async () => ['v1'] }, clock: () => at },
      'prod',
      'big',
    );
    expect(Object.keys(record.services)).toHaveLength(CATALOG_MAX_SERVICES);
    expect(record.truncated).toBe(true);
    expect((await store.getRecord<CatalogRecord>(CATALOG_RECORD, 'prod/big'))?.value.truncated).toBe(true);
    const broken = storedCatalog({
      store: { getRecord: async () => Promise.reject(new Error('throttled')) },
      queue: { send: async () => undefined },
      clock: () => at,
      log: silentLogger,
    });
    expect(await broken.services('prod', 'bookinfo')).toEqual([]);
  });
});

describe('home tabs redrawn when a release changes', () => {
  const at = new Date('2026-12-05T10:00:30Z');
  const defaults = { namespace: 'bookinfo', cluster: 'prod' };

  async function viewers(store: EmbeddedStore<unknown>) {
    await store.putRecord(HOME_VIEWER_RECORD, 'U0ALICE001', {
      openedAt: '2026-12-05T09:00:00Z',
      teamId: 'T1',
    });
    await store.putRecord(HOME_VIEWER_RECORD, 'U0BOB00001', { openedAt: '2026-12-05T08:00:00Z' });
    await store.putRecord(HOME_VIEWER_RECORD, 'U0OLD00001', { openedAt: '2026-12-03T08:00:00Z' });
  }
  const quiet: ReleaseNotifier = { showRelease: async () => undefined, postEvent: async () => undefined };

  it('redraws the recent viewers after every change, a later change in the same minute too', async () => {
    // Prepare: three viewers, one of them two days ago.
    const store = new EmbeddedStore();
    await viewers(store);
    const sent: QueuedJob<SlackJob>[] = [];
    const queue = { send: async (jobs: readonly QueuedJob<SlackJob>[]) => void sent.push(...jobs) };
    const notifier = refreshingHomes(quiet, { store, clock: () => at, log: silentLogger });
    const release = started();
    const redraw = () =>
      redrawHomes({ store, queue, clock: () => at, defaults }, { kind: 'homes', at: at.toISOString() });
    // Act and assess: nothing to do before a change.
    expect(await homesOutOfDate(store)).toBe(false);
    await notifier.showRelease(release);
    expect(await homesOutOfDate(store)).toBe(true);
    expect(await redraw()).toBe(2);
    expect(await homesOutOfDate(store)).toBe(false);
    expect(await redraw()).toBe(0);
    // A second change in the same minute, after the first redraw: drawn again at the next tick.
    await notifier.showRelease(release);
    expect(await homesOutOfDate(store)).toBe(true);
    expect(await redraw()).toBe(2);
    expect(sent.map((j) => j.body.from.userId)).toEqual([
      'U0ALICE001',
      'U0BOB00001',
      'U0ALICE001',
      'U0BOB00001',
    ]);
    expect(sent.map((j) => j.group)).toEqual([
      'home:U0ALICE001',
      'home:U0BOB00001',
      'home:U0ALICE001',
      'home:U0BOB00001',
    ]);
    expect(sent.every((j) => j.body.kind === 'home' && j.body.id.startsWith('refresh:'))).toBe(true);
  });

  it('has one worker redraw a change when two race for it', async () => {
    const store = new EmbeddedStore();
    await viewers(store);
    await refreshingHomes(quiet, { store, clock: () => at, log: silentLogger }).showRelease(started());
    const sent: QueuedJob<SlackJob>[] = [];
    // As an SQS FIFO queue: a job whose dedup id was sent already is dropped.
    const queue = {
      send: async (jobs: readonly QueuedJob<SlackJob>[]) =>
        void sent.push(...jobs.filter((j) => !sent.some((s) => s.dedupId === j.dedupId))),
    };
    const job = { kind: 'homes' as const, at: at.toISOString() };
    const counts = await Promise.all([
      redrawHomes({ store, queue, clock: () => at, defaults }, job),
      redrawHomes({ store, queue, clock: () => at, defaults }, job),
    ]);
    expect(counts.sort()).toEqual([0, 2]);
    expect(sent).toHaveLength(2);
  });

  it('keeps the change for the retry when the redraws could not be queued', async () => {
    const store = new EmbeddedStore();
    await viewers(store);
    await refreshingHomes(quiet, { store, clock: () => at, log: silentLogger }).showRelease(started());
    const sent: QueuedJob<SlackJob>[] = [];
    let failing = true;
    const queue = {
      send: async (jobs: readonly QueuedJob<SlackJob>[]) => {
        if (failing) throw new Error('throttled');
        sent.push(...jobs);
      },
    };
    const job = { kind: 'homes' as const, at: at.toISOString() };
    await expect(redrawHomes({ store, queue, clock: () => at, defaults }, job)).rejects.toThrow('throttled');
    failing = false;
    expect(await homesOutOfDate(store)).toBe(true);
    expect(await redrawHomes({ store, queue, clock: () => at, defaults }, job)).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it('never fails the card when the mark cannot be written', async () => {
    const shown: string[] = [];
    const notifier = refreshingHomes(
      { showRelease: async (r) => void shown.push(r.id), postEvent: async () => undefined },
      {
        store: { putRecord: async () => Promise.reject(new Error('throttled')) },
        clock: () => at,
        log: silentLogger,
      },
    );
    await expect(notifier.showRelease(started())).resolves.toBeUndefined();
    expect(shown).toHaveLength(1);
  });
});
