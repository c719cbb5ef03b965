/** The traffic router of each cluster: only the worker's bundle loads this (and the Kubernetes client). */
import { type TrafficRouter, UnknownClusterError } from '../../src/app/ports/traffic-router.js';
import type { BotConfig } from '../../src/config.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { KubeConfigSource } from '../../src/mesh/kube-auth.js';
import { defaultAwsCredentials } from '../../src/metrics/index.js';

/**
 * One router per cluster, rebuilt when its credentials are renewed (EKS tokens last 15 minutes).
 *
 * @example const router = await routersOf(config)('prod');
 */
export function routersOf(config: BotConfig): (cluster?: string) => Promise<TrafficRouter> {
  const sources = new Map<string, KubeConfigSource>();
  const routers = new Map<string, { config: unknown; router: TrafficRouter }>();
  return async (cluster = config.defaultCluster) => {
    const settings = Object.hasOwn(config.clusters, cluster) ? config.clusters[cluster] : undefined;
    if (!settings) throw new UnknownClusterError(cluster, Object.keys(config.clusters));
    let source = sources.get(cluster);
    if (!source) {
      source = new KubeConfigSource(
        settings.kube,
        settings.kube.mode === 'eks' ? defaultAwsCredentials() : undefined,
      );
      sources.set(cluster, source);
    }
    const kubeConfig = await source.get();
    const cached = routers.get(cluster);
    if (cached?.config === kubeConfig) return cached.router;
    const router = new IstioTrafficRouter(kubeConfig);
    routers.set(cluster, { config: kubeConfig, router });
    return router;
  };
}
