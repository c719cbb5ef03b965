/**
 * Reads one Flagger webhook request off API Gateway (HTTP API, payload 2.0): checks path, method, size,
 * content type and Flagger's payload, then authenticates it with the key of the payload's namespace (in the
 * webhook's metadata `canary-bot-key`, or as `Authorization: Bearer <key>`), compared in constant time. Keys
 * never travel in the URL, which Flagger logs when a call fails. No I/O.
 */
import { z } from 'zod';
import {
  type FlaggerCall,
  type FlaggerPayload,
  isFlaggerHook,
  REVISION_KEY_LIMITS,
  revisionKeyProblem,
} from '../domain/flagger/index.js';
import { FLAGGER_KEY_METADATA, type FlaggerMasters, keyGeneration } from './namespace-key.js';

/** The part of an API Gateway HTTP API event the webhook reads. */
export interface WebhookHttpRequest {
  rawPath: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string } };
}

/** A request that cannot be answered as a hook: the status and a reason safe to send back and to log. */
export interface WebhookRefusal {
  status: 400 | 401 | 403 | 404 | 405 | 413 | 415;
  reason: string;
}

/** Flagger's payloads are a few hundred bytes; the metadata a Canary adds stays far below this. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

const text = (max: number) => z.string().max(max);
const payloadSchema = z.object({
  name: text(REVISION_KEY_LIMITS.name).min(1),
  namespace: text(REVISION_KEY_LIMITS.namespace).min(1),
  phase: text(64).default(''),
  checksum: text(REVISION_KEY_LIMITS.checksum).min(1),
  metadata: z.record(z.string().max(256), z.string().max(16 * 1024)).nullish(),
});

const eventSchema = z.object({
  eventMessage: z.string().min(1),
  eventType: z.enum(['Normal', 'Warning']),
  timestamp: z.string().regex(/^\d{1,16}$/, 'must be Unix milliseconds'),
});

/** Where to find a namespace's key: one sentence for refusals (no secret in it). */
const KEY_HELP = `the namespace's key goes in the webhook's metadata as ${FLAGGER_KEY_METADATA} (npm run flagger-webhooks -- --ns <namespace> prints it)`;

/**
 * The authenticated call a request carries, or why it is refused. No key or secret is ever part of a reason.
 *
 * @example
 * readWebhookRequest(event, { current: master })
 * // { ok: true, call: { hook: 'confirm-promotion', payload: { name: 'podinfo', namespace: 'test', … } }, keyGeneration: 'current' }
 * // { ok: false, refusal: { status: 403, reason: 'The key is not the key of namespace test; …' } }
 */
export function readWebhookRequest(
  request: WebhookHttpRequest,
  masters: FlaggerMasters,
):
  | { ok: true; call: FlaggerCall; keyGeneration: 'current' | 'previous' }
  | { ok: false; refusal: WebhookRefusal } {
  const refuse = (status: WebhookRefusal['status'], reason: string) =>
    ({ ok: false, refusal: { status, reason } }) as const;
  const headers = lowerCaseKeys(request.headers ?? {});
  const hook = hookOf(request.rawPath);
  if (!hook || !isFlaggerHook(hook))
    return refuse(
      404,
      `Unknown hook: use …/flagger/<hook> with confirm-rollout, confirm-traffic-increase, confirm-promotion, rollback or event; ${KEY_HELP}, never in the URL.`,
    );
  if (request.requestContext.http.method !== 'POST')
    return refuse(405, 'Flagger webhooks are POST requests.');
  const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json')
    return refuse(415, 'The body must be JSON (Content-Type: application/json).');
  const raw = request.body ?? '';
  const body = request.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (body.length > MAX_WEBHOOK_BODY_BYTES)
    return refuse(413, `The body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes.`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return refuse(400, 'The body is not valid UTF-8 JSON.');
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  const inMetadata = metadataKeyOf(json);
  const presented = [inMetadata, bearer].filter((k): k is string => k !== undefined);
  if (presented.length === 0 || (headers.authorization !== undefined && bearer === undefined))
    return refuse(401, `Missing Flagger key: ${KEY_HELP}.`);
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return refuse(400, `Not a Flagger webhook payload: ${issueText(parsed.error)}.`);
  const { [FLAGGER_KEY_METADATA]: _key, ...metadata } = parsed.data.metadata ?? {};
  const payload: FlaggerPayload = { ...parsed.data, metadata };
  const problem = revisionKeyProblem(payload);
  if (problem) return refuse(400, `Not a Flagger webhook payload: ${problem}.`);
  // Every key presented must be this namespace's: a key of another namespace changes nothing here.
  const generations = presented.map((key) => keyGeneration(masters, payload.namespace, key));
  if (generations.some((g) => g === undefined))
    return refuse(
      403,
      `The key is not the key of namespace ${payload.namespace}: each namespace has its own key, and ${KEY_HELP}.`,
    );
  const generation = generations.includes('previous') ? 'previous' : 'current';
  if (hook !== 'event') return { ok: true, call: { hook, payload }, keyGeneration: generation };
  const event = eventSchema.safeParse(payload.metadata);
  if (!event.success) return refuse(400, `Not a Flagger event: metadata.${issueText(event.error)}.`);
  return {
    ok: true,
    keyGeneration: generation,
    call: {
      hook,
      payload,
      event: {
        type: event.data.eventType,
        message: event.data.eventMessage,
        timestampMs: Number(event.data.timestamp),
      },
    },
  };
}

/** The hook named by the path: exactly `…/flagger/<hook>`; any other shape names none. */
function hookOf(rawPath: string): string | undefined {
  const segments = rawPath.split('/').filter((s) => s.length > 0);
  const at = segments.indexOf('flagger');
  const rest = at >= 0 ? segments.slice(at + 1) : [];
  return rest.length === 1 ? safeDecode(rest[0] ?? '') : undefined;
}

/** The key in the body's `metadata`, if the body has one as a string (read before the payload's schema). */
function metadataKeyOf(json: unknown): string | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const metadata = Object.hasOwn(json, 'metadata') ? (json as { metadata?: unknown }).metadata : undefined;
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return undefined;
  const key = Object.hasOwn(metadata, FLAGGER_KEY_METADATA)
    ? (metadata as Record<string, unknown>)[FLAGGER_KEY_METADATA]
    : undefined;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'invalid';
}
