/**
 * The bot's Flagger side on the bed, as it runs in AWS: the Flagger function and the Slack ingress built by
 * the composition root from an environment (local/bot.ts), behind the local API Gateway front door, workers
 * fed by ElasticMQ, DynamoDB Local (a table of its own) and the bed's Slack emulator. Approvers are the
 * S0APPROVERS user group (alice).
 */
import { type BedState, requireBed } from '../../../local/bed/bed.js';
import { type LocalBot, startLocalBot } from '../../../local/bot.js';
import { connectSlackEmulator, type SlackEmulatorControl } from '../../../local/slack/emulator-control.js';
import type { RecordedMessage } from '../../../local/slack/message-record.js';
import type { Logger } from '../../../src/app/logger.js';
import { jsonLineLogger } from '../../../src/app/logger.js';
import type { BotStore } from '../../../src/app/ports/release-store.js';
import { type FlaggerRevision, REVISION_RECORD_KIND } from '../../../src/domain/flagger/index.js';
import type { ApprovalPolicy, Release } from '../../../src/domain/release/index.js';

export interface FlaggerStack {
  bed: BedState;
  bot: LocalBot;
  /** The master secret the Flagger function was configured with (a namespace's key: flaggerNamespaceKey). */
  secret: string;
  /** `http://127.0.0.1:<port>/flagger`: append `/<hook>`; the namespace's key goes in the payload's metadata. */
  flaggerBase: string;
  /** The Slack ingress (`…/slack/events`) for signed clicks. */
  slackUrl: string;
  channel: string;
  store: BotStore<Release>;
  emulator: SlackEmulatorControl;
  /** `drain()` waits until every job sent so far is done. */
  queue: { drain: () => Promise<void> };
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
 * Starts the stack from the environment the README documents for the Flagger function.
 *
 * @example const stack = await startFlaggerStack(); await fetch(`${stack.flaggerBase}/event`, …); // key in the body's metadata
 */
export async function startFlaggerStack(options: { log?: Logger } = {}): Promise<FlaggerStack> {
  const bed = await requireBed();
  const channel = 'C0RELEASES';
  const secret = `flagger-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-secret`;
  const jobErrors: unknown[] = [];
  // The functions' log lines go to stderr as in Lambda (tests read them to prove no secret is logged).
  const base = options.log ?? jsonLineLogger;
  const log: Logger = {
    info: base.info,
    warn: base.warn,
    error: (m, f) => {
      if (/job failed/.test(m)) jobErrors.push(f?.error ?? m);
      base.error(m, f);
    },
  };
  const bot = await startLocalBot(
    bed,
    {
      CANARY_BOT_SLACK_CHANNEL: channel,
      CANARY_BOT_PROMETHEUS_URL: bed.prometheus.url,
      CANARY_BOT_FLAGGER_SECRET: secret,
      CANARY_BOT_POLICY: JSON.stringify(FLAGGER_TEST_POLICY),
    },
    { log },
  );
  const store = bot.worker.deps.store;
  const emulator = connectSlackEmulator(bed.slack.url);
  const revision = async (namespace: string, name: string, checksum: string) =>
    await store.getRecord<FlaggerRevision>(REVISION_RECORD_KIND, `${namespace}/${name}/${checksum}`);
  return {
    bed,
    bot,
    secret,
    flaggerBase: bot.flaggerUrl,
    slackUrl: bot.slackUrl,
    channel,
    store,
    emulator,
    queue: { drain: () => bot.settled() },
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
      await bot.settled().catch(() => undefined);
      await bot.close();
    },
  };
}
