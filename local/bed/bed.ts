import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { startDynamoDb } from './dynamodb.js';
import {
  elasticMqJars,
  elasticMqVersion,
  type SqsEndpoint,
  sqsQueueUrl,
  startElasticMq,
} from './elasticmq.js';
import { type IstiodEndpoints, startIstiod } from './istiod.js';
import { type KubeBinaries, type KubeEndpoints, kubeConfigFrom, startKube } from './kube.js';
import { bedDir, bedStateFile, cacheDir, repoRoot } from './paths.js';
import { createPki } from './pki.js';
import {
  type BedProcess,
  BedStartError,
  freePort,
  isOurs,
  startDetached,
  stopProcess,
  waitUntil,
} from './processes.js';
import { startPrometheus } from './prometheus.js';

/** Everything a test needs to reach a running bed; written to `state.json` by `bed up`. */
export interface BedState {
  dir: string;
  startedAt: string;
  kube: KubeEndpoints;
  prometheus: { url: string };
  dynamodb: { endpoint: string };
  /** ElasticMQ; `probeQueueUrl` is the queue its configuration creates, which proves the server is ours. */
  sqs: SqsEndpoint & { probeQueueUrl: string };
  slack: { url: string; botToken: string; signingSecret: string };
  /** Istio's pilot: the validating webhook of every Istio object written on the bed. */
  istiod: IstiodEndpoints;
  processes: BedProcess[];
}

/** Test-only Slack credentials of the emulator; they are not secrets of any real workspace. */
export const bedSlackCredentials = {
  botToken: 'xoxb-bed-0000000000-canarybot',
  signingSecret: 'bed-signing-secret-0123456789abcdef',
};

/** Reads the state of a running bed, or undefined if none is recorded. */
export async function readBedState(): Promise<BedState | undefined> {
  if (!existsSync(bedStateFile)) return undefined;
  return JSON.parse(await readFile(bedStateFile, 'utf8')) as BedState;
}

/** The running bed, or a clear error telling how to start one. */
export async function requireBed(): Promise<BedState> {
  const state = await readBedState();
  if (!state) throw new BedStartError('the test bed is not running: start it with `npm run bed -- up`');
  const dead = state.processes.filter((p) => !isOurs(p)).map((p) => p.name);
  if (dead.length > 0)
    throw new BedStartError(
      `test bed components are down: ${dead.join(', ')}; run \`npm run bed -- down\` then \`up\``,
    );
  return state;
}

/**
 * Runs `build-go.sh <part>` (which builds, or finds in the cache, what the part names) and returns the
 * directories it prints, one per line.
 */
export async function buildGoPart(part: string): Promise<string[]> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'local', 'bed', 'build-go.sh'), part], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, CANARY_BOT_CACHE: cacheDir },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new BedStartError(`build-go.sh ${part} failed (${code})`)),
    );
  });
  return output.trim().split('\n').filter(Boolean);
}

/** Builds (or reuses from the cache) the Go binaries (Kubernetes, etcd, kwok, Istio), the Istio and Gateway API CRD files and kwok's stages. */
export async function buildBinaries(): Promise<KubeBinaries> {
  const lines = await buildGoPart('all');
  const [kubernetes, etcd, kwok, istioCrds, kwokStages, istio, gatewayApiCrds] = lines;
  if (!kubernetes || !etcd || !kwok || !istioCrds || !kwokStages || !istio || !gatewayApiCrds) {
    throw new BedStartError(`unexpected build-go.sh output: ${lines.join(' ')}`);
  }
  return { kubernetes, etcd, kwok, istioCrds, kwokStages, istio, gatewayApiCrds };
}

