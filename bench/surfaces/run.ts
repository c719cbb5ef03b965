/**
 * The Slack surfaces' ingress paths:
 *
 * 1. `/canary` with no text: the signed command through the Lambda ingress handler, in process, which opens
 *    the start form with `views.open` on a Slack emulator started in this process (it issues the trigger_id
 *    and holds Slack's 3-second rule); timed from the signed request to the handler's answer.
 * 2. The start form's suggestion menus with N services (3 versions each) in a namespace, answered from the
 *    worker's catalog record: (a) in the embedded store, (b) in the bed's DynamoDB Local, through the same
 *    handler (replay claims in that store too); (c) the worker's read of that catalog (`refreshCatalog`,
 *    as the bot's least-privilege identity) from the bed's kube-apiserver with N DestinationRules.
 *
 *   tsx bench/surfaces/run.ts [--requests 300] [--services 500] [--out bench/results/surfaces.json]
 *
 * Parts 2b and 2c need the test bed (`tsx local/bed/cli.ts up`). The namespaces, the bot's role and the
 * table it creates are removed at the end. Prints a Markdown table and writes the results as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as k8s from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { applyObjects, uniqueNamespace } from '../../local/bed/manifests.js';
import { type HttpApiEvent, httpApiEvent } from '../../local/front-door.js';
import { buildSlashCommandBody } from '../../local/slack/interaction-client.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import { type SlackEmulator, startSlackEmulator } from '../../local/slack/slack-emulator.js';
import { type SlackViewObject, submittedState, type UserValues } from '../../local/slack/view-store.js';
import { CATALOG_RECORD, type CatalogRecord, refreshCatalog, storedCatalog } from '../../src/app/catalog.js';
import { describeError, type Logger } from '../../src/app/logger.js';
import type { ClaimStore, RecordStore } from '../../src/app/ports/release-store.js';
import { createSlackIngress } from '../../src/chat/slack/slack-ingress.js';
import { webClientViews } from '../../src/chat/slack/views-api.js';
import { DEFAULT_APPROVAL_POLICY } from '../../src/domain/release/index.js';
import { KubeServiceCatalog } from '../../src/mesh/istio/service-catalog.js';
import { deleteStoreTable } from '../../src/store/dynamodb/store-table.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { openStore } from '../../src/store/open-store.js';
import { median, ms, quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300' },
    services: { type: 'string', default: '500' },
    out: {
      type: 'string',
      default: resolve(dirname(fileURLToPath(import.meta.url)), '../results/surfaces.json'),
    },
  },
});
const requests = Number(values.requests);
const serviceCount = Number(values.services);
if (!Number.isInteger(requests) || requests < 1) throw new Error('--requests must be an integer >= 1');
if (!Number.isInteger(serviceCount) || serviceCount < 1)
  throw new Error('--services must be an integer >= 1');

/** Requests sent first and not counted (they warm the JIT and the connections up). */
const WARM_UP = 50;
/** Rounds of the worker's catalog read. */
const CATALOG_ROUNDS = 5;
/** DestinationRules written at a time. */
const APPLY_WIDTH = 8;
const VERSIONS = ['v1', 'v2', 'v3'];
const CLUSTER = 'bed';
const USER = { id: 'U0ALICE001', name: 'alice' };
const CHANNEL = 'C0RELEASES';
const startedAt = performance.now();
const loadAtStart = loadavg()[0] ?? 0;

/** Latency of one kind of request. */
interface Row {
  samples: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

const row = (times: readonly number[]): Row => ({
  samples: times.length,
  medianMs: median(times),
  p99Ms: quantile(times, 0.99),
  maxMs: quantile(times, 1),
});

/**
 * The bench's services, in the catalog's order (numeric, as `byName` sorts): `svc-0` … `svc-<n-1>`.
 *
 * @example serviceNames(3) // ['svc-0', 'svc-1', 'svc-2']
 */
function serviceNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `svc-${i}`);
}

