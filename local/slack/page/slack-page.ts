/**
 * The local Slack page: a browser view of the Slack emulator's record, for running canary-bot without a
 * Slack workspace. It shows a channel as Slack would, and sends what a person types or clicks to the bot
 * as signed Slack requests, through the same front door Slack would use.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeMrkdwn } from '../../../src/chat/views/block-kit.js';
import {
  connectSlackEmulator,
  type EmulatorInfo,
  type SlackEmulatorControl,
  type UserInput,
  type UserValues,
} from '../emulator-control.js';
import {
  type AppAnswer,
  type BotResponse,
  type BotTarget,
  closeModal,
  openAppHome,
  SlackInteractionError,
  sendBlockActions,
  sendBlockSuggestion,
  sendMessageShortcut,
  sendSlashCommand,
  sendViewBlockActions,
  shareLink,
  submitView,
} from '../interaction-client.js';
import type { RecordedMessage } from '../message-record.js';
import { DEFAULT_WORKSPACE, type SeedChannel, type SeedUser } from '../slack-emulator.js';

/** Where the page reads Slack from and where it sends what people do. */
export interface SlackPageOptions {
  /** The Slack emulator's base URL (its control API is under `/_emulator/`). */
  emulatorUrl: string;
  /** The bot's Slack endpoint: the front door's `/slack/events` URL. */
  botUrl: string;
  signingSecret: string;
  /** 0 (default) picks a free port; the page listens on 127.0.0.1 only. */
  port?: number;
  /** The people and channels of the emulated workspace (default: the emulator's default workspace). */
  users?: readonly SeedUser[];
  channels?: readonly SeedChannel[];
  /** Shown as the author of bot messages. */
  botName?: string;
  /** A line shown at the top of the page (what the local settings are). */
  notice?: string;
  /** Controls over the simulated traffic: a person makes a version slow or failing to watch a rollback. */
  traffic?: TrafficControls;
}

/** One version of a simulated service and how it behaves. */
export interface TrafficVersion {
  namespace: string;
  service: string;
  version: string;
  behaviour: { errorRate: number; latency: { kind: string; medianMs?: number; p99Ms?: number } };
}

/** What the page's traffic panel changes. */
export interface TrafficChange {
  namespace: string;
  service: string;
  version: string;
  /** 0..1. */
  errorRate: number;
  medianMs: number;
  p99Ms: number;
}

/** The simulator behind the page's traffic panel. */
export interface TrafficControls {
  versions(): TrafficVersion[];
  set(change: TrafficChange): Promise<void>;
}

/** A note only the page knows about: the answer to a slash command's ack, or Slack's own error lines. */
interface PageNote {
  channel: string;
  ts: string;
  visibleTo: string;
  text: string;
  blocks?: unknown[];
}