/** Installs the system packages the bed needs when one is missing (install-system.sh), or says how. */
async function checkSystemTools(): Promise<void> {
  const has = (tool: string) =>
    new Promise<boolean>((resolve) => {
      const child = spawn('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      child.on('close', (code) => resolve(code === 0));
    });
  const tools = ['prometheus', 'java', 'mvn', 'openssl', 'go'];
  if ((await Promise.all(tools.map(has))).every(Boolean)) return;
  const script = join(repoRoot, 'local', 'bed', 'install-system.sh');
  const installed = await new Promise<boolean>((resolve) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => resolve(code === 0));
  });
  const missing = [];
  for (const tool of tools) if (!(await has(tool))) missing.push(tool);
  if (!installed || missing.length > 0) {
    throw new BedStartError(
      `missing system tools: ${missing.join(', ') || 'see above'}; run \`bash local/bed/install-system.sh\` as root (Go 1.26+ must be installed by hand)`,
    );
  }
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = `${bedDir}.lock`;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new BedStartError(`could not take the bed lock ${lock}`);
      await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Brings the whole bed up, or returns the running one. On any failure everything already started is stopped.
 * Returns the state and whether this call started it.
 */
export async function bedUp(
  log: (line: string) => void = () => {},
): Promise<{ state: BedState; started: boolean }> {
  return await withLock(async () => {
    const existing = await readBedState();
    if (existing && (await isHealthy(existing))) return { state: existing, started: false };
    if (existing) await stopAll(existing);

    await checkSystemTools();
    const [bin, elasticMq] = await Promise.all([buildBinaries(), elasticMqJars(log)]);
    // One retry: a port handed out as free can still be taken by another program before a component binds it.
    for (let attempt = 1; ; attempt++) {
      try {
        return { state: await startAll(bin, elasticMq, log), started: true };
      } catch (error) {
        if (attempt >= 2 || !(error instanceof BedStartError)) throw error;
        log(`bed start failed (${error.message.split('\n')[0]}); trying once more`);
      }
    }
  });
}

