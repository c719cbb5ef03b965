/**
 * All configuration in one zod schema, read from the environment once per container. A wrong or missing
 * setting fails at cold start with a message naming the variable (never its value). Secrets are never
 * plain environment variables in AWS: a value `ssm:/path` is read from SSM Parameter Store (decrypted).
 */
import { z } from 'zod';
import { parseFreezeWindows } from './domain/governance/index.js';
import {
  type ApprovalPolicy,
  DEFAULT_APPROVAL_POLICY,
  MAX_QUORUM,
  validateApprovalPolicy,
} from './domain/release/index.js';
import { isTimeZone } from './domain/summary/time-zone.js';
import { isDnsLabel, isDnsSubdomain } from './domain/validation/index.js';
import { type CustomChecksSetting, customChecksSettingSchema } from './metrics/custom-check-queries.js';
import { prometheusConfigSchema } from './metrics/prometheus-config.js';
import { type SmokeSetting, smokeSettingSchema } from './smoke/smoke-setting.js';
import {
  allWebhookTargets,
  type WebhooksSetting,
  webhooksSettingSchema,
  webhookUrlProblem,
} from './webhook/webhook-setting.js';

/** A setting that cannot work; names the environment variable and what is wrong with it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const kubeAuthSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('kubeconfig'),
    path: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
  }),
  z.object({ mode: z.literal('in-cluster') }),
  z.object({
    mode: z.literal('eks'),
    clusterName: z.string().min(1),
    region: z.string().min(1),
    endpoint: z.url({ protocol: /^https$/ }),
    certificateAuthorityData: z.string().min(1),
  }),
]);

const clusterSchema = z.object({ kube: kubeAuthSchema, prometheus: prometheusConfigSchema.optional() });

const namespaceNameMessage =
  'namespace names are Kubernetes labels: lowercase letters, digits and -, at most 63';

const principal = z
  .string()
  .regex(/^(\*|[UWS][A-Z0-9]{2,})$/, 'must be a Slack user id (U…/W…), a user group id (S…) or *');
const namespacePolicy = z.strictObject({
  starters: z.array(principal),
  approvers: z.array(principal),
  fourEyes: z.boolean(),
  // Hosts beyond the namespace's own Services that its releases may send traffic to.
  allowedHosts: z.array(z.string().refine(isDnsSubdomain, 'allowedHosts lists DNS names')).optional(),
  allowGuests: z.boolean().optional(),
  allowExternal: z.boolean().optional(),
  approveFromAnyChannel: z.boolean().optional(),
  // N distinct approvers per step, one of them from a user group (checked again by validateApprovalPolicy).
  quorum: z
    .strictObject({
      approvals: z.number().int().min(1).max(MAX_QUORUM),
      oneFrom: z
        .string()
        .regex(/^S[A-Z0-9]{2,}$/, 'must be a user group id (S…)')
        .optional(),
    })
    .optional(),
  reasons: z.array(z.enum(['approve', 'rollback'])).optional(),
});
const namespacePolicies = z.record(z.string().refine(isDnsLabel, namespaceNameMessage), namespacePolicy);
/** Freeze windows, checked by the governance domain: each problem names the window and what is wrong. */
const freezeWindows = z.array(z.unknown()).transform((list, ctx) => {
  const parsed = parseFreezeWindows(list);
  if (parsed.ok) return parsed.windows;
  for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});
const policySchema = z.strictObject({
  freezeWindows: freezeWindows.optional(),
  // Who may bypass a freeze, with a reason (`--bypass-freeze "…"`); nobody when left out.
  freezeBypass: z
    .array(principal.refine((p) => p !== '*', 'a freeze bypass names people (U…) or groups (S…), not *'))
    .optional(),
  workspaces: z
    .array(z.string().regex(/^[TE][A-Z0-9]{2,}$/, 'must be a workspace id (T…) or Enterprise Grid id (E…)'))
    .min(1, 'must list at least one workspace')
    .optional(),
  default: namespacePolicy,
  namespaces: namespacePolicies.optional(),
  clusters: z
    .record(
      z.string().regex(/^[a-z0-9-]{1,40}$/, 'cluster names are lowercase'),
      z.strictObject({ default: namespacePolicy.optional(), namespaces: namespacePolicies.optional() }),
    )
    .optional(),
});

