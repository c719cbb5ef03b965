/**
 * Sends smoke requests over HTTP(S) from the request template that applies to a release's service: a
 * tick's worth (the rate times the tick interval), spread evenly over the template's `spreadSeconds`, at
 * most `concurrency` in flight, and nothing after a deadline well inside the worker's timeout. A request
 * that fails is counted, never thrown: the sender never holds up the release's job or the mesh.
 */
import http from 'node:http';
import https from 'node:https';
import type { SmokeReport, SmokeTarget, SmokeTraffic } from '../app/ports/smoke-traffic.js';
import { renderSmokeTemplate, type SmokeTemplate, type SmokeVariables } from './smoke-setting.js';

/** The header every smoke request carries, with the release id: the service and its logs can tell them. */
export const SMOKE_HEADER = 'x-canary-bot-smoke';

export interface HttpSmokeSenderOptions {
  /** The template of a service, if any (see `smokeTemplateOf`). */
  templateOf: (namespace: string, service: string) => SmokeTemplate | undefined;
  /** Seconds between two ticks: a round sends the rate times this; default 60. */
  tickSeconds?: number;
  /** No request is in flight after this, whatever the template says; default 40 s (the worker's timeout is 60). */
  deadlineMs?: number;
}

/** A URL as logs may show it: scheme, host and path, without credentials or query string. */
export function urlForLogs(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

type Outcome = { status: number } | { failure: string };

/**
 * @example
 * const smoke = new HttpSmokeSender({ templateOf: smokeTemplateOf(config.smoke) });
 * await smoke.send({ releaseId, namespace: 'shop', service: 'catalog', version: 'v2', baseline: 'v1' });
 */
export class HttpSmokeSender implements SmokeTraffic {
  private readonly tickSeconds: number;
  private readonly deadlineMs: number;

  constructor(private readonly options: HttpSmokeSenderOptions) {
    this.tickSeconds = options.tickSeconds ?? 60;
    this.deadlineMs = options.deadlineMs ?? 40_000;
  }

  async send(target: SmokeTarget, options: { signal?: AbortSignal } = {}): Promise<SmokeReport | undefined> {
    const template = this.options.templateOf(target.namespace, target.service);
    if (!template) return undefined;
    const request = requestOf(template, target);
    const started = Date.now();
    const planned = Math.max(1, Math.round(template.rate * this.tickSeconds));
    const spacingMs = (template.spreadSeconds * 1000) / planned;
    const deadline = started + Math.min(this.deadlineMs, template.spreadSeconds * 1000 + template.timeoutMs);
    const agent = new (request.url.protocol === 'https:' ? https.Agent : http.Agent)({
      keepAlive: true,
      maxSockets: template.concurrency,
    });
    const counts = { sent: 0, ok: 0, clientErrors: 0, serverErrors: 0, failed: 0 };
    let firstFailure: string | undefined;
    let cutShort: SmokeReport['cutShort'];
    let next = 0;
    const lane = async () => {
      while (next < planned && !cutShort) {
        const index = next++;
        const due = started + index * spacingMs;
        if (due >= deadline) {
          cutShort = 'deadline';
          return;
        }
        await sleepUntil(due, options.signal);
        if (options.signal?.aborted) {
          cutShort = 'stopped';
          return;
        }
        if (Date.now() >= deadline) {
          cutShort = 'deadline';
          return;
        }
        counts.sent++;
        const outcome = await exchange(request, agent, Math.min(template.timeoutMs, deadline - Date.now()));
        if ('failure' in outcome) {
          counts.failed++;
          firstFailure ??= outcome.failure;
        } else if (outcome.status >= 500) counts.serverErrors++;
        else if (outcome.status >= 400) counts.clientErrors++;
        else counts.ok++;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(template.concurrency, planned) }, lane));
    } finally {
      agent.destroy();
    }
    return {
      url: urlForLogs(request.url),
      planned,
      ...counts,
      elapsedMs: Date.now() - started,
      ...(cutShort ? { cutShort } : {}),
      ...(firstFailure ? { firstFailure } : {}),
    };
  }
}

interface SmokeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function requestOf(template: SmokeTemplate, target: SmokeTarget): SmokeRequest {
  const variables: SmokeVariables = {
    namespace: target.namespace,
    service: target.service,
    version: target.version,
    baseline: target.baseline,
    release: target.releaseId,
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(template.headers))
    headers[name.toLowerCase()] = renderSmokeTemplate(value, variables);
  headers['user-agent'] ??= `canary-bot-smoke (release ${target.releaseId})`;
  headers[SMOKE_HEADER] = target.releaseId;
  const body =
    template.body === undefined ? undefined : Buffer.from(renderSmokeTemplate(template.body, variables));
  if (body) headers['content-length'] = String(body.length);
  return {
    url: new URL(renderSmokeTemplate(template.url, variables)),
    method: template.method,
    headers,
    ...(body ? { body } : {}),
  };
}

/** One request: its status, or why there was none. The answer's body is read and dropped. */
function exchange(request: SmokeRequest, agent: http.Agent, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const client = request.url.protocol === 'https:' ? https : http;
    const req = client.request(request.url, { method: request.method, headers: request.headers, agent });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0 });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        resolve({ failure: failureOf(error) });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      resolve({ failure: failureOf(error) });
    });
    req.end(request.body);
  });
}

/** A failure in a few words: the system code when there is one (its message may name the address). */
function failureOf(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

function sleepUntil(at: number, signal: AbortSignal | undefined): Promise<void> {
  const wait = at - Date.now();
  if (wait <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, wait);
    signal?.addEventListener('abort', done, { once: true });
  });
}
