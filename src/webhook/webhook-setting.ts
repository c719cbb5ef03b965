/**
 * Webhooks as a setting (`CANARY_BOT_WEBHOOKS`): where change events go, per namespace and by default. A
 * target is the bot's generic JSON (signed with `CANARY_BOT_WEBHOOK_SECRET`) or a PagerDuty Events API v2
 * integration (its routing key). Targets are https; http only on the loopback interface (tests, `npm start`);
 * never a link-local or cloud metadata address.
 */
import { z } from 'zod';
import { isDnsLabel } from '../domain/validation/index.js';

/** Targets per namespace (or by default), at most. */
export const MAX_WEBHOOKS_PER_NAMESPACE = 5;

/** Hosts that are cloud metadata services whatever they resolve to. */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Whether an IP address (v4 or v6, as URL hosts write them) is link-local (169.254/16, fe80::/10) or unspecified. */
export function isForbiddenAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    return (a === 169 && b === 254) || (a === 0 && b === 0 && c === 0 && d === 0);
  }
  // IPv4-mapped addresses as URL parsing writes them: ::ffff:a9fe:a9fe is 169.254.169.254.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const high = Number.parseInt(mapped[1] ?? '0', 16);
    const low = Number.parseInt(mapped[2] ?? '0', 16);
    return high === 0xa9fe || (high === 0 && low === 0);
  }
  return /^fe[89ab][0-9a-f]:/.test(host) || host === '::' || host === 'fd00:ec2::254';
}

/** Whether a URL host is the loopback interface. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Why a webhook URL cannot be used, or undefined: https only (http on loopback unless `httpsOnly`), no
 * link-local or metadata address.
 *
 * @example webhookUrlProblem('http://169.254.169.254/latest', false) // 'must not target a link-local or metadata address'
 */
export function webhookUrlProblem(url: string, httpsOnly: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute https URL';
  }
  const host = parsed.hostname.toLowerCase();
  if (isForbiddenAddress(host) || METADATA_HOSTS.has(host))
    return 'must not target a link-local or metadata address';
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && !httpsOnly && isLoopback(host)) return undefined;
  return httpsOnly ? 'must be https in AWS' : 'must be https (http only on 127.0.0.1 or localhost)';
}

const target = z
  .strictObject({
    url: z.string().superRefine((url, ctx) => {
      const problem = webhookUrlProblem(url, false);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    format: z.enum(['generic', 'pagerduty']),
    routingKey: z
      .string()
      .regex(/^[A-Za-z0-9]{32}$/, 'must be a PagerDuty integration key (32 letters and digits)')
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (t.format === 'pagerduty' && t.routingKey === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['routingKey'],
        message: 'a pagerduty target needs its routingKey',
      });
    if (t.format === 'generic' && t.routingKey !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['routingKey'],
        message: 'only a pagerduty target has a routingKey',
      });
  });

const targets = z.array(target).max(MAX_WEBHOOKS_PER_NAMESPACE);

/** `CANARY_BOT_WEBHOOKS`: `{"default": [targets], "namespaces": {"payments": [targets]}}`. */
export const webhooksSettingSchema = z.strictObject({
  default: targets.optional(),
  namespaces: z
    .record(
      z
        .string()
        .refine(
          isDnsLabel,
          'namespace names are Kubernetes labels: lowercase letters, digits and -, at most 63',
        ),
      targets,
    )
    .optional(),
});

/** The setting, checked. */
export type WebhooksSetting = z.output<typeof webhooksSettingSchema>;

/** One target. */
export type WebhookTarget = z.output<typeof target>;

/**
 * The targets of a namespace: its own list when the setting has one (an empty list turns them off), else the
 * default's.
 *
 * @example webhookTargetsFor({ default: [a], namespaces: { payments: [b] } }, 'payments') // [b]
 */
export function webhookTargetsFor(setting: WebhooksSetting, namespace: string): readonly WebhookTarget[] {
  const own = setting.namespaces !== undefined && Object.hasOwn(setting.namespaces, namespace);
  return (own ? setting.namespaces?.[namespace] : setting.default) ?? [];
}

/** Every target of the setting (for checks across variables). */
export function allWebhookTargets(setting: WebhooksSetting): WebhookTarget[] {
  return [...(setting.default ?? []), ...Object.values(setting.namespaces ?? {}).flat()];
}

/** A target as logs may name it: its format and origin, never its path, query, credentials or key. */
export function describeTarget(t: Pick<WebhookTarget, 'url' | 'format'>): string {
  try {
    const u = new URL(t.url);
    return `${t.format} ${u.protocol}//${u.host}`;
  } catch {
    return `${t.format} (unreadable URL)`;
  }
}
