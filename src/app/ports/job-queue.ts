/**
 * How the use cases hand work to the one writer of a release: a queue whose messages of one group are
 * delivered in order and one at a time (SQS FIFO in AWS, ElasticMQ locally).
 */

/** A message for the one writer of a release: `group` orders and serializes, `dedupId` drops repeats. */
export interface QueuedJob<J> {
  readonly group: string;
  readonly dedupId: string;
  readonly body: J;
}

/** Sends jobs; a job whose `dedupId` was sent in the last five minutes is dropped by the queue. */
export interface JobQueue<J> {
  /**
   * Sends the jobs, each group's in the order given. Resolves when every job is accepted by the queue.
   *
   * @example await queue.send([{ group: 'release-42', dedupId: 'approve:42:3', body: job }]);
   */
  send(jobs: readonly QueuedJob<J>[]): Promise<void>;
}

/** Base of the job queue's errors. */
export class JobQueueError extends Error {
  override name = 'JobQueueError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A job the queue cannot take as it is (too large, a group or dedup id it refuses); nothing was sent. */
export class JobRejectedError extends JobQueueError {
  override name = 'JobRejectedError';
  constructor(
    message: string,
    /** The `dedupId` of the job refused. */
    readonly dedupId: string,
  ) {
    super(message);
  }
}

/**
 * Some jobs were not accepted after retries. Jobs counted as sent are on the queue; a group's jobs after one
 * that failed were held back (sending them would break the group's order) and count as not sent.
 */
export class JobsNotSentError extends JobQueueError {
  override name = 'JobsNotSentError';
  constructor(
    readonly sent: number,
    /** The `dedupId`s of the jobs not sent, in the order given. */
    readonly notSent: readonly string[],
    options?: { cause?: unknown; reason?: string },
  ) {
    super(
      `${notSent.length} of ${sent + notSent.length} jobs were not sent to the queue${options?.reason ? `: ${options.reason}` : ''}`,
      options,
    );
  }
}

/**
 * The message group of every piece of work on a release: one writer per release.
 *
 * @example releaseGroup('r01abc') // 'release:r01abc'
 */
export function releaseGroup(releaseId: string): string {
  return `release:${releaseId}`;
}