const releaseOptionFields = {
  onFailure: z.enum(['rollback', 'pause']),
  minAnalysisSeconds: z.number().int().min(0),
  maxAnalysisSeconds: z.number().int().min(60),
  approvalExpirySeconds: z.number().int().min(60),
  noTrafficAlertSeconds: z.number().int().min(60),
  // 0: no bake; otherwise 1 minute to 24 hours (the same range as `--bake`).
  bakeSeconds: z
    .number()
    .int()
    .refine((s) => s === 0 || (s >= 60 && s <= 86_400), 'must be 0 (no bake) or 60 to 86400 seconds'),
};
const releaseOptionsSchema = z.strictObject(releaseOptionFields).partial();
/** Defaults for every release, and per namespace on top (`{"maxAnalysisSeconds": 900, "namespaces": {"payments": {…}}}`). */
const releaseOptionsSettingSchema = z
  .strictObject({
    ...releaseOptionFields,
    namespaces: z.record(z.string().refine(isDnsLabel, namespaceNameMessage), releaseOptionsSchema),
  })
  .partial();

/** The environment variables, as the schema reads them (secrets already resolved). */
const environmentSchema = z.object({
  // Each function gets only the secrets it uses; the one that needs a secret asks for it (requireSetting).
  CANARY_BOT_SLACK_SIGNING_SECRET: z.string().min(16, "must be the app's signing secret").optional(),
  CANARY_BOT_SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'must be a bot token (xoxb-…)')
    .optional(),
  CANARY_BOT_SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'must be an app-level token (xapp-…)')
    .optional(),
  CANARY_BOT_SLACK_API_URL: z.url().default('https://slack.com/api/'),
  CANARY_BOT_PUBLIC_URL: z
    .url()
    .refine(
      (u) => /^https?:\/\//.test(u) && !/[?#]/.test(u),
      'must be an http(s) base URL without query or fragment',
    )
    .optional(),
  CANARY_BOT_SLACK_CHANNEL: z
    .string()
    .regex(/^[CGD][A-Z0-9]+$/, 'must be a channel id (C…)')
    .optional(),
  CANARY_BOT_CLUSTERS: json(
    z.record(z.string().regex(/^[a-z0-9-]{1,40}$/, 'cluster names are lowercase'), clusterSchema),
  ).optional(),
  CANARY_BOT_DEFAULT_CLUSTER: z.string().optional(),
  CANARY_BOT_KUBECONFIG: z.string().min(1).optional(),
  CANARY_BOT_PROMETHEUS_URL: z.url().optional(),
  CANARY_BOT_PROMETHEUS: json(prometheusConfigSchema).optional(),
  CANARY_BOT_STORE: z.enum(['dynamodb', 'embedded']).default('embedded'),
  CANARY_BOT_TABLE: z.string().min(3).optional(),
  CANARY_BOT_DYNAMODB_ENDPOINT: z.url().optional(),
  CANARY_BOT_STORE_FILE: z.string().min(1).optional(),
  CANARY_BOT_POLICY: json(policySchema).optional(),
  CANARY_BOT_DEFAULT_NAMESPACE: z.string().refine(isDnsLabel, namespaceNameMessage).default('default'),
  CANARY_BOT_RELEASE_OPTIONS: json(releaseOptionsSettingSchema).optional(),
  CANARY_BOT_CHECKS: json(customChecksSettingSchema).optional(),
  CANARY_BOT_SMOKE: json(smokeSettingSchema).optional(),
  CANARY_BOT_FLAGGER_SECRET: z.string().min(24, 'must be at least 24 characters').optional(),
  // During a rotation: keys derived from the previous master secret are still accepted (and logged as such).
  CANARY_BOT_FLAGGER_SECRET_PREVIOUS: z.string().min(24, 'must be at least 24 characters').optional(),
  // Change events per namespace (PagerDuty, or generic JSON signed with CANARY_BOT_WEBHOOK_SECRET).
  CANARY_BOT_WEBHOOKS: json(webhooksSettingSchema).optional(),
  CANARY_BOT_WEBHOOK_SECRET: z.string().min(24, 'must be at least 24 characters').optional(),
  CANARY_BOT_QUEUE_URL: z.url().optional(),
  CANARY_BOT_SQS_ENDPOINT: z.url().optional(),
  CANARY_BOT_SUMMARY_TIME_ZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Paris')
    .default('UTC'),
  AWS_REGION: z.string().optional(),
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
});

