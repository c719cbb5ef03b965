/**
 * `npm start`. With no Slack settings in the environment: the whole bot locally on the test bed, with the
 * seed apps, simulated traffic and a local Slack page. With settings (CANARY_BOT_SLACK_BOT_TOKEN and the
 * rest, see the README): serves them, over Socket Mode when CANARY_BOT_SLACK_APP_TOKEN is set.
 */
import { buildRuntime } from '../handlers/runtime.js';
import { describeError, jsonLineLogger, type Logger } from '../src/app/logger.js';
import { tick } from '../src/app/tick.js';
import { loadConfig } from '../src/config.js';
import { startSocketMode } from './socket-mode.js';
import { startLocalStack } from './stack.js';

const say = (line = '') => process.stdout.write(`${line}\n`);
const quiet: Logger = {
  info: (message) => say(`  ${message}`),
  warn: jsonLineLogger.warn,
  error: jsonLineLogger.error,
};

async function main(): Promise<void> {
  if (process.env.CANARY_BOT_SLACK_BOT_TOKEN) {
    const config = await loadConfig();
    const { deps } = await buildRuntime(config);
    if (!config.slack.appToken) {
      throw new Error(
        'With real Slack settings, npm start needs CANARY_BOT_SLACK_APP_TOKEN (Socket Mode); deploy to AWS for HTTP.',
      );
    }
    const socket = await startSocketMode(deps, {
      botToken: config.slack.botToken,
      appToken: config.slack.appToken,
      apiUrl: config.slack.apiUrl,
    });
    const timer = setInterval(
      () =>
        tick(deps).catch((error: unknown) => deps.log.error('tick failed', { error: describeError(error) })),
      60_000,
    );
    say('canary-bot is connected to Slack over Socket Mode; type /canary help in a channel it is in.');
    onStop(async () => {
      clearInterval(timer);
      await socket.stop();
    });
    return;
  }

  say(
    'Starting canary-bot locally: test bed, seed apps, simulated traffic, local Slack (the first run builds the bed).',
  );
  const port = Number(process.env.PORT ?? 3000);
  const stack = await startLocalStack({ mode: 'realtime', log: quiet, pagePort: port });
  say();
  say(`  Local Slack:        ${stack.pageUrl}   <- open this`);
  say(`  Slack handler:      ${stack.slackUrl}`);
  say(`  Kubernetes API:     ${stack.bed.kube.server} (kubeconfig ${stack.bed.kube.kubeconfigs.admin})`);
  say(`  Prometheus:         ${stack.bed.prometheus.url}`);
  say();
  say(`  Try, as bob:   /canary start reviews v2 --ns ${stack.namespaces.bookinfo} --steps 10,50,100`);
  say('  then, as alice: click "Approve" on the card. The bot judges the canary every minute.');
  say('  Stop with Ctrl-C.');
  onStop(() => stack.close());
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
