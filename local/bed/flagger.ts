import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { type BedState, buildGoPart } from './bed.js';
import {
  type BedProcess,
  BedStartError,
  isOurs,
  startDetached,
  stopProcess,
  waitUntil,
} from './processes.js';

/** Where build-go.sh put Flagger's binary and CRD file. */
export interface FlaggerBuild {
  binary: string;
  crdFile: string;
}

/** A running Flagger. */
export interface FlaggerProcess extends BedProcess {
  /** Its log (JSON lines). */
  readLog: () => Promise<string>;
  stop: () => Promise<void>;
}

/**
 * Builds Flagger and copies its CRDs (or finds both in the cache).
 *
 * @example const { binary, crdFile } = await buildFlagger(); // about a minute the first time
 */
export async function buildFlagger(): Promise<FlaggerBuild> {
  const [binaryDir, crdDir] = [await buildPart('flagger'), await buildPart('flagger-crds')];
  return { binary: join(binaryDir, 'flagger'), crdFile: join(crdDir, 'crd.yaml') };
}

/**
 * Applies Flagger's CRDs (Canary, MetricTemplate, AlertProvider) server-side and waits until they are
 * Established. The file is sent as YAML for the API server to parse: it has multi-line quoted strings that
 * Go's YAML reads but js-yaml refuses ("deficient indentation").
 */
export async function applyFlaggerCrds(admin: k8s.KubeConfig, build: FlaggerBuild): Promise<void> {
  const documents = (await readFile(build.crdFile, 'utf8'))
    .split(/^---\s*$/m)
    .filter((doc) => /^kind: CustomResourceDefinition$/m.test(doc));
  const names: string[] = [];
  for (const doc of documents) {
    const name = /^metadata:\n\s+name: (\S+)$/m.exec(doc)?.[1];
    if (!name) throw new BedStartError(`a CRD of ${build.crdFile} has no metadata.name`);
    names.push(name);
    const status = await rawRequest(
      admin,
      'PATCH',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=canary-bot-bed&force=true`,
      'application/apply-patch+yaml',
      doc,
    );
    if (status.code >= 300)
      throw new BedStartError(`applying CRD ${name}: HTTP ${status.code} ${status.body}`);
  }
  const api = admin.makeApiClient(k8s.ApiextensionsV1Api);
  for (const name of names) {
    await waitUntil(
      `CRD ${name}`,
      async () => {
        const live = await api.readCustomResourceDefinition({ name });
        return (live.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
      },
      30_000,
    );
  }
}

/**
 * Starts Flagger against the bed's API server (admin kubeconfig: this is a test of the webhook protocol, not
 * of Flagger's RBAC), the Istio provider, the bed's Prometheus, watching `namespace` only. Flagger's HTTP
 * server (`/metrics`, `/healthz`) listens on `":" + port` of every interface: its `-port` flag takes a port
 * only, so the test asks for port 0 (any free port) and nothing else is exposed.
 *
 * @example const flagger = await startFlagger(bed, build, { namespace, logFile }); await flagger.stop();
 */
export async function startFlagger(
  bed: BedState,
  build: FlaggerBuild,
  options: { namespace: string; logFile: string; controlLoopInterval?: string },
): Promise<FlaggerProcess> {
  const args = [
    `-kubeconfig=${bed.kube.kubeconfigs.admin}`,
    '-mesh-provider=istio',
    `-metrics-server=${bed.prometheus.url}`,
    `-namespace=${options.namespace}`,
    `-control-loop-interval=${options.controlLoopInterval ?? '2s'}`,
    '-port=0',
    '-log-level=info',
    '-enable-leader-election=false',
    '-enable-config-tracking=false',
  ];
  const process = startDetached('flagger', build.binary, args, options.logFile, {
    PATH: globalThis.process.env.PATH ?? '/usr/bin:/bin',
    HOME: globalThis.process.env.HOME ?? '/tmp',
  });
  const readLog = () => readFile(options.logFile, 'utf8').catch(() => '');
  try {
    await waitUntil(
      process,
      async () => {
        if (!isOurs(process)) throw new BedStartError(`flagger exited; see ${options.logFile}`);
        return (await readLog()).includes('Started operator workers');
      },
      60_000,
      200,
    );
  } catch (error) {
    await stopProcess(process.pid);
    throw error;
  }
  return {
    ...process,
    readLog,
    stop: async () => {
      if (isOurs(process)) await stopProcess(process.pid);
    },
  };
}

async function rawRequest(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
  contentType: string,
  body: string,
): Promise<{ code: number; body: string }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new BedStartError('kubeconfig has no cluster');
  const options: { method: string; headers: Record<string, string> } & Record<string, unknown> = {
    method,
    headers: { 'Content-Type': contentType, Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(options);
  return await new Promise((resolve, reject) => {
    const call = request(`${cluster.server}${path}`, options, (response) => {
      let text = '';
      response.on('data', (d) => {
        text += d;
      });
      response.on('end', () => resolve({ code: response.statusCode ?? 0, body: text.slice(0, 500) }));
    });
    call.on('error', reject);
    call.setTimeout(10_000, () => call.destroy(new Error('timeout')));
    call.end(body);
  });
}

async function buildPart(part: 'flagger' | 'flagger-crds'): Promise<string> {
  const dir = (await buildGoPart(part)).at(-1);
  if (!dir) throw new BedStartError(`build-go.sh ${part} printed no directory`);
  return dir;
}
