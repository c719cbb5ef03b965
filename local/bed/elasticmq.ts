import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir, repoRoot } from './paths.js';
import { type BedProcess, BedStartError, freePort, startDetached, waitUntil } from './processes.js';

/** The committed pom that names ElasticMQ and its version; Maven resolves the jars from it. */
const pom = join(repoRoot, 'local', 'bed', 'elasticmq', 'pom.xml');

/** The bed's SQS: where it listens and the region its queue ARNs carry. */
export interface SqsEndpoint {
  endpoint: string;
  region: string;
}

/** Region and account that ElasticMQ writes into queue ARNs (`arn:aws:sqs:<region>:<account>:<name>`). */
export const elasticMqRegion = 'us-east-1';
export const elasticMqAccount = '000000000000';

/**
 * The ElasticMQ version the pom pins (`<elasticmq.version>`), which also names its folder in the cache.
 *
 * @example elasticMqVersion() // '1.6.11'
 */
export function elasticMqVersion(): string {
  const match = /<elasticmq\.version>([^<]+)<\/elasticmq\.version>/.exec(readFileSync(pom, 'utf8'));
  if (!match?.[1]) throw new BedStartError(`${pom} names no <elasticmq.version>`);
  return match[1];
}

/** Runs Maven; on failure the error carries the end of what it printed (with -q, only the errors). */
async function maven(args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) =>
      reject(
        new BedStartError('could not run mvn: install Maven (local/bed/install-system.sh)', { cause: error }),
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new BedStartError(`mvn ${args.join(' ')} exited ${code}:\n${output.trim()}`)),
    );
  });
}

/**
 * The folder of ElasticMQ's jars in the cache (`~/.cache/canary-bot/elasticmq-<version>/`), resolved from
 * Maven Central on first use and reused afterwards. Beds starting at once each resolve into a folder of their
 * own and the first rename wins, so a half-copied folder is never used.
 *
 * @example const jars = await elasticMqJars(); // then java -cp "$jars/*" org.elasticmq.server.Main
 */
export async function elasticMqJars(log: (line: string) => void = () => {}): Promise<string> {
  const version = elasticMqVersion();
  const dir = join(cacheDir, `elasticmq-${version}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const partial = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  log(`resolving ElasticMQ ${version} with Maven into ${dir}`);
  const t0 = Date.now();
  try {
    await mkdir(partial, { recursive: true });
    await maven([
      '-q',
      '-B',
      '-f',
      pom,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${partial}`,
    ]);
    await writeFile(join(partial, 'complete'), `${new Date().toISOString()}\n`);
    // Fails if another bed's folder got there first: a folder at `dir` is always complete, never replaced.
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    // Another bed finished the same folder first: use it.
    if (existsSync(join(dir, 'complete'))) return dir;
    throw error;
  }
  log(`resolved ElasticMQ ${version} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

/**
 * ElasticMQ's configuration: the SQS API on 127.0.0.1 only, queue URLs naming that address, no statistics
 * server, strict SQS limits, and one queue named `probe` whose presence proves that the server on the port
 * is the one started from this file.
 */
export function elasticMqConfig(port: number, probe: string): string {
  return `include classpath("application.conf")
node-address { protocol = "http", host = "127.0.0.1", port = ${port}, context-path = "" }
rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
generate-node-address = false
aws { region = "${elasticMqRegion}", accountId = "${elasticMqAccount}" }
queues { "${probe}" {} }
`;
}

/**
 * Asks the SQS API at `endpoint` for the URL of `queue` (AWS JSON protocol, as the SDK speaks it). Unsigned:
 * ElasticMQ does not check signatures.
 *
 * @example await sqsQueueUrl('http://127.0.0.1:9324', 'probe') // 'http://127.0.0.1:9324/000000000000/probe'
 */
export async function sqsQueueUrl(endpoint: string, queue: string): Promise<string | undefined> {
  const answer = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
    body: JSON.stringify({ QueueName: queue }),
    signal: AbortSignal.timeout(2000),
  });
  if (!answer.ok) return undefined;
  return ((await answer.json()) as { QueueUrl?: string }).QueueUrl;
}

/**
 * ElasticMQ (the bed's SQS, FIFO queues included) on 127.0.0.1, in memory, run from the folder of jars that
 * `elasticMqJars` returned. Ready when the SQS API answers with the probe queue of this start's configuration.
 */
export async function startElasticMq(
  dir: string,
  jars: string,
  started: (p: BedProcess) => void,
): Promise<SqsEndpoint & { probeQueueUrl: string }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = `canary-bot-bed-${randomBytes(6).toString('hex')}`;
  await mkdir(join(dir, 'elasticmq'), { recursive: true });
  const config = join(dir, 'elasticmq', 'elasticmq.conf');
  await writeFile(config, elasticMqConfig(port, probe));
  const elasticmq = startDetached(
    'elasticmq',
    'java',
    [
      '-Xmx256m',
      // A short-lived test server: C1 alone and the serial collector start it in about 2.4 s instead of 3.5 s.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Dconfig.file=${config}`,
      '-cp',
      `${jars}/*`,
      'org.elasticmq.server.Main',
    ],
    join(dir, 'logs', 'elasticmq.log'),
  );
  started(elasticmq);
  const probeQueueUrl = `${endpoint}/${elasticMqAccount}/${probe}`;
  await waitUntil(
    elasticmq,
    async () => (await sqsQueueUrl(endpoint, probe)) === probeQueueUrl,
    180_000,
    200,
  );
  return { endpoint, region: elasticMqRegion, probeQueueUrl };
}