/** Rules between variables, checked on the raw values so they are reported with every other problem. */
function crossChecks(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (env.AWS_LAMBDA_FUNCTION_NAME && !env.CANARY_BOT_POLICY) {
    problems.push(
      'CANARY_BOT_POLICY: is required in AWS, so that a fresh install is not open to everyone; say who may start and approve, e.g. {"workspaces":["T0123ABC"],"default":{"starters":["S0DEVELOPERS"],"approvers":["S0PLATFORM"],"fourEyes":true}} (deploy parameter `policy`)',
    );
  }
  problems.push(...policyChecks(env), ...webhookChecks(env));
  if (env.CANARY_BOT_STORE === 'dynamodb' && !env.CANARY_BOT_TABLE) {
    problems.push('CANARY_BOT_TABLE: is required when CANARY_BOT_STORE=dynamodb');
  }
  const topLevelPrometheus = Boolean(env.CANARY_BOT_PROMETHEUS || env.CANARY_BOT_PROMETHEUS_URL);
  if (!topLevelPrometheus) {
    let withoutPrometheus: string[] = ['default'];
    try {
      if (env.CANARY_BOT_CLUSTERS) {
        const clusters = JSON.parse(env.CANARY_BOT_CLUSTERS) as Record<string, { prometheus?: unknown }>;
        withoutPrometheus = Object.entries(clusters)
          .filter(([, cluster]) => !cluster?.prometheus)
          .map(([name]) => name);
      }
    } catch {
      withoutPrometheus = []; // reported by the schema
    }
    for (const name of withoutPrometheus)
      problems.push(
        env.CANARY_BOT_CLUSTERS
          ? `CANARY_BOT_CLUSTERS: cluster ${name} has no prometheus, and neither CANARY_BOT_PROMETHEUS_URL nor CANARY_BOT_PROMETHEUS is set: its releases could not be judged`
          : 'CANARY_BOT_PROMETHEUS_URL: is required (or CANARY_BOT_PROMETHEUS, or a prometheus per cluster in CANARY_BOT_CLUSTERS)',
      );
  }
  if (env.CANARY_BOT_DEFAULT_CLUSTER && env.CANARY_BOT_CLUSTERS) {
    try {
      const clusters = Object.keys(JSON.parse(env.CANARY_BOT_CLUSTERS) as object);
      if (!clusters.includes(env.CANARY_BOT_DEFAULT_CLUSTER)) {
        problems.push(
          `CANARY_BOT_DEFAULT_CLUSTER: names no cluster of CANARY_BOT_CLUSTERS (${clusters.join(', ')})`,
        );
      }
    } catch {
      // reported by the schema
    }
  }
  return problems;
}

