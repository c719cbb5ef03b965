// Slack's Socket Mode, as the emulator speaks it: `apps.connections.open` (app-level token) hands out a
// single-use WebSocket URL; on connect the server says `hello`, pings every few seconds, and delivers
// envelopes (`slash_commands`, `interactive`, `events_api`) that the app must acknowledge with their
// `envelope_id` within three seconds, as Slack requires.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

/** The kinds of envelope Slack sends over Socket Mode. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** What came back for one envelope: the app's ack (and its optional payload), or nothing in time. */
export type EnvelopeAnswer =
  | { acked: true; payload: Record<string, unknown> }
  | { acked: false; reason: string };

/** Slack waits three seconds for an acknowledgement before it tells the user the app did not respond. */
export const SOCKET_ACK_TIMEOUT_MS = 3_000;

interface Pending {
  resolve: (answer: EnvelopeAnswer) => void;
  timer: NodeJS.Timeout;
}

/** Socket Mode connections of one emulated app. */
export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets: WebSocket[] = [];
  private readonly pending = new Map<string, Pending>();
  private next = 0;

  constructor(
    private readonly appId: string,
    private readonly pingEveryMs = 5_000,
  ) {}

  /** Serves upgrades on `server` under `/link/`. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
    });
  }

  /** `apps.connections.open`: a URL usable once. */
  open(baseUrl: string): string {
    const ticket = randomBytes(16).toString('hex');
    this.tickets.add(ticket);
    return `${baseUrl.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.appId}`;
  }

  /** How many apps are connected. */
  get connections(): number {
    return this.sockets.length;
  }

  /**
   * Sends one envelope to a connected app (round robin, as Slack spreads over an app's connections) and
   * waits for its acknowledgement.
   */
  deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    retry: { attempt: number; reason: string } = { attempt: 0, reason: '' },
  ): Promise<EnvelopeAnswer> {
    const socket = this.sockets[this.next++ % Math.max(1, this.sockets.length)];
    if (!socket) return Promise.resolve({ acked: false, reason: 'no Socket Mode connection' });
    const envelopeId = `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(6).toString('hex')}`;
    return new Promise<EnvelopeAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        resolve({ acked: false, reason: `no acknowledgement within ${SOCKET_ACK_TIMEOUT_MS} ms` });
      }, SOCKET_ACK_TIMEOUT_MS);
      this.pending.set(envelopeId, { resolve, timer });
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          payload,
          type,
          accepts_response_payload: type !== 'events_api',
          ...(type === 'events_api' ? { retry_attempt: retry.attempt, retry_reason: retry.reason } : {}),
        }),
      );
    });
  }

  close(): void {
    for (const { timer, resolve } of this.pending.values()) {
      clearTimeout(timer);
      resolve({ acked: false, reason: 'the emulator stopped' });
    }
    this.pending.clear();
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
  }

  private connected(ws: WebSocket): void {
    this.sockets.push(ws);
    const ping = setInterval(() => ws.ping(Buffer.from(`ping ${Date.now()}`)), this.pingEveryMs);
    ws.on('close', () => {
      clearInterval(ping);
      this.sockets.splice(this.sockets.indexOf(ws), 1);
    });
    ws.on('message', (data) => this.acknowledged(String(data)));
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.length,
        debug_info: { host: 'emulator', approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
  }

  private acknowledged(text: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    const pending =
      typeof message.envelope_id === 'string' ? this.pending.get(message.envelope_id) : undefined;
    if (!pending || typeof message.envelope_id !== 'string') return;
    this.pending.delete(message.envelope_id);
    clearTimeout(pending.timer);
    const payload =
      typeof message.payload === 'object' && message.payload !== null
        ? (message.payload as Record<string, unknown>)
        : {};
    pending.resolve({ acked: true, payload });
  }
}
