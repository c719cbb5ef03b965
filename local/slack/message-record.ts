// What the emulated workspace saw: every message (with its edits), every file, every response_url post
// and every Web API call. Plain data, so it can be served over HTTP as JSON unchanged.

/** Which way a message entered the workspace. */
export type MessageSource =
  | 'chat.postMessage'
  | 'chat.postEphemeral'
  | 'response_url'
  | 'files.completeUploadExternal'
  | 'user';

/** An earlier version of a message, kept when it is updated or deleted. */
export interface MessageRevision {
  text: string;
  blocks?: unknown[];
  /** When the version was replaced, as a Slack ts. */
  replacedAt: string;
  /** What replaced it: chat.update, or a response_url post with replace_original/delete_original. */
  replacedBy: 'chat.update' | 'response_url';
}

/** A file as shown inside a message. */
export interface SharedFileSummary {
  id: string;
  name: string;
  title: string;
  size: number;
  mimetype: string;
}

/** One message in a channel, a thread, or an ephemeral message shown to one user. */
export interface RecordedMessage {
  channel: string;
  ts: string;
  /** The parent's ts for a thread reply. */
  threadTs?: string;
  /** Ephemeral messages are seen only by `visibleTo` and are not in the channel history. */
  ephemeral: boolean;
  visibleTo?: string;
  /** Author: the bot user for bot messages, a human for `user` messages. */
  user: string;
  botId?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  files?: SharedFileSummary[];
  replyBroadcast?: boolean;
  /** chat.unfurl's previews, by URL (`{blocks}` or an attachment such as `{text}`). */
  unfurls?: Record<string, Record<string, unknown>>;
  via: MessageSource;
  /** Earlier versions, oldest first. */
  history: MessageRevision[];
  edited?: { user: string; ts: string };
  deleted: boolean;
}

/** A file from files.getUploadURLExternal through the upload to files.completeUploadExternal. */
export interface RecordedFile {
  id: string;
  name: string;
  title: string;
  /** The `length` announced to files.getUploadURLExternal. */
  declaredLength: number;
  /** Bytes actually received on the upload URL. */
  size: number;
  sha256?: string;
  mimetype: string;
  altText?: string;
  snippetType?: string;
  uploaded: boolean;
  completed: boolean;
  shares: { channel: string; ts: string }[];
}

/** One post to a response_url, accepted or refused. */
export interface ResponseUrlPost {
  responseUrl: string;
  /** Number of this use (1-based) when accepted. */
  use?: number;
  body: unknown;
  status: number;
  outcome: 'ok' | string;
  /** The message created, replaced or deleted. */
  messageTs?: string;
}

/** One Web API call as received (the token is never kept). */
export interface ApiCall {
  method: string;
  encoding: 'json' | 'form' | 'multipart' | 'query' | 'none';
  params: Record<string, unknown>;
  status: number;
  outcome: 'ok' | string;
}

/** What to select from the recorded messages; every field narrows the result. */
export interface MessageFilter {
  channel?: string;
  ts?: string;
  /** Replies of this thread (not the parent). */
  threadTs?: string;
  /** `false` keeps top-level messages only. */
  inThread?: boolean;
  ephemeral?: boolean;
  visibleTo?: string;
  via?: MessageSource;
  includeDeleted?: boolean;
}

/** The whole record, as returned by GET /_emulator/record. */
export interface SlackRecordSnapshot {
  messages: RecordedMessage[];
  files: RecordedFile[];
  responseUrlPosts: ResponseUrlPost[];
  calls: ApiCall[];
}

/** The in-memory record of an emulated workspace. */
export class SlackRecord {
  messages: RecordedMessage[] = [];
  files: RecordedFile[] = [];
  responseUrlPosts: ResponseUrlPost[] = [];
  calls: ApiCall[] = [];
  readonly fileBytes = new Map<string, Buffer>();

  /** Messages matching the filter, in posting order; deleted ones only when asked. */
  select(filter: MessageFilter = {}): RecordedMessage[] {
    return this.messages.filter(
      (m) =>
        (filter.channel === undefined || m.channel === filter.channel) &&
        (filter.ts === undefined || m.ts === filter.ts) &&
        (filter.threadTs === undefined || m.threadTs === filter.threadTs) &&
        (filter.inThread === undefined || (m.threadTs !== undefined) === filter.inThread) &&
        (filter.ephemeral === undefined || m.ephemeral === filter.ephemeral) &&
        (filter.visibleTo === undefined || m.visibleTo === filter.visibleTo) &&
        (filter.via === undefined || m.via === filter.via) &&
        (filter.includeDeleted === true || !m.deleted),
    );
  }

  /** A message by channel and ts, ephemeral or not, deleted or not. */
  find(channel: string, ts: string): RecordedMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  snapshot(): SlackRecordSnapshot {
    return structuredClone({
      messages: this.messages,
      files: this.files,
      responseUrlPosts: this.responseUrlPosts,
      calls: this.calls,
    });
  }

  clear(): void {
    this.messages = [];
    this.files = [];
    this.responseUrlPosts = [];
    this.calls = [];
    this.fileBytes.clear();
  }
}

/** Team fields Slack puts on a bot message. */
export interface MessageAuthorContext {
  teamId: string;
  appId: string;
}

/**
 * A recorded message in the shape Slack returns it (chat.postMessage's `message`, a block_actions `message`).
 * @example toSlackMessage(record.find('C1', ts)!, { teamId: 'T1', appId: 'A1' }).type // => 'message'
 */
export function toSlackMessage(
  message: RecordedMessage,
  context: MessageAuthorContext,
): Record<string, unknown> {
  const slack: Record<string, unknown> = {
    type: 'message',
    text: message.text,
    user: message.user,
    ts: message.ts,
    team: context.teamId,
  };
  if (message.botId) {
    slack.bot_id = message.botId;
    slack.app_id = context.appId;
  }
  if (message.blocks) slack.blocks = message.blocks;
  const unfurls = Object.entries(message.unfurls ?? {}).map(([url, unfurl], i) => ({
    ...unfurl,
    id: (message.attachments?.length ?? 0) + i + 1,
    app_unfurl_url: url,
    is_app_unfurl: true,
    app_id: context.appId,
  }));
  // Slack shows an app's unfurls as attachments of the message, after its own.
  if (message.attachments || unfurls.length > 0)
    slack.attachments = [...(message.attachments ?? []), ...unfurls];
  if (message.files) {
    slack.files = message.files;
    slack.upload = true;
  }
  if (message.threadTs) slack.thread_ts = message.threadTs;
  if (message.edited) slack.edited = message.edited;
  return slack;
}
