// Slack's side of slash commands and button clicks: form-encoded bodies, signed like Slack signs them,
// with response_url and trigger_id issued by an emulator so the bot's replies land in its record.
import { randomBytes } from 'node:crypto';
import type { IssuedInteraction, SlackEmulatorControl } from './emulator-control.js';
import { toSlackMessage } from './message-record.js';
import { slackSignatureHeaders } from './request-signing.js';
import type { SlackEmulator } from './slack-emulator.js';
import type { EnvelopeAnswer } from './socket-mode-server.js';

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

async function sendSigned(target: BotTarget, rawBody: string, forge: ForgeOptions): Promise<BotResponse> {
  const now = forge.now ?? Date.now;
  const timestamp = Math.floor(now() / 1000) + (forge.timestampOffsetSeconds ?? 0);
  const headers = {
    'Content-Type': 'application/x-www-form-urlencoded',
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
