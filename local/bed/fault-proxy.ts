/**
 * Proxies on 127.0.0.1 that put real network faults between the bot and one bed component, without touching
 * the component (other tests keep using it): refused connections, connections that hang, and, for HTTP,
 * answers replaced by errors or garbage.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** How a TCP proxy treats new connections. */
export type TcpFault = 'pass' | 'refuse' | 'hang';

export interface TcpFaultProxy {
  /** `host:port` to point a client at. */
  address: string;
  port: number;
  /** Changes how new connections are treated; `cut()` also drops the open ones. */
  set(fault: TcpFault): void;
  /** Destroys every open connection (a crash or a network cut mid-request). */
  cut(): void;
  connections(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy to `target` (`host:port`); TLS passes through untouched, so certificates for 127.0.0.1 stay valid.
 *
 * @example const proxy = await startTcpFaultProxy('127.0.0.1:6443'); proxy.set('hang');
 */
export async function startTcpFaultProxy(target: string): Promise<TcpFaultProxy> {
  const [host = '127.0.0.1', portText = ''] = target.split(':');
  let fault: TcpFault = 'pass';
  let total = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    total++;
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (fault === 'refuse') return client.destroy();
    if (fault === 'hang') return; // accepted, never answered
    const upstream = connect(Number(portText), host);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    set: (next) => {
      fault = next;
    },
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    connections: () => total,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What an HTTP proxy answers instead of the target; `undefined` passes the request on. */
export type HttpFault =
  | { status: number; body: string; headers?: Record<string, string> }
  | 'hang'
  | undefined;

export interface HttpFaultProxy {
  url: string;
  /** Decides per request; the request's body is given for protocols that carry the operation in it. */
  set(decide: (request: IncomingMessage, body: string) => HttpFault): void;
  /** Requests seen and faults injected. */
  stats(): { requests: number; faults: number };
  close(): Promise<void>;
}

/**
 * An HTTP proxy to `targetUrl` that can replace answers: errors, throttling, garbage, or silence.
 *
 * @example proxy.set(() => ({ status: 200, body: 'not json' })); // Prometheus answering garbage
 */
export async function startHttpFaultProxy(targetUrl: string): Promise<HttpFaultProxy> {
  const target = new URL(targetUrl);
  let decide: (request: IncomingMessage, body: string) => HttpFault = () => undefined;
  const stats = { requests: 0, faults: 0 };
  const hanging = new Set<IncomingMessage>();
  const server = createHttpServer(async (request, response) => {
    stats.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fault = decide(request, body.toString('utf8'));
    if (fault === 'hang') {
      stats.faults++;
      hanging.add(request);
      return;
    }
    if (fault) {
      stats.faults++;
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      response.end(fault.body);
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    set: (next) => {
      decide = next;
    },
    stats: () => ({ ...stats }),
    close: async () => {
      for (const request of hanging) request.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
