import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import type { BedPki } from './pki.js';
import { type BedProcess, BedStartError, freePort, startDetached, waitUntil } from './processes.js';

/** Where the control plane of a running bed can be reached. */
export interface KubeEndpoints {
  server: string;
  etcd: string;
  caCert: string;
  /** Kubeconfig files by identity; `admin` is system:masters and is for the bed and tests only. */
  kubeconfigs: { admin: string; controllerManager: string; scheduler: string };
}

/** Binaries built by build-go.sh. */
export interface KubeBinaries {
  kubernetes: string;
  etcd: string;
  kwok: string;
  istioCrds: string;
  kwokStages: string;
  /** pilot-discovery and istio-oracle. */
  istio: string;
  /** Gateway API's standard-channel directory (one CRD per file). */
  gatewayApiCrds: string;
}

/** Name of the simulated node that kwok manages. */
export const kwokNodeName = 'kwok-node-0';

function kubeconfigYaml(server: string, caCert: string, user: string, cert: string, key: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: bed\n  cluster:\n    server: ${server}\n    certificate-authority: ${caCert}`,
    'users:',
    `- name: ${user}\n  user:\n    client-certificate: ${cert}\n    client-key: ${key}`,
    'contexts:',
    `- name: bed\n  context:\n    cluster: bed\n    user: ${user}`,
    'current-context: bed',
    '',
  ].join('\n');
}

/** Loads a kubeconfig file into a client configuration. */
export function kubeConfigFrom(file: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # Only what service accounts do: enough to prove which verbs the bot used.
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
`;

/** Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok; applies the Istio and Gateway API CRDs. */
export async function startKube(
  dir: string,
  pki: BedPki,
  bin: KubeBinaries,
  started: (p: BedProcess) => void,
  alongside?: (kubeconfigs: KubeEndpoints['kubeconfigs']) => Promise<unknown>,
): Promise<KubeEndpoints> {
  await mkdir(join(dir, 'logs'), { recursive: true });
  const log = (name: string) => join(dir, 'logs', `${name}.log`);

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = startDetached(
    'etcd',
    join(bin.etcd, 'etcd'),
    [
      '--name=bed',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=bed=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    log('etcd'),
  );
  started(etcd);
  await waitUntil(
    etcd,
    async () => ((await (await fetch(`${etcdUrl}/health`)).json()) as { health?: string }).health === 'true',
    30_000,
  );

  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigs = {
    admin: join(dir, 'admin.kubeconfig'),
    controllerManager: join(dir, 'controller-manager.kubeconfig'),
    scheduler: join(dir, 'scheduler.kubeconfig'),
  };
  for (const [name, file] of Object.entries(kubeconfigs)) {
    const client = pki.clients[name as keyof typeof kubeconfigs];
    await writeFile(file, kubeconfigYaml(server, pki.caCert, name, client.cert, client.key));
  }
  await writeFile(join(dir, 'audit-policy.yaml'), auditPolicy);

  const apiserver = startDetached(
    'kube-apiserver',
    join(bin.kubernetes, 'kube-apiserver'),
    [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      // Controllers read this from kube-system and complain until it exists; no proxy ever uses it.
      `--requestheader-client-ca-file=${pki.caCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      // Room for the test suite's fleets: the soak and the load test each make 200 Services, and a namespace's
      // Services give their addresses back only once its deletion has finished.
      '--service-cluster-ip-range=10.0.0.0/16',
      '--allow-privileged=true',
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${join(dir, 'logs', 'audit.log')}`,
      '--audit-log-format=json',
      '--profiling=false',
      '--v=0',
    ],
    log('kube-apiserver'),
  );
  started(apiserver);

  const admin = kubeConfigFrom(kubeconfigs.admin);
  await waitUntil(apiserver, async () => (await rawGet(admin, '/readyz')) === 200, 90_000, 250);

  const kcm = startDetached(
    'kube-controller-manager',
    join(bin.kubernetes, 'kube-controller-manager'),
    [
      `--kubeconfig=${kubeconfigs.controllerManager}`,
      `--authentication-kubeconfig=${kubeconfigs.controllerManager}`,
      `--authorization-kubeconfig=${kubeconfigs.controllerManager}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      `--cert-dir=${join(dir, 'kcm-certs')}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      // Only what makes Deployments ready (the node lifecycle controller lifts the not-ready taint) and keeps service accounts working.
      '--controllers=deployment-controller,replicaset-controller,serviceaccount-controller,serviceaccount-token-controller,namespace-controller,garbage-collector-controller,endpointslice-controller,endpoints-controller,root-ca-certificate-publisher-controller,pod-garbage-collector-controller,clusterrole-aggregation-controller,node-lifecycle-controller',
    ],
    log('kube-controller-manager'),
  );
  started(kcm);

  const scheduler = startDetached(
    'kube-scheduler',
    join(bin.kubernetes, 'kube-scheduler'),
    [
      `--kubeconfig=${kubeconfigs.scheduler}`,
      `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
      `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      `--cert-dir=${join(dir, 'scheduler-certs')}`,
      '--leader-elect=false',
    ],
    log('kube-scheduler'),
  );
  started(scheduler);

  const kwok = startDetached(
    'kwok',
    join(bin.kwok, 'kwok'),
    [
      `--kubeconfig=${kubeconfigs.admin}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--cidr=10.244.0.0/16',
      '--node-ip=10.0.0.2',
      // The heartbeat stage updates node status rarely and relies on the node lease to keep the node Ready.
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${await freePort()}`,
      ...(await readdir(bin.kwokStages))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => `--config=${join(bin.kwokStages, f)}`),
    ],
    log('kwok'),
  );
  started(kwok);

  await applyIstioCrds(admin, join(bin.istioCrds, 'customresourcedefinitions.gen.yaml'));
  await applyGatewayApiCrds(admin, bin.gatewayApiCrds);
  // What needs the API server and the CRDs (Istio's webhook) starts while the node comes up; started
  // before the CRDs, pilot's informers back off on the missing types and it is ready later, not sooner.
  // Settle both before judging, so a failure never leaves one of them still starting things.
  const results = await Promise.allSettled([
    alongside?.(kubeconfigs),
    (async () => {
      await createKwokNode(admin);
      await waitUntil(kcm, async () => await defaultServiceAccountExists(admin), 60_000, 250);
      await waitUntil(kwok, async () => await nodeIsReady(admin), 60_000, 250);
    })(),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  void scheduler;

  return { server, etcd: etcdUrl, caCert: pki.caCert, kubeconfigs };
}

async function rawGet(kc: k8s.KubeConfig, path: string): Promise<number> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no cluster');
  const options: { headers: Record<string, string> } & Record<string, unknown> = { headers: {} };
  await kc.applyToHTTPSOptions(options);
  const https = await import('node:https');
  return await new Promise((resolve, reject) => {
    const request = https.get(`${cluster.server}${path}`, options, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.setTimeout(2000, () => request.destroy(new Error('timeout')));
  });
}

/** Creates the Istio CRDs (server-side, idempotent) and waits until every one is Established. */
export async function applyIstioCrds(kc: k8s.KubeConfig, file: string): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const docs = k8s.loadAllYaml(await readFile(file, 'utf8')) as k8s.V1CustomResourceDefinition[];
  const crds = docs.filter((d) => d?.kind === 'CustomResourceDefinition');
  for (const crd of crds) {
    try {
      await api.createCustomResourceDefinition({ body: crd });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }
  await waitForCrds(
    kc,
    crds.map((crd) => crd.metadata?.name ?? ''),
  );
}

/**
 * Applies the CRDs of a YAML file server-side (idempotent; other documents are skipped) and returns their
 * names. The file is sent as YAML for the API server to parse: some (Flagger's) have multi-line quoted
 * strings that Go's YAML reads but js-yaml refuses ("deficient indentation").
 *
 * @example const names = await applyCrdFile(admin, '/cache/flagger-crds-v1.44.0/crd.yaml');
 */
export async function applyCrdFile(kc: k8s.KubeConfig, file: string): Promise<string[]> {
  const documents = (await readFile(file, 'utf8'))
    .split(/^---\s*$/m)
    .filter((doc) => /^kind: CustomResourceDefinition$/m.test(doc));
  const names: string[] = [];
  for (const doc of documents) {
    // The first key indented under metadata that is `name` (annotations may come before it).
    const name = /^metadata:\n(?:\s.*\n)*? {2}name: "?([^"\s]+)"?$/m.exec(doc)?.[1];
    if (!name) throw new BedStartError(`a CRD of ${file} has no metadata.name`);
    names.push(name);
    const status = await rawRequest(
      kc,
      'PATCH',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=canary-bot-bed&force=true`,
      'application/apply-patch+yaml',
      doc,
    );
    if (status.code >= 300)
      throw new BedStartError(`applying CRD ${name}: HTTP ${status.code} ${status.body}`);
  }
  return names;
}

/** Waits until every named CRD is Established. */
export async function waitForCrds(kc: k8s.KubeConfig, names: readonly string[]): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
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
 * Applies Gateway API's standard-channel CRDs (every `*.yaml` of the directory build-go.sh copied; its
 * ValidatingAdmissionPolicy is not a CRD and is left out) and waits until they are Established.
 *
 * @example await applyGatewayApiCrds(admin, '/cache/gateway-api-crds-v1.6.3');
 */
export async function applyGatewayApiCrds(kc: k8s.KubeConfig, dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const names: string[] = [];
  for (const file of files) names.push(...(await applyCrdFile(kc, join(dir, file))));
  if (!names.includes('httproutes.gateway.networking.k8s.io'))
    throw new BedStartError(`no HTTPRoute CRD in ${dir}`);
  await waitForCrds(kc, names);
}

/** One request with a raw body (a YAML apply patch, for example); the answer's status and first 500 characters. */
export async function rawRequest(
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

async function createKwokNode(kc: k8s.KubeConfig): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const node: k8s.V1Node = {
    metadata: {
      name: kwokNodeName,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { type: 'kwok', 'kubernetes.io/hostname': kwokNodeName, 'kubernetes.io/role': 'agent' },
    },
    status: {
      allocatable: { cpu: '64', memory: '256Gi', pods: '500' },
      capacity: { cpu: '64', memory: '256Gi', pods: '500' },
    },
  };
  try {
    await core.createNode({ body: node });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

async function nodeIsReady(kc: k8s.KubeConfig): Promise<boolean> {
  const node = await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: kwokNodeName });
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

async function defaultServiceAccountExists(kc: k8s.KubeConfig): Promise<boolean> {
  try {
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
    return true;
  } catch {
    await sleep(100);
    return false;
  }
}

/**
 * Mints a short-lived bearer token for a service account with the TokenRequest API (the way a pod gets one),
 * so tests act with exactly the rights bound to that account.
 */
export async function mintServiceAccountToken(
  admin: k8s.KubeConfig,
  namespace: string,
  serviceAccount: string,
  expirationSeconds = 3600,
): Promise<string> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const response = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = response.status?.token;
  if (!token) throw new Error(`no token returned for ${namespace}/${serviceAccount}`);
  return token;
}

/** A client configuration that authenticates with a bearer token against the bed's API server. */
export function kubeConfigForToken(
  endpoints: KubeEndpoints,
  token: string,
  user = 'token-user',
): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'bed', server: endpoints.server, caFile: endpoints.caCert, skipTLSVerify: false }],
    users: [{ name: user, token }],
    contexts: [{ name: 'bed', cluster: 'bed', user }],
    currentContext: 'bed',
  });
  return kc;
}