/** The catalog record the worker keeps for N services of 3 versions each, read now. */
function catalogRecord(names: readonly string[]): CatalogRecord {
  return {
    readAt: new Date().toISOString(),
    services: Object.fromEntries(names.map((name) => [name, [...VERSIONS]])),
  };
}

/** A logger that keeps the warnings (a refused `views.open` is one) and drops the rest. */
function warningsLogger(): Logger & { warnings: { message: string; error: string }[] } {
  const warnings: { message: string; error: string }[] = [];
  return {
    warnings,
    info: () => {},
    warn: (message, fields) =>
      void warnings.push({
        message,
        error: String((fields as { error?: unknown } | undefined)?.error ?? ''),
      }),
    error: (message, fields) =>
      void warnings.push({
        message,
        error: String((fields as { error?: unknown } | undefined)?.error ?? ''),
      }),
  };
}

const signingSecret = 'bench-signing-secret-0123456789';
const botToken = 'xoxb-bench-0000000000-surfaces';

/** A signed Slack request as the HTTP API hands it to the Lambda. */
function signedEvent(body: string): HttpApiEvent {
  const ts = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    ...slackSignatureHeaders(signingSecret, ts, body),
  };
  return httpApiEvent('POST', '/slack/events', headers, body);
}

type Ingress = ReturnType<typeof createSlackIngress>;

/** The ingress as the Lambda builds it, on a given store (replay claims and the catalog record). */
function ingressOn(
  slack: SlackEmulator,
  store: ClaimStore & Pick<RecordStore, 'getRecord'>,
  namespace: string,
  log: Logger,
): { handler: Ingress; refreshes: () => number } {
  let refreshes = 0;
  const queue = {
    send: async (queued: readonly { body: unknown }[]) => {
      refreshes += queued.filter((q) => (q.body as { kind?: string }).kind === 'catalog').length;
    },
  };
  const clock = () => new Date();
  const handler = createSlackIngress({
    signingSecret,
    apiUrl: slack.apiUrl,
    claims: store,
    catalog: storedCatalog({ store, queue, clock, log }),
    clusters: [CLUSTER],
    views: webClientViews(
      new WebClient(botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
    ),
    queue,
    policy: DEFAULT_APPROVAL_POLICY,
    defaultNamespace: namespace,
    defaultCluster: CLUSTER,
    clock,
    log,
  });
  return { handler, refreshes: () => refreshes };
}

/** Part 1: `/canary` alone opens the start form; each request has its own trigger_id from the emulator. */
async function measureStartForm(
  handler: Ingress,
  slack: SlackEmulator,
  log: ReturnType<typeof warningsLogger>,
): Promise<{ times: number[]; refused: number; expired: number; opened: number }> {
  const times: number[] = [];
  let refused = 0;
  for (let i = 0; i < requests + WARM_UP; i++) {
    const issued = await slack.issueInteraction({ channelId: CHANNEL, userId: USER.id });
    const body = buildSlashCommandBody(
      { text: '', userId: USER.id, userName: USER.name, channelId: CHANNEL, teamId: slack.teamId },
      issued,
    );
    const event = signedEvent(body);
    const t0 = performance.now();
    const answer = await handler(event as never, {});
    const elapsed = performance.now() - t0;
    if (answer.statusCode !== 200) throw new Error(`ingress answered ${answer.statusCode}: ${answer.body}`);
    // The form opened: an empty acknowledgement; otherwise a sentence for the person.
    if (answer.body !== '' && answer.body !== undefined) refused++;
    if (i >= WARM_UP) times.push(elapsed);
  }
  const { stack: modal } = await slack.views({ user: USER.id });
  const expired = log.warnings.filter((w) => w.error.includes('expired_trigger_id')).length;
  return { times, refused, expired, opened: modal.length };
}

/** A block_suggestion of the open start form, with its state as Slack sends it. */
function suggestionPayload(
  slack: SlackEmulator,
  view: SlackViewObject,
  field: 'service' | 'version',
  typed: string,
): Record<string, unknown> {
  return {
    type: 'block_suggestion',
    user: { id: USER.id, username: USER.name, name: USER.name, team_id: slack.teamId },
    container: { type: 'view', view_id: view.id },
    api_app_id: slack.appId,
    token: slack.verificationToken,
    team: { id: slack.teamId, domain: slack.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    action_id: `start.${field}`,
    block_id: field,
    value: typed,
    view: { ...view, state: { values: submittedState(view) } },
  };
}

/** Part 2: one suggestion menu, `requests` times; each answer is checked. */
async function measureSuggestions(
  handler: Ingress,
  payload: Record<string, unknown>,
  expectFirst: string,
): Promise<{ times: number[]; options: number }> {
  const times: number[] = [];
  const form = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  let options = 0;
  for (let i = 0; i < requests + WARM_UP; i++) {
    // A field Bolt ignores keeps each signature unique (the replay claim is per signature).
    const event = signedEvent(`${form}&n=${i}`);
    const t0 = performance.now();
    const answer = await handler(event as never, {});
    const elapsed = performance.now() - t0;
    if (answer.statusCode !== 200) throw new Error(`ingress answered ${answer.statusCode}: ${answer.body}`);
    const json = JSON.parse(answer.body) as { options?: { value?: string }[] };
    options = json.options?.length ?? 0;
    if (json.options?.[0]?.value !== expectFirst)
      throw new Error(`expected ${expectFirst} first, got ${answer.body.slice(0, 200)}`);
    if (i >= WARM_UP) times.push(elapsed);
  }
  return { times, options };
}

/** The three menus of part 2 on one handler. */
async function suggestionRows(
  handler: Ingress,
  slack: SlackEmulator,
  empty: SlackViewObject,
  chosen: SlackViewObject,
) {
  const all = await measureSuggestions(handler, suggestionPayload(slack, empty, 'service', ''), 'svc-0');
  const typed = await measureSuggestions(
    handler,
    suggestionPayload(slack, empty, 'service', 'svc-4'),
    'svc-4',
  );
  const versions = await measureSuggestions(handler, suggestionPayload(slack, chosen, 'version', ''), 'v3');
  return {
    serviceAll: { ...row(all.times), options: all.options },
    serviceTyped: { ...row(typed.times), options: typed.options },
    version: { ...row(versions.times), options: versions.options },
  };
}

/** A DestinationRule of `host` with subsets v1..v3. */
function destinationRule(namespace: string, host: string): k8s.KubernetesObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: host, namespace },
    spec: { host, subsets: VERSIONS.map((v) => ({ name: v, labels: { version: v } })) },
  } as k8s.KubernetesObject;
}

