import type { Command } from '../../domain/command/index.js';
import type { PersonGateAction } from '../../domain/flagger/index.js';
import type { ButtonValue, CardAction, FlaggerButtonValue } from '../views/index.js';

/** Who asked, in which channel, and where to answer them privately. */
export interface SlackRequester {
  userId: string;
  channelId: string;
  /** Slack's response URL: up to 5 answers within 30 minutes; the way to answer ephemerally. */
  responseUrl: string;
}

/**
 * The slow half of a Slack request, handed from the ingress to the worker (Lambda async invoke). It holds
 * what was asked and by whom, never a token.
 */
export type SlackJob =
  | { kind: 'command'; command: Command; from: SlackRequester; receivedAt: string }
  | { kind: 'action'; action: CardAction; value: ButtonValue; from: SlackRequester; receivedAt: string }
  | {
      kind: 'flagger-action';
      action: PersonGateAction;
      value: FlaggerButtonValue;
      from: SlackRequester;
      receivedAt: string;
    };

/** Hands jobs to the worker. */
export interface JobQueue {
  enqueue(job: SlackJob): Promise<void>;
}

/**
 * Runs jobs in this process, in the background (local runs, tests, Socket Mode). `drain()` waits for the
 * jobs under way, so a test can assert after them.
 */
export class InProcessJobQueue implements JobQueue {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly run: (job: SlackJob) => Promise<void>,
    private readonly onError: (error: unknown, job: SlackJob) => void,
  ) {}

  async enqueue(job: SlackJob): Promise<void> {
    const work = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await this.run(job);
    })()
      .catch((error: unknown) => this.onError(error, job))
      .finally(() => this.running.delete(work));
    this.running.add(work);
  }

  /** Resolves once every job enqueued so far (and those they enqueue) has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/** Invokes the worker function asynchronously (InvocationType Event: Lambda retries and dead-letters it). */
export class LambdaJobQueue implements JobQueue {
  constructor(private readonly functionName: string) {}

  async enqueue(job: SlackJob): Promise<void> {
    const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
    client ??= new LambdaClient({});
    const answer = await client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(job)),
      }),
    );
    if (answer.StatusCode !== 202) throw new Error(`worker invoke answered ${answer.StatusCode}`);
  }
}

let client: import('@aws-sdk/client-lambda').LambdaClient | undefined;
