// Slack's side of slash commands, clicks, shortcuts, views and the Events API: bodies signed like Slack
// signs them, with response_url and trigger_id issued by an emulator so the bot's replies land in its record.
import { randomBytes } from 'node:crypto';
import type {
  ClosedViews,
  EmulatorInfo,
  IssuedInteraction,
  LinkAnnouncement,
  SlackEmulatorControl,
} from './emulator-control.js';
import { type RecordedMessage, toSlackMessage } from './message-record.js';
import { slackSignatureHeaders } from './request-signing.js';
import type { SlackEmulator } from './slack-emulator.js';
import type { EnvelopeAnswer } from './socket-mode-server.js';
import {
  elementState,
  type SlackViewObject,
  statefulElements,
  submittedState,
  type UserInput,
  type UserValues,
  type UserViews,
} from './view-store.js';

/** The bot's endpoint and the signing secret it verifies with. */
export interface BotTarget {
  url: string;
  signingSecret: string;
}

/** Ways to make a request that a correct bot must refuse. */
export interface ForgeOptions {
  /** Sign with this secret instead of the target's. */
  signingSecret?: string;
  /** Added to the current time for X-Slack-Request-Timestamp: -600 is stale, +600 is in the future. */
  timestampOffsetSeconds?: number;
  /** Clock in milliseconds. */
  now?: () => number;
}

/** Exactly what was sent, so it can be sent again byte for byte (a replay). */
export interface SignedSlackRequest {
  url: string;
  headers: Record<string, string>;
  rawBody: string;
}

/** The bot's answer to one request. */
export interface BotResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
  request: SignedSlackRequest;
}

/** The bot's answer plus the response_url and trigger_id the request carried. */
export interface InteractionResponse extends BotResponse, IssuedInteraction {}

export interface SlashCommandInput {
  command?: string;
  text: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName?: string;
  teamId: string;
  teamDomain?: string;
  apiAppId?: string;
  /** The legacy verification token Slack still sends in `token`. */
  verificationToken?: string;
  enterpriseId?: string;
  enterpriseName?: string;
  isEnterpriseInstall?: boolean;
  /** Issues response_url and trigger_id; without it they point nowhere (127.0.0.1:9). */
  emulator?: SlackEmulatorControl;
}

export interface ButtonClick {
  action_id: string;
  /** Optional with an emulator: taken from the message's block holding the button. */
  block_id?: string;
  value?: string;
  type?: 'button';
  /** The button's label; taken from the message when an emulator holds it. */
  text?: string;
}

export interface BlockActionsInput {
  user: { id: string; username: string; name?: string; teamId?: string };
  channel: { id: string; name?: string };
  /** The message holding the buttons. With an emulator, the payload's `message` is read from its record. */
  messageTs: string;
  ephemeral?: boolean;
  /** Overrides the `message` of the payload (otherwise read from the emulator, or a bare message). */
  message?: Record<string, unknown>;
  actions: ButtonClick[];
  teamId: string;
  teamDomain?: string;
  apiAppId?: string;
  verificationToken?: string;
  emulator?: SlackEmulatorControl;
}

/** A click or command could not be built as Slack would send it. */
export class SlackInteractionError extends Error {
  override name = 'SlackInteractionError';
}

const SLACK_USER_AGENT = 'Slackbot 1.0 (+https://api.slack.com/robots)';
const DEFAULT_APP_ID = 'A0CANARYBOT';
const DEFAULT_VERIFICATION_TOKEN = 'emulator-verification-token';

/**
 * Sends a slash command to the bot as Slack does.
 * @example await sendSlashCommand({ url: botUrl, signingSecret }, { text: 'status', userId: 'U0ALICE001', userName: 'alice', channelId: 'C0RELEASES', teamId: 'T0EMULATOR', emulator: slack });
 */
export async function sendSlashCommand(
  target: BotTarget,
  input: SlashCommandInput,
  forge: ForgeOptions = {},
): Promise<InteractionResponse> {
  const issued = await issue(input.emulator, { channelId: input.channelId, userId: input.userId });
  const rawBody = buildSlashCommandBody(input, issued);
  return { ...(await sendSigned(target, rawBody, forge)), ...issued };
}

