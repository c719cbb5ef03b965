/**
 * Runs real use cases concurrently under fast-check's scheduler, one step at a time. Every call a use case
 * makes through a port (store, traffic router, notifier) first waits at a gate; the scheduler picks which
 * waiting task goes next, and that task then runs alone (its real I/O included) until its next gate. So a
 * run is one interleaving of the tasks' port calls, chosen by the scheduler and replayable from its seed.
 *
 * A task can also be killed at its n-th gate: it stops there for good, as a worker that dies mid-job.
 */
import type fc from 'fast-check';

/** A task stopped at a gate on purpose: a worker killed mid-job. */
export class KilledError extends Error {
  override name = 'KilledError';
}

/** One task's step through a gate, for the record of a run. */
export interface Step {
  task: string;
  label: string;
}

/** Drives tasks under one fast-check scheduler. */
export class Interleaver {
  private running = 0;
  private readonly gates = new Map<string, number>();
  readonly steps: Step[] = [];
  /** Whose code is running now: the task that passed the last gate. */
  private current = '';

  constructor(
    private readonly scheduler: fc.Scheduler,
    private readonly kills: ReadonlyMap<string, number> = new Map(),
  ) {}

  /** Waits for the scheduler's turn; a killed task throws here. */
  async gate(task: string, label: string): Promise<void> {
    const n = (this.gates.get(task) ?? 0) + 1;
    this.gates.set(task, n);
    this.running--;
    try {
      await this.scheduler.schedule(Promise.resolve(), `${task}: ${label}`);
    } finally {
      this.running++;
    }
    this.current = task;
    this.steps.push({ task, label });
    const killAt = this.kills.get(task);
    if (killAt !== undefined && n >= killAt) throw new KilledError(`${task} killed at ${label}`);
  }

  /** The task whose code runs now (between two gates). */
  now(): string {
    return this.current;
  }

  /**
   * Runs the tasks to the end, releasing one gate at a time once every task is waiting at a gate or done.
   * Returns each task's outcome (a killed task's is its KilledError).
   */
  async run(
    tasks: Record<string, () => Promise<unknown>>,
  ): Promise<Record<string, PromiseSettledResult<unknown>>> {
    const names = Object.keys(tasks);
    let finished = 0;
    const outcomes = names.map((name) => {
      this.running++;
      const task = tasks[name] as () => Promise<unknown>;
      return (async () => {
        // Every task starts at a gate, so that which one goes first is the scheduler's choice too.
        await this.gate(name, 'start');
        return await task();
      })().finally(() => {
        this.running--;
        finished++;
      });
    });
    const settled = Promise.allSettled(outcomes);
    for (;;) {
      await this.quiet(() => this.running === 0 || finished === names.length);
      if (finished === names.length) break;
      if (this.scheduler.count() === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      await this.scheduler.waitNext(1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await settled;
    return Object.fromEntries(names.map((name, i) => [name, results[i] as PromiseSettledResult<unknown>]));
  }

  /** Waits (through the event loop, so that real I/O completes) until `done()` holds. */
  private async quiet(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('a task neither reached a gate nor finished within 60 s');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * Wraps every method of a port so that each call waits at a gate of the task that is running when it is made.
 *
 * @example const store = gated(interleaver, realStore, 'store');
 */
export function gated<T extends object>(interleaver: Interleaver, port: T, name: string): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await interleaver.gate(interleaver.now(), `${name}.${String(property)}`);
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}
