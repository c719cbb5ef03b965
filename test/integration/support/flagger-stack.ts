/**
 * The bot's Flagger side on the bed: the real Flagger Lambda handler (handlers/flagger.ts, configured from the
 * environment as in AWS) and the Slack ingress behind the local API Gateway front door, the worker on an
 * in-process queue, DynamoDB Local (a table of its own) and the bed's Slack emulator. Approvers are the
 * S0APPROVERS user group (alice).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { WebClient } from '@slack/web-api';
import { type BedState, requireBed } from '../../../local/bed/bed.js';
import { type HttpApiHandler, startFrontDoor } from '../../../local/front-door.js';
import { connectSlackEmulator, type SlackEmulatorControl } from '../../../local/slack/emulator-control.js';
import type { RecordedMessage } from '../../../local/slack/message-record.js';
import { silentLogger } from '../../../src/app/logger.js';
import { MemoryNotifier } from '../../../src/chat/memory-notifier.js';
import { SlackFlaggerNotifier } from '../../../src/chat/slack/flagger-slack-notifier.js';
import { createSlackIngress } from '../../../src/chat/slack/slack-ingress.js';
import { InProcessJobQueue } from '../../../src/chat/slack/slack-job.js';
import { runSlackJob, type SlackWorkerDependencies } from '../../../src/chat/slack/slack-worker.js';
import { type FlaggerRevision, REVISION_RECORD_KIND } from '../../../src/domain/flagger/index.js';
import type { ApprovalPolicy, Release } from '../../../src/domain/release/index.js';
import { PrometheusMetricsReader } from '../../../src/metrics/index.js';
import { DynamoDbStore } from '../../../src/store/dynamodb/dynamodb-store.js';
import { createStoreTable, deleteStoreTable } from '../../../src/store/dynamodb/store-table.js';

export interface FlaggerStack {
  bed: BedState;
  /** The shared secret the Flagger function was configured with. */
  secret: string;
  /** `http://127.0.0.1:<port>/flagger`: append `/<secret>/<hook>` (or `/<hook>` with a bearer token). */
  flaggerBase: string;
  /** The Slack ingress (`…/slack/events`) for signed clicks. */
  slackUrl: string;
  channel: string;
  store: DynamoDbStore<Release>;
  emulator: SlackEmulatorControl;
  queue: InProcessJobQueue;
  jobErrors: unknown[];
  /** A revision as stored. */
  revision: (
    namespace: string,
    name: string,
    checksum: string,
  ) => Promise<{ value: FlaggerRevision; version: number } | undefined>;
  /** The revision's card in the emulator. */
  card: (namespace: string, name: string, checksum: string) => Promise<RecordedMessage>;
  /** Replies in the card's thread. */
  thread: (card: RecordedMessage) => Promise<RecordedMessage[]>;
  close: () => Promise<void>;
}

/** Approvers: the emulator's S0APPROVERS group; four-eyes does not matter for Flagger gates. */
export const FLAGGER_TEST_POLICY: ApprovalPolicy = {
  default: { starters: ['*'], approvers: ['S0APPROVERS'], fourEyes: true },
};

/**
 * Starts the stack. It sets the CANARY_BOT_* (and AWS_*) variables the Flagger function reads at its cold
 * start and restores them on close.
 *
 * @example const stack = await startFlaggerStack(); await fetch(`${stack.flaggerBase}/${stack.secret}/event`, …);
 */
export async function startFlaggerStack(): Promise<FlaggerStack> {
  const bed = await requireBed();
  const channel = 'C0RELEASES';
  const secret = `flagger-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-secret`;
  const tableName = `flagger-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const client = new DynamoDBClient({
    endpoint: bed.dynamodb.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'bed', secretAccessKey: 'bed' },
  });
  await createStoreTable(client, tableName);
  const store = new DynamoDbStore<Release>({ client, tableName });

  const environment: Record<string, string> = {
    CANARY_BOT_SLACK_SIGNING_SECRET: bed.slack.signingSecret,
    CANARY_BOT_SLACK_BOT_TOKEN: bed.slack.botToken,
    CANARY_BOT_SLACK_API_URL: `${bed.slack.url}/api/`,
    CANARY_BOT_SLACK_CHANNEL: channel,
    CANARY_BOT_PROMETHEUS_URL: bed.prometheus.url,
    CANARY_BOT_STORE: 'dynamodb',
    CANARY_BOT_TABLE: tableName,
    CANARY_BOT_DYNAMODB_ENDPOINT: bed.dynamodb.endpoint,
    CANARY_BOT_FLAGGER_SECRET: secret,
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'bed',
    AWS_SECRET_ACCESS_KEY: 'bed',
  };
  const saved = Object.fromEntries(Object.keys(environment).map((k) => [k, process.env[k]]));
  Object.assign(process.env, environment);
  const { handler: flaggerHandler } = await import('../../../handlers/flagger.js');

  const slack = new WebClient(bed.slack.botToken, { slackApiUrl: `${bed.slack.url}/api/` });
  const deps: SlackWorkerDependencies = {
    store,
    routers: async () => {
      throw new Error('the Flagger stack has no cluster for native releases');
    },
    metrics: PrometheusMetricsReader.fromConfig({ url: bed.prometheus.url }),
    notifier: new MemoryNotifier(),
    policy: FLAGGER_TEST_POLICY,
    groupsOf: async (userId) => {
      const members = await slack.usergroups.users.list({ usergroup: 'S0APPROVERS' });
      return members.users?.includes(userId) ? ['S0APPROVERS'] : [];
    },
    clock: () => new Date(),
    newId: () => `f${Date.now().toString(36)}`,
    log: silentLogger,
    defaultNamespace: 'default',
    flaggerNotifier: new SlackFlaggerNotifier(slack, { channel }),
  };
  const jobErrors: unknown[] = [];
  const queue = new InProcessJobQueue(
    (job) => runSlackJob(deps, job),
    (error) => jobErrors.push(error),
  );
  const ingress = createSlackIngress({
    signingSecret: bed.slack.signingSecret,
    botToken: bed.slack.botToken,
    apiUrl: `${bed.slack.url}/api/`,
    claims: store,
    queue,
    policy: FLAGGER_TEST_POLICY,
    defaultNamespace: 'default',
    clock: () => new Date(),
    log: silentLogger,
  });
  const door = await startFrontDoor({
    'POST /slack/events': ingress as never,
    'ANY /flagger/{proxy+}': flaggerHandler as HttpApiHandler,
  });
  const emulator = connectSlackEmulator(bed.slack.url);
  const revision = async (namespace: string, name: string, checksum: string) =>
    await store.getRecord<FlaggerRevision>(REVISION_RECORD_KIND, `${namespace}/${name}/${checksum}`);
  return {
    bed,
    secret,
    flaggerBase: `${door.url}/flagger`,
    slackUrl: `${door.url}/slack/events`,
    channel,
    store,
    emulator,
    queue,
    jobErrors,
    revision,
    card: async (namespace, name, checksum) => {
      const ts = (await revision(namespace, name, checksum))?.value.card?.ts;
      if (!ts) throw new Error(`no card for ${namespace}/${name}/${checksum}`);
      const [message] = await emulator.messages({ channel, ts });
      if (!message) throw new Error(`card ${ts} is not in the emulator`);
      return message;
    },
    thread: async (card) => await emulator.messages({ channel, threadTs: card.ts }),
    close: async () => {
      await queue.drain();
      await door.close();
      await deleteStoreTable(client, tableName).catch(() => undefined);
      client.destroy();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}
