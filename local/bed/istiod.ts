/**
 * Istio's pilot (istiod's discovery and admission server, built from the pinned istio.io/istio module) as
 * the bed's validating webhook: every VirtualService, DestinationRule and other Istio object written on
 * the bed is validated by Istio's own code, exactly as in a cluster with istiod. It is also the bed's
 * Gateway API controller: it reads HTTPRoutes (GAMMA routes to a Service, and routes to its Gateways) and
 * writes their `status.parents`, as istiod does with its Gateway API support on; it provisions no gateway
 * Deployments (the bed runs no pods).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { KubeEndpoints } from './kube.js';
import { kubeConfigFrom } from './kube.js';
import type { BedPki } from './pki.js';
import { type BedProcess, BedStartError, freePort, startDetached, waitUntil } from './processes.js';

/** Name of the ValidatingWebhookConfiguration the bed registers for pilot. */
export const istioWebhookName = 'canary-bot-bed-istio-validation';

/** The controller name pilot writes in the route status it owns. */
export const istioGatewayController = 'istio.io/gateway-controller';

/**
 * Labels that put an object in a control-plane revision that does not run on the bed: pilot (revision
 * `default`) ignores it, so an HTTPRoute with them has no Gateway API controller, as on a cluster without one.
 */
export const noControllerLabels: Readonly<Record<string, string>> = { 'istio.io/rev': 'not-running' };

/** Where pilot answers: its HTTP debug/readiness address and the webhook URL. */
export interface IstiodEndpoints {
  http: string;
  webhook: string;
}

/**
 * Starts pilot-discovery against the bed's API server, every address on 127.0.0.1, and registers its
 * validating webhook with `failurePolicy: Fail`; returns once a deliberately invalid VirtualService is
 * refused by it (so the first write of a test already meets Istio).
 */
export async function startIstiod(
  dir: string,
  pki: BedPki,
  kube: Pick<KubeEndpoints, 'kubeconfigs'>,
  istioBin: string,
  started: (p: BedProcess) => void,
): Promise<IstiodEndpoints> {
  const admin = kubeConfigFrom(kube.kubeconfigs.admin);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'istio-system' } } }).catch((error: unknown) => {
    if ((error as { code?: number }).code !== 409) throw error;
  });
  const [httpPort, grpcPort, secureGrpcPort, httpsPort, monitoringPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const meshConfig = join(dir, 'istio-mesh.yaml');
  await writeFile(meshConfig, 'rootNamespace: istio-system\ntrustDomain: cluster.local\n');
  const pilot = startDetached(
    'pilot-discovery',
    join(istioBin, 'pilot-discovery'),
    [
      'discovery',
      `--kubeconfig=${kube.kubeconfigs.admin}`,
      `--httpAddr=127.0.0.1:${httpPort}`,
      `--grpcAddr=127.0.0.1:${grpcPort}`,
      `--secureGRPCAddr=127.0.0.1:${secureGrpcPort}`,
      `--httpsAddr=127.0.0.1:${httpsPort}`,
      `--monitoringAddr=127.0.0.1:${monitoringPort}`,
      `--meshConfig=${meshConfig}`,
      `--tlsCertFile=${pki.istiod.cert}`,
      `--tlsKeyFile=${pki.istiod.key}`,
      `--caCertFile=${pki.caCert}`,
      '--domain=cluster.local',
      '--log_output_level=all:warn',
    ],
    join(dir, 'logs', 'pilot-discovery.log'),
    {
      ...process.env,
      POD_NAMESPACE: 'istio-system',
      POD_NAME: 'istiod-bed',
      // As istiod's chart sets it: objects labelled for another revision are not pilot's (noControllerLabels).
      REVISION: 'default',
      PILOT_ENABLE_GATEWAY_API: 'true',
      // Route and Gateway status, written by the elected status leader (this one pilot, at once).
      PILOT_ENABLE_GATEWAY_API_STATUS: 'true',
      // No Deployments or Services for Gateways: the bed runs no pods.
      PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: 'false',
    },
  );
  started(pilot);
  const http = `http://127.0.0.1:${httpPort}`;
  await waitUntil(pilot, async () => (await fetch(`${http}/ready`)).ok, 120_000, 100);

  const webhook = `https://127.0.0.1:${httpsPort}/validate`;
  await registerWebhook(admin, webhook, await readFile(pki.caCert));
  // The API server picks up a new webhook configuration asynchronously: wait until it calls pilot.
  await waitUntil(
    pilot,
    async () => {
      const refusal = await dryRunInvalidWrite(admin);
      if (refusal === undefined) return false;
      if (!refusal.includes('validation.istio.io'))
        throw new BedStartError(`Istio's webhook answered something unexpected: ${refusal}`);
      return true;
    },
    30_000,
    200,
  );
  return { http, webhook };
}

async function registerWebhook(admin: k8s.KubeConfig, url: string, caBundle: Buffer): Promise<void> {
  const api = admin.makeApiClient(k8s.AdmissionregistrationV1Api);
  const body: k8s.V1ValidatingWebhookConfiguration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: istioWebhookName },
    webhooks: [
      {
        name: 'validation.istio.io',
        clientConfig: { url, caBundle: caBundle.toString('base64') },
        rules: [
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io'],
            apiVersions: ['*'],
            resources: ['*'],
          },
        ],
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1', 'v1beta1'],
        timeoutSeconds: 10,
      },
    ],
  };
  try {
    await api.createValidatingWebhookConfiguration({ body });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
    await api.replaceValidatingWebhookConfiguration({ name: istioWebhookName, body });
  }
}

/** Istio's refusal of an invalid VirtualService (dry run, nothing stored), or undefined if not (yet) refused. */
async function dryRunInvalidWrite(admin: k8s.KubeConfig): Promise<string | undefined> {
  const api = admin.makeApiClient(k8s.CustomObjectsApi);
  try {
    await api.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'istio-system',
      plural: 'virtualservices',
      dryRun: 'All',
      body: {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'bed-webhook-probe' },
        spec: { hosts: ['probe'], http: [{ match: [{ headers: { x: { regex: '(' } } }], route: [] }] },
      },
    });
    return undefined;
  } catch (error) {
    // 404: the Istio CRDs are not Established yet; ask again.
    if ((error as { code?: number }).code === 404) return undefined;
    const body = (error as { body?: unknown }).body;
    return typeof body === 'string' ? body : JSON.stringify(body ?? String(error));
  }
}
