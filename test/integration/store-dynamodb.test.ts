import { randomBytes } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { requireBed } from '../../local/bed/bed.js';
import { freePort } from '../../local/bed/processes.js';
import { StoreUnavailableError } from '../../src/app/ports/store-errors.js';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store.js';
import { createStoreTable, deleteStoreTable } from '../../src/store/dynamodb/store-table.js';
import { claimKey } from '../../src/store/dynamodb/table-items.js';
import { type ConformanceState, defineStoreConformance } from '../store-conformance.js';

const credentials = { accessKeyId: 'bed', secretAccessKey: 'bed' };
const tableName = `store-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let client: DynamoDBClient;

beforeAll(async () => {
  const bed = await requireBed();
  client = new DynamoDBClient({ endpoint: bed.dynamodb.endpoint, region: 'local', credentials });
  await createStoreTable(client, tableName);
});

afterAll(async () => {
  await deleteStoreTable(client, tableName);
  client.destroy();
});

defineStoreConformance(
  'DynamoDB store',
  async ({ now, pageSize }) => new DynamoDbStore<ConformanceState>({ client, tableName, now, pageSize }),
);

describe('DynamoDB store specifics', () => {
  it('treats an expired claim that DynamoDB Local never deleted as free', async () => {
    // Prepare
    let nowMs = Date.now();
    const store = new DynamoDbStore({ client, tableName, now: () => nowMs });
    const key = `slot-${randomBytes(4).toString('hex')}`;
    await store.claim(key, 1);
    nowMs += 1500;

    // Act
    const stillStored = await client.send(new GetItemCommand({ TableName: tableName, Key: claimKey(key) }));
    const reclaimed = await store.claim(key, 1);

    // Assess
    expect(stillStored.Item?.ttl?.N).toBeDefined();
    expect(Number(stillStored.Item?.expiresAtMs?.N)).toBeLessThanOrEqual(nowMs);
    expect(reclaimed).toBe(true);
  });

  it('moves a finished release from the active partition to the partition of the day it ended', async () => {
    // Prepare
    const store = new DynamoDbStore<ConformanceState>({ client, tableName });
    const id = `rel-${randomBytes(4).toString('hex')}`;
    await store.create({
      id,
      namespace: 'shop',
      service: id,
      routeKey: `prod/shop/${id}/primary`,
      active: true,
      state: { phase: 'progressing', step: 0 },
    });
    await store.update({ id, active: false, state: { phase: 'succeeded', step: 2 } }, 1);

    // Act
    const item = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: `REL#${id}` }, sk: { S: 'REL' } } }),
    );
    const lock = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `ROUTE#prod/shop/${id}/primary` }, sk: { S: 'LOCK' } },
      }),
    );

    // Assess
    expect(item.Item?.activePk?.S).toMatch(/^ENDED#\d{4}-\d{2}-\d{2}$/);
    expect(item.Item?.servicePk?.S).toBe(`SVC#shop/${id}`);
    expect(lock.Item).toBeUndefined();
  });

  it('reports an unreachable DynamoDB as StoreUnavailableError', async () => {
    // Prepare: a port nobody listens on, one attempt
    const port = await freePort();
    const dead = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'local',
      credentials,
      maxAttempts: 1,
    });
    const store = new DynamoDbStore({ client: dead, tableName });

    // Act
    const reading = store.get('rel-1').catch((error: unknown) => error);

    // Assess
    expect(await reading).toBeInstanceOf(StoreUnavailableError);
    dead.destroy();
  });

  it('reports a missing table as StoreUnavailableError', async () => {
    // Prepare
    const store = new DynamoDbStore({ client, tableName: `${tableName}-missing` });

    // Act
    const listing = store.listActive().catch((error: unknown) => error);

    // Assess
    expect(await listing).toBeInstanceOf(StoreUnavailableError);
    expect(await listing).toMatchObject({ message: expect.stringContaining('table does not exist') });
  });
});
