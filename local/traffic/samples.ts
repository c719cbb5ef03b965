/**
 * The seeds' sample apps (infra/samples/*.yaml) as simulator profiles: topology (versions, workloads,
 * labels, hosts, rule names) comes from the manifests, traffic (rates, request mix, calls, latency)
 * from the table below.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadAllYaml } from '@kubernetes/client-node';
import type { GatewayHttpRoute } from './gateway-api-routing.js';
import type { DestinationRule, VirtualService } from './istio-types.js';
import type {
  DownstreamCall,
  RequestClass,
  ServiceProfile,
  VersionBehaviour,
  VersionProfile,
} from './profile.js';

export type SampleAppName = 'bookinfo' | 'weather' | 'two-host' | 'bookinfo-gw' | 'two-host-gw';

/** The apps the seeds run: Istio APIs. The Gateway API variants (`*-gw`) are deployed by the tests that use them. */
export const SAMPLE_APPS: readonly SampleAppName[] = ['bookinfo', 'weather', 'two-host'];

/** Traffic defaults of one service of a sample app. */
export interface SampleServiceTraffic {
  rps?: number;
  mix?: readonly RequestClass[];
  calls?: readonly DownstreamCall[];
  /** Per-version calls replacing `calls` (bookinfo's reviews-v1 does not call ratings). */
  versionCalls?: Readonly<Record<string, readonly DownstreamCall[]>>;
  behaviour?: Readonly<Record<string, Partial<VersionBehaviour>>>;
}

export interface SampleAppTraffic {
  namespace: string;
  /** Services that get a profile, by Service name. */
  services: Readonly<Record<string, SampleServiceTraffic>>;
}

/** A loaded sample: the Kubernetes objects of its manifest and the profiles to simulate it. */
export interface SampleApp {
  name: SampleAppName;
  namespace: string;
  manifestPath: string;
  /** Objects as `loadAllYaml` returns them, in file order (Namespace first). */
  objects: unknown[];
  profiles: ServiceProfile[];
}

/** A manifest that does not hold what its traffic table expects. */
export class SampleManifestError extends Error {
  override readonly name = 'SampleManifestError';
}

const fast = { kind: 'lognormal', medianMs: 5, p99Ms: 25 } as const;

const BOOKINFO_SERVICES: SampleAppTraffic['services'] = {
  productpage: {
    rps: 10,
    // Signed-in jason, as in Istio's request-routing task.
    mix: [{ fraction: 0.1, headers: { 'end-user': 'jason' } }],
    calls: [{ service: 'details' }, { service: 'reviews' }],
    behaviour: { v1: { latency: { kind: 'lognormal', medianMs: 40, p99Ms: 200 } } },
  },
  details: { behaviour: { v1: { latency: fast } } },
  reviews: {
    versionCalls: { v1: [], v2: [{ service: 'ratings' }], v3: [{ service: 'ratings' }] },
    behaviour: {
      v1: { latency: { kind: 'lognormal', medianMs: 20, p99Ms: 100 } },
      v2: { latency: { kind: 'lognormal', medianMs: 20, p99Ms: 100 } },
      v3: { latency: { kind: 'lognormal', medianMs: 25, p99Ms: 120 } },
    },
  },
  ratings: { behaviour: { v1: { latency: fast } } },
};

const TWO_HOST_SERVICES: SampleAppTraffic['services'] = {
  'apps-svc-all': {
    rps: 10,
    behaviour: {
      v1: { latency: { kind: 'lognormal', medianMs: 20, p99Ms: 100 } },
      v2: { latency: { kind: 'lognormal', medianMs: 20, p99Ms: 100 } },
    },
  },
};

/** Rates, request mixes, calls and latencies of the seeds' apps (the Gateway API variants as their originals). */
export const SAMPLE_TRAFFIC: Readonly<Record<SampleAppName, SampleAppTraffic>> = {
  bookinfo: {
    namespace: 'bookinfo',
    services: BOOKINFO_SERVICES,
  },
  weather: {
    namespace: 'weather',
    services: {
      frontend: {
        rps: 10,
        mix: [
          // Testers: the cookie alone, and as browsers send it among others, with a space after ';'.
          { fraction: 0.05, cookie: 'user=tester' },
          { fraction: 0.05, cookie: 'session=4f2a9c; user=tester; theme=dark' },
          {
            fraction: 0.3,
            userAgent:
              'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
          },
        ],
        calls: [{ service: 'forecast' }],
        behaviour: {
          v1: { latency: { kind: 'lognormal', medianMs: 30, p99Ms: 150 } },
          v2: { latency: { kind: 'lognormal', medianMs: 30, p99Ms: 150 } },
        },
      },
      forecast: {
        calls: [{ service: 'recommendation' }],
        behaviour: {
          v1: { latency: { kind: 'lognormal', medianMs: 15, p99Ms: 80 } },
          v2: { latency: { kind: 'lognormal', medianMs: 15, p99Ms: 80 } },
        },
      },
      recommendation: { behaviour: { v1: { latency: fast } } },
    },
  },
  'two-host': {
    namespace: 'apps',
    services: TWO_HOST_SERVICES,
  },
  'bookinfo-gw': { namespace: 'bookinfo-gw', services: BOOKINFO_SERVICES },
  'two-host-gw': { namespace: 'apps-gw', services: TWO_HOST_SERVICES },
};

/** Absolute path of a sample app's manifest. */
export function sampleManifestPath(app: SampleAppName): string {
  return fileURLToPath(new URL(`../../infra/samples/${app}.yaml`, import.meta.url));
}

