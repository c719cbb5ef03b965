import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { RouteBusyError, StoreError, StoreUnavailableError } from '../../src/app/ports/store-errors.js';
import { storeErrorOf } from '../../src/store/dynamodb/dynamodb-errors.js';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store.js';
import { releaseFromItem, releaseItem } from '../../src/store/dynamodb/table-items.js';

const metadata = { httpStatusCode: 400 };
const fields = {
  id: 'rel-1',
  routeKey: 'prod/shop/reviews/primary',
  namespace: 'shop',
  service: 'reviews',
  active: true,
  rowVersion: 3,
  createdAt: '2031-01-01T00:00:00.000Z',
  updatedAt: '2031-01-01T00:05:00.000Z',
  stateText: '{"phase":"waiting","step":2}',
};

/** A client whose `send` answers from a script: this is how the one path DynamoDB Local never takes is tested. */
function scriptedClient(answers: (() => unknown)[]): { client: DynamoDBClient; calls: () => number } {
  let calls = 0;
  const client = {
    send: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      return answer?.();
    },
  } as unknown as DynamoDBClient;
  return { client, calls: () => calls };
}

describe('DynamoDB release items', () => {
  it('round-trips a release and indexes it as active while it is active, then by the day it ended', () => {
    // Prepare
    const finished = { ...fields, active: false };

    // Act
    const activeItem = releaseItem(fields);
    const finishedItem = releaseItem(finished);

    // Assess
    expect(activeItem).toMatchObject({
      pk: { S: 'REL#rel-1' },
      sk: { S: 'REL' },
      activePk: { S: 'ACTIVE' },
      servicePk: { S: 'SVC#shop/reviews' },
      createdSk: { S: '2031-01-01T00:00:00.000Z#rel-1' },
    });
    expect(finishedItem.activePk).toEqual({ S: 'ENDED#2031-01-01' });
    expect(releaseFromItem(finishedItem)).toEqual({
      id: 'rel-1',
      routeKey: 'prod/shop/reviews/primary',
      namespace: 'shop',
      service: 'reviews',
      active: false,
      rowVersion: 3,
      createdAt: '2031-01-01T00:00:00.000Z',
      updatedAt: '2031-01-01T00:05:00.000Z',
      state: { phase: 'waiting', step: 2 },
    });
  });

  it('refuses an item that is not a release', () => {
    // Prepare
    const item = { pk: { S: 'REL#rel-1' }, sk: { S: 'REL' }, id: { S: 'rel-1' } };

    // Act
    const reading = () => releaseFromItem(item);

    // Assess
    expect(reading).toThrow(StoreError);
    expect(reading).toThrow('has no string attribute routeKey');
  });
});

describe('DynamoDB error mapping', () => {
  it('turns throttling after the SDK retries into StoreUnavailableError with the cause', () => {
    // Prepare
    const throttled = new ProvisionedThroughputExceededException({
      message: 'slow down',
      $metadata: metadata,
    });
    const cancelled = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: metadata,
      CancellationReasons: [{ Code: 'ThrottlingError' }, { Code: 'None' }],
    });

    // Act
    const errors = [storeErrorOf(throttled, 'reading'), storeErrorOf(cancelled, 'writing')];

    // Assess
    expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
    expect(errors[0]?.cause).toBe(throttled);
    expect(errors[1]).toBeInstanceOf(StoreUnavailableError);
  });

  it('keeps an unexpected refusal as a generic StoreError with the cause', () => {
    // Prepare
    const refusal = new ConditionalCheckFailedException({ message: 'nope', $metadata: metadata });

    // Act
    const error = storeErrorOf(refusal, 'writing');

    // Assess
    expect(error).toBeInstanceOf(StoreError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'failed', cause: refusal });
  });

  it('retries a transaction that collided with another one, then explains the real outcome', async () => {
    // Prepare: two collisions, then the route lock's condition fails
    const conflict = () => {
      throw new TransactionCanceledException({
        message: 'conflict',
        $metadata: metadata,
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
      });
    };
    const busy = () => {
      throw new TransactionCanceledException({
        message: 'cancelled',
        $metadata: metadata,
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Item: { releaseId: { S: 'rel-0' } } },
        ],
      });
    };
    const { client, calls } = scriptedClient([conflict, conflict, busy]);
    const store = new DynamoDbStore({ client, tableName: 't' });

    // Act
    const creating = store
      .create({
        id: 'rel-1',
        routeKey: 'prod/shop/reviews/primary',
        namespace: 'shop',
        service: 'reviews',
        active: true,
        state: {},
      })
      .catch((error: unknown) => error);

    // Assess
    expect(await creating).toBeInstanceOf(RouteBusyError);
    expect(await creating).toMatchObject({ activeReleaseId: 'rel-0' });
    expect(calls()).toBe(3);
  });

  it('gives up on endless collisions with StoreUnavailableError', async () => {
    // Prepare
    const conflict = () => {
      throw new TransactionCanceledException({
        message: 'conflict',
        $metadata: metadata,
        CancellationReasons: [{ Code: 'TransactionConflict' }],
      });
    };
    const { client, calls } = scriptedClient([conflict]);
    const store = new DynamoDbStore({ client, tableName: 't', conflictAttempts: 3 });

    // Act
    const creating = store
      .create({
        id: 'rel-1',
        routeKey: 'prod/shop/reviews/primary',
        namespace: 'shop',
        service: 'reviews',
        active: false,
        state: {},
      })
      .catch((error: unknown) => error);

    // Assess
    expect(await creating).toBeInstanceOf(StoreUnavailableError);
    expect(calls()).toBe(3);
  });
});
