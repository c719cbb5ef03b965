// The Slack emulator as a process of the test bed:
//   tsx local/slack/main.ts --port 0 --bot-token xoxb-... --signing-secret ... [--team-id T..]
//     [--workspace seed.json] [--post-message-rate 1] [--unfurl-domain canary.example ...]
//     [--shortcut rollback_release='Roll back a release' ...] [--no-home-tab]
// Prints one JSON line {"url":...,...} on stdout once listening; stops cleanly on SIGTERM or SIGINT.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type SlackEmulatorOptions, startSlackEmulator, type WorkspaceSeed } from './slack-emulator.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'bot-token': { type: 'string' },
    'signing-secret': { type: 'string' },
    'team-id': { type: 'string' },
    workspace: { type: 'string' },
    'post-message-rate': { type: 'string' },
    'unfurl-domain': { type: 'string', multiple: true },
    shortcut: { type: 'string', multiple: true },
    'no-home-tab': { type: 'boolean' },
  },
});

const options: SlackEmulatorOptions = {
  port: Number(values.port),
  botToken: values['bot-token'],
  signingSecret: values['signing-secret'],
  teamId: values['team-id'],
  workspace: values.workspace
    ? (JSON.parse(await readFile(values.workspace, 'utf8')) as WorkspaceSeed)
    : undefined,
  postMessagePerChannelPerSecond: values['post-message-rate']
    ? Number(values['post-message-rate'])
    : undefined,
  unfurlDomains: values['unfurl-domain'],
  shortcuts: (values.shortcut ?? []).map((entry) => {
    const [callbackId = '', ...name] = entry.split('=');
    return { callbackId, name: name.join('=') || callbackId };
  }),
  appHome: { homeTab: values['no-home-tab'] !== true, messagesTab: true },
};

const emulator = await startSlackEmulator(options);
process.stdout.write(`${JSON.stringify(await emulator.info())}\n`);

const stop = async (): Promise<void> => {
  await emulator.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
