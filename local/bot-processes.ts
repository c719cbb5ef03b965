/**
 * The bot in the deployment's shape, each function an OS process of its own on the bed: the ingress
 * (handlers/slack.ts behind the local front door), N workers (handlers/worker.ts, each behind its own SQS
 * event source on the FIFO queue) and the tick (handlers/tick.ts, one process per run, as EventBridge invokes
 * it). They share nothing but what the deployed functions share: the environment, one DynamoDB table, the
 * queue, the Slack API and the Kubernetes API. A worker can be SIGKILLed mid-job and started again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { TickReport } from '../src/app/tick.js';
import { openStore } from '../src/store/open-store.js';
import type { BedState } from './bed/bed.js';
import { repoRoot } from './bed/paths.js';
import { bedSqsClient, createFifoQueuePair, type FifoQueuePair } from './bed/sqs-queues.js';
import { localBotEnv, queueSettled } from './bot.js';
import { LambdaProcess } from './lambda-processes.js';

export interface BotProcessesOptions {
  /** Worker processes; default 4. */
  workers?: number;
  /** The queue's visibility timeout, seconds; default 30. The workers' timeout is 5 s less. */
  visibilityTimeoutSeconds?: number;
  /** Receives before a job goes to the dead-letter queue; default 2 (as serverless.yml). */
  maxReceiveCount?: number;
  /** Where each process writes its log (`ingress.log`, `worker-<n>.log`, `tick.log`). */
  logDir: string;
}

/** The running processes and what a test does with them. */
export interface BotProcesses {
  env: Record<string, string>;
  /** `…/slack/events` behind the ingress process's front door. */
  slackUrl: string;
  queue: FifoQueuePair;
  /** The worker processes now running (a restarted one replaces the killed one at its index). */
  workers: LambdaProcess[];
  /** SIGKILLs worker `index` (mid-job if it has one), then starts a new process in its place. */
  killAndRestartWorker: (index: number) => Promise<void>;
  /** One tick in a process of its own; resolves with its report once the process has ended. */
  tick: (at?: Date) => Promise<TickReport>;
  /** Resolves once the queue is empty and no worker holds a job (bounded). */
  settled: (timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

/**
 * Starts the bot's functions as processes on the bed, configured from an environment like the Lambdas.
 *
 * @example
 * const bot = await startBotProcesses(bed, { CANARY_BOT_CLUSTERS: JSON.stringify(clusters) }, { logDir: bed.dir });
 * await bot.killAndRestartWorker(2);
 */
export async function startBotProcesses(
  bed: BedState,
  given: Record<string, string | undefined>,
  options: BotProcessesOptions,
): Promise<BotProcesses> {
  const client = bedSqsClient(bed.sqs);
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  const queue = await createFifoQueuePair(client, {
    prefix: 'canary-bot-procs',
    visibilityTimeoutSeconds: visibility,
    maxReceiveCount: options.maxReceiveCount ?? 2,
  });
  const env = localBotEnv(bed, queue, given);
  // In AWS the table comes from the infra templates; here it is created once, before any function runs.
  await openStore({
    kind: 'dynamodb',
    tableName: env.CANARY_BOT_TABLE as string,
    endpoint: bed.dynamodb.endpoint,
    region: bed.sqs.region,
    createTable: true,
  });
  const processEnv = {
    ...env,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
  };
  const children = new Set<ChildProcess>();
  const spawnTs = (file: string, args: string[], log: string) => {
    const fd = openSync(join(options.logDir, log), 'a');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, file), ...args], {
        cwd: repoRoot,
        env: { ...process.env, ...processEnv },
        stdio: ['ignore', fd, fd, 'ipc'],
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    } finally {
      closeSync(fd);
    }
  };

  const ingress = spawnTs('local/front-door-process.ts', [], 'ingress.log');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the ingress process did not start in 60 s')), 60_000);
    ingress.once('message', (message: { url: string }) => {
      clearTimeout(timer);
      resolve(message.url);
    });
    ingress.once('exit', (code) =>
      reject(new Error(`the ingress process exited (${code}) before it was ready`)),
    );
  });

  const startWorker = (index: number) =>
    LambdaProcess.start({
      handler: 'handlers/worker.ts',
      sqs: bed.sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      consumers: 1,
      waitTimeSeconds: 1,
      functionTimeoutMs: (visibility - 5) * 1000,
      functionName: `worker-${index}`,
      env: processEnv,
      logFile: join(options.logDir, `worker-${index}.log`),
    });
  const workers = await Promise.all(Array.from({ length: options.workers ?? 4 }, (_, i) => startWorker(i)));

  let ticks = 0;
  return {
    env,
    slackUrl: `${url}/slack/events`,
    queue,
    workers,
    killAndRestartWorker: async (index) => {
      await workers[index]?.kill();
      workers[index] = await startWorker(index);
    },
    tick: async (at) => {
      const event = JSON.stringify(at ? { time: at.toISOString() } : {});
      const child = spawnTs(
        'local/invoke-process.ts',
        ['--handler', 'handlers/tick.ts', '--event', event],
        `tick-${ticks++}.log`,
      );
      return await new Promise<TickReport>((resolve, reject) => {
        let answer: { type: string; value?: TickReport; message?: string } | undefined;
        child.on('message', (message: typeof answer) => {
          answer = message;
        });
        // 'close', not 'exit': a large answer can still be in the IPC channel when the process exits.
        child.once('close', (code) => {
          if (answer?.type === 'result' && answer.value) resolve(answer.value);
          else reject(new Error(`the tick process failed (${code}): ${answer?.message ?? 'no answer'}`));
        });
      });
    },
    settled: (timeoutMs) => queueSettled(client, queue.queueUrl, timeoutMs),
    close: async () => {
      await Promise.all(workers.map((worker) => worker.stop(10_000)));
      for (const child of children) child.kill('SIGTERM');
      await queue.delete().catch(() => undefined);
      client.destroy();
    },
  };
}
