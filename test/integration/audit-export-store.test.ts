/**
 * `/canary audit`'s use case on DynamoDB Local with three items a page: a service's releases and their
 * trails read across many pages, the period and the cluster respected, the export itself recorded.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requireBed } from '../../local/bed/bed.js';
import { exportAudit } from '../../src/app/audit-export.js';
import type { ReleaseDependencies } from '../../src/app/dependencies.js';
import { silentLogger } from '../../src/app/logger.js';
import type { Release } from '../../src/domain/release/index.js';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store.js';
import { createStoreTable, deleteStoreTable } from '../../src/store/dynamodb/store-table.js';

const credentials = { accessKeyId: 'bed', secretAccessKey: 'bed' };
const tableName = `audit-export-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const DAY = 86_400_000;
let client: DynamoDBClient;
let queries = 0;

beforeAll(async () => {
  const bed = await requireBed();
  client = new DynamoDBClient({ endpoint: bed.dynamodb.endpoint, region: 'local', credentials });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') queries++;
      return await next(args);
    },
    { step: 'initialize' },
  );
  await createStoreTable(client, tableName);
});

afterAll(async () => {
  await deleteStoreTable(client, tableName);
  client.destroy();
});

/** Parses the CSV lines of the test's own rows (no field holds a line break here). */
const cells = (line: string) => line.slice(1, -1).split('","');

it('reads every page of a large trail, keeps the period and the cluster, and records the export', async () => {
  // Prepare: 12 recent releases of shop/reviews on two clusters, 5 entries each; one 40 days old; another service.
  let nowMs = Date.now();
  const store = new DynamoDbStore<Release>({ client, tableName, now: () => nowMs, pageSize: 3 });
  const release = (id: string, service: string, cluster: string) =>
    store.create(
      {
        id,
        routeKey: `${cluster}/shop/${service}/${id}`,
        namespace: 'shop',
        service,
        active: false,
        state: { meta: { cluster } } as unknown as Release,
      },
      {
        audit: ['start', 'approve', 'advance', 'approve', 'promote'].map((action, step) => ({
          releaseId: id,
          at: new Date(nowMs + step * 1000).toISOString(),
          actor: step % 2 ? 'U0ALICE001' : 'canary-bot',
          cluster,
          action,
          step,
          stateVersion: step + 1,
          detail: { description: `step ${step}`, reason: '=cmd|" /C calc"!A0, then more' },
        })),
      },
    );
  nowMs -= 40 * DAY;
  await release('rold', 'reviews', 'prod');
  nowMs += 40 * DAY - 12 * 60_000;
  for (let i = 0; i < 12; i++) {
    nowMs += 60_000;
    await release(`r${String(i).padStart(2, '0')}`, 'reviews', i % 3 === 0 ? 'staging' : 'prod');
  }
  await release('rother', 'ratings', 'prod');
  const deps = {
    store,
    policy: { default: { starters: ['U0BOB00001'], approvers: ['S0APPROVERS'], fourEyes: true } },
    clock: () => new Date(nowMs),
    log: silentLogger,
  } as unknown as ReleaseDependencies;
  const bob = { userId: 'U0BOB00001', groupIds: [], origin: { teamId: 'T1', channelId: 'C1' } };
  queries = 0;

  // Act
  const all = await exportAudit(
    deps,
    { service: 'reviews', namespace: 'shop', sinceSeconds: 30 * 86_400 },
    bob,
  );
  const queriesForAll = queries;
  const prod = await exportAudit(
    deps,
    { service: 'reviews', namespace: 'shop', cluster: 'prod', sinceSeconds: 30 * 86_400 },
    bob,
  );

  // Assess: 12 releases × 5 entries, none of the old one or of ratings, oldest first; many pages read.
  if (!all.ok || !prod.ok) throw new Error('refused');
  expect([all.value.releases, all.value.rows, all.value.truncated]).toEqual([12, 60, false]);
  const lines = all.value.csv.trimEnd().split('\r\n');
  expect(lines).toHaveLength(61);
  const rows = lines.slice(1).map(cells);
  expect(new Set(rows.map((r) => r[3]))).toEqual(
    new Set(Array.from({ length: 12 }, (_, i) => `r${String(i).padStart(2, '0')}`)),
  );
  const times = rows.map((r) => r[0] ?? '');
  expect(times).toEqual([...times].sort());
  expect(rows[0]?.[9]).toBe('step 0 | reason: =cmd|"" /C calc""!A0, then more');
  expect(queriesForAll).toBeGreaterThan(14 + 12);
  // On prod: 8 releases' 40 entries, and the first export (an entry of no cluster: it belongs to every view).
  expect([prod.value.releases, prod.value.rows]).toEqual([8, 41]);
  expect(prod.value.csv).toContain('"U0BOB00001","audit-export","audit:shop/reviews"');
  expect((await store.listAudit('audit:shop/reviews')).map((e) => [e.action, e.actor, e.detail])).toEqual([
    [
      'audit-export',
      'U0BOB00001',
      expect.objectContaining({ rows: 60, releases: 12, channel: 'C1', team: 'T1' }),
    ],
    ['audit-export', 'U0BOB00001', expect.objectContaining({ rows: 41, releases: 8 })],
  ]);
});
