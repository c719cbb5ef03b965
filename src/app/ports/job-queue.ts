/** A message for the one writer of a release: `group` orders and serializes, `dedupId` drops repeats. */
export interface QueuedJob<J> {
  readonly group: string;
  readonly dedupId: string;
  readonly body: J;
}

/**
 * Hands work to the workers (an SQS FIFO queue in AWS): jobs of one group run one at a time, in order;
 * different groups run in parallel; a job sent twice with the same `dedupId` runs once.
 */
export interface JobQueue<J> {
  send(jobs: readonly QueuedJob<J>[]): Promise<void>;
}

/**
 * The message group of every piece of work on a release: one writer per release.
 *
 * @example releaseGroup('r01abc') // 'release:r01abc'
 */
export function releaseGroup(releaseId: string): string {
  return `release:${releaseId}`;
}