/** Webhooks against the rest: https only in AWS, a secret for generic targets. Shape errors are the schema's. */
function webhookChecks(env: Record<string, string | undefined>): string[] {
  if (!env.CANARY_BOT_WEBHOOKS) return [];
  const parsed = webhooksSettingSchema.safeParse(
    (() => {
      try {
        return JSON.parse(env.CANARY_BOT_WEBHOOKS ?? '');
      } catch {
        return undefined;
      }
    })(),
  );
  if (!parsed.success) return []; // reported by the schema
  const problems: string[] = [];
  const targets = allWebhookTargets(parsed.data);
  if (env.AWS_LAMBDA_FUNCTION_NAME && targets.some((t) => webhookUrlProblem(t.url, true) !== undefined))
    problems.push('CANARY_BOT_WEBHOOKS: every url must be https in AWS');
  if (targets.some((t) => t.format === 'generic') && !env.CANARY_BOT_WEBHOOK_SECRET)
    problems.push(
      'CANARY_BOT_WEBHOOK_SECRET: is required when CANARY_BOT_WEBHOOKS has a generic target (it signs the events)',
    );
  return problems;
}

/** The policy against the rest: workspaces pinned in AWS, clusters that exist. Shape errors are the schema's. */
function policyChecks(env: Record<string, string | undefined>): string[] {
  if (!env.CANARY_BOT_POLICY) return [];
  let policy: { workspaces?: unknown; clusters?: unknown; freezeWindows?: unknown };
  let declared: string[] = ['default'];
  try {
    policy = JSON.parse(env.CANARY_BOT_POLICY) as typeof policy;
    if (env.CANARY_BOT_CLUSTERS) declared = Object.keys(JSON.parse(env.CANARY_BOT_CLUSTERS) as object);
  } catch {
    return []; // reported by the schema
  }
  if (typeof policy !== 'object' || policy === null) return [];
  const problems: string[] = [];
  if (env.AWS_LAMBDA_FUNCTION_NAME && policy.workspaces === undefined)
    problems.push(
      'CANARY_BOT_POLICY: must name the workspaces it serves in AWS ("workspaces":["T0123ABC"]), so that another workspace sharing the signing secret cannot act',
    );
  if (typeof policy.clusters === 'object' && policy.clusters !== null)
    for (const cluster of Object.keys(policy.clusters))
      if (!declared.includes(cluster))
        problems.push(
          `CANARY_BOT_POLICY: names cluster ${cluster}, which CANARY_BOT_CLUSTERS does not declare (${declared.join(', ')})`,
        );
  // A freeze window on a cluster that does not exist would hold nothing, silently.
  if (Array.isArray(policy.freezeWindows))
    for (const window of policy.freezeWindows as { name?: unknown; scope?: { cluster?: unknown } }[]) {
      const cluster = window?.scope?.cluster;
      if (typeof cluster === 'string' && !declared.includes(cluster))
        problems.push(
          `CANARY_BOT_POLICY.freezeWindows: window ${JSON.stringify(window.name)} names cluster ${cluster}, which CANARY_BOT_CLUSTERS does not declare (${declared.join(', ')})`,
        );
    }
  return problems;
}

/** A cluster: how to reach its API server, and its Prometheus. */
export interface ClusterConfig {
  kube: z.output<typeof kubeAuthSchema>;
  prometheus: z.output<typeof prometheusConfigSchema>;
}