/** The only command the emulated workspace has installed. */
const SLASH_COMMAND = '/canary';
/** Slack gives up on an app that has not acknowledged within 3 seconds. */
const ACK_TIMEOUT_MS = 3000;
/** Slack's words when an app could not be reached or did not answer in time. */
type SlackDispatchError = 'dispatch_failed' | 'operation_timeout';
/** Top-level messages sent to the browser per poll: enough history without re-sending the whole record. */
const MESSAGES_SHOWN = 200;
/** The page's own notes live in memory; the oldest go first. */
const NOTES_KEPT = 500;
const STATIC_FILES: Record<string, string> = {
  '/': 'page.html',
  '/page.js': 'page.js',
  '/page.css': 'page.css',
};
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
/** Nothing but this page's own files; no inline script, no external resource. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** A request the page refuses, with the HTTP status to answer. */
class PageRequestError extends Error {
  override name = 'PageRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts the local Slack page on 127.0.0.1.
 *
 * @example
 * const page = await startSlackPage({ emulatorUrl: bed.slack.url, botUrl: `${door.url}/slack/events`, signingSecret });
 * console.log(`Slack: ${page.url}`); // later: await page.close();
 */
export async function startSlackPage(
  options: SlackPageOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  const emulator = connectSlackEmulator(options.emulatorUrl);
  const info = await emulator.info();
  const files = Object.fromEntries(
    await Promise.all(
      Object.values(STATIC_FILES).map(
        async (name) => [name, await readFile(new URL(`./${name}`, import.meta.url), 'utf8')] as const,
      ),
    ),
  );
  const page = new SlackPage(options, emulator, info);
  let origin = '';
  const server = createServer((request, response) => {
    page.handle(request, response, origin, files).catch((error: unknown) => {
      const status = error instanceof PageRequestError ? error.status : 500;
      if (!response.headersSent) response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `127.0.0.1:${port}`;
  return {
    url: `http://${origin}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class SlackPage {
  private readonly notes: PageNote[] = [];
  private readonly users: readonly SeedUser[];
  private readonly channels: readonly SeedChannel[];
  private readonly target: BotTarget;
  private lastNoteMicros = 0;

  constructor(
    private readonly options: SlackPageOptions,
    private readonly emulator: SlackEmulatorControl,
    private readonly info: EmulatorInfo,
  ) {
    this.users = options.users ?? DEFAULT_WORKSPACE.users;
    this.channels = options.channels ?? DEFAULT_WORKSPACE.channels;
    this.target = { url: options.botUrl, signingSecret: options.signingSecret };
  }

  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    origin: string,
    files: Record<string, string>,
  ): Promise<void> {
    // A page on another site (or a rebound DNS name) must not drive a bot that signs as Slack.
    const host = request.headers.host ?? '';
    if (host !== origin && host !== origin.replace('127.0.0.1', 'localhost'))
      throw new PageRequestError(421, 'wrong host');
    const url = new URL(request.url ?? '/', `http://${origin}`);
    const route = `${request.method} ${url.pathname}`;
    const staticName = request.method === 'GET' ? STATIC_FILES[url.pathname] : undefined;
    if (staticName) {
      const type = CONTENT_TYPES[staticName.split('.').pop() ?? ''] ?? 'text/plain';
      response.writeHead(200, { 'Content-Type': type, ...SECURITY_HEADERS });
      response.end(files[staticName]);
      return;
    }
    if (request.method === 'GET' && url.pathname.startsWith('/files/'))
      return this.file(decodeURIComponent(url.pathname.slice('/files/'.length)), response);
    switch (route) {
      case 'GET /api/workspace':
        return json(response, {
          users: this.users.map(({ id, name, realName }) => ({ id, name, realName: realName ?? name })),
          channels: this.channels.map(({ id, name }) => ({ id, name })),
          botName: this.options.botName ?? 'canary-bot',
          command: SLASH_COMMAND,
          notice: this.options.notice ?? '',
          traffic: this.options.traffic !== undefined,
          shortcuts: this.info.shortcuts ?? [],
          unfurlDomains: this.info.unfurlDomains ?? [],
          homeTab: this.info.appHome?.homeTab ?? false,
        });
      case 'GET /api/views':
        return json(
          response,
          await this.emulator.views({ user: this.user(url.searchParams.get('user')).id }),
        );
      case 'POST /api/home':
        return json(response, await this.home(await readJson(request)));
      case 'POST /api/shortcut':
        return json(response, await this.shortcut(await readJson(request)));
      case 'POST /api/view-suggest':
        return json(response, await this.suggest(await readJson(request)));
      case 'POST /api/view-action':
        return json(response, await this.viewAction(await readJson(request)));
      case 'POST /api/view-submit':
        return json(response, await this.submit(await readJson(request)));
      case 'POST /api/view-close':
        return json(response, await this.closeView(await readJson(request)));
      case 'GET /api/traffic':
        return json(response, { versions: this.traffic().versions() });
      case 'POST /api/traffic':
        return json(response, await this.setTraffic(await readJson(request)));
      case 'GET /api/messages':
        return json(response, {
          messages: await this.messages(
            this.channelOf(url.searchParams.get('channel')),
            this.user(url.searchParams.get('user')).id,
          ),
        });
      case 'POST /api/send':
        return json(response, await this.send(await readJson(request)));
      case 'POST /api/click':
        return json(response, await this.click(await readJson(request)));
      default:
        throw new PageRequestError(404, `no page route ${route}`);
    }
  }

  private traffic(): TrafficControls {
    if (!this.options.traffic) throw new PageRequestError(404, 'this page has no traffic controls');
    return this.options.traffic;
  }

  /** Sets how a simulated version behaves from the next traffic step on; refuses numbers that make no sense. */
  private async setTraffic(input: Record<string, unknown>): Promise<{ ok: true }> {
    const text = (name: string) => {
      const value = input[name];
      if (typeof value !== 'string' || value.length === 0)
        throw new PageRequestError(400, `${name} is missing`);
      return value;
    };
    const number = (name: string, min: number, max: number) => {
      const value = input[name];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
        throw new PageRequestError(400, `${name} must be a number from ${min} to ${max}`);
      return value;
    };
    const change: TrafficChange = {
      namespace: text('namespace'),
      service: text('service'),
      version: text('version'),
      errorRate: number('errorRate', 0, 1),
      medianMs: number('medianMs', 1, 60_000),
      p99Ms: number('p99Ms', 1, 60_000),
    };
    if (change.p99Ms < change.medianMs) throw new PageRequestError(400, 'p99Ms must be at least medianMs');
    const known = this.traffic()
      .versions()
      .some(
        (v) =>
          v.namespace === change.namespace && v.service === change.service && v.version === change.version,
      );
    if (!known)
      throw new PageRequestError(
        404,
        `no simulated version ${change.service}.${change.namespace} ${change.version}`,
      );
    await this.traffic().set(change);
    return { ok: true };
  }

  /** What `user` sees in `channel`: the channel's messages and threads, and what is only for them. */
  private async messages(channel: string, user: string): Promise<ShownMessage[]> {
    const recorded = (await this.emulator.messages({ channel })).filter(
      (m) => !m.ephemeral || m.visibleTo === user,
    );
    const notes = this.notes.filter((n) => n.channel === channel && n.visibleTo === user);
    const all = [...recorded.map(shownMessage), ...notes.map(shownNote)].sort((a, b) =>
      compareTs(a.ts, b.ts),
    );
    const topLevel = all.filter((m) => m.threadTs === undefined);
    const shown = new Set(topLevel.slice(-MESSAGES_SHOWN).map((m) => m.ts));
    return all.filter((m) => shown.has(m.threadTs ?? m.ts));
  }

  /** The message box: `/canary …` goes to the bot as a slash command; anything else is a plain message. */
  private async send(input: Record<string, unknown>): Promise<{ status: number }> {
    const channel = this.channelOf(input.channel);
    const user = this.user(input.user);
    const line = typeof input.text === 'string' ? input.text.trim() : '';
    if (line === '') throw new PageRequestError(400, 'nothing to send');
    if (!line.startsWith('/')) {
      // Links to the app's unfurl domains reach the app as link_shared, as in Slack.
      const shared = await shareLink(this.target, this.emulator, {
        channel,
        user: user.id,
        text: escapeMrkdwn(line),
      });
      if (shared.answer && !shared.answer.acked)
        this.note(channel, user.id, `:warning: ${this.botName()} did not take the link_shared event.`);
      return { status: 200 };
    }
    const [command = ''] = line.split(/\s+/);
    if (command !== SLASH_COMMAND) {
      this.note(
        channel,
        user.id,
        `\`${command}\` is not a valid command. This workspace has \`${SLASH_COMMAND}\`.`,
      );
      return { status: 404 };
    }
    // Slack sends the text escaped (`&`, `<`, `>`), as a person typed it after the command.
    const text = escapeMrkdwn(line.slice(command.length).trim());
    const response = await ackOf(
      sendSlashCommand(this.target, {
        command,
        text,
        userId: user.id,
        userName: user.name,
        channelId: channel,
        channelName: this.channels.find((c) => c.id === channel)?.name,
        teamId: this.info.teamId,
        emulator: this.emulator,
      }),
    );
    this.noteAck(channel, user.id, command, response);
    return { status: typeof response === 'string' ? 0 : response.status };
  }

  /** A button: a block_actions payload carrying the message as the emulator holds it. */
  private async click(input: Record<string, unknown>): Promise<{ status: number }> {
    const channel = this.channelOf(input.channel);
    const user = this.user(input.user);
    if (typeof input.ts !== 'string' || typeof input.actionId !== 'string')
      throw new PageRequestError(400, 'a click needs ts and actionId');
    const [message] = await this.emulator.messages({ channel, ts: input.ts });
    if (!message) throw new PageRequestError(404, `no message ${input.ts} in ${channel}`);
    const response = await ackOf(
      sendBlockActions(this.target, {
        user: { id: user.id, username: user.name },
        channel: { id: channel, name: this.channels.find((c) => c.id === channel)?.name },
        messageTs: message.ts,
        ephemeral: message.ephemeral,
        actions: [
          {
            action_id: input.actionId,
            ...(typeof input.blockId === 'string' ? { block_id: input.blockId } : {}),
          },
        ],
        teamId: this.info.teamId,
        emulator: this.emulator,
      }),
    );
    const failure =
      typeof response === 'string' ? response : response.status !== 200 && `HTTP ${response.status}`;
    if (failure)
      this.note(
        channel,
        user.id,
        `:warning: ${this.options.botName ?? 'canary-bot'} did not take the click (${failure}).`,
      );
    return { status: typeof response === 'string' ? 0 : response.status };
  }

  private botName(): string {
    return this.options.botName ?? 'canary-bot';
  }

  /** The Home tab: app_home_opened, then the person's views (the published home view among them). */
  private async home(input: Record<string, unknown>) {
    const user = this.user(input.user);
    const answer = await settled(openAppHome(this.target, this.emulator, user.id));
    return { ...(await this.emulator.views({ user: user.id })), acked: answer?.acked ?? false };
  }

  /** A message shortcut from a message's "More actions" menu. */
  private async shortcut(input: Record<string, unknown>): Promise<{ status: number }> {
    const channel = this.channelOf(input.channel);
    const user = this.user(input.user);
    if (typeof input.ts !== 'string' || typeof input.callbackId !== 'string')
      throw new PageRequestError(400, 'a shortcut needs ts and callbackId');
    const answer = await settled(
      sendMessageShortcut(this.target, this.emulator, {
        callbackId: input.callbackId,
        user: { id: user.id, username: user.name },
        channel,
        channelName: this.channels.find((c) => c.id === channel)?.name,
        messageTs: input.ts,
      }),
    );
    if (!answer?.acked) this.note(channel, user.id, `:warning: ${this.botName()} did not take the shortcut.`);
    return { status: answer?.status ?? 0 };
  }

  /** An external select asks the app for options as the person types. */
  private async suggest(input: Record<string, unknown>) {
    const user = this.user(input.user);
    const { viewId, actionId } = viewFields(input);
    // What the person entered so far is in the view's state, as in Slack's block_suggestion payload.
    if (typeof input.values === 'object' && input.values !== null)
      await this.emulator.enterViewValues({ viewId, values: input.values as UserValues });
    const { options } = await this.interacting(() =>
      sendBlockSuggestion(this.target, this.emulator, {
        viewId,
        user: { id: user.id, username: user.name },
        actionId,
        ...(typeof input.blockId === 'string' ? { blockId: input.blockId } : {}),
        value: typeof input.value === 'string' ? input.value : '',
      }),
    );
    return { options };
  }

  /** A click or a pick inside a modal or the home tab. */
  private async viewAction(input: Record<string, unknown>) {
    const user = this.user(input.user);
    const { viewId, actionId } = viewFields(input);
    const answer = await this.interacting(() =>
      sendViewBlockActions(this.target, this.emulator, {
        viewId,
        user: { id: user.id, username: user.name },
        actionId,
        ...(typeof input.blockId === 'string' ? { blockId: input.blockId } : {}),
        ...(input.value !== undefined ? { value: input.value as UserInput } : {}),
      }),
    );
    return { status: answer.status, views: await this.emulator.views({ user: user.id }) };
  }

  /** The modal's submit button: Slack checks required inputs, sends view_submission, applies the answer. */
  private async submit(input: Record<string, unknown>) {
    const user = this.user(input.user);
    const { viewId } = viewFields({ ...input, actionId: '' });
    const values =
      typeof input.values === 'object' && input.values !== null ? (input.values as UserValues) : {};
    const result = await this.interacting(() =>
      submitView(this.target, this.emulator, { viewId, user: { id: user.id, username: user.name }, values }),
    );
    return {
      status: result.answer.status,
      views: result.views,
      ...(result.error ? { error: result.error } : {}),
    };
  }

  private async closeView(input: Record<string, unknown>) {
    const user = this.user(input.user);
    const closed = await closeModal(this.target, this.emulator, {
      user: { id: user.id, username: user.name },
      all: input.all !== false,
    });
    return { isCleared: closed.isCleared, views: await this.emulator.views({ user: user.id }) };
  }

  /** What the person did cannot be sent as Slack would (an empty required input, a view gone): 400. */
  private async interacting<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof SlackInteractionError) throw new PageRequestError(400, error.message);
      throw error;
    }
  }

  /** Slack shows an ack's body to the person who typed the command, and its own line when the app failed. */
  private noteAck(
    channel: string,
    user: string,
    command: string,
    response: BotResponse | SlackDispatchError,
  ) {
    const failure =
      typeof response === 'string' ? response : response.status !== 200 && `http_${response.status}`;
    if (failure) return this.note(channel, user, `\`${command}\` failed with the error "${failure}"`);
    const body = (typeof response === 'string' ? undefined : response.json) as
      | { text?: unknown; blocks?: unknown }
      | undefined;
    if (typeof body?.text !== 'string' && !Array.isArray(body?.blocks)) return;
    this.note(
      channel,
      user,
      typeof body.text === 'string' ? body.text : '',
      Array.isArray(body.blocks) ? body.blocks : undefined,
    );
  }

  private note(channel: string, visibleTo: string, text: string, blocks?: unknown[]): void {
    this.lastNoteMicros = Math.max(this.lastNoteMicros + 1, Date.now() * 1000);
    const ts = `${Math.floor(this.lastNoteMicros / 1e6)}.${String(this.lastNoteMicros % 1e6).padStart(6, '0')}`;
    this.notes.push({ channel, ts, visibleTo, text, ...(blocks ? { blocks } : {}) });
    if (this.notes.length > NOTES_KEPT) this.notes.splice(0, this.notes.length - NOTES_KEPT);
  }

  /** A shared file's bytes; only PNG is shown inline, anything else is a download. */
  private async file(id: string, response: ServerResponse): Promise<void> {
    const bytes = await this.emulator.fileContent(id);
    if (!bytes) throw new PageRequestError(404, 'no such file');
    const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': png ? 'image/png' : 'application/octet-stream',
      ...(png ? {} : { 'Content-Disposition': 'attachment' }),
    });
    response.end(bytes);
  }

