// A Lambda function behind its SQS event source mapping, as one OS process of its own (a worker that can be
// SIGKILLed mid-job, as Lambda's sandboxes can die):
//
//   tsx local/lambda-process.ts --handler handlers/worker.ts --sqs-endpoint http://127.0.0.1:9324 \
//     --region us-east-1 --queue-url http://127.0.0.1:9324/000000000000/jobs.fifo --consumers 1
//
// It reports what it does as events: over the IPC channel when its parent opened one (lambda-processes.ts
// does), otherwise as JSON lines on stdout. SIGTERM, SIGINT or the parent going away stop it cleanly: no new
// receive, invocations in flight finish.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { LambdaProcessEvent } from './lambda-processes.js';
import { SqsEventSource, type SqsHandler } from './sqs-event-source.js';

const { values } = parseArgs({
  options: {
    handler: { type: 'string' },
    export: { type: 'string', default: 'handler' },
    'sqs-endpoint': { type: 'string' },
    region: { type: 'string', default: 'us-east-1' },
    'queue-url': { type: 'string' },
    'queue-arn': { type: 'string' },
    consumers: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '10' },
    'wait-seconds': { type: 'string', default: '20' },
    'timeout-ms': { type: 'string', default: '30000' },
    'function-name': { type: 'string' },
  },
});

const report = (event: LambdaProcessEvent) =>
  new Promise<void>((done) => {
    if (process.send && process.connected) process.send(event, undefined, {}, () => done());
    else if (process.send) done();
    else process.stdout.write(`${JSON.stringify(event)}\n`, () => done());
  });

function required(name: 'handler' | 'sqs-endpoint' | 'queue-url'): string {
  const value = values[name];
  if (!value) {
    process.stderr.write(
      `lambda-process: --${name} is required\nusage: tsx local/lambda-process.ts --handler FILE [--export NAME] --sqs-endpoint URL --queue-url URL [--region R] [--consumers N] [--batch-size N] [--wait-seconds N] [--timeout-ms N]\n`,
    );
    process.exit(2);
  }
  return value;
}

const handlerFile = resolve(required('handler'));
const module = (await import(pathToFileURL(handlerFile).href)) as Record<string, unknown>;
const handler = module[values.export];
if (typeof handler !== 'function') {
  process.stderr.write(`lambda-process: ${handlerFile} exports no function named ${values.export}\n`);
  process.exit(2);
}

const source = await SqsEventSource.start({
  // ElasticMQ checks no signature; credentials from the environment win when there are any.
  client: new SQSClient({
    endpoint: required('sqs-endpoint'),
    region: values.region,
    useQueueUrlAsEndpoint: false,
    ...(process.env.AWS_ACCESS_KEY_ID
      ? {}
      : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  }),
  queueUrl: required('queue-url'),
  ...(values['queue-arn'] ? { queueArn: values['queue-arn'] } : {}),
  region: values.region,
  handler: handler as SqsHandler,
  consumers: Number(values.consumers),
  batchSize: Number(values['batch-size']),
  waitTimeSeconds: Number(values['wait-seconds']),
  functionTimeoutMs: Number(values['timeout-ms']),
  functionName: values['function-name'] ?? values.handler?.replace(/^.*\//, '').replace(/\.[jt]s$/, ''),
  observer: {
    invoking: (records) =>
      void report({
        type: 'invoking',
        messageIds: records.map((r) => r.messageId),
        groups: records.map((r) => r.attributes.MessageGroupId ?? ''),
      }),
    invoked: (outcome) => void report({ type: 'invoked', ...outcome }),
  },
});
await report({ type: 'ready', pid: process.pid });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await source.close();
  await report({ type: 'closed', counts: source.counts() });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