/** The form body of a slash command, in Slack's field order. */
export function buildSlashCommandBody(input: SlashCommandInput, issued: IssuedInteraction): string {
  const fields: [string, string][] = [
    ['token', input.verificationToken ?? DEFAULT_VERIFICATION_TOKEN],
    ['team_id', input.teamId],
    ['team_domain', input.teamDomain ?? 'canary-emulator'],
  ];
  if (input.enterpriseId) fields.push(['enterprise_id', input.enterpriseId]);
  if (input.enterpriseName) fields.push(['enterprise_name', input.enterpriseName]);
  fields.push(
    ['channel_id', input.channelId],
    ['channel_name', input.channelName ?? 'releases'],
    ['user_id', input.userId],
    ['user_name', input.userName],
    ['command', input.command ?? '/canary'],
    ['text', input.text],
    ['api_app_id', input.apiAppId ?? DEFAULT_APP_ID],
    ['is_enterprise_install', String(input.isEnterpriseInstall ?? false)],
    ['response_url', issued.responseUrl],
    ['trigger_id', issued.triggerId],
  );
  return new URLSearchParams(fields).toString();
}

/**
 * Sends a block_actions payload (a button click) to the bot as Slack does.
 * @example await sendBlockActions(target, { user: { id: 'U0ALICE001', username: 'alice' }, channel: { id: 'C0RELEASES' }, messageTs, actions: [{ action_id: 'approve' }], teamId: 'T0EMULATOR', emulator: slack });
 */
export async function sendBlockActions(
  target: BotTarget,
  input: BlockActionsInput,
  forge: ForgeOptions = {},
): Promise<InteractionResponse> {
  const issued = await issue(input.emulator, {
    channelId: input.channel.id,
    userId: input.user.id,
    messageTs: input.messageTs,
    ephemeral: input.ephemeral,
  });
  const message = input.message ?? (await messageFromEmulator(input));
  const payload = buildBlockActionsPayload(input, message, issued, forge.now ?? Date.now);
  const rawBody = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return { ...(await sendSigned(target, rawBody, forge)), ...issued };
}

/** A Socket Mode app's answer to one envelope, with the response_url and trigger_id it carried. */
export type SocketInteraction = EnvelopeAnswer & IssuedInteraction;

/**
 * Delivers a slash command over Socket Mode, as Slack does for an app with Socket Mode on: the same fields
 * as the HTTP form, as a JSON object in a `slash_commands` envelope.
 * @example await sendSlashCommandOverSocket(slack, { text: 'help', userId: 'U0ALICE001', userName: 'alice', channelId: 'C0RELEASES', teamId: slack.teamId });
 */
export async function sendSlashCommandOverSocket(
  emulator: SlackEmulator,
  input: SlashCommandInput,
): Promise<SocketInteraction> {
  const issued = await emulator.issueInteraction({ channelId: input.channelId, userId: input.userId });
  const payload = Object.fromEntries(new URLSearchParams(buildSlashCommandBody(input, issued)));
  return { ...(await emulator.deliverOverSocket('slash_commands', payload)), ...issued };
}

/** Delivers a button click over Socket Mode: the block_actions payload in an `interactive` envelope. */
export async function sendBlockActionsOverSocket(
  emulator: SlackEmulator,
  input: BlockActionsInput,
): Promise<SocketInteraction> {
  const issued = await emulator.issueInteraction({
    channelId: input.channel.id,
    userId: input.user.id,
    messageTs: input.messageTs,
    ephemeral: input.ephemeral,
  });
  const message = input.message ?? (await messageFromEmulator({ ...input, emulator }));
  const payload = buildBlockActionsPayload(input, message, issued, Date.now);
  return { ...(await emulator.deliverOverSocket('interactive', payload)), ...issued };
}

