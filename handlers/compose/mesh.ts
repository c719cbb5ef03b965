/** The traffic router of each cluster: only the worker's bundle loads this (and the Kubernetes client). */

import type { KubeConfig } from '@kubernetes/client-node';
import { type TrafficRouter, UnknownClusterError } from '../../src/app/ports/traffic-router.js';
import type { BotConfig } from '../../src/config.js';
import { HttpRouteTrafficRouter } from '../../src/mesh/gateway/http-route-router.js';
import { IstioTrafficRouter } from '../../src/mesh/istio/istio-router.js';
import { KubeServiceCatalog } from '../../src/mesh/istio/service-catalog.js';
import { KubeConfigSource } from '../../src/mesh/kube-auth.js';
import { RouterByApi } from '../../src/mesh/router-by-api.js';
import { defaultAwsCredentials } from '../../src/metrics/index.js';

/**
 * One router per cluster (VirtualServices and HTTPRoutes), rebuilt when its credentials are renewed (EKS tokens last 15 minutes).
 *
 * @example const router = await routersOf(config)('prod');
 */
export function routersOf(config: BotConfig): (cluster?: string) => Promise<TrafficRouter> {
  const kubeConfigOf = kubeConfigsOf(config);
  const routers = new Map<string, { config: unknown; router: TrafficRouter }>();
  return async (cluster = config.defaultCluster) => {
    const kubeConfig = await kubeConfigOf(cluster);
    const cached = routers.get(cluster);
    if (cached?.config === kubeConfig) return cached.router;
    const router = new RouterByApi({
      VirtualService: new IstioTrafficRouter(kubeConfig),
      HTTPRoute: new HttpRouteTrafficRouter(kubeConfig),
    });
    routers.set(cluster, { config: kubeConfig, router });
    return router;
  };
}

/**
 * Each configured cluster's current client configuration (EKS tokens renewed before they expire); an
 * unknown cluster is an error naming the configured ones.
 *
 * @example const kubeConfig = await kubeConfigsOf(config)('prod');
 */
export function kubeConfigsOf(config: BotConfig): (cluster: string) => Promise<KubeConfig> {
  const sources = new Map<string, KubeConfigSource>();
  return async (cluster) => {
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
    return await source.get();
  };
}

/**
 * The services and versions of each cluster's namespaces, from their DestinationRules (the worker keeps
 * them for the start form's suggestions).
 *
 * @example await catalogOf(config).versions('prod', 'bookinfo', 'reviews') // ['v1', 'v2', 'v3']
 */
export function catalogOf(config: BotConfig): KubeServiceCatalog {
  return new KubeServiceCatalog(kubeConfigsOf(config));
}