/** The bot's configuration, defaults filled in. */
export interface BotConfig {
  /** The secrets a function was given (each gets only those it uses; see {@link requireSetting}). */
  slack: { signingSecret?: string; botToken?: string; appToken?: string; apiUrl: string; channel?: string };
  /** Clusters by name (`--cluster prod`); `defaultCluster` is used when a command names none. */
  /** Each cluster with its own Prometheus (the cluster's, else the top-level one). */
  clusters: Record<string, ClusterConfig>;
  defaultCluster: string;
  store:
    | { kind: 'dynamodb'; tableName: string; endpoint?: string; region?: string }
    | { kind: 'embedded'; file?: string };
  policy: ApprovalPolicy;
  defaultNamespace: string;
  /** Options of new releases: defaults, and per namespace on top. */
  releaseOptions: z.output<typeof releaseOptionsSettingSchema>;
  /** Custom checks per namespace and per service (`CANARY_BOT_CHECKS`), judged beside the built-in ones. */
  customChecks: CustomChecksSetting;
  /** Smoke traffic per namespace and per service (`CANARY_BOT_SMOKE`), sent while a release is judged. */
  smoke: SmokeSetting;
  /** Master secret of the Flagger keys (one key per namespace is derived from it). */
  flaggerSecret?: string;
  /** The previous master secret, accepted during a rotation. */
  flaggerSecretPrevious?: string;
  /** Webhooks of change events per namespace (`CANARY_BOT_WEBHOOKS`); none when left out. */
  webhooks?: WebhooksSetting;
  /** Signs the generic webhook JSON (HMAC-SHA256). */
  webhookSecret?: string;
  /** The workers' SQS FIFO queue; `sqsEndpoint` points at a local SQS (ElasticMQ). */
  queue?: { url: string; endpoint?: string; region?: string };
  /** Time zone of daily summaries (`--every daily 09:00`) and of chart axes; UTC when left out. */
  summaryTimeZone?: string;
  /** Base URL of release links (`<publicUrl>/releases/<id>`), unfurled in Slack; none when left out. */
  publicUrl?: string;
}

/** Reads a secret reference such as `ssm:/canary-bot/slack-bot-token`. */
export type SecretResolver = (reference: string) => Promise<string>;

/** Resolves `ssm:` references with SSM Parameter Store (decrypted), loading the SDK only when needed. */
export const ssmSecretResolver: SecretResolver = async (reference) => {
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const answer = await new SSMClient({}).send(
    new GetParameterCommand({ Name: reference.slice('ssm:'.length), WithDecryption: true }),
  );
  const value = answer.Parameter?.Value;
  if (!value) throw new ConfigError(`SSM parameter ${reference.slice('ssm:'.length)} is empty`);
  return value;
};

/**
 * Loads and checks the configuration. Call once per container, outside the handler.
 *
 * @example const config = await loadConfig(process.env);
 * @throws ConfigError naming every wrong or missing variable
 */
