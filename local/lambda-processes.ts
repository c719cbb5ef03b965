import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './bed/paths.js';
import type { InvocationOutcome, SqsEventSourceCounts } from './sqs-event-source.js';

/** What a Lambda process (local/lambda-process.ts) tells its parent. */
export type LambdaProcessEvent =
  | { type: 'ready'; pid: number }
  | { type: 'invoking'; messageIds: string[]; groups: string[] }
  | ({ type: 'invoked' } & InvocationOutcome)
  | { type: 'closed'; counts: SqsEventSourceCounts };

/** A handler module behind an SQS queue, in a process of its own. */
export interface LambdaProcessOptions {
  /** The handler module (e.g. `handlers/worker.ts`), relative to the repository or absolute. */
  handler: string;
  /** Its export; default `handler`. */
  exportName?: string;
  sqs: { endpoint: string; region: string };
  queueUrl: string;
  queueArn?: string;
  consumers?: number;
  batchSize?: number;
  waitTimeSeconds?: number;
  functionTimeoutMs?: number;
  functionName?: string;
  /** Added to this process's environment (the handler's configuration). */
  env?: NodeJS.ProcessEnv;
  /** File that gets the process's stdout and stderr; inherited when omitted. */
  logFile?: string;
  /** How long to wait for the event source to run; default 60 s. */
  readyTimeoutMs?: number;
}

/** Error raised when a Lambda process does not start, or exits while something waits for it. */
export class LambdaProcessError extends Error {
  override name = 'LambdaProcessError';
}

/**
 * A Lambda process: `node --import tsx local/lambda-process.ts …`, so that its PID is the process running the
 * handler (SIGKILL kills the handler mid-job, with no wrapper left behind). It stops by itself when its parent
 * goes away.
 *
 * @example
 * const worker = await LambdaProcess.start({ handler: 'handlers/worker.ts', sqs: bed.sqs, queueUrl });
 * await worker.waitFor((e) => e.type === 'invoking');
 * await worker.kill(); // SIGKILL, mid-job
 */
export class LambdaProcess {
  /** Every event so far, in order. */
  readonly events: LambdaProcessEvent[] = [];
  /** Resolves with the exit code (or the signal's name) when the process has ended. */
  readonly exited: Promise<number | string>;
  private readonly waiters = new Set<() => void>();
  private exit: number | string | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (event: LambdaProcessEvent) => {
      this.events.push(event);
      for (const wake of this.waiters) wake();
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = signal ?? code ?? 0;
        for (const wake of this.waiters) wake();
        resolve(this.exit);
      });
    });
  }

  /** Starts the process and resolves once its pollers run. */
  static async start(options: LambdaProcessOptions): Promise<LambdaProcess> {
    const args = [
      '--import',
      'tsx',
      join(repoRoot, 'local', 'lambda-process.ts'),
      '--handler',
      options.handler,
      '--export',
      options.exportName ?? 'handler',
      '--sqs-endpoint',
      options.sqs.endpoint,
      '--region',
      options.sqs.region,
      '--queue-url',
      options.queueUrl,
      '--consumers',
      String(options.consumers ?? 1),
      '--batch-size',
      String(options.batchSize ?? 10),
      '--wait-seconds',
      String(options.waitTimeSeconds ?? 20),
      '--timeout-ms',
      String(options.functionTimeoutMs ?? 30_000),
      ...(options.queueArn ? ['--queue-arn', options.queueArn] : []),
      ...(options.functionName ? ['--function-name', options.functionName] : []),
    ];
    const fd = options.logFile ? openSync(options.logFile, 'a') : undefined;
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, {
        cwd: repoRoot,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', fd ?? 'inherit', fd ?? 'inherit', 'ipc'],
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const lambda = new LambdaProcess(child);
    await lambda.waitFor((e) => e.type === 'ready', options.readyTimeoutMs ?? 60_000);
    return lambda;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The invocations that have started, and those that have ended. */
  invocations(): { started: number; ended: number } {
    return {
      started: this.events.filter((e) => e.type === 'invoking').length,
      ended: this.events.filter((e) => e.type === 'invoked').length,
    };
  }

  /**
   * Resolves with the first event (seen so far or later) that matches; fails when the process exits first or
   * the time runs out.
   */
  async waitFor<E extends LambdaProcessEvent>(
    matches: (event: LambdaProcessEvent) => event is E,
    timeoutMs?: number,
  ): Promise<E>;
  async waitFor(
    matches: (event: LambdaProcessEvent) => boolean,
    timeoutMs?: number,
  ): Promise<LambdaProcessEvent>;
  async waitFor(
    matches: (event: LambdaProcessEvent) => boolean,
    timeoutMs = 30_000,
  ): Promise<LambdaProcessEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(matches);
      if (found) return found;
      if (this.exit !== undefined)
        throw new LambdaProcessError(`the Lambda process ${this.pid} exited (${this.exit}) first`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new LambdaProcessError(`no matching event from Lambda process ${this.pid} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** SIGKILL: the process dies where it is, its invocations unfinished. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.exit === undefined) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: stops polling, lets invocations in flight finish; resolves with the final counts. */
  async stop(timeoutMs = 60_000): Promise<SqsEventSourceCounts | undefined> {
    if (this.exit === undefined) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(killer);
    }
    const closed = this.events.find((e) => e.type === 'closed');
    return closed?.type === 'closed' ? closed.counts : undefined;
  }
}