/** The JSON payload of a button click; `message` is omitted for ephemeral messages, as Slack does. */
export function buildBlockActionsPayload(
  input: BlockActionsInput,
  message: Record<string, unknown> | undefined,
  issued: IssuedInteraction,
  now: () => number = Date.now,
): Record<string, unknown> {
  const actionTs = (now() / 1000).toFixed(6);
  const actions = input.actions.map((click) => {
    const found = message ? findButton(message.blocks, click) : undefined;
    if (message?.blocks && !found) {
      throw new SlackInteractionError(`no button ${click.action_id} on message ${input.messageTs}`);
    }
    const label = click.text ?? labelOf(found?.element.text) ?? click.action_id;
    const action: Record<string, unknown> = {
      action_id: click.action_id,
      block_id: click.block_id ?? found?.blockId ?? randomBlockId(),
      text: { type: 'plain_text', text: label, emoji: true },
      type: click.type ?? 'button',
      action_ts: actionTs,
    };
    const value = click.value ?? found?.element.value;
    if (value !== undefined) action.value = value;
    if (found?.element.style !== undefined) action.style = found.element.style;
    return action;
  });
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: {
      id: input.user.id,
      username: input.user.username,
      name: input.user.name ?? input.user.username,
      team_id: input.user.teamId ?? input.teamId,
    },
    api_app_id: input.apiAppId ?? DEFAULT_APP_ID,
    token: input.verificationToken ?? DEFAULT_VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channel.id,
      is_ephemeral: input.ephemeral ?? false,
    },
    trigger_id: issued.triggerId,
    team: { id: input.teamId, domain: input.teamDomain ?? 'canary-emulator' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel.id, name: input.channel.name ?? 'releases' },
    state: { values: {} },
    response_url: issued.responseUrl,
    actions,
  };
  if (!input.ephemeral && message) payload.message = message;
  return payload;
}

/**
 * Sends a previous request again, byte for byte, headers included (a replay attack).
 * @example const first = await sendSlashCommand(target, input); await replaySlackRequest(first.request);
 */
export async function replaySlackRequest(request: SignedSlackRequest): Promise<BotResponse> {
  return post(request);
}

async function sendSigned(
  target: BotTarget,
  rawBody: string,
  forge: ForgeOptions,
  contentType = 'application/x-www-form-urlencoded',
  extraHeaders: Record<string, string> = {},
): Promise<BotResponse> {
  const now = forge.now ?? Date.now;
  const timestamp = Math.floor(now() / 1000) + (forge.timestampOffsetSeconds ?? 0);
  const headers = {
    'Content-Type': contentType,
    ...extraHeaders,
    'User-Agent': SLACK_USER_AGENT,
    Accept: 'application/json,*/*',
    ...slackSignatureHeaders(forge.signingSecret ?? target.signingSecret, timestamp, rawBody),
  };
  return post({ url: target.url, headers, rawBody });
}

async function post(request: SignedSlackRequest): Promise<BotResponse> {
  const response = await fetch(request.url, {
    method: 'POST',
    headers: request.headers,
    body: request.rawBody,
  });
  const body = await response.text();
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), body, json, request };
}

