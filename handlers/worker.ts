// Lambda: the one writer of each release, fed by the SQS FIFO queue (partial batch failures reported).
import type { SQSEvent } from 'aws-lambda';
import { loadConfig } from '../src/config.js';
import { powertoolsLogger, powertoolsTelemetry } from '../src/observability/powertools.js';
import { sqsQueueOf } from './compose/queue.js';
import { buildWorker, type WorkerJob } from './compose/worker.js';
import { once } from './lazy.js';

const log = powertoolsLogger('worker');
const telemetry = powertoolsTelemetry('worker');
const worker = once(async () => {
  const config = await loadConfig();
  return await buildWorker(config, log, sqsQueueOf<WorkerJob>(config), { telemetry });
});

export const handler = async (event: SQSEvent) => {
  try {
    return await (await worker()).handleSqs(event);
  } finally {
    telemetry.flush();
  }
};
