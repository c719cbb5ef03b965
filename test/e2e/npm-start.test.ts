/**
 * `npm start` itself, as a newcomer runs it: its own test bed (a bed directory of its own, so the shared bed of
 * the other tests is never touched), `PORT` choosing the local Slack page's port, every endpoint printed, the
 * page answering and a command typed on it answered by the bot, and Ctrl-C (SIGTERM) stopping it cleanly.
 * "`Ctrl-C` stops everything": the bed it started is down afterwards (the test's `bed down` is only a safety net).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../local/bed/paths.js';

let bedDir: string;
let port: number;
let npmStart: ChildProcess | undefined;
let output = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (npmStart?.exitCode !== null && npmStart?.exitCode !== undefined)
      throw new Error(`npm start exited with ${npmStart.exitCode} before ${what}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; npm start said:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const bedEnv = () => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CANARY_BOT_'))),
  ...(process.env.CANARY_BOT_CACHE ? { CANARY_BOT_CACHE: process.env.CANARY_BOT_CACHE } : {}),
  CANARY_BOT_BED_DIR: bedDir,
});

beforeAll(async () => {
  bedDir = await mkdtemp(join(tmpdir(), 'canary-bot-npm-start-'));
  port = await freePort();
  // The process `npm start` runs (node with tsx's loader; the tsx CLI wrapper itself exits 143 on SIGTERM).
  npmStart = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...bedEnv(), PORT: String(port) },
  });
  npmStart.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  npmStart.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await eventually(
    'the endpoints',
    async () => (output.includes('Stop with Ctrl-C') ? true : undefined),
    300_000,
  );
}, 320_000);

afterAll(async () => {
  if (npmStart && npmStart.exitCode === null) npmStart.kill('SIGKILL');
  if (bedDir) {
    spawnSync(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['local/bed/cli.ts', 'down'], {
      cwd: repoRoot,
      env: bedEnv(),
      stdio: 'ignore',
    });
    await rm(bedDir, { recursive: true, force: true });
  }
}, 60_000);

describe('npm start', () => {
  it('prints every endpoint, with the local Slack page on PORT', () => {
    expect(output).toContain(`Local Slack:        http://127.0.0.1:${port}`);
    for (const endpoint of [
      'Slack handler:',
      'Flagger webhooks:',
      'Kubernetes API:',
      'Prometheus:',
      'DynamoDB Local:',
      'SQS (ElasticMQ):',
      'Slack emulator:',
    ])
      expect(output).toMatch(new RegExp(`${endpoint.replace(/[()]/g, '\\$&')} +\\S+`));
  });

  it('serves the page on PORT, and the bot answers a command typed on it', async () => {
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const sent = await fetch(`http://127.0.0.1:${port}/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0RELEASES', user: 'U0BOB00001', text: '/canary help' }),
    });
    expect(sent.status).toBe(200);
    const answered = await eventually(
      'the answer to /canary help',
      async () => {
        const response = await fetch(
          `http://127.0.0.1:${port}/api/messages?channel=C0RELEASES&user=U0BOB00001`,
        );
        const { messages } = (await response.json()) as { messages: { text?: string }[] };
        return messages.find((m) => (m.text ?? '').startsWith('canary-bot commands:')) ? messages : undefined;
      },
      30_000,
    );
    expect(answered.length).toBeGreaterThan(0);
  });

  it('stops everything on Ctrl-C (SIGTERM), with status 0: the bed it started too', async () => {
    const state = JSON.parse(await readFile(join(bedDir, 'state.json'), 'utf8')) as {
      processes: { pid: number; name: string }[];
    };
    expect(state.processes.length).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => npmStart?.once('exit', (code) => resolve(code)));
    npmStart?.kill('SIGTERM');
    expect(await exited).toBe(0);
    const alive = state.processes.filter(({ pid }) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive.map((p) => p.name)).toEqual([]);
  }, 60_000);
});