  private channelOf(value: unknown): string {
    if (typeof value !== 'string') return this.channels[0]?.id ?? 'C0RELEASES';
    if (!this.channels.some((c) => c.id === value)) throw new PageRequestError(400, `no channel ${value}`);
    return value;
  }

  private user(value: unknown): SeedUser {
    const user = this.users.find((u) => u.id === value);
    if (!user) throw new PageRequestError(400, `no user ${String(value)}`);
    return user;
  }
}

/** What the browser needs of a message. */
interface ShownMessage {
  ts: string;
  threadTs?: string;
  ephemeral: boolean;
  bot: boolean;
  user: string;
  text: string;
  blocks?: unknown[];
  files: { id: string; name: string; title: string; mimetype: string }[];
  edited: boolean;
  replyBroadcast: boolean;
  unfurls?: Record<string, Record<string, unknown>>;
}

function shownMessage(m: RecordedMessage): ShownMessage {
  return {
    ts: m.ts,
    threadTs: m.threadTs,
    ephemeral: m.ephemeral,
    bot: m.botId !== undefined,
    user: m.user,
    text: m.text,
    blocks: m.blocks,
    files: m.files ?? [],
    edited: m.edited !== undefined || m.history.length > 0,
    replyBroadcast: m.replyBroadcast ?? false,
    ...(m.unfurls ? { unfurls: m.unfurls } : {}),
  };
}

