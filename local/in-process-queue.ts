import type { JobQueue, QueuedJob } from '../src/app/ports/job-queue.js';

/**
 * The queue's semantics in one process, for Socket Mode against real Slack (where no SQS is running): jobs
 * of one group run one at a time, in order; groups run in parallel; a repeated dedup id within five minutes
 * is dropped; a failed job is tried once more, then kept in `deadLetters`. `drain()` waits for everything
 * under way. The deployment and the test bed use a real SQS FIFO queue instead.
 */
export class InProcessJobQueue<J> implements JobQueue<J> {
  private readonly groups = new Map<string, Promise<void>>();
  private readonly seen = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  readonly deadLetters: { job: J; error: unknown }[] = [];

  constructor(
    private readonly run: (job: J) => Promise<void>,
    private readonly onError: (error: unknown, job: J) => void,
  ) {}

  async send(jobs: readonly QueuedJob<J>[]): Promise<void> {
    const now = Date.now();
    for (const job of jobs) {
      if ((this.seen.get(job.dedupId) ?? 0) > now) continue;
      this.seen.set(job.dedupId, now + 300_000);
      const previous = this.groups.get(job.group) ?? Promise.resolve();
      const work = previous.then(() => this.attempt(job.body));
      this.groups.set(job.group, work);
      this.running.add(work);
      void work.finally(() => {
        this.running.delete(work);
        if (this.groups.get(job.group) === work) this.groups.delete(job.group);
      });
    }
  }

  private async attempt(job: J): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.run(job);
        return;
      } catch (error) {
        this.onError(error, job);
        if (attempt >= 2) {
          this.deadLetters.push({ job, error });
          return;
        }
      }
    }
  }

  /** Resolves once every job sent so far (and those they send) has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
