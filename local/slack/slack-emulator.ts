// A local stand-in for Slack's Web API: the methods canary-bot calls, Slack's wire formats and error
// codes, Slack's documented limits, response URLs, file uploads, and a record of everything posted.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkMessageContent,
  findBlockProblems,
  findViewProblems,
  formatBlockProblem,
  type MessageContent,
  type MessageContentError,
} from './block-kit-limits.js';
import type {
  AppHomeSettings,
  ClosedViews,
  CloseViewInput,
  EmulatorFault,
  EmulatorInfo,
  InteractionContext,
  IssuedInteraction,
  LinkAnnouncement,
  MessageShortcut,
  SlackEmulatorControl,
  UserMessageInput,
  ViewSubmissionAnswerInput,
  ViewTriggerContext,
  ViewValuesInput,
} from './emulator-control.js';
import {
  type MessageFilter,
  type RecordedFile,
  type RecordedMessage,
  SlackRecord,
  toSlackMessage,
} from './message-record.js';
import { type EnvelopeAnswer, type EnvelopeType, SocketModeServer } from './socket-mode-server.js';
import { type SlackViewObject, type UserViews, ViewStore } from './view-store.js';
import {
  booleanArgument,
  decodeApiRequest,
  jsonArgument,
  multipartBoundary,
  parseMultipart,
  WireFormatError,
} from './wire-format.js';

/** A channel of the emulated workspace; without `members`, every seeded user is a member. */
export interface SeedChannel {
  id: string;
  name: string;
  members?: string[];
}

export interface SeedUser {
  id: string;
  name: string;
  realName?: string;
  email?: string;
  tz?: string;
  isAdmin?: boolean;
  deleted?: boolean;
  /**
   * What the person is to the workspace, as `users.info` tells it: a full member (default), a multi-channel
   * guest (`is_restricted`), a single-channel guest (`is_ultra_restricted`), or a member of another
   * organisation in a shared channel (Slack Connect: `teamId` is their own workspace; `is_stranger` when
   * the workspaces share no channel).
   */
  kind?: 'member' | 'multi-channel-guest' | 'single-channel-guest' | 'external' | 'stranger';
  /** Home workspace of an external person (Slack Connect); the emulated workspace otherwise. */
  teamId?: string;
}

export interface SeedUsergroup {
  id: string;
  handle: string;
  users: string[];
  disabled?: boolean;
}

/** The workspace's fixed content. Channels are never created on the fly: an unknown one is `channel_not_found`. */
export interface WorkspaceSeed {
  channels?: SeedChannel[];
  users?: SeedUser[];
  usergroups?: SeedUsergroup[];
}

/** The workspace used when none is given: one release channel, two people, one approvers group. */
export const DEFAULT_WORKSPACE: Required<WorkspaceSeed> = {
  channels: [
    { id: 'C0RELEASES', name: 'releases' },
    { id: 'C0PLATFORM', name: 'platform' },
  ],
  users: [
    {
      id: 'U0ALICE001',
      name: 'alice',
      realName: 'Alice Approver',
      email: 'alice@example.com',
      isAdmin: true,
    },
    { id: 'U0BOB00001', name: 'bob', realName: 'Bob Builder', email: 'bob@example.com' },
    {
      id: 'U0GUEST001',
      name: 'gina',
      realName: 'Gina Guest',
      email: 'gina@contractor.example',
      kind: 'multi-channel-guest',
    },
    {
      id: 'W0EXTERN01',
      name: 'erik',
      realName: 'Erik External',
      email: 'erik@partner.example',
      kind: 'external',
      teamId: 'T0PARTNER',
    },
  ],
  usergroups: [{ id: 'S0APPROVERS', handle: 'release-approvers', users: ['U0ALICE001'] }],
};

export interface SlackEmulatorOptions {
  /** 0 (default) picks a free port. The emulator listens on 127.0.0.1 only. */
  port?: number;
  botToken?: string;
  /** The app-level token (`xapp-…`) that `apps.connections.open` accepts, for Socket Mode. */
  appToken?: string;
  /** Not used by the emulator itself; published so clients can sign requests to the bot. */
  signingSecret?: string;
  verificationToken?: string;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  botUserId?: string;
  botId?: string;
  workspace?: WorkspaceSeed;
  /** chat.postMessage per channel per second; off when undefined. */
  postMessagePerChannelPerSecond?: number;
  /** Clock in milliseconds, for message ts, rate limits, response_url and trigger_id expiry. */
  now?: () => number;
  /** The app's unfurl domains: links to these (and their subdomains) are announced with `link_shared`. */
  unfurlDomains?: string[];
  /** The app's message shortcuts (the "More actions" menu of a message). */
  shortcuts?: MessageShortcut[];
  /** The app's App Home tabs; views.publish is `not_enabled` without the home tab (default: both on). */
  appHome?: AppHomeSettings;
}

/** A running emulator, controlled in-process; `record` is the live in-memory record. */
export interface SlackEmulator extends SlackEmulatorControl, Readonly<EmulatorInfo> {
  readonly botToken: string;
  readonly appToken: string;
  readonly record: SlackRecord;
  /**
   * Socket Mode: sends an envelope to a connected app and waits (up to 3 s) for its acknowledgement;
   * `retry` marks an Events API redelivery (`retry_attempt`, `retry_reason`).
   */
  deliverOverSocket(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    retry?: { attempt: number; reason: string },
  ): Promise<EnvelopeAnswer>;
  /** How many Socket Mode connections are open. */
  socketConnections(): number;
  close(): Promise<void>;
}

/** Slack refuses a view larger than 250 kB with `view_too_large`. */
export const VIEW_MAX_BYTES = 250_000;

/** Slack's rules for response_url: 5 uses within 30 minutes. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;

/**
 * Starts the emulator on 127.0.0.1; the Web API is under `${url}/api/`.
 * @example const slack = await startSlackEmulator({ botToken: 'xoxb-test' }); new WebClient('xoxb-test', { slackApiUrl: `${slack.url}/api/` });
 */