/** Applies objects `width` at a time. */
async function applyWide(kc: k8s.KubeConfig, objects: k8s.KubernetesObject[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < objects.length) {
        const object = objects[next++]!;
        await applyObjects(kc, [object]);
      }
    }),
  );
}

const names = serviceNames(serviceCount);
const slack = await startSlackEmulator({ botToken, signingSecret });
const namespace = uniqueNamespace('bench-surfaces');
const home = uniqueNamespace('bench-surfaces-bot');
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
const tableName = `canary-bot-bench-surfaces-${Date.now().toString(36)}`;
const cleanups: (() => Promise<unknown>)[] = [];

try {
  // 1 and 2a: the embedded store, in process.
  const embeddedLog = warningsLogger();
  const embedded = new EmbeddedStore();
  await embedded.putRecord(CATALOG_RECORD, `${CLUSTER}/${namespace}`, catalogRecord(names));
  const inProcess = ingressOn(slack, embedded, namespace, embeddedLog);
  const startForm = await measureStartForm(inProcess.handler, slack, embeddedLog);
  if (startForm.refused > 0 || startForm.expired > 0)
    throw new Error(
      `the start form was refused ${startForm.refused} times (${startForm.expired} expired): ${JSON.stringify(embeddedLog.warnings.slice(0, 3))}`,
    );

  // The form as it is open now, empty and with a service chosen, as the suggestions carry it.
  const { stack: modal } = await slack.views({ user: USER.id });
  const empty = modal.at(-1)?.view;
  if (!empty) throw new Error('no start form is open');
  const chosen = await slack.enterViewValues({
    viewId: empty.id,
    values: { service: { 'start.service': { text: 'svc-4', value: 'svc-4' } } } satisfies UserValues,
  });
  // The record is rewritten before each part so it stays fresh (no read of the cluster is asked for).
  await embedded.putRecord(CATALOG_RECORD, `${CLUSTER}/${namespace}`, catalogRecord(names));
  const embeddedRows = await suggestionRows(inProcess.handler, slack, empty, chosen);
  const embeddedRefreshes = inProcess.refreshes();

  // 2b: the same handler on DynamoDB Local.
  const bed = await requireBed();
  const dynamodb = await openStore({
    kind: 'dynamodb',
    tableName,
    endpoint: bed.dynamodb.endpoint,
    region: bed.sqs.region,
    createTable: true,
  });
  const tableClient = new DynamoDBClient({ endpoint: bed.dynamodb.endpoint, region: bed.sqs.region });
  cleanups.push(() => deleteStoreTable(tableClient, tableName));
  await dynamodb.putRecord(CATALOG_RECORD, `${CLUSTER}/${namespace}`, catalogRecord(names));
  const dynamoLog = warningsLogger();
  const onDynamo = ingressOn(slack, dynamodb, namespace, dynamoLog);
  const dynamoRows = await suggestionRows(onDynamo.handler, slack, empty, chosen);
  const dynamoRefreshes = onDynamo.refreshes();
  if (dynamoLog.warnings.length > 0)
    throw new Error(`warnings on DynamoDB: ${JSON.stringify(dynamoLog.warnings[0])}`);

  // 2c: the worker's read, as the bot's least-privilege identity, into the DynamoDB store.
  const admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  const role = await botClusterRole();
  const core = admin.makeApiClient(k8s.CoreV1Api);
  cleanups.push(() => core.deleteNamespace({ name: namespace }));
  cleanups.push(() => core.deleteNamespace({ name: home }));
  cleanups.push(() =>
    admin
      .makeApiClient(k8s.RbacAuthorizationV1Api)
      .deleteClusterRole({ name: `${role.metadata?.name ?? 'canary-bot-mesh'}-${home}` }),
  );
  const applyStart = performance.now();
  await applyObjects(admin, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
  await applyWide(
    admin,
    names.map((name) => destinationRule(namespace, name)),
    APPLY_WIDTH,
  );
  const applySeconds = (performance.now() - applyStart) / 1000;
  const botConfig = await botKubeConfig(bed, admin, home, [namespace], role);
  // Each read of the Kubernetes catalog asks for the cluster's configuration once, then lists once.
  let reads = 0;
  const kubeConfigOf = async (cluster: string) => {
    if (cluster !== CLUSTER) throw new Error(`no cluster named ${cluster}`);
    reads++;
    return botConfig;
  };
  const refreshTimes: number[] = [];
  const listTimes: number[] = [];
  let read: CatalogRecord | undefined;
  let listsPerRefresh = 0;
  for (let round = 0; round < CATALOG_ROUNDS; round++) {
    // A fresh catalog each round, as each Lambda invocation's cold read of a namespace.
    const kube = new KubeServiceCatalog(kubeConfigOf);
    reads = 0;
    const t0 = performance.now();
    read = await refreshCatalog(
      { store: dynamodb, catalog: kube, clock: () => new Date() },
      CLUSTER,
      namespace,
    );
    refreshTimes.push(performance.now() - t0);
    listsPerRefresh = reads;
    // For scale: one list of the namespace's DestinationRules (what `services` alone reads).
    const t1 = performance.now();
    const listed = await new KubeServiceCatalog(kubeConfigOf).services(CLUSTER, namespace);
    listTimes.push(performance.now() - t1);
    if (listed.length !== serviceCount) throw new Error(`listed ${listed.length} services`);
  }
  const expected = catalogRecord(names).services;
  if (JSON.stringify(read?.services) !== JSON.stringify(expected) || read?.truncated)
    throw new Error('the catalog read from the cluster differs from the bench record');
  const stored = await dynamodb.getRecord<CatalogRecord>(CATALOG_RECORD, `${CLUSTER}/${namespace}`);
  const recordBytes = Buffer.byteLength(JSON.stringify(stored?.value ?? {}));

  const result = {
    date: new Date().toISOString(),
    requests,
    services: serviceCount,
    versionsPerService: VERSIONS.length,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      /** Other work shares this machine: the 1-minute load average at the start and at the end. */
      loadAverage1m: { start: Number(loadAtStart.toFixed(2)), end: Number((loadavg()[0] ?? 0).toFixed(2)) },
    },
    startForm: {
      ...row(startForm.times),
      refused: startForm.refused,
      expiredTriggers: startForm.expired,
    },
    suggestions: {
      embedded: { ...embeddedRows, catalogReadsAsked: embeddedRefreshes },
      dynamodbLocal: { ...dynamoRows, catalogReadsAsked: dynamoRefreshes },
    },
    workerCatalogRead: {
      rounds: CATALOG_ROUNDS,
      refreshMedianMs: median(refreshTimes),
      refreshMaxMs: quantile(refreshTimes, 1),
      refreshTimesMs: refreshTimes.map((t) => Math.round(t)),
      listsPerRefresh,
      oneListMedianMs: median(listTimes),
      destinationRules: serviceCount,
      applySeconds: Number(applySeconds.toFixed(1)),
      recordBytes,
    },
    wallSeconds: 0,
  };
  result.wallSeconds = Number(((performance.now() - startedAt) / 1000).toFixed(1));
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);

  const line = (label: string, r: Row) =>
    `| ${label} | ${ms(r.medianMs)} ms | ${ms(r.p99Ms)} ms | ${ms(r.maxMs)} ms |`;
  const s = result.suggestions;
  process.stdout.write(
    [
      `| Slack surfaces, ingress in process (${requests} requests each, ${serviceCount} services × ${VERSIONS.length} versions) | median | p99 | max |`,
      '|---|---:|---:|---:|',
      line(
        `/canary alone: start form opened (views.open on the emulator) and acknowledged; ${startForm.expired} expired, ${startForm.refused} refused`,
        result.startForm,
      ),
      line(
        `service menu, typed '' (embedded store; ${s.embedded.serviceAll.options} options)`,
        s.embedded.serviceAll,
      ),
      line(
        `service menu, typed 'svc-4' (embedded store; ${s.embedded.serviceTyped.options} options)`,
        s.embedded.serviceTyped,
      ),
      line(`version menu (embedded store; ${s.embedded.version.options} options)`, s.embedded.version),
      line("service menu, typed '' (DynamoDB Local)", s.dynamodbLocal.serviceAll),
      line("service menu, typed 'svc-4' (DynamoDB Local)", s.dynamodbLocal.serviceTyped),
      line('version menu (DynamoDB Local)', s.dynamodbLocal.version),
      '',
      `| worker's catalog read, ${serviceCount} DestinationRules on the bed's kube-apiserver (${CATALOG_ROUNDS} rounds) | median | max |`,
      '|---|---:|---:|',
      `| refreshCatalog (as the least-privilege bot, into DynamoDB Local; ${listsPerRefresh} lists of ${serviceCount} rules; ${recordBytes} B record) | ${ms(result.workerCatalogRead.refreshMedianMs)} ms | ${ms(result.workerCatalogRead.refreshMaxMs)} ms |`,
      `| one list of the namespace's DestinationRules (services alone) | ${ms(result.workerCatalogRead.oneListMedianMs)} ms | ${ms(quantile(listTimes, 1))} ms |`,
      '',
      `wall time ${result.wallSeconds} s (DestinationRules applied in ${result.workerCatalogRead.applySeconds} s); ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}`,
      '',
    ].join('\n'),
  );
} finally {
  for (const cleanup of cleanups.reverse())
    await cleanup().catch((error: unknown) =>
      process.stderr.write(`cleanup failed: ${describeError(error)}\n`),
    );
  await slack.close();
}
