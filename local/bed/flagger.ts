import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { type BedState, buildGoPart } from './bed.js';
import { applyCrdFile, waitForCrds } from './kube.js';
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
 * Established.
 *
 * @example await applyFlaggerCrds(admin, await buildFlagger());
 */
export async function applyFlaggerCrds(admin: k8s.KubeConfig, build: FlaggerBuild): Promise<void> {
  await waitForCrds(admin, await applyCrdFile(admin, build.crdFile));
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

async function buildPart(part: 'flagger' | 'flagger-crds'): Promise<string> {
  const dir = (await buildGoPart(part)).at(-1);
  if (!dir) throw new BedStartError(`build-go.sh ${part} printed no directory`);
  return dir;
}
