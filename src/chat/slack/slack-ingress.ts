import { setTimeout as sleep } from 'node:timers/promises';
import bolt from '@slack/bolt';
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import type { ClaimStore } from '../../app/ports/release-store.js';
import type { ServiceCatalog } from '../../app/ports/service-catalog.js';
import type { UserKind } from '../../domain/release/index.js';
import { registerEventListeners } from './event-listeners.js';
import { guardedSlackHandler } from './lambda-ingress.js';
import { registerReasonListeners } from './reason-listeners.js';
import { releasePage } from './release-page.js';
import { type ListenerDependencies, registerListeners } from './slack-listeners.js';
import { openStartModal, registerStartFallback, registerStartModal } from './start-modal.js';
import { registerSurfaceListeners } from './surface-listeners.js';
import type { ViewsApi } from './views-api.js';

const { App, AwsLambdaReceiver, LogLevel } = bolt;

/** How long `/canary` alone waits, after opening the form, for the catalog's warm-up before it answers. */
const WARM_UP_WAIT_MS = 200;

/** Settings of the Slack ingress. */
export interface SlackIngressOptions extends ListenerDependencies {
  signingSecret: string;
  /** Slack Web API base URL (the emulator's in tests). */
  apiUrl: string;
  claims: ClaimStore;
  now?: () => number;
  /**
   * Opens modals (the start form, the rollback shortcut's form) within Slack's three-second trigger window,
   * with the bot token; it also replaces the shortcut's form with a notice when the queue refused the work.
   * Without it, `/canary` with no arguments answers with help, **New release** sends the help in the
   * Messages tab, and the shortcut is not served.
   */
  views?: ViewsApi;
  /** What a person is to the workspace (`users.info`, with the bot token): the start form's menus need it. */
  userKindOf?: (userId: string) => Promise<UserKind>;
  /** Base URL of release links (`<publicUrl>/releases/<id>`): unfurled in Slack, and answered here. */
  publicUrl?: string;
  /** The start form's services and versions (with `views`): the worker's record of each namespace. */
  catalog?: ServiceCatalog;
  clusters?: readonly string[];
}

/** Everything the ingress listens to, on a Bolt App (the Lambda's, or Socket Mode's under `npm start`). */
export interface SlackListenerOptions extends ListenerDependencies {
  claims: ClaimStore;
  views?: ViewsApi;
  userKindOf?: (userId: string) => Promise<UserKind>;
  publicUrl?: string;
  /** The start form's services and versions (with `views`): the worker's record of each namespace. */
  catalog?: ServiceCatalog;
  /** The configured clusters, offered by the start form. */
  clusters?: readonly string[];
}

/**
 * Registers the slash command, the cards' buttons, the Events API, and (with a views API) the shortcut,
 * the modals (the reason form among them) and the home tab's buttons.
 *
 * @example registerSlackListeners(app, { ...listenerDeps, claims: store, views });
 */
export function registerSlackListeners(app: InstanceType<typeof App>, options: SlackListenerOptions): void {
  const { views, catalog } = options;
  if (views && catalog) {
    const start = { ...options, views, catalog, clusters: options.clusters ?? [options.defaultCluster] };
    registerStartModal(app, start);
    registerListeners(app, {
      ...options,
      startForm: async (request) => {
        // The form first (its trigger lasts three seconds); the default namespace's catalog is warmed beside
        // it (one GetItem, and a read asked of the worker when missing or stale), never waited for long.
        const warm = catalog.services(options.defaultCluster, options.defaultNamespace);
        const failed = await openStartModal(start, request);
        await Promise.race([warm, sleep(WARM_UP_WAIT_MS)]);
        return failed;
      },
    });
  } else {
    registerListeners(app, options);
    registerStartFallback(app, options);
  }
  registerEventListeners(app, options);
  if (views) {
    registerSurfaceListeners(app, { ...options, views });
    registerReasonListeners(app, { ...options, views });
  }
}

/**
 * The Slack ingress as a Lambda handler: verify (both directions of the five-minute window, once per
 * signature), parse, answer bad input, hand real work to the worker, acknowledge. Bolt's App with its
 * AwsLambdaReceiver does the routing (slash command, interactivity, the Events API); no `auth.test` call
 * is made at start. `GET /releases/<id>` answers the page a release link points at.
 *
 * @example export const handler = createSlackIngress({ ...settings, queue: sqsJobQueue });
 */
export function createSlackIngress(
  options: SlackIngressOptions,
): (event: AwsEvent, context: unknown) => Promise<AwsResponse> {
  const receiver = new AwsLambdaReceiver({ signingSecret: options.signingSecret, logLevel: LogLevel.ERROR });
  const app = new App({
    // Answered locally, without a token: Bolt's own client is never used (with a token Bolt would call
    // auth.test for every event); the views API has its own client.
    authorize: async () => ({}),
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: options.apiUrl },
  });
  registerSlackListeners(app, options);
  const boltHandler = receiver.toHandler();
  const slack = guardedSlackHandler(boltHandler as never, {
    signingSecret: options.signingSecret,
    claims: options.claims,
    log: options.log,
    ...(options.now ? { now: options.now } : {}),
  });
  return async (event, context) => {
    const method = (event as { requestContext?: { http?: { method?: string } } }).requestContext?.http
      ?.method;
    if (method === 'GET') return releasePage((event as { rawPath?: string }).rawPath ?? '');
    return await slack(event, context);
  };
}