async function issue(
  emulator: SlackEmulatorControl | undefined,
  context: Parameters<SlackEmulatorControl['issueInteraction']>[0],
): Promise<IssuedInteraction> {
  if (emulator) return emulator.issueInteraction(context);
  // Port 9 (discard) refuses at once: replies without an emulator go nowhere, never to the internet.
  return {
    responseUrl: `http://127.0.0.1:9/response/${randomBytes(12).toString('hex')}`,
    triggerId: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`,
  };
}

async function messageFromEmulator(input: BlockActionsInput): Promise<Record<string, unknown> | undefined> {
  // Slack sends no `message` for a click on an ephemeral message (nor does the channel hold one).
  if (input.ephemeral) return undefined;
  if (!input.emulator) return { type: 'message', ts: input.messageTs, text: '' };
  const [recorded] = await input.emulator.messages({ channel: input.channel.id, ts: input.messageTs });
  if (!recorded) throw new SlackInteractionError(`no message ${input.messageTs} in ${input.channel.id}`);
  const { teamId, appId } = await input.emulator.info();
  return toSlackMessage(recorded, { teamId, appId });
}

interface FoundButton {
  blockId?: string;
  element: Record<string, unknown>;
}

function findButton(blocks: unknown, click: ButtonClick): FoundButton | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks as Record<string, unknown>[]) {
    if (click.block_id !== undefined && block.block_id !== click.block_id) continue;
    const candidates = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory];
    const element = candidates.find(
      (e): e is Record<string, unknown> =>
        typeof e === 'object' && e !== null && e.action_id === click.action_id,
    );
    if (element) return { blockId: block.block_id as string | undefined, element };
  }
  return undefined;
}

function labelOf(text: unknown): string | undefined {
  return typeof text === 'object' && text !== null
    ? ((text as { text?: string }).text ?? undefined)
    : undefined;
}

function randomBlockId(): string {
  return randomBytes(3).toString('base64url');
}

// ---- Events API, shortcuts and views ---------------------------------------------------------------

/** Where the app listens: its HTTP endpoint, or its Socket Mode connection to an in-process emulator. */
export type AppEndpoint = BotTarget | { socket: SlackEmulator };

/** The app's answer, over either transport. */
export interface AppAnswer {
  transport: 'http' | 'socket';
  /** HTTP 2xx, or a Socket Mode acknowledgement within 3 seconds. */
  acked: boolean;
  /** The HTTP status; over Socket Mode 200 when acknowledged, 0 when not. */
  status: number;
  body: string;
  /** The JSON answer (HTTP body, or the acknowledgement's payload); undefined when empty. */
  json?: unknown;
  /** Over HTTP: exactly what was sent. */
  request?: SignedSlackRequest;
}

/** A person as interaction payloads name them; a bare id is used as its own username. */
export type PayloadUser = string | { id: string; username: string; name?: string };

/** The Events API's outer object around every event (`type: 'event_callback'`). */
export interface EventEnvelope {
  token: string;
  team_id: string;
  api_app_id: string;
  event: Record<string, unknown>;
  type: 'event_callback';
  event_id: string;
  event_time: number;
  authorizations: {
    enterprise_id: null;
    team_id: string;
    user_id: string;
    is_bot: true;
    is_enterprise_install: false;
  }[];
  is_ext_shared_channel: boolean;
  event_context: string;
}

/** An event sent, with the envelope to send again as a retry. */
export interface EventDelivery extends AppAnswer {
  envelope: EventEnvelope;
}

/** Slack's redelivery of an event the app did not acknowledge: attempt 1 to 3, and why. */
export interface EventRetry {
  num: 1 | 2 | 3;
  reason: 'http_timeout' | 'http_error';
}

function isSocket(app: AppEndpoint): app is { socket: SlackEmulator } {
  return 'socket' in app;
}

function socketAnswer(answer: EnvelopeAnswer): AppAnswer {
  if (!answer.acked) return { transport: 'socket', acked: false, status: 0, body: answer.reason };
  const empty = Object.keys(answer.payload).length === 0;
  return {
    transport: 'socket',
    acked: true,
    status: 200,
    body: empty ? '' : JSON.stringify(answer.payload),
    ...(empty ? {} : { json: answer.payload }),
  };
}

function httpAnswer(response: BotResponse): AppAnswer {
  return {
    transport: 'http',
    acked: response.status >= 200 && response.status < 300,
    status: response.status,
    body: response.body,
    ...(response.json === undefined ? {} : { json: response.json }),
    request: response.request,
  };
}

/** An interactivity payload: `payload=` form over HTTP, an `interactive` envelope over Socket Mode. */
async function deliverInteractive(
  app: AppEndpoint,
  payload: Record<string, unknown>,
  forge: ForgeOptions = {},
): Promise<AppAnswer> {
  if (isSocket(app)) return socketAnswer(await app.socket.deliverOverSocket('interactive', payload));
  const rawBody = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return httpAnswer(await sendSigned(app, rawBody, forge));
}

/** An Events API body: JSON over HTTP (with retry headers on a redelivery), `events_api` over Socket Mode. */
async function deliverEvent(
  app: AppEndpoint,
  body: Record<string, unknown>,
  retry: EventRetry | undefined,
  forge: ForgeOptions = {},
): Promise<AppAnswer> {
  if (isSocket(app)) {
    const attempt = retry ? { attempt: retry.num, reason: retry.reason } : undefined;
    return socketAnswer(await app.socket.deliverOverSocket('events_api', body, attempt));
  }
  const headers: Record<string, string> = retry
    ? { 'X-Slack-Retry-Num': String(retry.num), 'X-Slack-Retry-Reason': retry.reason }
    : {};
  return httpAnswer(await sendSigned(app, JSON.stringify(body), forge, 'application/json', headers));
}

/**
 * The `event_callback` envelope Slack wraps an event in, for the emulated workspace and app.
 * @example buildEventEnvelope({ type: 'app_home_opened', user: 'U0ALICE001' }, await slack.info()).event_id // => 'Ev…'
 */
export function buildEventEnvelope(
  event: Record<string, unknown>,
  info: Pick<EmulatorInfo, 'teamId' | 'appId' | 'botUserId' | 'verificationToken'>,
  now: () => number = Date.now,
): EventEnvelope {
  const eventTs = (now() / 1000).toFixed(6);
  return {
    token: info.verificationToken,
    team_id: info.teamId,
    api_app_id: info.appId,
    event: { ...event, event_ts: event.event_ts ?? eventTs },
    type: 'event_callback',
    event_id: `Ev${randomId(10)}`,
    event_time: Math.floor(now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: info.teamId,
        user_id: info.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(JSON.stringify({ et: event.type, tid: info.teamId, aid: info.appId })).toString('base64url')}`,
  };
}

