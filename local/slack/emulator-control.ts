// The test-side handle on a Slack emulator: the same calls whether the emulator runs in this process
// or as the test bed's separate process (then over HTTP, under `${url}/_emulator/`).
import type { MessageFilter, RecordedMessage, SlackRecordSnapshot } from './message-record.js';

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
  /** Forgets messages, files, response URLs, faults and calls; keeps the seeded workspace. */
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
    reset: async () => {
      await call('reset', {});
    },
  };
}
