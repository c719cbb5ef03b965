import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { requireBed } from '../../local/bed/bed.js';

describe('DynamoDB Local on the test bed', () => {
  it('round-trips an item and enforces a conditional write', async () => {
    // Prepare
    const bed = await requireBed();
    const client = new DynamoDBClient({
      endpoint: bed.dynamodb.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'bed', secretAccessKey: 'bed' },
    });
    const TableName = `bed-${Date.now().toString(36)}`;
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );

    try {
      // Act
      await client.send(
        new PutItemCommand({ TableName, Item: { pk: { S: 'release#1' }, version: { N: '1' } } }),
      );
      const read = await client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'release#1' } } }));
      const conflicting = client.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: 'release#1' }, version: { N: '2' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );

      // Assess
      expect(read.Item).toEqual({ pk: { S: 'release#1' }, version: { N: '1' } });
      await expect(conflicting).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    } finally {
      await client.send(new DeleteTableCommand({ TableName }));
      client.destroy();
    }
  });
});
