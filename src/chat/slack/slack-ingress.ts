import bolt from '@slack/bolt';
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import type { ClaimStore } from '../../app/ports/release-store.js';
import { guardedSlackHandler } from './lambda-ingress.js';
import { type ListenerDependencies, registerListeners } from './slack-listeners.js';

const { App, AwsLambdaReceiver, LogLevel } = bolt;

/** Settings of the Slack ingress. */
export interface SlackIngressOptions extends ListenerDependencies {
  signingSecret: string;
  /** Slack Web API base URL (the emulator's in tests). */
  apiUrl: string;
  claims: ClaimStore;
  now?: () => number;
}

/**
 * The Slack ingress as a Lambda handler: verify (both directions of the five-minute window, once per
 * signature), parse, answer bad input, hand real work to the worker, acknowledge. Bolt's App with its
 * AwsLambdaReceiver does the routing; no `auth.test` call is made at start.
 *
 * @example export const handler = createSlackIngress({ ...settings, queue: sqsJobQueue });
 */
export function createSlackIngress(
  options: SlackIngressOptions,
): (event: AwsEvent, context: unknown) => Promise<AwsResponse> {
  const receiver = new AwsLambdaReceiver({ signingSecret: options.signingSecret, logLevel: LogLevel.ERROR });
  const app = new App({
    // Answered locally, without a token: the ingress holds only the signing secret, answers through the
    // response (ack) and never calls the Web API (with a token Bolt would call auth.test for every event).
    authorize: async () => ({}),
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: options.apiUrl },
  });
  registerListeners(app, options);
  const boltHandler = receiver.toHandler();
  return guardedSlackHandler(boltHandler as never, {
    signingSecret: options.signingSecret,
    claims: options.claims,
    log: options.log,
    ...(options.now ? { now: options.now } : {}),
  });
}