/**
 * Sends one event to the app through the Events API, as Slack does (JSON, signed).
 * @example const sent = await sendEvent({ url: botUrl, signingSecret }, slack, { type: 'app_home_opened', user: 'U0ALICE001', tab: 'home' });
 */
export async function sendEvent(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  event: Record<string, unknown>,
  forge: ForgeOptions = {},
  where: { extShared?: boolean } = {},
): Promise<EventDelivery> {
  const envelope = {
    ...buildEventEnvelope(event, await emulator.info(), forge.now),
    // Slack marks an event from a channel shared with another organisation (Slack Connect).
    ...(where.extShared ? { is_ext_shared_channel: true } : {}),
  };
  return {
    ...(await deliverEvent(app, envelope as unknown as Record<string, unknown>, undefined, forge)),
    envelope,
  };
}

/**
 * Sends an event again as Slack's retry: the same envelope (same event_id), freshly signed, with
 * `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` (over Socket Mode: `retry_attempt`, `retry_reason`).
 * @example await retryEvent(target, sent.envelope, { num: 1, reason: 'http_timeout' });
 */
export async function retryEvent(
  app: AppEndpoint,
  envelope: EventEnvelope,
  retry: EventRetry,
  forge: ForgeOptions = {},
): Promise<AppAnswer> {
  return deliverEvent(app, envelope as unknown as Record<string, unknown>, retry, forge);
}

/**
 * Slack's check of a new Request URL: `{token, challenge, type: 'url_verification'}`; the app must echo
 * the challenge. HTTP only (Socket Mode apps are never asked).
 * @example const answer = await sendUrlVerification({ url: botUrl, signingSecret }); answer.json // => { challenge: answer.challenge }
 */
export async function sendUrlVerification(
  target: BotTarget,
  options: { challenge?: string; verificationToken?: string } = {},
  forge: ForgeOptions = {},
): Promise<AppAnswer & { challenge: string }> {
  const challenge = options.challenge ?? randomBytes(24).toString('base64url');
  const body = {
    token: options.verificationToken ?? DEFAULT_VERIFICATION_TOKEN,
    challenge,
    type: 'url_verification',
  };
  return { ...(await deliverEvent(target, body, undefined, forge)), challenge };
}

/**
 * A person opens the app's Home tab: `app_home_opened` (tab `home`) with the view published for them, or
 * its Messages tab (no view).
 * @example await openAppHome(target, slack, 'U0ALICE001');
 */
export async function openAppHome(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  userId: string,
  tab: 'home' | 'messages' = 'home',
): Promise<EventDelivery> {
  const { home } = await emulator.views({ user: userId });
  const event: Record<string, unknown> = {
    type: 'app_home_opened',
    user: userId,
    channel: `D${userId.slice(1)}`,
    tab,
    ...(home && tab === 'home' ? { view: home.view } : {}),
  };
  return sendEvent(app, emulator, event);
}

/** A person's message with links, the links announced, and the app's answer to `link_shared`. */
export interface SharedLink {
  message: RecordedMessage;
  /** Absent when no link belongs to the app's unfurl domains (then no event is sent). */
  announcement?: LinkAnnouncement;
  answer?: EventDelivery;
}

/**
 * A person posts a message; links to the app's unfurl domains are then sent to the app as `link_shared`
 * (source `conversations_history`), after which chat.unfurl accepts them.
 * @example await shareLink(target, slack, { channel: 'C0RELEASES', user: 'U0ALICE001', text: 'see https://canary.example/r/1' });
 */
