/**
 * `npm start`. With no Slack settings in the environment: the whole bot locally on the test bed, with the
 * seed apps, simulated traffic and a local Slack page; every CANARY_BOT_* variable of the environment is
 * applied on top of the local demo settings, as the Lambdas would read it. With an app-level token
 * (CANARY_BOT_SLACK_APP_TOKEN, with CANARY_BOT_SLACK_BOT_TOKEN and the rest, see the README): serves that
 * workspace over Socket Mode.
 */

import { customChecksFrom, metricsByCluster } from '../handlers/compose/parts.js';
import { buildWorker, type WorkerJob } from '../handlers/compose/worker.js';
import { describeError, jsonLineLogger, type Logger } from '../src/app/logger.js';
import { tick } from '../src/app/tick.js';
import { loadConfig, requireSetting } from '../src/config.js';
import { InProcessJobQueue } from './in-process-queue.js';
import { startSocketMode } from './socket-mode.js';
import { LOCAL_DEMO_SETTINGS, startLocalStack } from './stack.js';

const say = (line = '') => process.stdout.write(`${line}\n`);
const quiet: Logger = {
  info: (message) => say(`  ${message}`),
  warn: jsonLineLogger.warn,
  error: jsonLineLogger.error,
};

async function main(): Promise<void> {
  // An app-level token means Socket Mode; a bot token for a Slack that is not on this machine means a real
  // workspace (which then needs the app-level token too).
  const given = process.env;
  if (
    given.CANARY_BOT_SLACK_APP_TOKEN ||
    (given.CANARY_BOT_SLACK_BOT_TOKEN && !given.CANARY_BOT_SLACK_API_URL?.includes('127.0.0.1'))
  ) {
    await realSlack();
    return;
  }
  say(
    'Starting canary-bot locally: test bed, seed apps, simulated traffic, local Slack (the first run builds the bed).',
  );
  const port = Number(process.env.PORT ?? 3000);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key.startsWith('CANARY_BOT_')),
  );
  // The mesh gateway sits beside the page's port, so that a CANARY_BOT_SMOKE template can name it.
  const stack = await startLocalStack({
    mode: 'realtime',
    log: quiet,
    pagePort: port,
    gatewayPort: port + 80,
    env,
  });
  const { bed, bot } = stack;
  say();
  say(`  Local Slack:        ${stack.pageUrl}   <- open this`);
  say(`  Slack handler:      ${stack.slackUrl}`);
  say(
    `  Flagger webhooks:   ${bot.config.flaggerSecret ? `${bot.flaggerUrl}/<hook> (a namespace's key: npm run flagger-webhooks -- --ns <namespace>)` : '(set CANARY_BOT_FLAGGER_SECRET)'}`,
  );
  say(`  Kubernetes API:     ${bed.kube.server} (kubeconfig ${bed.kube.kubeconfigs.admin})`);
  say(`  Prometheus:         ${bed.prometheus.url}`);
  say(`  DynamoDB Local:     ${bed.dynamodb.endpoint} (table ${bot.env.CANARY_BOT_TABLE})`);
  say(`  SQS (ElasticMQ):    ${bed.sqs.endpoint} (queue ${bot.queue.queueUrl})`);
  say(`  Slack emulator:     ${bed.slack.url}`);
  say(
    `  Mesh gateway:       ${stack.gatewayUrl} (smoke traffic: Host <service>.<namespace>, routed by the live VirtualService)`,
  );
  say();
  say(
    `  Settings: ${Object.keys(LOCAL_DEMO_SETTINGS).join(', ')} have local demo values (1 to 5 minute analyses, an open policy); your CANARY_BOT_* variables win.`,
  );
  say(`  Try, as bob:   /canary start reviews v2 --ns ${stack.namespaces.bookinfo} --steps 10,50,100`);
  say('  then, as alice: click "Approve" on the card. The bot judges the canary every minute.');
  say('  To see a rollback, make reviews v2 fail in the Traffic panel of the page.');
  say('  Stop with Ctrl-C.');
  onStop(() => stack.close());
}

/** Real Slack over Socket Mode: the worker in this process, the tick every minute. */
async function realSlack(): Promise<void> {
  const config = await loadConfig();
  if (!config.slack.appToken) {
    throw new Error(
      'With real Slack settings, npm start needs CANARY_BOT_SLACK_APP_TOKEN (Socket Mode); deploy to AWS for HTTP.',
    );
  }
  // One queue for the clicks, the commands and the tick's jobs, as on SQS: one writer per release.
  const jobs: InProcessJobQueue<WorkerJob> = new InProcessJobQueue<WorkerJob>(
    (job) => worker.run(job),
    (error, job) => quiet.error('a job failed', { kind: job.kind, error: describeError(error) }),
  );
  const worker = await buildWorker(config, jsonLineLogger, jobs);
  const socket = await startSocketMode(worker.deps, {
    botToken: requireSetting(config, 'botToken', 'Socket Mode'),
    appToken: config.slack.appToken,
    apiUrl: config.slack.apiUrl,
    defaultCluster: config.defaultCluster,
    clusters: Object.keys(config.clusters),
  });
  const metricsFor = metricsByCluster(config);
  const timer = setInterval(
    () =>
      tick({
        store: worker.deps.store,
        metricsFor,
        customChecks: customChecksFrom(config, metricsFor),
        queue: jobs,
        clock: () => new Date(),
        log: jsonLineLogger,
      }).catch((error: unknown) => jsonLineLogger.error('tick failed', { error: describeError(error) })),
    60_000,
  );
  if (!process.env.CANARY_BOT_POLICY)
    say(
      'No CANARY_BOT_POLICY: anyone in this workspace may start and approve releases (never their own); set one before real use (see the README).',
    );
  say('canary-bot is connected to Slack over Socket Mode; type /canary help in a channel it is in.');
  onStop(async () => {
    clearInterval(timer);
    await socket.stop();
    await jobs.drain();
  });
}

function onStop(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      say('Stopping…');
      stop()
        .catch((error: unknown) => jsonLineLogger.error('stop failed', { error: describeError(error) }))
        .finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