export async function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  secrets: SecretResolver = ssmSecretResolver,
): Promise<BotConfig> {
  const resolved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('CANARY_BOT_') && key !== 'AWS_REGION' && key !== 'AWS_LAMBDA_FUNCTION_NAME')
      continue;
    try {
      resolved[key] = value?.startsWith('ssm:') ? await secrets(value) : value;
    } catch (error) {
      throw new ConfigError(
        `${key}: could not read ${value}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  const parsed = environmentSchema.safeParse(resolved);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)),
    ...crossChecks(resolved),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const topLevel =
    e.CANARY_BOT_PROMETHEUS ??
    (e.CANARY_BOT_PROMETHEUS_URL
      ? prometheusConfigSchema.parse({ url: e.CANARY_BOT_PROMETHEUS_URL })
      : undefined);
  const declared = e.CANARY_BOT_CLUSTERS ?? {
    default: {
      kube: e.CANARY_BOT_KUBECONFIG
        ? { mode: 'kubeconfig' as const, path: e.CANARY_BOT_KUBECONFIG }
        : { mode: 'kubeconfig' as const },
    },
  };
  const clusters: Record<string, ClusterConfig> = {};
  for (const [name, cluster] of Object.entries(declared)) {
    const prometheus = cluster.prometheus ?? topLevel;
    // crossChecks refused a cluster without one; this keeps the type honest.
    if (!prometheus) throw new ConfigError(`CANARY_BOT_CLUSTERS: cluster ${name} has no prometheus`);
    clusters[name] = { kube: cluster.kube, prometheus };
  }
  const policy: ApprovalPolicy = e.CANARY_BOT_POLICY ?? DEFAULT_APPROVAL_POLICY;
  validateApprovalPolicy(policy);
  return {
    slack: {
      ...(e.CANARY_BOT_SLACK_SIGNING_SECRET ? { signingSecret: e.CANARY_BOT_SLACK_SIGNING_SECRET } : {}),
      ...(e.CANARY_BOT_SLACK_BOT_TOKEN ? { botToken: e.CANARY_BOT_SLACK_BOT_TOKEN } : {}),
      apiUrl: e.CANARY_BOT_SLACK_API_URL,
      ...(e.CANARY_BOT_SLACK_APP_TOKEN ? { appToken: e.CANARY_BOT_SLACK_APP_TOKEN } : {}),
      ...(e.CANARY_BOT_SLACK_CHANNEL ? { channel: e.CANARY_BOT_SLACK_CHANNEL } : {}),
    },
    clusters,
    defaultCluster: e.CANARY_BOT_DEFAULT_CLUSTER ?? Object.keys(clusters)[0] ?? 'default',
    store:
      e.CANARY_BOT_STORE === 'dynamodb'
        ? {
            kind: 'dynamodb',
            tableName: e.CANARY_BOT_TABLE ?? '',
            ...(e.CANARY_BOT_DYNAMODB_ENDPOINT ? { endpoint: e.CANARY_BOT_DYNAMODB_ENDPOINT } : {}),
            ...(e.AWS_REGION ? { region: e.AWS_REGION } : {}),
          }
        : { kind: 'embedded', ...(e.CANARY_BOT_STORE_FILE ? { file: e.CANARY_BOT_STORE_FILE } : {}) },
    policy,
    defaultNamespace: e.CANARY_BOT_DEFAULT_NAMESPACE,
    releaseOptions: e.CANARY_BOT_RELEASE_OPTIONS ?? {},
    customChecks: e.CANARY_BOT_CHECKS ?? {},
    smoke: e.CANARY_BOT_SMOKE ?? {},
    ...(e.CANARY_BOT_FLAGGER_SECRET ? { flaggerSecret: e.CANARY_BOT_FLAGGER_SECRET } : {}),
    ...(e.CANARY_BOT_FLAGGER_SECRET_PREVIOUS
      ? { flaggerSecretPrevious: e.CANARY_BOT_FLAGGER_SECRET_PREVIOUS }
      : {}),
    ...(e.CANARY_BOT_WEBHOOKS ? { webhooks: e.CANARY_BOT_WEBHOOKS } : {}),
    ...(e.CANARY_BOT_WEBHOOK_SECRET ? { webhookSecret: e.CANARY_BOT_WEBHOOK_SECRET } : {}),
    ...(e.CANARY_BOT_QUEUE_URL
      ? {
          queue: {
            url: e.CANARY_BOT_QUEUE_URL,
            ...(e.CANARY_BOT_SQS_ENDPOINT ? { endpoint: e.CANARY_BOT_SQS_ENDPOINT } : {}),
            ...(e.AWS_REGION ? { region: e.AWS_REGION } : {}),
          },
        }
      : {}),
    summaryTimeZone: e.CANARY_BOT_SUMMARY_TIME_ZONE,
    ...(e.CANARY_BOT_PUBLIC_URL ? { publicUrl: e.CANARY_BOT_PUBLIC_URL.replace(/\/+$/, '') } : {}),
  };
}

/** The secrets a function may need, by the variable that carries them. */
const SECRET_VARIABLES = {
  signingSecret: 'CANARY_BOT_SLACK_SIGNING_SECRET',
  botToken: 'CANARY_BOT_SLACK_BOT_TOKEN',
} as const;

/**
 * A Slack secret this function needs, or a ConfigError naming the variable and the function.
 *
 * @example const token = requireSetting(config, 'botToken', 'the worker');
 */
export function requireSetting(config: BotConfig, name: keyof typeof SECRET_VARIABLES, user: string): string {
  const value = config.slack[name];
  if (!value) throw new ConfigError(`${SECRET_VARIABLES[name]}: is required by ${user}`);
  return value;
}
