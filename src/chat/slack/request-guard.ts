import { createHmac, timingSafeEqual } from 'node:crypto';

/** An HTTP request as API Gateway v2 hands it to a Lambda. */
export interface HttpRequest {
  headers: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** Why a request was refused, with the HTTP status to answer. */
export interface Refusal {
  status: 400 | 401 | 413 | 415;
  reason: string;
}

/** Checked request: the raw body as text (base64 decoded as UTF-8, unlike Bolt's ASCII). */
export interface VerifiedRequest {
  rawBody: string;
  timestamp: number;
  signature: string;
}

/** Slack allows five minutes; we refuse both older and future-dated requests (Bolt checks only the past). */
export const maxClockSkewSeconds = 300;
/** Slack's slash command and interaction payloads are small; anything larger is not from Slack. */
export const maxBodyBytes = 64 * 1024;

/**
 * Verifies a request as coming from Slack: form-encoded or JSON (the Events API), at most 64 KiB, signed with the signing secret
 * (HMAC-SHA256 of `v0:{timestamp}:{body}`, compared in constant time), with a timestamp within five minutes
 * of now in either direction. Replays are refused separately (see `claimSignature`).
 *
 * @example
 * const checked = verifySlackRequest(event, secret, Date.now());
 * if ('status' in checked) return { statusCode: checked.status, body: checked.reason };
 */
export function verifySlackRequest(
  request: HttpRequest,
  signingSecret: string,
  nowMs: number,
): VerifiedRequest | Refusal {
  const header = (name: string) => {
    const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name);
    return key ? request.headers[key] : undefined;
  };
  const contentType = header('content-type') ?? '';
  const type = contentType.toLowerCase();
  // Slash commands and interactivity are form-encoded; the Events API posts JSON.
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('application/json')) {
    return {
      status: 415,
      reason:
        'Slack requests are application/x-www-form-urlencoded (commands, interactivity) or application/json (events).',
    };
  }
  const raw = request.isBase64Encoded
    ? Buffer.from(request.body ?? '', 'base64')
    : Buffer.from(request.body ?? '', 'utf8');
  if (raw.length > maxBodyBytes) return { status: 413, reason: `Body larger than ${maxBodyBytes} bytes.` };
  const rawBody = raw.toString('utf8');

  const timestampText = header('x-slack-request-timestamp') ?? '';
  const signature = header('x-slack-signature') ?? '';
  if (!/^\d{1,12}$/.test(timestampText) || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    return { status: 401, reason: 'Missing or malformed Slack signature headers.' };
  }
  const timestamp = Number(timestampText);
  if (Math.abs(nowMs / 1000 - timestamp) > maxClockSkewSeconds) {
    return { status: 401, reason: 'Request timestamp is more than five minutes away from now.' };
  }
  const expected = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return { status: 401, reason: 'Invalid Slack signature.' };
  }
  return { rawBody, timestamp, signature };
}

/** The idempotency key that makes a signed request usable once (kept past the five-minute window). */
export function replayKey(request: VerifiedRequest): string {
  return `slack-signature:${request.signature.slice(3)}`;
}

/** How long a seen signature is remembered: longer than any timestamp it could be accepted with. */
export const replayWindowSeconds = 2 * maxClockSkewSeconds + 60;