export async function shareLink(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  input: { channel: string; user: string; text: string; threadTs?: string; extShared?: boolean },
): Promise<SharedLink> {
  const { extShared: _, ...posted } = input;
  const message = await emulator.postAsUser(posted);
  const announcement = await emulator.announceLinks({ channel: message.channel, ts: message.ts });
  if (!announcement) return { message };
  const event = {
    type: 'link_shared',
    channel: announcement.channel,
    is_bot_user_member: true,
    user: announcement.user,
    message_ts: announcement.messageTs,
    ...(announcement.threadTs ? { thread_ts: announcement.threadTs } : {}),
    unfurl_id: announcement.unfurlId,
    source: 'conversations_history',
    links: announcement.links,
  };
  const where = input.extShared ? { extShared: true } : {};
  return { message, announcement, answer: await sendEvent(app, emulator, event, {}, where) };
}

function payloadUser(user: PayloadUser, teamId: string): Record<string, unknown> {
  const { id, username, name } = typeof user === 'string' ? { id: user, username: user, name: user } : user;
  return { id, username, name: name ?? username, team_id: teamId };
}

function userId(user: PayloadUser): string {
  return typeof user === 'string' ? user : user.id;
}

/**
 * An interactive payload of a person's: the envelope Slack puts around every one (its type, the person, the
 * app, its verification token, the workspace), then the fields of its kind.
 */
function interactivePayload(
  type: string,
  user: PayloadUser,
  info: EmulatorInfo,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type,
    user: payloadUser(user, info.teamId),
    api_app_id: info.appId,
    token: info.verificationToken,
    team: { id: info.teamId, domain: info.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    ...fields,
  };
}

/** A message shortcut invoked from a message's "More actions" menu. */
export interface MessageShortcutInput {
  callbackId: string;
  user: PayloadUser;
  channel: string;
  channelName?: string;
  messageTs: string;
}

/**
 * A person picks one of the app's message shortcuts on a message: `message_action`, with the message from
 * the record, a response_url and a trigger_id. The shortcut must be one the emulator declares.
 * @example await sendMessageShortcut(target, slack, { callbackId: 'rollback_release', user: 'U0ALICE001', channel: 'C0RELEASES', messageTs });
 */
export async function sendMessageShortcut(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  input: MessageShortcutInput,
): Promise<AppAnswer & IssuedInteraction & { payload: Record<string, unknown> }> {
  const info = await emulator.info();
  if (!info.shortcuts.some((s) => s.callbackId === input.callbackId))
    throw new SlackInteractionError(`the app has no message shortcut ${input.callbackId}`);
  const [recorded] = await emulator.messages({ channel: input.channel, ts: input.messageTs });
  if (!recorded) throw new SlackInteractionError(`no message ${input.messageTs} in ${input.channel}`);
  const issued = await emulator.issueInteraction({
    channelId: input.channel,
    userId: userId(input.user),
    messageTs: input.messageTs,
  });
  const payload = interactivePayload('message_action', input.user, info, {
    action_ts: (Date.now() / 1000).toFixed(6),
    channel: { id: input.channel, name: input.channelName ?? 'releases' },
    callback_id: input.callbackId,
    trigger_id: issued.triggerId,
    response_url: issued.responseUrl,
    message_ts: input.messageTs,
    message: toSlackMessage(recorded, { teamId: info.teamId, appId: info.appId }),
  });
  return { ...(await deliverInteractive(app, payload)), ...issued, payload };
}

/** A view of a person's (a modal of their stack, or their home tab), as it is now. */
async function findView(
  emulator: SlackEmulatorControl,
  user: string,
  viewId: string,
): Promise<{ view: SlackViewObject; views: UserViews; home: boolean }> {
  const views = await emulator.views({ user });
  const inStack = views.stack.find((r) => r.view.id === viewId);
  if (inStack) return { view: inStack.view, views, home: false };
  if (views.home?.view.id === viewId) return { view: views.home.view, views, home: true };
  throw new SlackInteractionError(`${user} has no view ${viewId} open`);
}

function findElement(
  view: SlackViewObject,
  actionId: string,
  blockId?: string,
): { blockId: string; element: Record<string, unknown> } {
  for (const block of view.blocks) {
    if (blockId !== undefined && block.block_id !== blockId) continue;
    const candidates = [
      block.element,
      block.accessory,
      ...(Array.isArray(block.elements) ? (block.elements as unknown[]) : []),
    ];
    const element = candidates.find(
      (e): e is Record<string, unknown> =>
        typeof e === 'object' && e !== null && (e as Record<string, unknown>).action_id === actionId,
    );
    if (element) return { blockId: String(block.block_id), element };
  }
  throw new SlackInteractionError(`no element ${actionId} in view ${view.id}`);
}

