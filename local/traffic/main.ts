/**
 * Runs the mesh traffic simulator for the seeds' sample apps in real time until interrupted:
 *   tsx local/traffic/main.ts --prometheus-url http://127.0.0.1:9090 [--kubeconfig ~/.kube/config]
 *     [--apps bookinfo,weather,two-host] [--step-seconds 15] [--backfill-minutes 10]
 *     [--mode deterministic|poisson] [--seed 1] [--reread-every 1]
 */
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { startSampleTraffic } from './sample-traffic.js';
import { SAMPLE_APPS, type SampleAppName } from './samples.js';
import type { TrafficMode } from './simulator.js';

const { values } = parseArgs({
  options: {
    'prometheus-url': { type: 'string', default: 'http://127.0.0.1:9090' },
    kubeconfig: { type: 'string' },
    apps: { type: 'string', default: SAMPLE_APPS.join(',') },
    'step-seconds': { type: 'string', default: '15' },
    'backfill-minutes': { type: 'string', default: '0' },
    mode: { type: 'string', default: 'deterministic' },
    seed: { type: 'string', default: '1' },
    'reread-every': { type: 'string', default: '1' },
  },
});

function fail(message: string): never {
  console.error(`traffic: ${message}`);
  process.exit(2);
}

const apps = values.apps.split(',').map((a) => a.trim()) as SampleAppName[];
for (const app of apps)
  if (!SAMPLE_APPS.includes(app)) fail(`unknown app ${app}; known: ${SAMPLE_APPS.join(', ')}`);
const stepSeconds = Number(values['step-seconds']);
if (!(stepSeconds > 0)) fail('--step-seconds must be a positive number');
const mode: TrafficMode =
  values.mode === 'poisson'
    ? { kind: 'poisson', seed: Number(values.seed) }
    : values.mode === 'deterministic'
      ? { kind: 'deterministic' }
      : fail('--mode must be deterministic or poisson');

const kubeConfig = new KubeConfig();
if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
else kubeConfig.loadFromDefault();

const traffic = await startSampleTraffic({
  kubeConfig,
  prometheusUrl: values['prometheus-url'],
  apps,
  stepSeconds,
  backfillMinutes: Number(values['backfill-minutes']),
  mode,
  rereadEverySteps: Number(values['reread-every']),
  onError: (error) =>
    console.error(`traffic: step failed: ${error instanceof Error ? error.message : String(error)}`),
});
console.log(
  `traffic: simulating ${apps.join(', ')} every ${stepSeconds}s into ${values['prometheus-url']} (Ctrl-C stops)`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void traffic.stop().then(() => process.exit(0));
  });
}