/** Starts every component in a clean data directory; on failure, stops what it started and throws. */
async function startAll(
  bin: KubeBinaries,
  elasticMq: string,
  log: (line: string) => void,
): Promise<BedState> {
  await rm(bedDir, { recursive: true, force: true });
  await mkdir(join(bedDir, 'logs'), { recursive: true });
  const processes: BedProcess[] = [];
  const started = (p: BedProcess) => {
    processes.push(p);
    log(`started ${p.name} (pid ${p.pid})`);
  };
  try {
    const t0 = Date.now();
    const pki = await createPki(join(bedDir, 'pki'));
    // Settle every start before judging: a failure must not leave components that were still starting.
    let istiod: IstiodEndpoints | undefined;
    const results = await Promise.allSettled([
      startKube(bedDir, pki, bin, started, async (kubeconfigs) => {
        istiod = await startIstiod(bedDir, pki, { kubeconfigs }, bin.istio, started);
      }),
      startPrometheus(bedDir, started),
      startDynamoDb(bedDir, started),
      startSlackEmulator(started),
      startElasticMq(bedDir, elasticMq, started),
    ] as const);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [kube, prometheus, dynamodb, slack, sqs] = results.map(
      (r) => (r as PromiseFulfilledResult<unknown>).value,
    ) as [KubeEndpoints, BedState['prometheus'], BedState['dynamodb'], BedState['slack'], BedState['sqs']];
    const state: BedState = {
      dir: bedDir,
      startedAt: new Date().toISOString(),
      kube,
      prometheus,
      dynamodb,
      slack,
      sqs,
      istiod: istiod as IstiodEndpoints,
      processes,
    };
    await writeFile(bedStateFile, `${JSON.stringify(state, null, 2)}\n`);
    log(`bed ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return state;
  } catch (error) {
    await stopAll({ processes });
    throw error;
  }
}

/** The app manifest's message shortcut, declared by the bed's emulator. */
const BED_ROLLBACK_SHORTCUT = 'canary.rollback_shortcut';

async function startSlackEmulator(started: (p: BedProcess) => void): Promise<BedState['slack']> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
  const slack = startDetached(
    'slack-emulator',
    tsx,
    [
      join(repoRoot, 'local', 'slack', 'main.ts'),
      '--port',
      String(port),
      '--bot-token',
      bedSlackCredentials.botToken,
      '--signing-secret',
      bedSlackCredentials.signingSecret,
      // Release links of the local bot (CANARY_BOT_PUBLIC_URL on 127.0.0.1) unfurl; the app's message shortcut.
      '--unfurl-domain',
      '127.0.0.1',
      '--shortcut',
      `${BED_ROLLBACK_SHORTCUT}=Roll back a release`,
    ],
    join(bedDir, 'logs', 'slack-emulator.log'),
  );
  started(slack);
  // The emulator's own answer, not just any server on the port.
  await waitUntil(
    slack,
    async () =>
      ((await (await fetch(`${url}/api/api.test`, { method: 'POST' })).json()) as { ok?: boolean }).ok ===
      true,
    30_000,
  );
  return { url, ...bedSlackCredentials };
}

/** Alive by PID and answering: a stale state file whose PIDs were reused by other processes is not a bed. */
async function isHealthy(state: BedState): Promise<boolean> {
  // A bed started before a component was added lacks it: start a whole new one.
  if (!state.sqs || !state.processes.every(isOurs)) return false;
  try {
    const answers = await Promise.all([
      fetch(`${state.prometheus.url}/-/ready`, { signal: AbortSignal.timeout(2000) }),
      fetch(`${state.slack.url}/api/api.test`, { method: 'POST', signal: AbortSignal.timeout(2000) }),
    ]);
    // An emulator started before it knew the app's shortcut and unfurl domain: start a whole new bed.
    const info = (await (
      await fetch(`${state.slack.url}/_emulator/info`, { signal: AbortSignal.timeout(2000) })
    ).json()) as { shortcuts?: { callbackId: string }[] };
    if (!info.shortcuts?.some((s) => s.callbackId === BED_ROLLBACK_SHORTCUT)) return false;
    const sqsProbe = await sqsQueueUrl(state.sqs.endpoint, state.sqs.probeQueueUrl.split('/').pop() ?? '');
    // A bed started before the Gateway API CRDs were applied at start: start a whole new one.
    await kubeConfigFrom(state.kube.kubeconfigs.admin)
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'httproutes.gateway.networking.k8s.io' });
    return answers.every((a) => a.ok) && sqsProbe === state.sqs.probeQueueUrl;
  } catch {
    return false;
  }
}

async function stopAll(state: Pick<BedState, 'processes'>): Promise<void> {
  // Reverse start order: clients of the API server before the API server, etcd last.
  for (const p of [...state.processes].reverse()) if (isOurs(p)) await stopProcess(p.pid);
}

/** Stops every process of the bed by PID and removes its data. */
export async function bedDown(): Promise<boolean> {
  return await withLock(async () => {
    const state = await readBedState();
    if (state) await stopAll(state);
    await rm(bedDir, { recursive: true, force: true });
    return state !== undefined;
  });
}

/** One line per component: alive or not. */
export async function bedStatus(): Promise<string[]> {
  const state = await readBedState();
  if (!state) return ['not running'];
  return [
    `started ${state.startedAt}, data in ${state.dir}`,
    ...state.processes.map(
      (p) => `${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${isOurs(p) ? 'up' : 'DOWN'}`,
    ),
    `kube-apiserver ${state.kube.server} (admin kubeconfig ${state.kube.kubeconfigs.admin})`,
    `prometheus     ${state.prometheus.url}`,
    `dynamodb       ${state.dynamodb.endpoint}`,
    `slack          ${state.slack.url}`,
    `sqs            ${state.sqs?.endpoint ?? '(none)'} (ElasticMQ ${elasticMqVersion()}, region ${state.sqs?.region ?? '-'})`,
    `istiod         ${state.istiod?.http ?? 'not started'} (validating webhook ${state.istiod?.webhook ?? '-'})`,
  ];
}
