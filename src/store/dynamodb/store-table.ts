import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { storeErrorOf } from './dynamodb-errors.js';
import { tableLayout } from './table-items.js';

/**
 * The table the DynamoDB store needs (on demand capacity); infra templates should declare the same.
 *
 * @example
 * const input = storeTableDefinition('canary-bot');
 */
export function storeTableDefinition(tableName: string): CreateTableCommandInput {
  const index = (IndexName: string, partitionKey: string) => ({
    IndexName,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: 'createdSk', KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'activePk', AttributeType: 'S' },
      { AttributeName: 'servicePk', AttributeType: 'S' },
      { AttributeName: 'createdSk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      index(tableLayout.activeIndex, 'activePk'),
      index(tableLayout.serviceIndex, 'servicePk'),
    ],
  };
}

/**
 * Creates the store's table if it does not exist, waits until it is active and turns TTL on for claims.
 * For tests and local runs; production tables come from the infra templates.
 *
 * @example
 * await createStoreTable(client, 'canary-bot-local');
 */
export async function createStoreTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    try {
      await client.send(new CreateTableCommand(storeTableDefinition(tableName)));
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName: tableName });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: tableLayout.ttlAttribute },
        }),
      );
    }
  } catch (error) {
    throw storeErrorOf(error, `creating table ${tableName}`);
  }
}

/**
 * Deletes the table and waits until it is gone (tests clean up with it).
 *
 * @example
 * afterAll(() => deleteStoreTable(client, tableName));
 */
export async function deleteStoreTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    await waitUntilTableNotExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName: tableName });
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return;
    throw storeErrorOf(error, `deleting table ${tableName}`);
  }
}