/** The view as payloads carry it: with its full current state. */
function withState(view: SlackViewObject): SlackViewObject {
  return { ...view, state: { values: submittedState(view) } };
}

/** What an external select asks the app as a person types. */
export interface BlockSuggestionInput {
  viewId: string;
  user: PayloadUser;
  actionId: string;
  blockId?: string;
  /** What the person typed so far. */
  value: string;
}

/**
 * An external select asks the app for options: `block_suggestion` with the view and its state. Returns the
 * options the app answered (option groups flattened).
 * @example const { options } = await sendBlockSuggestion(target, slack, { viewId, user: 'U0ALICE001', actionId: 'service', value: 'rev' });
 */
export async function sendBlockSuggestion(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  input: BlockSuggestionInput,
): Promise<{ answer: AppAnswer; options: Record<string, unknown>[] }> {
  const info = await emulator.info();
  const { view } = await findView(emulator, userId(input.user), input.viewId);
  const found = findElement(view, input.actionId, input.blockId);
  const payload = interactivePayload('block_suggestion', input.user, info, {
    container: { type: 'view', view_id: view.id },
    action_id: input.actionId,
    block_id: found.blockId,
    value: input.value,
    view: withState(view),
  });
  const answer = await deliverInteractive(app, payload);
  const json = (answer.json ?? {}) as { options?: unknown; option_groups?: unknown };
  const direct = Array.isArray(json.options) ? json.options : [];
  const grouped = Array.isArray(json.option_groups)
    ? json.option_groups.flatMap((g: { options?: unknown }) => (Array.isArray(g?.options) ? g.options : []))
    : [];
  return { answer, options: [...direct, ...grouped] as Record<string, unknown>[] };
}

/** A person submits the top view of their modal, with what they entered. */
export interface ViewSubmissionInput {
  viewId: string;
  user: PayloadUser;
  /** block_id → action_id → input, added to what was entered before. */
  values?: UserValues;
}

/** What a submission did: the app's answer and the person's views after Slack applied it. */
export interface ViewSubmissionResult {
  answer: AppAnswer;
  payload: Record<string, unknown>;
  views: UserViews;
  /** An answer Slack would refuse (the view stays), or the app not answering. */
  error?: string;
}

/** Input blocks that are not optional and hold nothing: Slack's client does not submit the view then. */
export function missingRequiredInputs(view: Pick<SlackViewObject, 'blocks' | 'state'>): string[] {
  const state = submittedState(view);
  return statefulElements(view.blocks)
    .filter(({ input, blockId }) => {
      if (!input) return false;
      const block = view.blocks.find((b) => b.block_id === blockId);
      return block?.optional !== true;
    })
    .filter(({ blockId, element }) => {
      const value = state[blockId]?.[String(element.action_id)];
      if (!value) return true;
      const entered = Object.entries(value).find(([key]) => key !== 'type')?.[1];
      return entered === null || entered === undefined || (Array.isArray(entered) && entered.length === 0);
    })
    .map(({ blockId }) => blockId);
}

/**
 * A person submits a modal: `view_submission` with `view.state.values`, a trigger_id and `response_urls`
 * for conversations_select inputs with `response_url_enabled`; then the app's answer is applied to the
 * stack as Slack does (errors, update, push, clear; an empty answer closes the view).
 * @example await submitView(target, slack, { viewId, user: 'U0ALICE001', values: { service: { name: 'reviews' } } });
 */
