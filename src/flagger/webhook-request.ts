/**
 * Reads one Flagger webhook request off API Gateway (HTTP API, payload 2.0): authenticates it with the
 * shared secret (in the path `/flagger/<secret>/<hook>` or as `Authorization: Bearer <secret>`, compared in
 * constant time), then checks method, size, content type and Flagger's payload. No I/O.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  type FlaggerCall,
  type FlaggerHook,
  type FlaggerPayload,
  isFlaggerHook,
  REVISION_KEY_LIMITS,
  revisionKeyProblem,
} from '../domain/flagger/index.js';

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
  status: 400 | 401 | 404 | 405 | 413 | 415;
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

/**
 * The authenticated call a request carries, or why it is refused. The secret is never part of a reason.
 *
 * @example
 * readWebhookRequest(event, secret)
 * // { ok: true, call: { hook: 'confirm-promotion', payload: { name: 'podinfo', namespace: 'test', … } } }
 * // { ok: false, refusal: { status: 401, reason: 'Missing or wrong Flagger secret.' } }
 */
export function readWebhookRequest(
  request: WebhookHttpRequest,
  secret: string,
): { ok: true; call: FlaggerCall } | { ok: false; refusal: WebhookRefusal } {
  const refuse = (status: WebhookRefusal['status'], reason: string) =>
    ({ ok: false, refusal: { status, reason } }) as const;
  const headers = lowerCaseKeys(request.headers ?? {});
  const route = routeOf(request.rawPath);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  const presented = [route.pathSecret, bearer].filter((s): s is string => s !== undefined);
  if (presented.length === 0 || !presented.every((candidate) => sameSecret(candidate, secret)))
    return refuse(401, 'Missing or wrong Flagger secret.');
  if (!route.hook || !isFlaggerHook(route.hook))
    return refuse(
      404,
      'Unknown hook: use …/flagger/<secret>/<hook> with confirm-rollout, confirm-traffic-increase, confirm-promotion, rollback or event.',
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
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return refuse(400, `Not a Flagger webhook payload: ${issueText(parsed.error)}.`);
  const payload: FlaggerPayload = { ...parsed.data, metadata: parsed.data.metadata ?? {} };
  const problem = revisionKeyProblem(payload);
  if (problem) return refuse(400, `Not a Flagger webhook payload: ${problem}.`);
  const hook: FlaggerHook = route.hook;
  if (hook !== 'event') return { ok: true, call: { hook, payload } };
  const event = eventSchema.safeParse(payload.metadata);
  if (!event.success) return refuse(400, `Not a Flagger event: metadata.${issueText(event.error)}.`);
  return {
    ok: true,
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

/** The path after `/flagger/`: `<secret>/<hook>` or `<hook>` (the secret then comes in a header). */
function routeOf(rawPath: string): { pathSecret?: string; hook?: string } {
  const segments = rawPath.split('/').filter((s) => s.length > 0);
  const at = segments.indexOf('flagger');
  const rest = at >= 0 ? segments.slice(at + 1) : [];
  if (rest.length === 1) return { hook: rest[0] };
  if (rest.length === 2) return { pathSecret: safeDecode(rest[0] ?? ''), hook: rest[1] };
  // A wrong shape may still carry a secret: it must not count as "no credential presented".
  return rest.length > 2 ? { pathSecret: '' } : {};
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function sameSecret(candidate: string, secret: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(candidate), digest(secret)) && secret.length > 0;
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
