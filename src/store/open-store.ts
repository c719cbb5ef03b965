import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BotStore } from '../app/ports/release-store.js';
import { DynamoDbStore } from './dynamodb/dynamodb-store.js';
import { createStoreTable } from './dynamodb/store-table.js';
import { EmbeddedStore } from './embedded/embedded-store.js';

/** Where the store lives; config.ts maps its settings onto this. */
export type StoreSettings =
  | {
      kind: 'dynamodb';
      tableName: string;
      /** Only for DynamoDB Local; AWS endpoints come from the region. */
      endpoint?: string;
      region?: string;
      /** Local runs create the table on first use; in AWS it comes from the infra templates. */
      createTable?: boolean;
    }
  | {
      kind: 'embedded';
      /** Kept in this JSON file across restarts; in memory only if omitted. */
      file?: string;
    };

/**
 * The store the settings describe. Call it once per process (Lambda: outside the handler) and reuse it.
 *
 * @example
 * const store = await openStore<ReleaseState>({ kind: 'dynamodb', tableName: config.store.tableName });
 * const local = await openStore<ReleaseState>({ kind: 'embedded', file: '.canary-bot/store.json' });
 */
export async function openStore<S>(settings: StoreSettings): Promise<BotStore<S>> {
  if (settings.kind === 'embedded') {
    return settings.file ? EmbeddedStore.open<S>(settings.file) : new EmbeddedStore<S>();
  }
  const client = new DynamoDBClient({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
  });
  if (settings.createTable) await createStoreTable(client, settings.tableName);
  return new DynamoDbStore<S>({ client, tableName: settings.tableName });
}
