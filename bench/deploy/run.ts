/**
 * Lambda bundle sizes and cold starts: builds each function's bundle exactly as serverless-esbuild does
 * (lambda-bundle.config.cjs), reports its size, what it holds (esbuild metafile), and measures a cold start
 * in a fresh Node 22 process: the import of the bundle (Lambda's init phase) and the first invocation.
 * slack gets a signed `/canary help`, answered without I/O (the replay claim goes to the embedded store; Slack's
 * API URL points at a closed local port, so a Web API call would fail the run); tick runs over an empty
 * embedded store; summary runs over an empty embedded store (no subscription, so no query and no chart);
 * flagger gets an authenticated payload without a checksum (400, no I/O); the worker's first job would post
 * to Slack, so only its import is measured.
 *
 *   tsx bench/deploy/run.ts [--runs 5] [--out bench/results/deploy.json]
 *
 * Prints a Markdown table and writes the results as JSON.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type HttpApiEvent, httpApiEvent } from '../../local/front-door.js';
import { buildSlashCommandBody } from '../../local/slack/interaction-client.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import { FLAGGER_KEY_METADATA, flaggerNamespaceKey } from '../../src/flagger/namespace-key.js';
import { median, ms } from '../stats.js';
import {
  buildLambdaBundle,
  bundleIncludes,
  LAMBDA_FUNCTIONS,
  type LambdaBundle,
  type LambdaFunctionName,
  SERVICE_DIR,
} from './lambda-bundles.js';

const DEFAULT_OUT = resolve(dirname(fileURLToPath(import.meta.url)), '../results/deploy.json');

/** A cold start that did not go as the benchmark expects. */
export class ColdStartError extends Error {
  override readonly name = 'ColdStartError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What the child process reports. */
interface ColdStartSample {
  /** From process start to the first line of the driver (Node's own boot). */
  bootMs: number;
  /** `await import(bundle)`: module evaluation, Lambda's init phase. */
  importMs: number;
  /** The first invocation, from the call to its answer; null when not measured. */
  firstInvokeMs: number | null;
  /** What the first invocation answered (status code or a short description). */
  answer: string | null;
}

/** One function's results. */
interface FunctionResult {
  name: LambdaFunctionName;
  bundleKB: number;
  zipKB: number;
  kubernetesClient: boolean;
  topPackages: { name: string; kb: number }[];
  runs: number;
  medianBootMs: number;
  medianImportMs: number;
  medianFirstInvokeMs: number | null;
  medianColdStartMs: number;
  answer: string | null;
}

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, out: { type: 'string', default: DEFAULT_OUT } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new ColdStartError('--runs must be an integer >= 1');

const node = join(SERVICE_DIR, 'node_modules/.bin/node');
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
if (!nodeVersion.startsWith('v22.')) throw new ColdStartError(`${node} is ${nodeVersion}, not Node 22`);

const signingSecret = 'bench-deploy-signing-secret-0123456789';
const flaggerSecret = 'bench-flagger-secret-0123456789abcdef';

/** The environment of a function in the benchmark: embedded store, nothing reachable, secrets inline. */
function functionEnvironment(name: LambdaFunctionName): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    // once() in handlers/lazy.ts starts building at load time only inside Lambda, as it would there.
    AWS_LAMBDA_FUNCTION_NAME: `canary-bot-bench-${name}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    CANARY_BOT_STORE: 'embedded',
    CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9',
    CANARY_BOT_SLACK_API_URL: 'http://127.0.0.1:9/api/',
    CANARY_BOT_SLACK_SIGNING_SECRET: signingSecret,
    CANARY_BOT_SLACK_BOT_TOKEN: 'xoxb-bench',
    // Nothing listens there: `/canary help` is answered without queueing a job.
    CANARY_BOT_QUEUE_URL: 'http://127.0.0.1:9/000000000000/canary-bot-bench-work.fifo',
    CANARY_BOT_FLAGGER_SECRET: flaggerSecret,
    CANARY_BOT_SLACK_CHANNEL: 'C0BENCH01',
    // In AWS the functions refuse to start without a policy that pins the workspaces they serve.
    CANARY_BOT_POLICY: JSON.stringify({
      workspaces: ['T0BENCH01'],
      default: { starters: ['*'], approvers: ['*'], fourEyes: true },
    }),
  };
}

/** A fresh signed `/canary help`, as API Gateway hands it to the slack function. */
function slashHelpEvent(): HttpApiEvent {
  const body = buildSlashCommandBody(
    { text: 'help', userId: 'U0ALICE001', userName: 'alice', channelId: 'C0RELEASES', teamId: 'T0BENCH01' },
    { responseUrl: 'http://127.0.0.1:9/response/bench', triggerId: '1.2.3' },
  );
  const ts = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    ...slackSignatureHeaders(signingSecret, ts, body),
  };
  return httpApiEvent('POST', '/slack/events', headers, body);
}

function firstEvent(name: LambdaFunctionName): unknown {
  switch (name) {
    case 'slack':
      return slashHelpEvent();
    case 'tick':
    case 'summary':
      return {};
    case 'flagger':
      // With the namespace's key, but no checksum: answered 400 without any I/O after the cold start.
      return httpApiEvent(
        'POST',
        '/flagger/confirm-promotion',
        { 'content-type': 'application/json' },
        JSON.stringify({
          name: 'podinfo',
          namespace: 'bench',
          phase: 'Progressing',
          metadata: { [FLAGGER_KEY_METADATA]: flaggerNamespaceKey(flaggerSecret, 'bench') },
        }),
      );
    case 'worker':
      return undefined;
  }
}

// The driver runs in the child: no TypeScript, no project import, only the bundle.
const DRIVER = `
const bootMs = performance.now();
const [bundle, eventJson] = process.argv.slice(2);
const started = performance.now();
const mod = await import(bundle);
const importMs = performance.now() - started;
let firstInvokeMs = null;
let answer = null;
if (eventJson) {
  const event = JSON.parse(eventJson);
  const t = performance.now();
  const result = await mod.handler(event, {});
  firstInvokeMs = performance.now() - t;
  answer = result && typeof result === 'object' && 'statusCode' in result
    ? String(result.statusCode) + ' ' + String(result.body ?? '').slice(0, 60)
    : JSON.stringify(result).slice(0, 60);
}
process.stdout.write(JSON.stringify({ bootMs, importMs, firstInvokeMs, answer }) + '\\n');
process.exit(0);
`;

async function coldStart(
  driver: string,
  bundle: LambdaBundle,
): Promise<ColdStartSample & { wallMs: number }> {
  const event = firstEvent(bundle.name);
  const args = [driver, pathToFileURL(bundle.file).href, ...(event ? [JSON.stringify(event)] : [])];
  const started = performance.now();
  return await new Promise((resolvePromise, reject) => {
    const child = spawn(node, args, {
      env: functionEnvironment(bundle.name),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (code !== 0) {
        reject(new ColdStartError(`${bundle.name}: exited ${code}: ${err.trim().slice(-1500)}`));
        return;
      }
      try {
        resolvePromise({ ...(JSON.parse(out.trim().split('\n').pop() ?? '') as ColdStartSample), wallMs });
      } catch (error) {
        reject(new ColdStartError(`${bundle.name}: unreadable report: ${out.slice(-500)}`, { cause: error }));
      }
    });
  });
}

/** The answer each first invocation must give, or the benchmark measured something else. */
function checkAnswer(name: LambdaFunctionName, answer: string | null): void {
  const expected: Record<LambdaFunctionName, RegExp | null> = {
    slack: /^200 .*canary/i,
    tick: /"releases":0/,
    summary: /"subscriptions":0/,
    flagger: /^400 .*refused/,
    worker: null,
  };
  const pattern = expected[name];
  if (pattern === null ? answer !== null : !pattern.test(answer ?? '')) {
    throw new ColdStartError(`${name}: first invocation answered ${answer}`);
  }
}

const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'canary-bot-bench-deploy-'));
  try {
    const driver = join(work, 'driver.mjs');
    writeFileSync(driver, DRIVER);
    const results: FunctionResult[] = [];
    for (const name of LAMBDA_FUNCTIONS) {
      const bundle = await buildLambdaBundle(name, join(work, 'bundles'));
      const samples: (ColdStartSample & { wallMs: number })[] = [];
      for (let i = 0; i < runs; i++) {
        const sample = await coldStart(driver, bundle);
        checkAnswer(name, sample.answer);
        samples.push(sample);
      }
      const firstInvokes = samples.flatMap((s) => (s.firstInvokeMs === null ? [] : [s.firstInvokeMs]));
      results.push({
        name,
        bundleKB: kb(bundle.bytes),
        zipKB: kb(bundle.deflatedBytes),
        kubernetesClient: bundleIncludes(bundle, '@kubernetes/client-node'),
        topPackages: bundle.packages.slice(0, 6).map(([pkg, bytes]) => ({ name: pkg, kb: kb(bytes) })),
        runs,
        medianBootMs: median(samples.map((s) => s.bootMs)),
        medianImportMs: median(samples.map((s) => s.importMs)),
        medianFirstInvokeMs: firstInvokes.length > 0 ? median(firstInvokes) : null,
        medianColdStartMs: median(samples.map((s) => s.bootMs + s.importMs + (s.firstInvokeMs ?? 0))),
        answer: samples[0]?.answer ?? null,
      });
    }
    print(results);
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(
      values.out,
      `${JSON.stringify(
        {
          benchmark: 'deploy',
          at: new Date().toISOString(),
          node: nodeVersion,
          machine: `${process.platform}/${process.arch}`,
          note: 'zipKB is the bundle deflated at level 1, as serverless-esbuild zips it (within ~150 bytes); cold start = Node boot + import + first invocation, in a fresh process, median of the runs; first invocation measured where it needs no network',
          functions: results,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`\nwritten to ${values.out}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function print(results: FunctionResult[]): void {
  const lines = [
    `Lambda bundles and cold starts (${nodeVersion}, ${process.platform}/${process.arch}, median of ${runs} fresh processes)`,
    '',
    '| function | bundle KB | zip KB | k8s client | Node boot ms | import ms | first invoke ms | cold start ms | largest packages (KB) |',
    '|---|---:|---:|:---:|---:|---:|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.bundleKB} | ${r.zipKB} | ${r.kubernetesClient ? 'yes' : 'no'} | ${ms(r.medianBootMs)} | ${ms(r.medianImportMs)} | ${r.medianFirstInvokeMs === null ? '—' : ms(r.medianFirstInvokeMs)} | ${ms(r.medianColdStartMs)} | ${r.topPackages
          .slice(0, 4)
          .map((p) => `${p.name} ${p.kb}`)
          .join(', ')} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
