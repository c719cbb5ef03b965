/**
 * The Prometheus client against a scripted HTTP peer on 127.0.0.1: retry policy, typed outcomes,
 * authentication headers, and no secret in any log line or error.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  BadQueryError,
  PrometheusAuthError,
  PrometheusResponseError,
  PrometheusUnavailableError,
} from '../../src/app/ports/metrics-errors.js';
import { type MetricsLog, PrometheusClient } from '../../src/metrics/prometheus-client.js';
import { InvalidPrometheusConfigError } from '../../src/metrics/prometheus-config.js';
import { SigV4RequestSigner } from '../../src/metrics/sigv4-signing.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Reply = (response: ServerResponse) => void;

const ok = (result = '[]'): Reply =>
  json(200, `{"status":"success","data":{"resultType":"vector","result":${result}}}`);

function json(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return (response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  };
}

const hang: Reply = () => {};

/** A peer that answers with `replies` in order (the last one repeats) and records every request. */
async function scriptedPeer(
  replies: Reply[],
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ method: request.method!, path: request.url!, headers: request.headers, body });
      (replies[Math.min(received.length - 1, replies.length - 1)] ?? ok())(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, server };
}

const servers: Server[] = [];
async function peer(replies: Reply[]) {
  const started = await scriptedPeer(replies);
  servers.push(started.server);
  return started;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function recordingLog(): MetricsLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (message, details) => lines.push(`${message} ${JSON.stringify(details)}`) };
}

const noWait = { sleep: async () => {}, random: () => 0.5 };
const AT = Date.UTC(2026, 0, 15, 10, 0, 0);

