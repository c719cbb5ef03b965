import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

/** An API Gateway HTTP API (payload 2.0) event, as Lambda receives it. */
export interface HttpApiEvent {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  requestContext: {
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
  };
  body: string;
  isBase64Encoded: boolean;
}

/** What a Lambda behind an HTTP API answers. */
export interface HttpApiResult {
  statusCode: number;
  headers?: Record<string, string | number | boolean>;
  body?: string;
  isBase64Encoded?: boolean;
}

export type HttpApiHandler = (event: HttpApiEvent, context: unknown) => Promise<HttpApiResult>;

/**
 * The event an HTTP API gives a Lambda for one request (body base64-encoded, as HTTP APIs do for form posts).
 *
 * @example await handler(httpApiEvent('POST', '/slack/events', headers, body), {});
 */
export function httpApiEvent(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string,
  routeKey = `${method} ${path}`,
): HttpApiEvent {
  const url = new URL(path, 'http://127.0.0.1');
  const now = new Date();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: lower,
    requestContext: {
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: lower['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

/** Largest body the front door passes on (API Gateway's own limit is 10 MB; Slack's payloads are tiny). */
const maxBody = 1024 * 1024;

/**
 * A local stand-in for API Gateway: each request on 127.0.0.1 becomes the event an HTTP API would give the
 * Lambda of its route (body base64-encoded, as HTTP APIs do for form posts), and the Lambda's result
 * becomes the HTTP response. Routes are `METHOD /path` or `METHOD /path/{proxy+}`.
 *
 * @example const door = await startFrontDoor({ 'POST /slack/events': slackHandler }); // door.url
 */
export async function startFrontDoor(
  routes: Record<string, HttpApiHandler>,
  options: {
    port?: number;
    extra?: (
      request: IncomingMessage,
      body: Buffer,
    ) => Promise<{ status: number; type: string; body: string } | undefined>;
  } = {},
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const route = matchRoute(routes, request.method ?? 'GET', url.pathname);
      if (!route) {
        const other = await options.extra?.(request, body);
        response.writeHead(other?.status ?? 404, { 'content-type': other?.type ?? 'text/plain' });
        response.end(other?.body ?? 'no route');
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      const event = httpApiEvent(request.method ?? 'GET', request.url ?? '/', headers, body, route.key);
      const result = await route.handler(event, { awsRequestId: event.requestContext.requestId });
      const out = result.isBase64Encoded
        ? Buffer.from(result.body ?? '', 'base64')
        : Buffer.from(result.body ?? '', 'utf8');
      response.writeHead(
        result.statusCode,
        Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
      );
      response.end(out);
    } catch (error) {
      response.writeHead(error instanceof PayloadTooLargeError ? 413 : 502, { 'content-type': 'text/plain' });
      response.end(error instanceof PayloadTooLargeError ? 'payload too large' : 'the function failed');
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}

function matchRoute(routes: Record<string, HttpApiHandler>, method: string, path: string) {
  for (const [key, handler] of Object.entries(routes)) {
    const [routeMethod, routePath = ''] = key.split(' ');
    if (routeMethod !== method && routeMethod !== 'ANY') continue;
    const prefix = routePath.replace('/{proxy+}', '');
    if (routePath === path || (routePath.endsWith('/{proxy+}') && path.startsWith(`${prefix}/`)))
      return { key, handler };
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new PayloadTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
