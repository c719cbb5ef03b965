/**
 * Settings of the Prometheus client, with a zod schema that src/config.ts can embed. Secrets (token,
 * password) live only here and in request headers; they never reach a message or a log.
 */
import { z } from 'zod';

/** How the bot authenticates to Prometheus. */
export type PrometheusAuth =
  | { kind: 'none' }
  /** `Authorization: Bearer <token>`, e.g. a Grafana Cloud or Thanos gateway token. */
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  /**
   * AWS SigV4, for Amazon Managed Prometheus: signed with the credentials of the Lambda role (the default
   * AWS credential chain) for `service` (default `aps`) in `region`.
   */
  | { kind: 'sigv4'; region: string; service?: string };

/** Settings of one Prometheus endpoint. */
export interface PrometheusConfig {
  /**
   * Base URL, without `/api/v1`: `http://prometheus.istio-system:9090`, or for Amazon Managed Prometheus
   * `https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234abcd`.
   */
  url: string;
  /** Default none. */
  auth?: PrometheusAuth;
  /** Time allowed for one HTTP attempt, in ms; default 10,000. Also sent as the query's `timeout`. */
  timeoutMs?: number;
  /** Attempts after the first on 5xx, 429, timeouts and connection errors; default 2. Never on other 4xx. */
  retries?: number;
  /** Back-off before the first retry, doubled after each, with jitter; default 200 ms. */
  retryBaseDelayMs?: number;
  /** Longest back-off; default 2,000 ms. */
  retryMaxDelayMs?: number;
  /** Extra headers sent with every query, e.g. `X-Scope-OrgID` for Mimir or Cortex. */
  headers?: Readonly<Record<string, string>>;
}

/** A configuration with every default filled in. */
export type ResolvedPrometheusConfig = Required<Omit<PrometheusConfig, 'auth'>> & {
  auth: Exclude<PrometheusAuth, { kind: 'sigv4' }> | { kind: 'sigv4'; region: string; service: string };
};

const authSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('bearer'), token: z.string().min(1) }),
  z.object({ kind: z.literal('basic'), username: z.string().min(1), password: z.string().min(1) }),
  z.object({
    kind: z.literal('sigv4'),
    region: z.string().min(1),
    service: z.string().min(1).default('aps'),
  }),
]);

/** Validates a {@link PrometheusConfig} and fills the defaults. */
export const prometheusConfigSchema = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    // Credentials in the URL would end up in every message that names the endpoint.
    .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'must not carry credentials; use auth')
    .transform((url) => url.replace(/\/+$/, '')),
  auth: authSchema.default({ kind: 'none' }),
  timeoutMs: z.number().int().positive().default(10_000),
  retries: z.number().int().min(0).max(10).default(2),
  retryBaseDelayMs: z.number().int().min(0).default(200),
  retryMaxDelayMs: z.number().int().min(0).default(2_000),
  headers: z.record(z.string(), z.string()).default({}),
});

// Compile-time check that the schema reads what the interface says.
const _schemaAcceptsConfig = (config: PrometheusConfig): z.input<typeof prometheusConfigSchema> => config;
const _schemaGivesResolved = (config: z.output<typeof prometheusConfigSchema>): ResolvedPrometheusConfig =>
  config;
void _schemaAcceptsConfig;
void _schemaGivesResolved;

/** A Prometheus configuration that cannot work; the message names the fields, never their values. */
export class InvalidPrometheusConfigError extends Error {
  override name = 'InvalidPrometheusConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Validates settings and fills defaults.
 * @example resolvePrometheusConfig({ url: 'http://127.0.0.1:9090' }).retries // 2
 * @throws InvalidPrometheusConfigError
 */
export function resolvePrometheusConfig(config: PrometheusConfig): ResolvedPrometheusConfig {
  const parsed = prometheusConfigSchema.safeParse(config);
  if (parsed.success) return parsed.data;
  // Paths and zod's sentences only: a value could be a token.
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`,
  );
  throw new InvalidPrometheusConfigError(`invalid Prometheus settings: ${problems.join('; ')}`);
}
