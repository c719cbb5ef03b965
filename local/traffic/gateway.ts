/**
 * A stand-in for an Istio ingress gateway on 127.0.0.1: real HTTP requests, routed by the live
 * VirtualService of the service their Host header names (`<service>.<namespace>[.svc.cluster.local]`),
 * answered with the chosen version's status (its error code at its error rate) after its latency, and
 * counted in Istio's metrics by the traffic simulator, which writes them at its next step. The bot's smoke
 * requests become real Prometheus series this way.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MeshTrafficSimulator, ServedRequest } from './simulator.js';

export interface MeshGatewayOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Latency is waited out up to this; default 10 s. */
  maxLatencyMs?: number;
}

/** A request the gateway answered, for tests and the local page. */
export interface GatewayRecord {
  namespace: string;
  service: string;
  headers: Record<string, string>;
  answer: ServedRequest;
}

export interface MeshGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request answered since the start (or the last `clear`). */
  records(): readonly GatewayRecord[];
  clear(): void;
  close(): Promise<void>;
}

/**
 * `reviews.bookinfo.svc.cluster.local:80` → `{ service: 'reviews', namespace: 'bookinfo' }`.
 * @example serviceOfHost('reviews.bookinfo') // { service: 'reviews', namespace: 'bookinfo' }
 */
export function serviceOfHost(host: string | undefined): { service: string; namespace: string } | undefined {
  const name = (host ?? '').replace(/:\d+$/, '').replace(/\.svc(\.cluster\.local)?$/, '');
  const match = /^([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(name);
  return match ? { service: match[1]!, namespace: match[2]! } : undefined;
}

/**
 * Starts the gateway in front of a simulator.
 * @example const gateway = await startMeshGateway(simulator); // smoke URL: gateway.url + '/health', Host: reviews.shop
 */
export async function startMeshGateway(
  simulator: MeshTrafficSimulator,
  options: MeshGatewayOptions = {},
): Promise<MeshGateway> {
  const records: GatewayRecord[] = [];
  const maxLatencyMs = options.maxLatencyMs ?? 10_000;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    await new Promise((resolve) => req.on('end', resolve).resume()); // the body is read and dropped
    const target = serviceOfHost(req.headers.host);
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([name, value]) =>
        value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
      ),
    );
    let answer: ServedRequest;
    try {
      if (!target) throw new Error(`no service in the Host header ${JSON.stringify(req.headers.host)}`);
      answer = await simulator.serve({
        ...target,
        headers,
        uri: req.url ?? '/',
        method: req.method ?? 'GET',
      });
    } catch (error) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
      return;
    }
    if (target) records.push({ ...target, headers, answer });
    if (answer.kind === 'served')
      await new Promise((resolve) => setTimeout(resolve, Math.min(maxLatencyMs, answer.latencyMs)));
    res
      .writeHead(answer.status, {
        'content-type': 'application/json',
        ...(answer.kind === 'served' ? { 'x-served-by-version': answer.version } : {}),
      })
      .end(`${JSON.stringify(answer)}\n`);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records: () => records,
    clear: () => {
      records.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
