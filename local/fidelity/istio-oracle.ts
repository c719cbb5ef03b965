/**
 * Istio's own answers, from the `istio-oracle` program built with pilot (local/bed/go/istio): the webhook's
 * validation verdict, and the Envoy routes pilot generates for a caller's sidecar. One process answers all
 * the cases of a call, so thousands of cases cost one start.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildGoPart } from '../bed/bed.js';

/** Directory holding `pilot-discovery` and `istio-oracle`, built (or found in the cache) on first use. */
export async function istioBinDir(): Promise<string> {
  const [dir] = await buildGoPart('istio');
  if (!dir) throw new Error('build-go.sh istio printed no directory');
  return dir;
}

/** The caller whose sidecar the routes are generated for. */
export interface OracleCaller {
  namespace: string;
  labels: Record<string, string>;
}

/** Kubernetes objects (Services, DestinationRules, VirtualServices) and the caller. */
export interface OracleCase {
  id: string;
  objects: unknown[];
  caller: OracleCaller;
}

/** Istio's verdict on one object: no `error` means the validating webhook admits it. */
export interface OracleVerdict {
  kind: string;
  namespace: string;
  name: string;
  error?: string;
  warning?: string;
}

/** What pilot would push to the caller: its RouteConfigurations (Envoy JSON) and the names of its clusters. */
export interface OracleAnswer {
  id: string;
  verdicts: OracleVerdict[];
  routes: EnvoyRouteConfiguration[];
  clusters: string[];
  error?: string;
}

/** The parts of Envoy's RouteConfiguration (proto JSON names) the harness reads; the rest passes through. */
export interface EnvoyRouteConfiguration {
  name: string;
  virtualHosts?: { name: string; domains: string[]; routes?: EnvoyRoute[] }[];
  [field: string]: unknown;
}

export interface EnvoyRoute {
  name?: string;
  route?: {
    cluster?: string;
    weightedClusters?: { clusters: { name: string; weight?: number }[]; headerName?: string };
    requestMirrorPolicies?: {
      cluster: string;
      runtimeFraction?: { defaultValue?: { numerator?: number; denominator?: string } };
    }[];
  };
  [field: string]: unknown;
}

async function runOracle(command: 'regex' | 'routes', lines: unknown[]): Promise<unknown[]> {
  const oracle = join(await istioBinDir(), 'istio-oracle');
  return await new Promise((resolve, reject) => {
    const child = spawn(oracle, [command], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0)
        return reject(new Error(`istio-oracle ${command} failed (${code}): ${err.slice(-2000)}`));
      const text = Buffer.concat(out).toString('utf8').trim();
      try {
        resolve(text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as unknown));
      } catch (error) {
        reject(
          new Error(`istio-oracle ${command} printed something other than answers: ${text.slice(0, 500)}`, {
            cause: error,
          }),
        );
      }
    });
    child.stdin.end(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  });
}

/**
 * Istio's verdict on each regex used as a header match: '' when the webhook admits it, else its message.
 *
 * @example await istioRegexVerdicts(['(?i)jason', 'a\\Z']) // ['', '"headers": error parsing regexp: invalid escape sequence: `\\Z`; …']
 */
export async function istioRegexVerdicts(regexes: readonly string[]): Promise<string[]> {
  const answers = (await runOracle('regex', [...regexes])) as { error: string }[];
  return answers.map((a) => a.error);
}

/**
 * Validates each case's objects and generates the caller's routes from the valid ones, as pilot does.
 *
 * @example const [answer] = await istioRoutes([{ id: 'a', objects, caller: { namespace: 'bookinfo', labels: {} } }])
 */
export async function istioRoutes(cases: readonly OracleCase[]): Promise<OracleAnswer[]> {
  return (await runOracle('routes', [...cases])) as OracleAnswer[];
}
