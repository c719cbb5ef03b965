// The test-side handle on a Slack emulator: the same calls whether the emulator runs in this process
// or as the test bed's separate process (then over HTTP, under `${url}/_emulator/`).
import type { MessageFilter, RecordedMessage, SlackRecordSnapshot } from './message-record.js';
import type { SlackViewObject, UserValues, UserViews } from './view-store.js';

export type { RecordedView, SlackViewObject, UserInput, UserValues, UserViews } from './view-store.js';

/** A fault to inject on the next call of one method (`chat.postMessage`, ..., or `response_url`, `upload`). */
export type EmulatorFault =
  | { status: 429; retryAfter: number }
  | { status: 500 | 502 | 503 }
  | { error: string };

/** Where a slash command or a click happened, to issue its response_url and trigger_id. */
export interface InteractionContext {
  channelId: string;
  userId: string;
  /** The message a button was clicked on; absent for slash commands. */
  messageTs?: string;
  ephemeral?: boolean;
}

/** A response_url (usable 5 times within 30 minutes) and a trigger_id, issued by the emulator. */
export interface IssuedInteraction {
  responseUrl: string;
  triggerId: string;
}

/** A human's message, for tests that need one in a channel or thread. */
export interface UserMessageInput {
  channel: string;
  user: string;
  text: string;
  threadTs?: string;
}

/** A message shortcut of the app, as its manifest declares it. */
export interface MessageShortcut {
  callbackId: string;
  name: string;
}

/** The App Home tabs the app has turned on. */
export interface AppHomeSettings {
  homeTab: boolean;
  messagesTab: boolean;
}

/** Where an interaction inside a view happened, to issue its trigger_id. */
export interface ViewTriggerContext {
  userId: string;
  /** The modal or home view the person acted in. */
  viewId?: string;
}

/** What a person typed or picked in a view, by block_id and action_id. */
export interface ViewValuesInput {
  viewId: string;
  values: UserValues;
}

/** The app's answer to a view_submission (parsed JSON body or ack payload; null for an empty answer). */
export interface ViewSubmissionAnswerInput {
  viewId: string;
  answer: unknown;
}

/** A person closes the modal (`all`, the default) or only its top view (the close button of a pushed view). */
export interface CloseViewInput {
  user: string;
  all?: boolean;
}

/** The views a close took away, top first; `isCleared` when no view of the modal is left. */
export interface ClosedViews {
  closed: SlackViewObject[];
  isCleared: boolean;
}

/** What a `link_shared` event announces for one person's message. */
export interface LinkAnnouncement {
  channel: string;
  user: string;
  messageTs: string;
  threadTs?: string;
  unfurlId: string;
  links: { domain: string; url: string }[];
}

/** The identity of the emulated workspace and app. */
export interface EmulatorInfo {
  url: string;
  apiUrl: string;
  teamId: string;
  teamDomain: string;
  appId: string;
  botUserId: string;
  botId: string;
  signingSecret: string;
  verificationToken: string;
  unfurlDomains: string[];
  shortcuts: MessageShortcut[];
  appHome: AppHomeSettings;
}

/** Control and inspection of a running emulator. */
export interface SlackEmulatorControl {
  readonly url: string;
  info(): Promise<EmulatorInfo>;
  messages(filter?: MessageFilter): Promise<RecordedMessage[]>;
  snapshot(): Promise<SlackRecordSnapshot>;
  fileContent(fileId: string): Promise<Buffer | undefined>;
  failNext(method: string, fault: EmulatorFault): Promise<void>;
  /** Limits chat.postMessage per channel (Slack: about 1 per second); `undefined` turns it off. */
  setPostMessageRate(perSecond: number | undefined): Promise<void>;
  /**
   * Every Web API call answers 429 with this Retry-After (seconds) for `forMs` milliseconds (Slack's answer
   * to an app over its limits); `undefined` ends it now.
   */
  rateLimitEverything(retryAfter: number | undefined, forMs?: number): Promise<void>;
  issueInteraction(context: InteractionContext): Promise<IssuedInteraction>;
  postAsUser(input: UserMessageInput): Promise<RecordedMessage>;
  /** A trigger_id (3 seconds, one use) for an interaction inside a view or a shortcut. */
  issueViewTrigger(context: ViewTriggerContext): Promise<{ triggerId: string }>;
  /** One person's open modal stack (bottom first, with field errors) and published home tab. */
  views(query: { user: string }): Promise<UserViews>;
  /** Records what a person entered in a view (its `state.values`); the view as it is now. */
  enterViewValues(input: ViewValuesInput): Promise<SlackViewObject>;
  /** Applies the app's answer to a view_submission to the stack, as Slack does. */
  applyViewSubmission(input: ViewSubmissionAnswerInput): Promise<{ views: UserViews; error?: string }>;
  /** A person closes the modal (or its top view). */
  closeView(input: CloseViewInput): Promise<ClosedViews>;
  /** The unfurl-domain links of a message, announced (and so unfurlable); undefined when it has none. */
  announceLinks(input: { channel: string; ts: string }): Promise<LinkAnnouncement | undefined>;
  /** Forgets messages, files, response URLs, faults, calls, views and triggers; keeps the seeded workspace. */
  reset(): Promise<void>;
}

/** The emulator's control API answered something other than success. */
export class SlackEmulatorControlError extends Error {
  override name = 'SlackEmulatorControlError';
}

/**
 * A handle on an emulator running in another process.
 * @example const slack = connectSlackEmulator(process.env.SLACK_EMULATOR_URL!); await slack.messages({ channel: 'C0RELEASES' });
 */
export function connectSlackEmulator(url: string): SlackEmulatorControl {
  const base = url.replace(/\/+$/, '');
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}/_emulator/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new SlackEmulatorControlError(`Slack emulator at ${base} is unreachable`, { cause });
    }
    const text = await response.text();
    if (!response.ok)
      throw new SlackEmulatorControlError(`Slack emulator ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    url: base,
    info: () => call<EmulatorInfo>('info'),
    messages: async (filter = {}) =>
      (await call<{ messages: RecordedMessage[] }>('messages', filter)).messages,
    snapshot: () => call<SlackRecordSnapshot>('record'),
    fileContent: async (fileId) => {
      const response = await fetch(`${base}/_emulator/files/${encodeURIComponent(fileId)}`);
      return response.ok ? Buffer.from(await response.arrayBuffer()) : undefined;
    },
    failNext: async (method, fault) => {
      await call('fault', { method, fault });
    },
    setPostMessageRate: async (perSecond) => {
      await call('rate-limit', { postMessagePerChannelPerSecond: perSecond ?? null });
    },
    rateLimitEverything: async (retryAfter, forMs) => {
      await call('rate-limit-all', { retryAfter: retryAfter ?? null, forMs: forMs ?? null });
    },
    issueInteraction: (context) => call<IssuedInteraction>('interactions', context),
    postAsUser: (input) => call<RecordedMessage>('user-messages', input),
    issueViewTrigger: (context) => call<{ triggerId: string }>('view-triggers', context),
    views: (query) => call<UserViews>('views', query),
    enterViewValues: (input) => call<SlackViewObject>('view-values', input),
    applyViewSubmission: (input) => call<{ views: UserViews; error?: string }>('view-submissions', input),
    closeView: (input) => call<ClosedViews>('view-closes', input),
    announceLinks: async (input) =>
      (await call<{ announcement: LinkAnnouncement | null }>('link-announcements', input)).announcement ??
      undefined,
    reset: async () => {
      await call('reset', {});
    },
  };
}