export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const workspace = new EmulatedWorkspace(options);
  const server = createServer((req, res) => {
    workspace.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`emulator error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  workspace.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  workspace.sockets.attach(server);
  return workspace.asEmulator(server);
}

type Params = Record<string, unknown>;

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Links a `link_shared` event announced, and so may be unfurled, for one message. */
interface Announced extends LinkAnnouncement {
  urls: Set<string>;
}

interface ResponseUrlState {
  channel: string;
  user: string;
  /** The message the interaction came from, or the last one posted through this URL. */
  originalTs?: string;
  issuedAt: number;
  uses: number;
}

const ok = (fields: Params = {}): Reply => ({ status: 200, body: { ok: true, ...fields } });
const fail = (error: string, fields: Params = {}): Reply => ({
  status: 200,
  body: { ok: false, error, ...fields },
});

function contentFailure(problem: MessageContentError): Reply {
  if (!problem.errors) return fail(problem.error);
  return fail(problem.error, {
    errors: problem.errors,
    response_metadata: { messages: problem.errors.map((e) => `[ERROR] ${e}`) },
  });
}

function invalidArguments(messages: string[]): Reply {
  return fail('invalid_arguments', { response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } });
}

/** URLs in a message's text: Slack's `<url|label>` links and bare URLs. */
function urlsIn(text: string): string[] {
  const urls: string[] = [];
  for (const match of text.matchAll(/<(https?:\/\/[^|>\s]+)(?:\|[^>]*)?>|(https?:\/\/[^\s<>|]+)/g)) {
    const url = match[1] ?? match[2];
    if (url && !urls.includes(url)) urls.push(url);
  }
  return urls;
}

/** The registered domain a URL belongs to (itself or a subdomain), as `link_shared` names it. */
function unfurlDomainOf(url: string, domains: readonly string[]): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  return domains.find((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
}

function randomId(prefix: string, length = 10): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return prefix + Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

function mimetypeOf(filename: string): string {
  const types: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    svg: 'image/svg+xml',
    txt: 'text/plain',
    csv: 'text/csv',
    json: 'application/json',
    pdf: 'application/pdf',
  };
  return types[filename.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

/** Slack gives every block without a block_id a random one. */
function withBlockIds(blocks: unknown[]): unknown[] {
  return blocks.map((block) =>
    typeof block === 'object' && block !== null && !('block_id' in block)
      ? { ...block, block_id: randomBytes(3).toString('base64url') }
      : block,
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, reply: Reply): void {
  const isBytes = Buffer.isBuffer(reply.body);
  const isText = typeof reply.body === 'string';
  const contentType = isBytes
    ? 'application/octet-stream'
    : isText
      ? 'text/plain; charset=utf-8'
      : 'application/json; charset=utf-8';
  res.writeHead(reply.status, { 'Content-Type': contentType, ...reply.headers });
  res.end(isBytes || isText ? (reply.body as Buffer | string) : JSON.stringify(reply.body));
}

class EmulatedWorkspace {
  url = '';
  readonly record = new SlackRecord();
  private readonly botToken: string;
  private readonly appToken: string;
  readonly sockets: SocketModeServer;
  private readonly signingSecret: string;
  private readonly verificationToken: string;
  private readonly teamId: string;
  private readonly teamDomain: string;
  private readonly appId: string;
  private readonly botUserId: string;
  private readonly botId: string;
  private readonly now: () => number;
  private readonly channels = new Map<string, SeedChannel>();
  private readonly users = new Map<string, SeedUser>();
  private readonly usergroups = new Map<string, SeedUsergroup>();
  private readonly faults = new Map<string, EmulatorFault[]>();
  private readonly responseUrls = new Map<string, ResponseUrlState>();
  private readonly uploadKeys = new Map<string, string>();
  private readonly recentPosts = new Map<string, number[]>();
  private postMessageRate: number | undefined;
  /** Every Web API call answers 429 with this Retry-After until `untilMs`. */
  private limitedEverything: { retryAfter: number; untilMs: number } | undefined;
  private lastTsMicros = 0;
  private readonly unfurlDomains: string[];
  private readonly shortcuts: MessageShortcut[];
  private readonly appHome: AppHomeSettings;
  readonly views: ViewStore;
  /** Announced links by unfurl_id and by `channel ts`. */
  private readonly announced = new Map<string, Announced>();

  constructor(options: SlackEmulatorOptions) {
    this.botToken = options.botToken ?? 'xoxb-emulator-bot-token';
    this.appToken = options.appToken ?? 'xapp-1-A0CANARYBOT-emulator-app-token';
    this.signingSecret = options.signingSecret ?? 'emulator-signing-secret';
    this.verificationToken = options.verificationToken ?? 'emulator-verification-token';
    this.teamId = options.teamId ?? 'T0EMULATOR';
    this.teamDomain = options.teamDomain ?? 'canary-emulator';
    this.appId = options.appId ?? 'A0CANARYBOT';
    this.botUserId = options.botUserId ?? 'U0CANARYBOT';
    this.botId = options.botId ?? 'B0CANARYBOT';
    this.sockets = new SocketModeServer(this.appId);
    this.now = options.now ?? Date.now;
    this.postMessageRate = options.postMessagePerChannelPerSecond;
    this.unfurlDomains = options.unfurlDomains ?? [];
    this.shortcuts = options.shortcuts ?? [];
    this.appHome = options.appHome ?? { homeTab: true, messagesTab: true };
    this.views = new ViewStore({ teamId: this.teamId, appId: this.appId, botId: this.botId }, this.now);
    const workspace = options.workspace ?? DEFAULT_WORKSPACE;
    for (const channel of workspace.channels ?? []) this.channels.set(channel.id, channel);
    for (const user of workspace.users ?? []) this.users.set(user.id, user);
    for (const group of workspace.usergroups ?? []) this.usergroups.set(group.id, group);
  }

  asEmulator(server: Server): SlackEmulator {
    const info = this.info();
    return {
      ...info,
      botToken: this.botToken,
      appToken: this.appToken,
      record: this.record,
      deliverOverSocket: (type, payload, retry) => this.sockets.deliver(type, payload, retry),
      socketConnections: () => this.sockets.connections,
      info: async () => this.info(),
      messages: async (filter?: MessageFilter) => structuredClone(this.record.select(filter)),
      snapshot: async () => this.record.snapshot(),
      fileContent: async (fileId: string) => this.record.fileBytes.get(fileId),
      failNext: async (method: string, fault: EmulatorFault) => this.failNext(method, fault),
      setPostMessageRate: async (perSecond: number | undefined) => {
        this.postMessageRate = perSecond;
      },
      rateLimitEverything: async (retryAfter: number | undefined, forMs?: number) =>
        this.rateLimitEverything(retryAfter, forMs),
      issueInteraction: async (context: InteractionContext) => this.issueInteraction(context),
      postAsUser: async (input: UserMessageInput) => this.postAsUser(input),
      issueViewTrigger: async (context: ViewTriggerContext) => ({
        triggerId: this.views.issueTrigger(context.userId, context.viewId),
      }),
      views: async (query: { user: string }) => this.views.views(query.user),
      enterViewValues: async (input: ViewValuesInput) => this.enterViewValues(input),
      applyViewSubmission: async (input: ViewSubmissionAnswerInput) => this.applyViewSubmission(input),
      closeView: async (input: CloseViewInput) => this.closeView(input),
      announceLinks: async (input: { channel: string; ts: string }) => this.announceLinks(input),
      reset: async () => this.reset(),
      close: () =>
        new Promise<void>((resolve, reject) => {
          this.sockets.close();
          server.close((error) => (error ? reject(error) : resolve()));
          // Keep-alive sockets (fetch keeps them) would hold close() open.
          server.closeAllConnections();
        }),
    };
  }

  info(): EmulatorInfo {
    return {
      url: this.url,
      apiUrl: `${this.url}/api/`,
      teamId: this.teamId,
      teamDomain: this.teamDomain,
      appId: this.appId,
      botUserId: this.botUserId,
      botId: this.botId,
      signingSecret: this.signingSecret,
      verificationToken: this.verificationToken,
      unfurlDomains: [...this.unfurlDomains],
      shortcuts: this.shortcuts.map((s) => ({ ...s })),
      appHome: { ...this.appHome },
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    const [, area = '', ...rest] = url.pathname.split('/');
    const name = decodeURIComponent(rest.join('/'));
    if (area === 'api') return send(res, this.webApi(name, req, body, url.searchParams));
    if (area === 'response' && req.method === 'POST') return send(res, this.responseUrlPost(name, body));
    if (area === 'upload' && req.method === 'POST')
      return send(res, this.upload(name.replace(/^v1\//, ''), req, body));
    if (area === '_emulator')
      return send(res, this.control(name, req.method ?? 'GET', body, url.searchParams));
    send(res, { status: 404, body: 'not found' });
  }

  // ---- Web API ---------------------------------------------------------------------------------------

  private readonly methods: Record<string, (p: Params) => Reply> = {
    'api.test': (p) => this.apiTest(p),
    'apps.connections.open': () => ok({ url: this.sockets.open(this.url) }),
    'auth.test': () => this.authTest(),
    'chat.postMessage': (p) => this.postMessage(p),
    'chat.update': (p) => this.update(p),
    'chat.postEphemeral': (p) => this.postEphemeral(p),
    'chat.unfurl': (p) => this.unfurl(p),
    'files.getUploadURLExternal': (p) => this.getUploadUrl(p),
    'files.completeUploadExternal': (p) => this.completeUpload(p),
    'usergroups.users.list': (p) => this.usergroupUsers(p),
    'users.info': (p) => this.userInfo(p),
    'views.open': (p) => this.viewsOpen(p, 'open'),
    'views.push': (p) => this.viewsOpen(p, 'push'),
    'views.update': (p) => this.viewsUpdate(p),
    'views.publish': (p) => this.viewsPublish(p),
  };

  private webApi(method: string, req: IncomingMessage, body: Buffer, query: URLSearchParams): Reply {
    const handler = this.methods[method];
    if (!handler) return fail('unknown_method', { req_method: method });
    const fault = this.takeFault(method) ?? this.limitEverything(method);
    let decoded: ReturnType<typeof decodeApiRequest> | undefined;
    let reply: Reply;
    try {
      decoded = decodeApiRequest(req.method ?? 'POST', req.headers, body, query);
      reply =
        fault ??
        (method === 'api.test' ? this.apiTest(decoded.params) : undefined) ??
        this.authorize(decoded.token, method) ??
        this.rateLimit(method, decoded.params) ??
        handler(decoded.params);
    } catch (error) {
      if (!(error instanceof WireFormatError)) throw error;
      reply = fail(error.code);
    }
    const { token: _token, ...params } = decoded?.params ?? {};
    const result = reply.body as { ok?: boolean; error?: string };
    this.record.calls.push({
      method,
      encoding: decoded?.encoding ?? 'none',
      params,
      status: reply.status,
      outcome: result?.ok ? 'ok' : (result?.error ?? `http_${reply.status}`),
    });
    return reply;
  }

  private authorize(token: string | undefined, method: string): Reply | undefined {
    if (!token) return fail('not_authed');
    // Slack: app-level tokens call only the apps.connections.* methods, and those take nothing else.
    const appLevel = method.startsWith('apps.connections.');
    if (token === (appLevel ? this.botToken : this.appToken)) return fail('not_allowed_token_type');
    if (token !== (appLevel ? this.appToken : this.botToken)) return fail('invalid_auth');
    return undefined;
  }

  private failNext(method: string, fault: EmulatorFault): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), fault]);
  }

  private takeFault(method: string): Reply | undefined {
    const fault = this.faults.get(method)?.shift();
    if (!fault) return undefined;
    if ('error' in fault) return fail(fault.error);
    if (fault.status === 429) {
      return {
        status: 429,
        headers: { 'Retry-After': String(fault.retryAfter) },
        body: { ok: false, error: 'ratelimited' },
      };
    }
    return { status: fault.status, body: { ok: false, error: 'internal_error' } };
  }

  private rateLimitEverything(retryAfter: number | undefined, forMs: number | undefined): void {
    this.limitedEverything =
      retryAfter === undefined
        ? undefined
        : { retryAfter, untilMs: this.now() + (forMs ?? Number.MAX_SAFE_INTEGER / 2) };
  }

  private limitEverything(method: string): Reply | undefined {
    const limit = this.limitedEverything;
    if (!limit || method === 'api.test' || this.now() >= limit.untilMs) return undefined;
    return {
      status: 429,
      headers: { 'Retry-After': String(limit.retryAfter) },
      body: { ok: false, error: 'ratelimited' },
    };
  }

  /** chat.postMessage allows about one message per second per channel; beyond that Slack answers 429. */
  private rateLimit(method: string, params: Params): Reply | undefined {
    if (method !== 'chat.postMessage' || this.postMessageRate === undefined) return undefined;
    const channel = this.resolveChannel(params.channel)?.id;
    if (!channel) return undefined;
    const now = this.now();
    const recent = (this.recentPosts.get(channel) ?? []).filter((t) => t > now - 1000);
    if (recent.length >= this.postMessageRate) {
      const retryAfter = Math.max(1, Math.ceil(((recent[0] ?? now) + 1000 - now) / 1000));
      this.recentPosts.set(channel, recent);
      return {
        status: 429,
        headers: { 'Retry-After': String(retryAfter) },
        body: { ok: false, error: 'ratelimited' },
      };
    }
    this.recentPosts.set(channel, [...recent, now]);
    return undefined;
  }

  /** Slack's api.test needs no token: it echoes its arguments, or fails with the `error` asked for. */
  private apiTest(p: Params): Reply {
    const { token: _token, error, ...args } = p;
    return typeof error === 'string' && error !== '' ? fail(error, { args }) : ok({ args });
  }

  private authTest(): Reply {
    return ok({
      url: `https://${this.teamDomain}.slack.com/`,
      team: this.teamDomain,
      user: 'canary-bot',
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    });
  }

  private postMessage(p: Params): Reply {
    const channel = this.resolveChannel(p.channel);
    if (!channel) return fail('channel_not_found');
    const content = this.messageContent(p);
    if ('reply' in content) return content.reply;
    const message = this.addBotMessage(channel.id, content.content, {
      via: 'chat.postMessage',
      threadTs: this.threadParent(channel.id, p.thread_ts),
      replyBroadcast: booleanArgument(p.reply_broadcast) || undefined,
    });
    return ok({ channel: channel.id, ts: message.ts, message: this.slackMessage(message) });
  }

  private update(p: Params): Reply {
    // chat.update needs the channel id: a name is not resolved.
    const channel = typeof p.channel === 'string' ? this.channels.get(p.channel) : undefined;
    if (!channel) return fail('channel_not_found');
    const message = typeof p.ts === 'string' ? this.record.find(channel.id, p.ts) : undefined;
    // Ephemeral messages are not in the channel's history, so Slack cannot find them either.
    if (!message || message.ephemeral || message.deleted) return fail('message_not_found');
    if (message.user !== this.botUserId) return fail('cant_update_message');
    const content = this.messageContent(p);
    if ('reply' in content) return content.reply;
    this.replaceContent(message, content.content, 'chat.update');
    message.edited = { user: this.botUserId, ts: this.nextTs() };
    return ok({
      channel: channel.id,
      ts: message.ts,
      text: message.text,
      message: this.slackMessage(message),
    });
  }

  private postEphemeral(p: Params): Reply {
    const channel = this.resolveChannel(p.channel);
    if (!channel) return fail('channel_not_found');
    if (typeof p.user !== 'string' || !this.isMember(channel, p.user)) return fail('user_not_in_channel');
    const content = this.messageContent(p);
    if ('reply' in content) return content.reply;
    const message = this.addBotMessage(channel.id, content.content, {
      via: 'chat.postEphemeral',
      threadTs: this.threadParent(channel.id, p.thread_ts),
      visibleTo: p.user,
    });
    return ok({ message_ts: message.ts });
  }

  private getUploadUrl(p: Params): Reply {
    if (typeof p.filename !== 'string' || p.filename === '') {
      return fail('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] missing required field: filename'] },
      });
    }
    const length = Number(p.length);
    if (p.length === undefined || p.length === '' || !Number.isInteger(length) || length < 0) {
      return fail('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] missing required field: length'] },
      });
    }
    if (length === 0) return fail('missing_argument');
    const id = randomId('F');
    const key = randomBytes(16).toString('hex');
    this.uploadKeys.set(key, id);
    this.record.files.push({
      id,
      name: p.filename,
      title: p.filename,
      declaredLength: length,
      size: 0,
      mimetype: mimetypeOf(p.filename),
      altText: typeof p.alt_txt === 'string' ? p.alt_txt : undefined,
      snippetType: typeof p.snippet_type === 'string' ? p.snippet_type : undefined,
      uploaded: false,
      completed: false,
      shares: [],
    });
    return ok({ upload_url: `${this.url}/upload/v1/${key}`, file_id: id });
  }

  /** The upload URL takes the raw bytes or a multipart form (the SDK sends one file part). */
  private upload(key: string, req: IncomingMessage, body: Buffer): Reply {
    const fault = this.takeFault('upload');
    if (fault) return fault;
    const file = this.record.files.find((f) => f.id === this.uploadKeys.get(key));
    if (!file) return { status: 404, body: 'invalid_upload_url' };
    let bytes = body;
    const boundary = multipartBoundary(req.headers['content-type'] ?? '');
    if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data') && boundary) {
      const parts = parseMultipart(body, boundary);
      bytes = (parts.find((part) => part.filename !== undefined) ?? parts[0])?.data ?? Buffer.alloc(0);
    }
    this.record.fileBytes.set(file.id, bytes);
    file.size = bytes.length;
    file.sha256 = createHash('sha256').update(bytes).digest('hex');
    file.uploaded = true;
    return { status: 200, body: `OK - ${bytes.length}` };
  }

  private completeUpload(p: Params): Reply {
    const { value: entries, malformed } = jsonArgument(p.files);
    if (malformed || !Array.isArray(entries) || entries.length === 0) return fail('invalid_arguments');
    const channelRef = p.channel_id || p.channels || undefined;
    const channel = channelRef === undefined ? undefined : this.resolveChannel(channelRef);
    if (channelRef !== undefined && !channel) return fail('invalid_channel');
    const requested = entries as { id?: unknown; title?: unknown }[];
    const files = requested.map((entry) => this.record.files.find((f) => f.id === entry?.id && f.uploaded));
    if (!files.every((file): file is RecordedFile => file !== undefined)) return fail('file_not_found');
    files.forEach((file, i) => {
      const title = requested[i]?.title;
      if (typeof title === 'string' && title !== '') file.title = title;
      file.completed = true;
    });
    if (channel) {
      const message = this.addBotMessage(
        channel.id,
        { text: typeof p.initial_comment === 'string' ? p.initial_comment : '' },
        { via: 'files.completeUploadExternal', threadTs: this.threadParent(channel.id, p.thread_ts) },
      );
      message.files = files.map(({ id, name, title, size, mimetype }) => ({
        id,
        name,
        title,
        size,
        mimetype,
      }));
      for (const file of files) file.shares.push({ channel: channel.id, ts: message.ts });
    }
    return ok({
      files: files.map((f) => ({
        id: f.id,
        name: f.name,
        title: f.title,
        mimetype: f.mimetype,
        filetype: f.name.split('.').pop() ?? '',
        size: f.size,
        user: this.botUserId,
        channels: channel ? [channel.id] : [],
      })),
    });
  }

  private usergroupUsers(p: Params): Reply {
    const group = typeof p.usergroup === 'string' ? this.usergroups.get(p.usergroup) : undefined;
    if (!group || (group.disabled && !booleanArgument(p.include_disabled))) return fail('no_such_subteam');
    return ok({ users: [...group.users] });
  }

  private userInfo(p: Params): Reply {
    const user = typeof p.user === 'string' ? this.users.get(p.user) : undefined;
    if (!user) return fail('user_not_found');
    const realName = user.realName ?? user.name;
    const kind = user.kind ?? 'member';
    const external = kind === 'external' || kind === 'stranger';
    const team = user.teamId ?? (external ? 'T0PARTNER' : this.teamId);
    return ok({
      user: {
        id: user.id,
        team_id: team,
        name: user.name,
        deleted: user.deleted ?? false,
        real_name: realName,
        tz: user.tz ?? 'Europe/Paris',
        is_admin: user.isAdmin ?? false,
        is_owner: false,
        is_bot: false,
        is_app_user: false,
        // Slack sends these for members and guests of the workspace; an external person's are false.
        is_restricted: kind === 'multi-channel-guest' || kind === 'single-channel-guest',
        is_ultra_restricted: kind === 'single-channel-guest',
        ...(kind === 'stranger' ? { is_stranger: true } : {}),
        profile: {
          real_name: realName,
          display_name: user.name,
          email: user.email,
          team,
        },
      },
    });
  }

  // ---- views, unfurls ------------------------------------------------------------------------------

  /** The `view` argument: a JSON object (or a JSON string in form bodies) that Slack's view rules accept. */
  private viewArgument(p: Params): { view: Params } | { reply: Reply } {
    if (p.view === undefined || p.view === '')
      return { reply: invalidArguments(['missing required field: view']) };
    const { value, malformed } = jsonArgument(p.view);
    if (malformed || typeof value !== 'object' || value === null || Array.isArray(value))
      return { reply: invalidArguments(['invalid `view` [json-pointer:/view]']) };
    if (JSON.stringify(value).length > VIEW_MAX_BYTES) return { reply: fail('view_too_large') };
    const problems = findViewProblems(value);
    if (problems.length > 0) return { reply: invalidArguments(problems.map(formatBlockProblem)) };
    return { view: value as Params };
  }

  /** views.open and views.push: a trigger_id exchanged within 3 seconds, once. */
  private viewsOpen(p: Params, how: 'open' | 'push'): Reply {
    if (p.trigger_id === undefined || p.trigger_id === '')
      return invalidArguments(['missing required field: trigger_id']);
    const argument = this.viewArgument(p);
    if ('reply' in argument) return argument.reply;
    if (argument.view.type !== 'modal') return invalidArguments(['must be modal [json-pointer:/view/type]']);
    const trigger = this.views.exchange(p.trigger_id);
    if ('error' in trigger) return fail(trigger.error);
    const view =
      how === 'open'
        ? this.views.open(trigger.user, argument.view)
        : this.views.push(trigger.user, argument.view);
    return 'error' in view ? fail(view.error) : ok({ view });
  }

  private viewsUpdate(p: Params): Reply {
    if (
      (p.view_id === undefined || p.view_id === '') &&
      (p.external_id === undefined || p.external_id === '')
    )
      return invalidArguments(['either view_id or external_id is required']);
    const argument = this.viewArgument(p);
    if ('reply' in argument) return argument.reply;
    const view = this.views.update(
      { viewId: p.view_id, externalId: p.external_id, hash: p.hash },
      argument.view,
    );
    return 'error' in view ? fail(view.error) : ok({ view });
  }

  private viewsPublish(p: Params): Reply {
    if (typeof p.user_id !== 'string' || !this.users.has(p.user_id))
      return invalidArguments(['invalid `user_id`']);
    const argument = this.viewArgument(p);
    if ('reply' in argument) return argument.reply;
    if (argument.view.type !== 'home') return invalidArguments(['must be home [json-pointer:/view/type]']);
    if (!this.appHome.homeTab) return fail('not_enabled');
    const view = this.views.publish(p.user_id, argument.view, p.hash);
    return 'error' in view ? fail(view.error) : ok({ view });
  }

  /**
   * chat.unfurl: by channel and ts, or by unfurl_id and source; only URLs that a `link_shared` event
   * announced for that message. Unfurls are kept on the message, one per URL (a second call replaces).
   */
  private unfurl(p: Params): Reply {
    if (p.unfurls === undefined || p.unfurls === '') return fail('missing_unfurls');
    const { value: unfurls, malformed } = jsonArgument(p.unfurls);
    if (malformed || typeof unfurls !== 'object' || unfurls === null || Array.isArray(unfurls))
      return fail('invalid_unfurls_format');
    let announced: Announced | undefined;
    let message: RecordedMessage | undefined;
    if (typeof p.unfurl_id === 'string' && p.unfurl_id !== '') {
      if (typeof p.source !== 'string' || !['composer', 'conversations_history'].includes(p.source))
        return invalidArguments(['unfurl_id and source must be provided together']);
      announced = this.announced.get(p.unfurl_id);
      message = announced ? this.record.find(announced.channel, announced.messageTs) : undefined;
      if (!message) return fail('cannot_find_message');
    } else {
      if (typeof p.channel !== 'string' || p.channel === '') return fail('missing_channel');
      if (typeof p.ts !== 'string' || p.ts === '') return fail('missing_ts');
      const channel = this.channels.get(p.channel);
      if (!channel) return fail('cannot_find_channel');
      message = this.record.find(channel.id, p.ts);
      if (!message || message.deleted || message.ephemeral) return fail('cannot_find_message');
      announced = this.announced.get(`${channel.id} ${message.ts}`);
    }
    const entries = Object.entries(unfurls as Params);
    for (const [url, unfurl] of entries) {
      if (!announced?.urls.has(url)) return fail('cannot_unfurl_url');
      if (typeof unfurl !== 'object' || unfurl === null || Array.isArray(unfurl))
        return fail('cannot_parse_attachment');
      const blocks = (unfurl as Params).blocks;
      if (blocks !== undefined) {
        const problems = findBlockProblems(blocks);
        if (problems.length > 0) return invalidArguments(problems.map(formatBlockProblem));
      }
    }
    message.unfurls = { ...message.unfurls, ...(unfurls as Record<string, Record<string, unknown>>) };
    return ok();
  }

  /** The links of a person's message that belong to the app's unfurl domains, now unfurlable. */
  private announceLinks(input: { channel: string; ts: string }): LinkAnnouncement | undefined {
    const message = this.record.find(input.channel, input.ts);
    if (!message) throw new Error(`no message ${input.ts} in ${input.channel}`);
    const links = urlsIn(message.text).flatMap((url) => {
      const domain = unfurlDomainOf(url, this.unfurlDomains);
      return domain ? [{ domain, url }] : [];
    });
    if (links.length === 0) return undefined;
    const unfurlId = `${message.channel}.${message.ts}.${randomBytes(32).toString('hex')}`;
    const announcement: LinkAnnouncement = {
      channel: message.channel,
      user: message.user,
      messageTs: message.ts,
      ...(message.threadTs ? { threadTs: message.threadTs } : {}),
      unfurlId,
      links,
    };
    const entry: Announced = { ...announcement, urls: new Set(links.map((l) => l.url)) };
    this.announced.set(unfurlId, entry);
    this.announced.set(`${message.channel} ${message.ts}`, entry);
    return announcement;
  }

  private enterViewValues(input: ViewValuesInput): SlackViewObject {
    const view = this.views.enter(input.viewId, input.values);
    if (!view) throw new Error(`no view ${input.viewId}`);
    return structuredClone(view);
  }

  /**
   * What Slack does with the app's answer to a view_submission: `errors` keeps the view with its field
   * errors, `update` replaces it, `push` stacks a view, `clear` closes the modal, an empty answer closes the
   * submitted view. An answer Slack would refuse keeps the view and is reported in `error`.
   */
  private applyViewSubmission(input: ViewSubmissionAnswerInput): { views: UserViews; error?: string } {
    const found = this.views.byId(input.viewId);
    if (!found || found.home) throw new Error(`no modal view ${input.viewId}`);
    const answer = input.answer;
    const done = (error?: string) => ({ views: this.views.views(found.user), ...(error ? { error } : {}) });
    if (
      answer === null ||
      answer === undefined ||
      (typeof answer === 'object' && Object.keys(answer).length === 0)
    ) {
      this.views.close(found.user, false);
      return done();
    }
    const action = (answer as Params).response_action;
    switch (action) {
      case 'errors': {
        const errors = (answer as Params).errors;
        if (typeof errors !== 'object' || errors === null) return done('invalid_arguments');
        this.views.setErrors(input.viewId, errors as Record<string, string>);
        return done();
      }
      case 'update':
      case 'push': {
        const argument = this.viewArgument(answer as Params);
        if ('reply' in argument) return done((argument.reply.body as { error: string }).error);
        if (action === 'update') {
          this.views.replaceTop(found.user, argument.view);
          return done();
        }
        const pushed = this.views.push(found.user, argument.view);
        return done('error' in pushed ? pushed.error : undefined);
      }
      case 'clear':
        this.views.close(found.user, true);
        return done();
      default:
        return done('invalid_response_action');
    }
  }

  private closeView(input: CloseViewInput): ClosedViews {
    const all = input.all ?? true;
    const closed = this.views.close(input.user, all);
    return { closed: closed.map((r) => r.view), isCleared: this.views.views(input.user).stack.length === 0 };
  }

  // ---- response_url --------------------------------------------------------------------------------

  private issueInteraction(context: InteractionContext): IssuedInteraction {
    const id = randomBytes(12).toString('hex');
    this.responseUrls.set(id, {
      channel: context.channelId,
      user: context.userId,
      originalTs: context.messageTs,
      issuedAt: this.now(),
      uses: 0,
    });
    const triggerId = this.views.issueTrigger(context.userId);
    return { responseUrl: `${this.url}/response/${id}`, triggerId };
  }

  /** Slack's rules: JSON body; ephemeral unless response_type is in_channel; replace/delete the original. */
  private responseUrlPost(id: string, body: Buffer): Reply {
    const responseUrl = `${this.url}/response/${id}`;
    let payload: Params | undefined;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) payload = parsed as Params;
    } catch {
      payload = undefined;
    }
    const reply = this.respond(id, payload);
    const result = reply.reply.body as { ok?: boolean; error?: string };
    this.record.responseUrlPosts.push({
      responseUrl,
      use: reply.use,
      body: payload ?? body.toString('utf8'),
      status: reply.reply.status,
      outcome: result.ok ? 'ok' : (result.error ?? `http_${reply.reply.status}`),
      messageTs: reply.messageTs,
    });
    return reply.reply;
  }

  private respond(
    id: string,
    payload: Params | undefined,
  ): { reply: Reply; use?: number; messageTs?: string } {
    const refuse = (status: number, error: string, fields: Params = {}) => ({
      reply: { status, body: { ok: false, error, ...fields } },
    });
    const fault = this.takeFault('response_url');
    if (fault) return { reply: fault };
    const state = this.responseUrls.get(id);
    if (!state) return refuse(404, 'no_service');
    if (this.now() - state.issuedAt > RESPONSE_URL_LIFETIME_MS) return refuse(404, 'expired_url');
    if (state.uses >= RESPONSE_URL_MAX_USES) return refuse(404, 'used_url');
    if (!payload) return refuse(400, 'invalid_payload');
    const original = state.originalTs ? this.record.find(state.channel, state.originalTs) : undefined;

    if (booleanArgument(payload.delete_original)) {
      state.uses += 1;
      if (original && !original.deleted) {
        original.history.push({
          text: original.text,
          blocks: original.blocks,
          replacedAt: this.nextTs(),
          replacedBy: 'response_url',
        });
        original.deleted = true;
      }
      return { reply: ok(), use: state.uses, messageTs: original?.ts };
    }

    const { value: blocks, malformed } = jsonArgument(payload.blocks);
    if (malformed) return refuse(400, 'invalid_blocks_format');
    const content: MessageContent = { text: payload.text, blocks, attachments: payload.attachments };
    const problem = checkMessageContent(content);
    if (problem) {
      const fields = problem.errors
        ? {
            errors: problem.errors,
            response_metadata: { messages: problem.errors.map((e) => `[ERROR] ${e}`) },
          }
        : {};
      return refuse(400, problem.error, fields);
    }
    state.uses += 1;
    if (booleanArgument(payload.replace_original) && original && !original.deleted) {
      this.replaceContent(original, content, 'response_url');
      return { reply: ok(), use: state.uses, messageTs: original.ts };
    }
    const inChannel = payload.response_type === 'in_channel';
    const message = this.addBotMessage(state.channel, content, {
      via: 'response_url',
      threadTs: this.threadParent(state.channel, payload.thread_ts),
      visibleTo: inChannel ? undefined : state.user,
    });
    // A slash command has no original message: its first reply becomes the one to replace.
    state.originalTs ??= message.ts;
    return { reply: ok(), use: state.uses, messageTs: message.ts };
  }

  // ---- control API (the test bed runs the emulator as another process) ------------------------------

  private control(path: string, httpMethod: string, body: Buffer, query: URLSearchParams): Reply {
    let input: Params = {};
    if (httpMethod === 'POST' && body.length > 0) {
      try {
        input = JSON.parse(body.toString('utf8')) as Params;
      } catch {
        return { status: 400, body: { ok: false, error: 'invalid_json' } };
      }
    }
    const fileMatch = /^files\/(.+)$/.exec(path);
    if (fileMatch) {
      const bytes = this.record.fileBytes.get(fileMatch[1] ?? '');
      return bytes ? { status: 200, body: bytes } : { status: 404, body: 'file not found' };
    }
    switch (`${httpMethod} ${path}`) {
      case 'GET info':
        return { status: 200, body: this.info() };
      case 'GET messages':
        return { status: 200, body: { ok: true, messages: this.record.select(filterFromQuery(query)) } };
      case 'POST messages':
        return { status: 200, body: { ok: true, messages: this.record.select(input as MessageFilter) } };
      case 'GET files':
        return { status: 200, body: { ok: true, files: this.record.files } };
      case 'GET record':
        return { status: 200, body: this.record.snapshot() };
      case 'POST reset':
        this.reset();
        return { status: 200, body: { ok: true } };
      case 'POST fault':
        if (typeof input.method !== 'string' || typeof input.fault !== 'object' || input.fault === null) {
          return { status: 400, body: { ok: false, error: 'expected {method, fault}' } };
        }
        this.failNext(input.method, input.fault as EmulatorFault);
        return { status: 200, body: { ok: true } };
      case 'POST rate-limit': {
        const rate = input.postMessagePerChannelPerSecond;
        this.postMessageRate = typeof rate === 'number' ? rate : undefined;
        return { status: 200, body: { ok: true } };
      }
      case 'POST rate-limit-all': {
        const { retryAfter, forMs } = input;
        if (retryAfter !== null && (typeof retryAfter !== 'number' || retryAfter < 0))
          return {
            status: 400,
            body: { ok: false, error: 'expected {retryAfter: seconds or null, forMs?}' },
          };
        if (forMs !== null && forMs !== undefined && (typeof forMs !== 'number' || forMs < 0))
          return { status: 400, body: { ok: false, error: 'forMs must be a number of milliseconds' } };
        this.rateLimitEverything(retryAfter ?? undefined, typeof forMs === 'number' ? forMs : undefined);
        return { status: 200, body: { ok: true } };
      }
      case 'POST interactions':
        if (typeof input.channelId !== 'string' || typeof input.userId !== 'string') {
          return { status: 400, body: { ok: false, error: 'expected {channelId, userId}' } };
        }
        return { status: 200, body: this.issueInteraction(input as unknown as InteractionContext) };
      case 'POST user-messages': {
        const message = this.postAsUser(input as unknown as UserMessageInput);
        return { status: 200, body: message };
      }
      case 'POST view-triggers':
        if (typeof input.userId !== 'string')
          return { status: 400, body: { ok: false, error: 'expected {userId, viewId?}' } };
        return {
          status: 200,
          body: {
            triggerId: this.views.issueTrigger(
              input.userId,
              typeof input.viewId === 'string' ? input.viewId : undefined,
            ),
          },
        };
      case 'GET views':
        return { status: 200, body: this.views.views(query.get('user') ?? '') };
      case 'POST views':
        return { status: 200, body: this.views.views(typeof input.user === 'string' ? input.user : '') };
      case 'POST view-values':
        return this.controlled(() => this.enterViewValues(input as unknown as ViewValuesInput));
      case 'POST view-submissions':
        return this.controlled(() => this.applyViewSubmission(input as unknown as ViewSubmissionAnswerInput));
      case 'POST view-closes':
        return this.controlled(() => this.closeView(input as unknown as CloseViewInput));
      case 'POST link-announcements':
        return this.controlled(() => ({
          announcement: this.announceLinks(input as unknown as { channel: string; ts: string }) ?? null,
        }));
      default:
        return { status: 404, body: { ok: false, error: `unknown control path: ${httpMethod} ${path}` } };
    }
  }

  /** A control call whose input names something unknown answers 404 with the reason. */
  private controlled(run: () => unknown): Reply {
    try {
      return { status: 200, body: run() ?? null };
    } catch (error) {
      return {
        status: 404,
        body: { ok: false, error: error instanceof Error ? error.message : String(error) },
      };
    }
  }

  private postAsUser(input: UserMessageInput): RecordedMessage {
    const channel = this.resolveChannel(input.channel);
    if (!channel) throw new Error(`unknown channel ${input.channel}`);
    const message: RecordedMessage = {
      channel: channel.id,
      ts: this.nextTs(),
      threadTs: this.threadParent(channel.id, input.threadTs),
      ephemeral: false,
      user: input.user,
      text: input.text,
      via: 'user',
      history: [],
      deleted: false,
    };
    this.record.messages.push(message);
    return structuredClone(message);
  }

  private reset(): void {
    this.record.clear();
    this.views.clear();
    this.announced.clear();
    this.faults.clear();
    this.responseUrls.clear();
    this.uploadKeys.clear();
    this.recentPosts.clear();
    this.limitedEverything = undefined;
  }

  // ---- shared --------------------------------------------------------------------------------------

  /** Channel by id, or by name (with or without `#`); a user id opens the app's DM with that user. */
  private resolveChannel(ref: unknown): SeedChannel | undefined {
    if (typeof ref !== 'string' || ref === '') return undefined;
    const byId = this.channels.get(ref);
    if (byId) return byId;
    const name = ref.replace(/^#/, '');
    for (const channel of this.channels.values()) if (channel.name === name) return channel;
    const user = this.users.get(ref);
    if (!user) return undefined;
    const dm: SeedChannel = { id: `D${user.id.slice(1)}`, name: user.name, members: [user.id] };
    this.channels.set(dm.id, dm);
    return dm;
  }

  private isMember(channel: SeedChannel, userId: string): boolean {
    if (!this.users.has(userId)) return false;
    return channel.members === undefined || channel.members.includes(userId);
  }

  /** Slack threads a reply to a reply under the parent. */
  private threadParent(channel: string, threadTs: unknown): string | undefined {
    if (typeof threadTs !== 'string' || threadTs === '') return undefined;
    return this.record.find(channel, threadTs)?.threadTs ?? threadTs;
  }

  private messageContent(p: Params): { content: MessageContent } | { reply: Reply } {
    const blocks = jsonArgument(p.blocks);
    if (blocks.malformed) return { reply: fail('invalid_blocks_format') };
    const attachments = jsonArgument(p.attachments);
    if (attachments.malformed) return { reply: fail('invalid_attachments') };
    const content: MessageContent = { text: p.text, blocks: blocks.value, attachments: attachments.value };
    const problem = checkMessageContent(content);
    return problem ? { reply: contentFailure(problem) } : { content };
  }

  private addBotMessage(
    channel: string,
    content: MessageContent,
    meta: Pick<RecordedMessage, 'via' | 'threadTs' | 'replyBroadcast' | 'visibleTo'>,
  ): RecordedMessage {
    const message: RecordedMessage = {
      channel,
      ts: this.nextTs(),
      ...(meta.threadTs ? { threadTs: meta.threadTs } : {}),
      ephemeral: meta.visibleTo !== undefined,
      ...(meta.visibleTo ? { visibleTo: meta.visibleTo } : {}),
      user: this.botUserId,
      botId: this.botId,
      text: typeof content.text === 'string' ? content.text : '',
      ...(Array.isArray(content.blocks) ? { blocks: withBlockIds(content.blocks) } : {}),
      ...(Array.isArray(content.attachments) ? { attachments: content.attachments } : {}),
      ...(meta.replyBroadcast ? { replyBroadcast: true } : {}),
      via: meta.via,
      history: [],
      deleted: false,
    };
    this.record.messages.push(message);
    return message;
  }

  /** New text replaces the text; a message updated without blocks loses its blocks, as in Slack. */
  private replaceContent(
    message: RecordedMessage,
    content: MessageContent,
    by: 'chat.update' | 'response_url',
  ): void {
    message.history.push({
      text: message.text,
      blocks: message.blocks,
      replacedAt: this.nextTs(),
      replacedBy: by,
    });
    message.text = typeof content.text === 'string' ? content.text : '';
    if (Array.isArray(content.blocks)) message.blocks = withBlockIds(content.blocks);
    else delete message.blocks;
    if (Array.isArray(content.attachments)) message.attachments = content.attachments;
    else delete message.attachments;
  }

  private slackMessage(message: RecordedMessage): Record<string, unknown> {
    return toSlackMessage(message, { teamId: this.teamId, appId: this.appId });
  }

  /** Slack ts: seconds and microseconds, unique and increasing within the workspace. */
  private nextTs(): string {
    this.lastTsMicros = Math.max(this.lastTsMicros + 1, Math.floor(this.now() * 1000));
    const seconds = Math.floor(this.lastTsMicros / 1_000_000);
    return `${seconds}.${String(this.lastTsMicros % 1_000_000).padStart(6, '0')}`;
  }
}

function filterFromQuery(query: URLSearchParams): MessageFilter {
  const flag = (name: string) => (query.has(name) ? query.get(name) === 'true' : undefined);
  const filter: MessageFilter = {
    channel: query.get('channel') ?? undefined,
    ts: query.get('ts') ?? undefined,
    threadTs: query.get('thread_ts') ?? undefined,
    inThread: flag('in_thread'),
    ephemeral: flag('ephemeral'),
    visibleTo: query.get('visible_to') ?? undefined,
    via: (query.get('via') ?? undefined) as MessageFilter['via'],
    includeDeleted: flag('include_deleted'),
  };
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as MessageFilter;
}