describe('PrometheusClient retries', () => {
  it('retries a 503 and returns the answer that follows', async () => {
    // Prepare
    const { url, received } = await peer([
      json(503, '{"status":"error","errorType":"unavailable","error":"overloaded"}'),
      ok('[{"metric":{"a":"b"},"value":[1768471200,"3"]}]'),
    ]);
    const delays: number[] = [];
    const client = new PrometheusClient(
      { url, retries: 2, retryBaseDelayMs: 100 },
      { sleep: async (ms) => void delays.push(ms), random: () => 0 },
    );

    // Act
    const samples = await client.instantQuery('sum(up)', AT);

    // Assess
    expect(samples).toEqual([{ labels: { a: 'b' }, value: 3 }]);
    expect(received).toHaveLength(2);
    expect(client.stats).toEqual({ queries: 1, httpRequests: 2 });
    // Equal jitter: between half and all of the base delay.
    expect(delays).toEqual([50]);
  });

  it('posts a form with the query and the evaluation time', async () => {
    const { url, received } = await peer([ok()]);
    const client = new PrometheusClient({ url, timeoutMs: 4000 });

    await client.instantQuery('sum by (le) (x{a="b"})', new Date(AT + 250));

    expect(received[0]).toMatchObject({ method: 'POST', path: '/api/v1/query' });
    expect(received[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({
      query: 'sum by (le) (x{a="b"})',
      time: '1768471200.250',
      timeout: '4s',
    });
  });

  it('gives up with PrometheusUnavailableError after every retry of a 5xx', async () => {
    const { url, received } = await peer([
      json(500, '{"status":"error","errorType":"internal","error":"boom"}'),
    ]);
    const client = new PrometheusClient({ url, retries: 2 }, noWait);

    const error = await client.instantQuery('up', AT).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PrometheusUnavailableError);
    expect(error).toMatchObject({ code: 'unavailable', reason: 'server-error', attempts: 3, status: 500 });
    expect((error as Error).message).toMatch(/HTTP 500: boom/);
    expect(received).toHaveLength(3);
  });

  it('does not retry a 400 and hands over Prometheus’ explanation', async () => {
    const { url, received } = await peer([
      json(
        400,
        '{"status":"error","errorType":"bad_data","error":"1:9: parse error: unclosed left parenthesis"}',
      ),
    ]);
    const client = new PrometheusClient({ url, retries: 3 }, noWait);

    const error = await client.instantQuery('sum by (', AT).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BadQueryError);
    expect(error).toMatchObject({
      code: 'bad-query',
      status: 400,
      errorType: 'bad_data',
      prometheusError: '1:9: parse error: unclosed left parenthesis',
      query: 'sum by (',
    });
    expect(received).toHaveLength(1);
  });

  it('does not retry a 422 execution error either', async () => {
    const { url, received } = await peer([
      json(
        422,
        '{"status":"error","errorType":"execution","error":"query processing would load too many samples"}',
      ),
    ]);
    const client = new PrometheusClient({ url, retries: 3 }, noWait);

    await expect(client.instantQuery('up', AT)).rejects.toMatchObject({
      name: 'BadQueryError',
      errorType: 'execution',
    });
    expect(received).toHaveLength(1);
  });

  it('retries a 429, waiting at least what Retry-After asks (within the cap)', async () => {
    const { url, received } = await peer([json(429, 'slow down', { 'retry-after': '1' }), ok()]);
    const delays: number[] = [];
    const client = new PrometheusClient(
      { url, retryBaseDelayMs: 10, retryMaxDelayMs: 5000 },
      { sleep: async (ms) => void delays.push(ms) },
    );

    await client.instantQuery('up', AT);

    expect(received).toHaveLength(2);
    expect(delays).toEqual([1000]);
  });

  it('reports a refused connection as unavailable after the retries', async () => {
    const { url, server } = await peer([ok()]);
    server.close();
    const client = new PrometheusClient({ url, retries: 1 }, noWait);

    const error = await client.instantQuery('up', AT).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PrometheusUnavailableError);
    expect(error).toMatchObject({ reason: 'connection', attempts: 2, status: undefined });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('times out an attempt that gets no answer, then retries it', async () => {
    const { url, received } = await peer([hang, ok()]);
    const client = new PrometheusClient({ url, timeoutMs: 300, retries: 1 }, noWait);

    const started = performance.now();
    const samples = await client.instantQuery('up', AT);

    expect(samples).toEqual([]);
    expect(received).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('reports a timeout of every attempt as unavailable with reason timeout', async () => {
    const { url } = await peer([hang]);
    const client = new PrometheusClient({ url, timeoutMs: 200, retries: 1 }, noWait);

    await expect(client.instantQuery('up', AT)).rejects.toMatchObject({
      name: 'PrometheusUnavailableError',
      reason: 'timeout',
      attempts: 2,
    });
  });

  it('reports a body that is not Prometheus JSON as bad-response, without retrying', async () => {
    const { url, received } = await peer([
      (response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html>login</html>');
      },
    ]);
    const client = new PrometheusClient({ url }, noWait);

    await expect(client.instantQuery('up', AT)).rejects.toBeInstanceOf(PrometheusResponseError);
    expect(received).toHaveLength(1);
  });

  it('reports a redirect instead of following it', async () => {
    const { url } = await peer([json(302, '', { location: 'https://sso.example.com/login' })]);
    const client = new PrometheusClient({ url }, noWait);

    await expect(client.instantQuery('up', AT)).rejects.toThrow(/redirect; check the URL/);
  });
});

describe('PrometheusClient authentication', () => {
  const TOKEN = 'secret-token-7f3a9c';
  const PASSWORD = 'pa55-w0rd-b1e2';

  it('sends a bearer token, and never logs it or puts it in an error', async () => {
    // Prepare
    const { url, received } = await peer([json(503, 'down')]);
    const log = recordingLog();
    const client = new PrometheusClient(
      { url, auth: { kind: 'bearer', token: TOKEN }, retries: 2 },
      { ...noWait, log },
    );

    // Act
    const error = await client.instantQuery('up', AT).catch((e: unknown) => e);

    // Assess
    expect(received[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(log.lines).toHaveLength(2);
    const everything = [
      ...log.lines,
      inspect(error, { depth: 10 }),
      JSON.stringify(error),
      inspect(client, { depth: 10 }),
    ];
    for (const text of everything) expect(text).not.toContain(TOKEN);
  });

  it('keeps the token out of errors when the connection fails', async () => {
    const { url, server } = await peer([ok()]);
    server.close();
    const client = new PrometheusClient({ url, auth: { kind: 'bearer', token: TOKEN }, retries: 0 }, noWait);

    const error = await client.instantQuery('up', AT).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PrometheusUnavailableError);
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
  });

  it('sends basic auth and maps a 401 to PrometheusAuthError without retrying', async () => {
    const { url, received } = await peer([json(401, 'Unauthorized')]);
    const client = new PrometheusClient(
      { url, auth: { kind: 'basic', username: 'bot', password: PASSWORD }, retries: 2 },
      noWait,
    );

    const error = await client.instantQuery('up', AT).catch((e: unknown) => e);

    expect(received[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from(`bot:${PASSWORD}`).toString('base64')}`,
    );
    expect(error).toBeInstanceOf(PrometheusAuthError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(received).toHaveLength(1);
    expect(inspect(error, { depth: 10 })).not.toContain(PASSWORD);
  });

  it('refuses credentials in the URL, without echoing them', () => {
    const attempt = () => new PrometheusClient({ url: `http://bot:${PASSWORD}@127.0.0.1:9090` });

    expect(attempt).toThrow(InvalidPrometheusConfigError);
    expect(attempt).toThrow(/url: must not carry credentials/);
    try {
      attempt();
    } catch (error) {
      expect(inspect(error, { depth: 10 })).not.toContain(PASSWORD);
    }
  });

  it('signs with SigV4 for aps; the signature verifies against the request as received', async () => {
    // Prepare
    const { url, received } = await peer([ok()]);
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: 'session-token-example',
    };
    const client = new PrometheusClient(
      { url: `${url}/workspaces/ws-1234`, auth: { kind: 'sigv4', region: 'eu-west-1' } },
      { credentials: async () => credentials, now: () => new Date(AT) },
    );

    // Act
    await client.instantQuery('sum(rate(istio_requests_total[1m]))', AT);

    // Assess
    const request = received[0]!;
    expect(request.path).toBe('/workspaces/ws-1234/api/v1/query');
    expect(request.headers['x-amz-date']).toBe('20260115T100000Z');
    expect(request.headers['x-amz-security-token']).toBe('session-token-example');
    const authorization = String(request.headers.authorization);
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260115\/eu-west-1\/aps\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(authorization.split('Signature=')[1]).toBe(
      expectedSignature(request, credentials.secretAccessKey, 'eu-west-1'),
    );
  });

  it('maps a failing credential provider to PrometheusAuthError without calling Prometheus', async () => {
    const { url, received } = await peer([ok()]);
    const client = new PrometheusClient(
      { url, auth: { kind: 'sigv4', region: 'eu-west-1' } },
      {
        credentials: async () => {
          throw new Error('no credentials in the chain');
        },
      },
    );

    await expect(client.instantQuery('up', AT)).rejects.toBeInstanceOf(PrometheusAuthError);
    expect(received).toHaveLength(0);
  });
});

describe('SigV4RequestSigner', () => {
  it('signs for service aps with fixed credentials and date', async () => {
    // Prepare
    const signer = new SigV4RequestSigner({
      region: 'us-east-1',
      service: 'aps',
      credentials: async () => ({
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      }),
    });
    const body = new URLSearchParams({ query: 'up', time: '1768471200.000' }).toString();
    const url = new URL('https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query');

    // Act
    const headers = await signer.sign(
      { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
      new Date(AT),
    );

    // Assess
    expect(headers.host).toBe('aps-workspaces.us-east-1.amazonaws.com');
    expect(headers['x-amz-date']).toBe('20260115T100000Z');
    expect(headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(headers['x-amz-security-token']).toBeUndefined();
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260115\/us-east-1\/aps\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    const received = { method: 'POST', path: url.pathname, headers, body };
    expect(headers.authorization!.split('Signature=')[1]).toBe(
      expectedSignature(received, 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'us-east-1'),
    );
  });
});

/** SigV4 recomputed from the received request with node:crypto, following AWS' published algorithm. */
function expectedSignature(request: Received, secret: string, region: string): string {
  const authorization = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
  const amzDate = String(request.headers['x-amz-date']);
  const day = amzDate.slice(0, 8);
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const canonicalRequest = [
    request.method,
    request.path,
    '',
    ...signedHeaders.map((name) => `${name}:${String(request.headers[name]).trim()}`),
    '',
    signedHeaders.join(';'),
    sha256(request.body),
  ].join('\n');
  const scope = `${day}/${region}/aps/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 'aps'), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}
