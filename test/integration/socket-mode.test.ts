/**
 * `npm start` against a Slack workspace over Socket Mode, as the README documents it: the process started with
 * CANARY_BOT_SLACK_BOT_TOKEN, CANARY_BOT_SLACK_APP_TOKEN and the cluster settings, connecting to Slack (here the
 * emulator, which speaks Socket Mode's wire format: apps.connections.open with the app-level token, hello,
 * envelopes acknowledged by id). A slash command and an Approve click arrive as envelopes; the release starts,
 * its card is posted, and the click moves the bed's VirtualService to 90/10; `/canary` alone opens the start form,
 * and an `app_home_opened` event publishes the Home tab. SIGTERM stops it cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { type BedState, requireBed } from '../../local/bed/bed.js';
import { botClusterRole, botKubeConfig } from '../../local/bed/bot-identity.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { deploySample, uniqueNamespace } from '../../local/bed/manifests.js';
import { repoRoot } from '../../local/bed/paths.js';
import {
  openAppHome,
  sendBlockActionsOverSocket,
  sendSlashCommandOverSocket,
} from '../../local/slack/interaction-client.js';
import { type SlackEmulator, startSlackEmulator } from '../../local/slack/slack-emulator.js';

const alice = 'U0ALICE001';
const bob = 'U0BOB00001';
const CHANNEL = 'C0RELEASES';
const namespace = uniqueNamespace('sock');
const home = uniqueNamespace('sock-bot');

let bed: BedState;
let admin: k8s.KubeConfig;
let slack: SlackEmulator;
let work: string;
let bot: ChildProcess | undefined;
let output = '';

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; npm start said:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The weight of each subset on the first HTTP route of reviews' VirtualService. */
async function weights(): Promise<Record<string, number>> {
  const vs = (await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace,
    plural: 'virtualservices',
    name: 'reviews',
  })) as { spec: { http: { route: { destination: { subset?: string }; weight?: number }[] }[] } };
  return Object.fromEntries(
    (vs.spec.http[0]?.route ?? []).map((r) => [r.destination.subset ?? '', r.weight ?? 100]),
  );
}

beforeAll(async () => {
  bed = await requireBed();
  admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
  await deploySample(admin, 'bookinfo', namespace);
  work = await mkdtemp(join(tmpdir(), 'canary-bot-socket-'));
  const identity = await botKubeConfig(bed, admin, home, [namespace], await botClusterRole());
  const kubeconfig = join(work, 'bot.kubeconfig');
  await writeFile(kubeconfig, identity.exportConfig(), { mode: 0o600 });
  slack = await startSlackEmulator({ appToken: 'xapp-1-A0CANARYBOT-1-socketmodetest' });

  // Only what the README's "npm start with a real workspace" lists; nothing of the test's own CANARY_BOT_*.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('CANARY_BOT_') && key !== 'PORT'),
  );
  // The process `npm start` runs (node with tsx's loader; the tsx CLI wrapper itself exits 143 on SIGTERM).
  bot = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited,
      // README, "Configure Slack", step 3: exactly these.
      CANARY_BOT_SLACK_SIGNING_SECRET: slack.signingSecret,
      CANARY_BOT_SLACK_BOT_TOKEN: slack.botToken,
      CANARY_BOT_SLACK_APP_TOKEN: slack.appToken,
      CANARY_BOT_KUBECONFIG: kubeconfig,
      CANARY_BOT_PROMETHEUS_URL: bed.prometheus.url,
      // The Web API of this Slack, and the namespace of the test's release.
      CANARY_BOT_SLACK_API_URL: slack.apiUrl,
      CANARY_BOT_DEFAULT_NAMESPACE: namespace,
    },
  });
  bot.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  bot.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await eventually('the Socket Mode connection', async () =>
    output.includes('connected to Slack over Socket Mode') && slack.socketConnections() === 1
      ? true
      : undefined,
  );
}, 180_000);

afterAll(async () => {
  if (bot && bot.exitCode === null) bot.kill('SIGKILL');
  await slack?.close();
  if (work) await rm(work, { recursive: true, force: true });
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await Promise.all([namespace, home].map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

describe('npm start over Socket Mode', () => {
  it('says that without a policy anyone in the workspace may start and approve', () => {
    expect(output).toContain('No CANARY_BOT_POLICY: anyone in this workspace may start and approve releases');
  });

  it('refuses the bot token where Slack wants the app-level token, as Slack does', async () => {
    const response = await fetch(`${slack.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${slack.botToken}` },
    });
    expect(await response.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
  });

  it('starts a release from a slash command envelope and applies an Approve click envelope', async () => {
    // Act: bob types the command; the app must acknowledge the envelope.
    const command = await sendSlashCommandOverSocket(slack, {
      text: `start reviews v2 --ns ${namespace} --steps 10,100`,
      userId: bob,
      userName: 'bob',
      channelId: CHANNEL,
      teamId: slack.teamId,
    });
    expect(command.acked).toBe(true);
    const card = await eventually('the release card', async () =>
      (await slack.messages({ channel: CHANNEL })).find(
        (m) => !m.threadTs && JSON.stringify(m.blocks ?? []).includes('release.approve'),
      ),
    );

    // Act: alice approves from the card.
    const click = await sendBlockActionsOverSocket(slack, {
      user: { id: alice, username: 'alice' },
      channel: { id: CHANNEL },
      messageTs: card.ts,
      actions: [{ action_id: 'release.approve' }],
      teamId: slack.teamId,
    });

    // Assess: acknowledged, and the bed's route moved to the first step.
    expect(click.acked).toBe(true);
    const applied = await eventually('90/10 on the VirtualService', async () => {
      const current = await weights();
      return current.v2 === 10 ? current : undefined;
    });
    expect(applied).toEqual({ v1: 90, v2: 10 });
  });

  it('opens the start form on /canary alone, and publishes the App Home tab on its event', async () => {
    // Act: /canary with nothing after it, then alice opens the app's Home tab.
    const command = await sendSlashCommandOverSocket(slack, {
      text: '',
      userId: bob,
      userName: 'bob',
      channelId: CHANNEL,
      teamId: slack.teamId,
    });
    const opened = await openAppHome({ socket: slack }, slack, alice);
    // Assess: both acknowledged; the form is open for bob, alice's tab lists bob's release.
    expect(command.acked).toBe(true);
    expect(opened.acked).toBe(true);
    // The command is acknowledged first and the form opened right after (within the trigger's 3 s).
    const form = await eventually("bob's start form", async () =>
      (await slack.views({ user: bob })).stack.at(-1),
    );
    expect(form.view.callback_id).toBe('canary.start');
    const tab = await eventually("alice's home tab", async () => (await slack.views({ user: alice })).home);
    expect(JSON.stringify(tab.view.blocks)).toContain(`reviews.${namespace}`);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => bot?.once('exit', (code) => resolve(code)));
    bot?.kill('SIGTERM');
    expect(await exited).toBe(0);
    await eventually(
      'the socket closed',
      async () => (slack.socketConnections() === 0 ? true : undefined),
      5_000,
    );
  });
});