function shownNote(n: PageNote): ShownMessage {
  return { ...n, ephemeral: true, bot: true, user: '', files: [], edited: false, replyBroadcast: false };
}

/** The view and element a view request names. */
function viewFields(input: Record<string, unknown>): { viewId: string; actionId: string } {
  if (typeof input.viewId !== 'string' || typeof input.actionId !== 'string')
    throw new PageRequestError(400, 'expected viewId and actionId');
  return { viewId: input.viewId, actionId: input.actionId };
}

/** The app's answer, or undefined when it could not be reached (the page then says so). */
async function settled(request: Promise<AppAnswer>): Promise<AppAnswer | undefined> {
  return request.catch(() => undefined);
}

/** Slack ts order: seconds, then microseconds. */
function compareTs(a: string, b: string): number {
  const [as = '0', af = '0'] = a.split('.');
  const [bs = '0', bf = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(af) - Number(bf);
}

/** The bot's answer, or the error Slack shows when there is none within the 3 seconds Slack waits. */
async function ackOf(request: Promise<BotResponse>): Promise<BotResponse | SlackDispatchError> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<SlackDispatchError>((resolve) => {
    timer = setTimeout(() => resolve('operation_timeout'), ACK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([request.catch((): SlackDispatchError => 'dispatch_failed'), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** JSON bodies only: a cross-site form cannot send one without a CORS preflight, which is never granted. */
async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
    throw new PageRequestError(415, 'send JSON');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new PageRequestError(413, 'too large');
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new PageRequestError(400, 'expected a JSON object');
}

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
  response.end(JSON.stringify(body));
}
