/**
 * The bot's Slack side as `npm start` wires it locally: a Slack emulator, the Slack ingress behind the local
 * API Gateway front door, the worker on an in-process queue, the release engine on the bed, and the local
 * Slack page in front of it all.
 */
import { WebClient } from '@slack/web-api';
import { startFrontDoor } from '../../../local/front-door.js';
import { connectSlackEmulator, type SlackEmulatorControl } from '../../../local/slack/emulator-control.js';
import { startSlackPage } from '../../../local/slack/page/slack-page.js';
import { redFiguresOf } from '../../../src/app/canary-analysis.js';
import type { ReleaseDependencies } from '../../../src/app/dependencies.js';
import { createSlackIngress } from '../../../src/chat/slack/slack-ingress.js';
import { InProcessJobQueue } from '../../../src/chat/slack/slack-job.js';
import { SlackReleaseNotifier } from '../../../src/chat/slack/slack-notifier.js';
import { SlackSummaryPublisher } from '../../../src/chat/slack/slack-summary-publisher.js';
import { runSlackJob } from '../../../src/chat/slack/slack-worker.js';
import type { RedFigures } from '../../../src/chat/views/index.js';
import type { Release } from '../../../src/domain/release/index.js';
import { type EngineHarness, startEngine } from './engine-harness.js';

/** Where the emulator is and how the bot talks to it (the bed's `slack` entry has this shape). */
export interface SlackEndpoint {
  url: string;
  botToken: string;
  signingSecret: string;
}

export interface SlackStack {
  engine: EngineHarness;
  deps: ReleaseDependencies;
  emulator: SlackEmulatorControl;
  queue: InProcessJobQueue;
  /** The local Slack page's address. */
  pageUrl: string;
  /** The Slack handler (`…/slack/events`) behind the front door. */
  slackUrl: string;
  /** Errors of worker jobs; a test expects none. */
  jobErrors: unknown[];
  close: () => Promise<void>;
}

/**
 * Starts the stack on the bed; `slack` defaults to the bed's emulator. Approvers are the S0APPROVERS group
 * (alice), anyone may start.
 *
 * @example const stack = await startSlackStack(); // open stack.pageUrl in a browser
 */
export async function startSlackStack(
  options: { slack?: SlackEndpoint; red?: (release: Release) => Promise<RedFigures | undefined> } = {},
): Promise<SlackStack> {
  const engine = await startEngine();
  const slack = options.slack ?? engine.bed.slack;
  const client = new WebClient(slack.botToken, { slackApiUrl: `${slack.url}/api/` });
  const deps = engine.deps;
  deps.notifier = new SlackReleaseNotifier(client, {
    red: options.red ?? ((release) => redFiguresOf(deps, release)),
  });
  deps.policy = { default: { starters: ['*'], approvers: ['S0APPROVERS'], fourEyes: true } };
  deps.groupsOf = async (userId) => {
    const members = await client.usergroups.users.list({ usergroup: 'S0APPROVERS' });
    return members.users?.includes(userId) ? ['S0APPROVERS'] : [];
  };
  const charts = new SlackSummaryPublisher(client, { timeZone: 'UTC' });
  const jobErrors: unknown[] = [];
  const queue = new InProcessJobQueue(
    // Charts of /canary metrics go to the same emulator.
    (job) => runSlackJob({ ...deps, charts }, job),
    (error) => jobErrors.push(error),
  );
  const ingress = createSlackIngress({
    signingSecret: slack.signingSecret,
    botToken: slack.botToken,
    apiUrl: `${slack.url}/api/`,
    claims: deps.store,
    queue,
    policy: deps.policy,
    defaultNamespace: engine.namespace,
    clock: () => new Date(),
    // Follows deps.log, so a test can swap the logger after the stack is built.
    log: {
      info: (m, f) => deps.log.info(m, f),
      warn: (m, f) => deps.log.warn(m, f),
      error: (m, f) => deps.log.error(m, f),
    },
  });
  const door = await startFrontDoor({ 'POST /slack/events': ingress as never });
  const page = await startSlackPage({
    emulatorUrl: slack.url,
    botUrl: `${door.url}/slack/events`,
    signingSecret: slack.signingSecret,
  });
  return {
    engine,
    deps,
    emulator: connectSlackEmulator(slack.url),
    queue,
    pageUrl: page.url,
    slackUrl: `${door.url}/slack/events`,
    jobErrors,
    close: async () => {
      await page.close();
      await queue.drain();
      await door.close();
      await engine.close();
    },
  };
}
