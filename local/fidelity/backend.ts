/**
 * The workloads behind Envoy in the fidelity harness: one HTTP server on 127.0.0.1 that answers every
 * cluster. Each cluster stamps its own name on the requests it sends (`x-served-by`), so the server knows
 * which cluster a request, or a mirrored copy, went through.
 */
import { createServer, type Server } from 'node:http';

/** One request as a workload saw it. */
export interface BackendHit {
  probe: string;
  servedBy: string;
}

export interface FidelityBackend {
  port: number;
  /** Every request seen, mirrored copies included, in arrival order. */
  hits: BackendHit[];
  close(): Promise<void>;
}

export const probeHeader = 'x-fidelity-probe';
export const servedByHeader = 'x-served-by';

/** Starts the backend on a kernel-chosen port of 127.0.0.1. */
export async function startBackend(): Promise<FidelityBackend> {
  const hits: BackendHit[] = [];
  const server: Server = createServer((req, res) => {
    const servedBy = String(req.headers[servedByHeader] ?? '');
    hits.push({ probe: String(req.headers[probeHeader] ?? ''), servedBy });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', [servedByHeader]: servedBy });
    res.end(servedBy);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