export async function submitView(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  input: ViewSubmissionInput,
): Promise<ViewSubmissionResult> {
  const user = userId(input.user);
  const info = await emulator.info();
  const { views } = await findView(emulator, user, input.viewId);
  if (views.stack.at(-1)?.view.id !== input.viewId)
    throw new SlackInteractionError(`view ${input.viewId} is not the top view of ${user}'s modal`);
  const view = input.values
    ? await emulator.enterViewValues({ viewId: input.viewId, values: input.values })
    : (views.stack.at(-1)?.view as SlackViewObject);
  const missing = missingRequiredInputs(view);
  if (missing.length > 0) throw new SlackInteractionError(`required inputs are empty: ${missing.join(', ')}`);
  const state = submittedState(view);
  const responseUrls: Record<string, unknown>[] = [];
  for (const { blockId, element } of statefulElements(view.blocks)) {
    if (element.type !== 'conversations_select' || element.response_url_enabled !== true) continue;
    const channelId = state[blockId]?.[String(element.action_id)]?.selected_conversation;
    if (typeof channelId !== 'string') continue;
    const issued = await emulator.issueInteraction({ channelId, userId: user });
    responseUrls.push({
      block_id: blockId,
      action_id: element.action_id,
      channel_id: channelId,
      response_url: issued.responseUrl,
    });
  }
  const { triggerId } = await emulator.issueViewTrigger({ userId: user, viewId: view.id });
  const payload = interactivePayload('view_submission', input.user, info, {
    trigger_id: triggerId,
    view: { ...view, state: { values: state } },
    response_urls: responseUrls,
  });
  const answer = await deliverInteractive(app, payload);
  if (!answer.acked)
    return { answer, payload, views: await emulator.views({ user }), error: 'app_did_not_acknowledge' };
  const applied = await emulator.applyViewSubmission({ viewId: view.id, answer: answer.json ?? null });
  return { answer, payload, ...applied };
}

/** A click or a pick inside a modal or the home tab. */
export interface ViewBlockActionInput {
  viewId: string;
  user: PayloadUser;
  actionId: string;
  blockId?: string;
  /** For a select, radio buttons, checkboxes or input: what was picked; a button sends its own value. */
  value?: UserInput;
}

/**
 * A person clicks a button or picks an option inside a view: `block_actions` with `container: {type:
 * 'view'}`, the view and its state, a trigger_id and no response_url.
 * @example await sendViewBlockActions(target, slack, { viewId: home.id, user: 'U0ALICE001', actionId: 'start_release' });
 */
export async function sendViewBlockActions(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  input: ViewBlockActionInput,
): Promise<AppAnswer & { triggerId: string; payload: Record<string, unknown> }> {
  const user = userId(input.user);
  const info = await emulator.info();
  let { view } = await findView(emulator, user, input.viewId);
  const found = findElement(view, input.actionId, input.blockId);
  const actionTs = (Date.now() / 1000).toFixed(6);
  let action: Record<string, unknown>;
  if (found.element.type === 'button') {
    action = {
      action_id: input.actionId,
      block_id: found.blockId,
      text: found.element.text,
      ...(found.element.value !== undefined ? { value: found.element.value } : {}),
      ...(found.element.style !== undefined ? { style: found.element.style } : {}),
      type: 'button',
      action_ts: actionTs,
    };
  } else {
    if (input.value !== undefined)
      view = await emulator.enterViewValues({
        viewId: view.id,
        values: { [found.blockId]: { [input.actionId]: input.value } },
      });
    const { type, ...state } = elementState(found.element, input.value);
    action = {
      type,
      action_id: input.actionId,
      block_id: found.blockId,
      ...state,
      ...(found.element.placeholder !== undefined ? { placeholder: found.element.placeholder } : {}),
      action_ts: actionTs,
    };
  }
  const { triggerId } = await emulator.issueViewTrigger({ userId: user, viewId: view.id });
  const payload = interactivePayload('block_actions', input.user, info, {
    container: { type: 'view', view_id: view.id },
    trigger_id: triggerId,
    view: withState(view),
    actions: [action],
  });
  return { ...(await deliverInteractive(app, payload)), triggerId, payload };
}

/**
 * A person closes the modal (`all`, the default) or its top view; when a closed view asked for
 * `notify_on_close`, the app gets `view_closed` (with `is_cleared` when no view is left).
 * @example await closeModal(target, slack, { user: 'U0ALICE001' });
 */
export async function closeModal(
  app: AppEndpoint,
  emulator: SlackEmulatorControl,
  input: { user: PayloadUser; all?: boolean },
): Promise<ClosedViews & { answer?: AppAnswer }> {
  const info = await emulator.info();
  const closed = await emulator.closeView({ user: userId(input.user), all: input.all });
  const notified = closed.closed.find((view) => view.notify_on_close);
  if (!notified) return closed;
  const payload = interactivePayload('view_closed', input.user, info, {
    view: withState(notified),
    is_cleared: closed.isCleared,
  });
  return { ...closed, answer: await deliverInteractive(app, payload) };
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}
