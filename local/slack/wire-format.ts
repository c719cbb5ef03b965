// Decoding Web API requests the way Slack accepts them: JSON with a bearer token, or form fields
// (urlencoded or multipart) with the token in the body or the header, or a GET query.
import type { IncomingHttpHeaders } from 'node:http';

/** A Web API call's arguments after decoding, and where its token came from. */
export interface DecodedApiRequest {
  encoding: 'json' | 'form' | 'multipart' | 'query';
  params: Record<string, unknown>;
  token?: string;
}

/** One part of a multipart/form-data body. */
export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** A request Slack would refuse before looking at the method, with Slack's error code. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
  constructor(
    readonly code: 'invalid_json' | 'invalid_form_data' | 'invalid_post_type' | 'missing_post_type',
    options?: { cause?: unknown },
  ) {
    super(code, options);
  }
}

/**
 * Decodes a Web API request. JSON bodies take the token from `Authorization: Bearer` only, as Slack does;
 * form bodies take it from the `token` field, else from the header.
 * @example decodeApiRequest('POST', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('token=x&a=1'), new URLSearchParams())
 */
export function decodeApiRequest(
  httpMethod: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  query: URLSearchParams,
): DecodedApiRequest {
  const bearer = bearerToken(headers.authorization);
  const contentType = (headers['content-type'] ?? '').toLowerCase();
  if (httpMethod === 'GET' || (body.length === 0 && contentType === '')) {
    const params = Object.fromEntries(query);
    return { encoding: 'query', params, token: stringOrUndefined(params.token) ?? bearer };
  }
  if (contentType === '') throw new WireFormatError('missing_post_type');
  if (contentType.startsWith('application/json')) {
    let params: unknown;
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch (cause) {
      throw new WireFormatError('invalid_json', { cause });
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new WireFormatError('invalid_json');
    return { encoding: 'json', params: params as Record<string, unknown>, token: bearer };
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const params: Record<string, unknown> = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    return { encoding: 'form', params, token: stringOrUndefined(params.token) ?? bearer };
  }
  if (contentType.startsWith('multipart/form-data')) {
    const boundary = multipartBoundary(contentType);
    if (!boundary) throw new WireFormatError('invalid_form_data');
    const params: Record<string, unknown> = {};
    for (const part of parseMultipart(body, boundary)) {
      params[part.name] = part.filename === undefined ? part.data.toString('utf8') : part.data;
    }
    return { encoding: 'multipart', params, token: stringOrUndefined(params.token) ?? bearer };
  }
  throw new WireFormatError('invalid_post_type');
}

/** Reads an argument that Slack takes either as a JSON value or as a JSON-encoded string (form bodies). */
export function jsonArgument(value: unknown): { value: unknown; malformed: boolean } {
  if (typeof value !== 'string') return { value, malformed: false };
  try {
    return { value: JSON.parse(value), malformed: false };
  } catch {
    return { value: undefined, malformed: true };
  }
}

/** Slack's boolean arguments arrive as true, "true" or "1". */
export function booleanArgument(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** The boundary parameter of a multipart content type, if any. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Splits a multipart/form-data body into its parts (enough for file uploads and form fields). */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next === -1) break;
    // Each part is CRLF, headers, CRLF CRLF, data, CRLF, then the next delimiter.
    const raw = body.subarray(afterDelimiter + 2, next - 2);
    const headerEnd = raw.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const part = partFromHeaders(raw.subarray(0, headerEnd).toString('utf8'), raw.subarray(headerEnd + 4));
      if (part) parts.push(part);
    }
    start = next;
  }
  return parts;
}

function partFromHeaders(headerText: string, data: Buffer): MultipartPart | undefined {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of headerText.split('\r\n')) {
    const [key = '', ...rest] = line.split(':');
    const value = rest.join(':').trim();
    if (key.toLowerCase() === 'content-disposition') {
      name = /\bname="([^"]*)"/i.exec(value)?.[1];
      filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
    } else if (key.toLowerCase() === 'content-type') {
      contentType = value;
    }
  }
  return name === undefined ? undefined : { name, filename, contentType, data: Buffer.from(data) };
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match?.[1];
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
