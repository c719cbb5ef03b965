import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process started for the bed: its PID is what stops it. */
export interface BedProcess {
  name: string;
  pid: number;
  log: string;
  /** The executable, checked against /proc before the PID is trusted or signalled. */
  command: string;
}

/** Error raised when a bed component does not become ready; it points at the component's log. */
export class BedStartError extends Error {
  override name = 'BedStartError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Starts a long-lived process in its own process group, detached from the caller, output to a log file,
 * so that `bed up` can exit and tests can stop it later by PID.
 */
export function startDetached(
  name: string,
  command: string,
  args: string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): BedProcess {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd });
    if (child.pid === undefined) throw new BedStartError(`${name}: could not start ${command}`);
    child.unref();
    return { name, pid: child.pid, log, command };
  } finally {
    closeSync(fd);
  }
}

/** True if the PID still runs the bed's process (not a stranger that reused the PID after a reboot). */
export function isOurs(p: BedProcess): boolean {
  if (!isAlive(p.pid)) return false;
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' ').includes(p.command);
  } catch {
    return false;
  }
}

/** True while a process with this PID exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a process group by PID: SIGTERM, then SIGKILL after a grace period. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

/** Ports this process has handed out: the kernel may offer a just-released port again to the next caller. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 (asked from the kernel, then released), never one already handed out by this
 * process, so that components started in parallel cannot be given the same port.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * Polls `probe` until it returns true. Fails with the tail of the component's log when the process dies
 * or the time runs out, so a broken bed explains itself.
 */
export async function waitUntil(
  what: BedProcess | string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (typeof what !== 'string' && !isAlive(what.pid)) {
      throw new BedStartError(
        `${what.name} exited during start-up; see ${what.log}\n${await tail(what.log)}`,
        {
          cause: lastError,
        },
      );
    }
    if (Date.now() > deadline) {
      const name = typeof what === 'string' ? what : what.name;
      const log = typeof what === 'string' ? '' : `; see ${what.log}\n${await tail(what.log)}`;
      throw new BedStartError(`${name} was not ready within ${timeoutMs} ms${log}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

async function tail(file: string, lines = 15): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs a command to completion and returns its stdout; throws with stderr on a non-zero exit. */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (process.env.CANARY_BOT_BED_VERBOSE) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new BedStartError(`${command} ${args.join(' ')} exited ${code}: ${err.trim().slice(-2000)}`),
          ),
    );
  });
}
