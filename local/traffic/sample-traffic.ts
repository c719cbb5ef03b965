/** Wires the seeds' sample apps to a live API server and Prometheus: what `npm start` and the bed run. */
import type { KubeConfig } from '@kubernetes/client-node';
import { KubernetesMeshReader, type MeshReader } from './mesh-reader.js';
import { PrometheusRemoteWriter, type SampleWriter } from './remote-write.js';
import { loadSampleProfiles, SAMPLE_APPS, type SampleAppName } from './samples.js';
import { MeshTrafficSimulator, type TrafficMode } from './simulator.js';

export interface SampleTrafficOptions {
  /** Where the VirtualServices live; ignored when `reader` is given. */
  kubeConfig?: KubeConfig;
  reader?: MeshReader;
  /** Prometheus base URL; ignored when `writer` is given. */
  prometheusUrl?: string;
  writer?: SampleWriter;
  apps?: readonly SampleAppName[];
  /** Namespace per app when the samples were deployed elsewhere than their defaults. */
  namespaces?: Partial<Record<SampleAppName, string>>;
  /** Multiplies every entry service's rate (the local demo runs 10 times the seeds' own). */
  rpsFactor?: number;
  /** Real-time step; default 15 s (Prometheus' usual scrape interval). */
  stepSeconds?: number;
  /** Compressed history written before real time starts, so rate() has data at once; default 0. */
  backfillMinutes?: number;
  mode?: TrafficMode;
  rereadEverySteps?: number;
  onError?: (error: unknown) => void;
}

export interface SampleTraffic {
  simulator: MeshTrafficSimulator;
  stop(): Promise<void>;
}

/** Thrown when neither a reader/kubeConfig nor a writer/prometheusUrl is given. */
export class SampleTrafficConfigError extends Error {
  override readonly name = 'SampleTrafficConfigError';
}

/**
 * Simulates the sample apps' traffic in real time (after an optional compressed backfill).
 * @example const traffic = await startSampleTraffic({ kubeConfig, prometheusUrl: 'http://127.0.0.1:9090' })
 */
export async function startSampleTraffic(options: SampleTrafficOptions): Promise<SampleTraffic> {
  const reader =
    options.reader ?? (options.kubeConfig && KubernetesMeshReader.fromKubeConfig(options.kubeConfig));
  if (!reader) throw new SampleTrafficConfigError('sample traffic needs a kubeConfig (or a MeshReader)');
  const writer =
    options.writer ??
    (options.prometheusUrl && new PrometheusRemoteWriter({ prometheusUrl: options.prometheusUrl }));
  if (!writer) throw new SampleTrafficConfigError('sample traffic needs a prometheusUrl (or a SampleWriter)');
  const stepSeconds = options.stepSeconds ?? 15;
  const simulator = new MeshTrafficSimulator({
    services: await loadSampleProfiles(options.apps ?? SAMPLE_APPS, options.namespaces, options.rpsFactor),
    reader,
    writer,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.rereadEverySteps ? { rereadEverySteps: options.rereadEverySteps } : {}),
  });
  const backfillMs = Math.round((options.backfillMinutes ?? 0) * 60_000);
  if (backfillMs > 0) {
    const to = Date.now() - 1;
    await simulator.simulate({ from: to - backfillMs, to, stepSeconds });
  }
  const running = simulator.start({ stepSeconds, ...(options.onError ? { onError: options.onError } : {}) });
  return { simulator, stop: () => running.stop() };
}