/**
 * Loads a sample app's manifest and derives its simulator profiles. With `namespace`, every object
 * (and every profile) moves to that namespace, for tests that deploy a sample into a namespace of their own.
 * @example const { objects, profiles } = await loadSampleApp('bookinfo', { namespace: 'mesh-bookinfo-x1' })
 */
export async function loadSampleApp(
  app: SampleAppName,
  options: { namespace?: string } = {},
): Promise<SampleApp> {
  const manifestPath = sampleManifestPath(app);
  const objects = loadAllYaml(await readFile(manifestPath, 'utf8')).filter((o) => o != null);
  const namespace = options.namespace ?? SAMPLE_TRAFFIC[app].namespace;
  for (const object of objects as { kind?: string; metadata?: { name?: string; namespace?: string } }[]) {
    if (!object.metadata) continue;
    if (object.kind === 'Namespace') object.metadata.name = namespace;
    else object.metadata.namespace = namespace;
  }
  const traffic = { ...SAMPLE_TRAFFIC[app], namespace };
  return { name: app, namespace, manifestPath, objects, profiles: profilesFromManifest(objects, traffic) };
}

/**
 * Profiles of several sample apps at once (default all), ready for `new MeshTrafficSimulator`;
 * `namespaces` moves apps out of their default namespaces.
 * @example new MeshTrafficSimulator({ services: await loadSampleProfiles(), reader, writer })
 */
export async function loadSampleProfiles(
  apps: readonly SampleAppName[] = SAMPLE_APPS,
  namespaces: Partial<Record<SampleAppName, string>> = {},
  rpsFactor = 1,
): Promise<ServiceProfile[]> {
  if (!(rpsFactor > 0)) throw new RangeError(`rpsFactor must be positive, got ${rpsFactor}`);
  const loaded = await Promise.all(
    apps.map((app) => {
      const namespace = namespaces[app];
      return loadSampleApp(app, namespace === undefined ? {} : { namespace });
    }),
  );
  return loaded
    .flatMap((app) => app.profiles)
    .map((profile) => (profile.rps === undefined ? profile : { ...profile, rps: profile.rps * rpsFactor }));
}

interface Workload {
  name: string;
  labels: Record<string, string>;
}

/**
 * Profiles for the services of `traffic`: versions are the Deployments the Service selects; other
 * Services selecting a subset of them become host -> version entries (destinations by host).
 */
export function profilesFromManifest(
  objects: readonly unknown[],
  traffic: SampleAppTraffic,
): ServiceProfile[] {
  const ns = traffic.namespace;
  const inNamespace = (kind: string) =>
    objects.filter((o) => {
      const object = o as { kind?: string; metadata?: { namespace?: string } } | null;
      return object?.kind === kind && object.metadata?.namespace === ns;
    });
  const workloads: Workload[] = inNamespace('Deployment').map((d) => {
    const deployment = d as {
      metadata: { name: string };
      spec: { template: { metadata: { labels: Record<string, string> } } };
    };
    return { name: deployment.metadata.name, labels: { ...deployment.spec.template.metadata.labels } };
  });
  const services = inNamespace('Service').map((s) => {
    const service = s as { metadata: { name: string }; spec: { selector?: Record<string, string> } };
    const selector = Object.entries(service.spec.selector ?? {});
    const selected = workloads.filter((w) => selector.every(([k, v]) => w.labels[k] === v));
    return { name: service.metadata.name, selected };
  });
  const virtualServices = inNamespace('VirtualService') as unknown as VirtualService[];
  const httpRoutes = inNamespace('HTTPRoute') as unknown as GatewayHttpRoute[];
  const destinationRules = inNamespace('DestinationRule') as unknown as DestinationRule[];

  return Object.entries(traffic.services).map(([name, defaults]) => {
    const service = services.find((s) => s.name === name);
    if (!service || service.selected.length === 0) {
      throw new SampleManifestError(`${ns}/${name}: no Service selecting Deployments in the manifest`);
    }
    const versions: VersionProfile[] = service.selected.map((w) => {
      const version = w.labels.version;
      if (!version) throw new SampleManifestError(`${ns}/${w.name}: pods carry no version label`);
      const profile: VersionProfile = {
        version,
        workload: w.name,
        labels: w.labels,
        ...defaults.behaviour?.[version],
      };
      const calls = defaults.versionCalls?.[version];
      if (calls) profile.calls = calls;
      return profile;
    });
    const hosts: Record<string, string[]> = {};
    for (const other of services) {
      if (other.name === name || other.selected.length === 0) continue;
      if (other.selected.every((w) => service.selected.includes(w))) {
        hosts[other.name] = other.selected.map((w) => w.labels.version!);
      }
    }
    const rules: Record<string, string> = {};
    for (const rule of destinationRules) rules[rule.spec.host.split('.')[0]!] = rule.metadata.name;
    const virtualService = virtualServices.find((vs) => vs.spec.hosts?.some((h) => h.split('.')[0] === name));
    // GAMMA: an HTTPRoute attached to the Service routes its requests.
    const httpRoute = httpRoutes.find((r) =>
      (r.spec.parentRefs ?? []).some((p) => p.kind === 'Service' && p.name === name),
    );
    const profile: ServiceProfile = {
      name,
      namespace: ns,
      app: service.selected[0]!.labels.app ?? name,
      virtualService: virtualService?.metadata.name ?? name,
      ...(httpRoute ? { httpRoute: httpRoute.metadata.name } : {}),
      destinationRules: rules,
      versions,
      hosts,
    };
    if (defaults.rps !== undefined) profile.rps = defaults.rps;
    if (defaults.mix) profile.mix = defaults.mix;
    if (defaults.calls) profile.calls = defaults.calls;
    return profile;
  });
}
