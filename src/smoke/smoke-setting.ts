/**
 * Smoke traffic as a setting (`CANARY_BOT_SMOKE`): an HTTP request template per namespace and per service
 * (`namespace/service`), sent at a low rate while a release is judged. The rate is capped at
 * {@link DEFAULT_MAX_SMOKE_RATE} requests per second unless the setting raises the cap explicitly with
 * `maxRate`, so that a template can never send at a production rate by accident.
 */
import { z } from 'zod';
import { isHeaderName, settingKeyProblems } from '../domain/validation/index.js';

/** Requests per second a template may ask for when the setting names no `maxRate`. */
export const DEFAULT_MAX_SMOKE_RATE = 2;
/** The most `maxRate` may allow: one tick job sends at most this times 60 requests. */
export const SMOKE_RATE_CEILING = 50;

/** The variables a template may use, and a value of each to check templates with. */
export const SMOKE_VARIABLES = {
  namespace: 'shop',
  service: 'catalog',
  version: 'v2',
  baseline: 'v1',
  release: 'r0example',
} as const;
export type SmokeVariables = Record<keyof typeof SMOKE_VARIABLES, string>;

const variablePattern = /\{\{\s*([^{}\s]*)\s*\}\}/g;

/**
 * A template with its variables filled in.
 * @throws RangeError naming a variable that does not exist
 * @example renderSmokeTemplate('http://gw/{{ service }}', { ...vars }) // 'http://gw/catalog'
 */
export function renderSmokeTemplate(template: string, variables: SmokeVariables): string {
  return template.replace(variablePattern, (_, name: string) => {
    if (!Object.hasOwn(variables, name))
      throw new RangeError(
        `unknown variable {{ ${name} }}; use ${Object.keys(SMOKE_VARIABLES)
          .map((v) => `{{ ${v} }}`)
          .join(', ')}`,
      );
    return variables[name as keyof SmokeVariables];
  });
}

const rendered = (check: (text: string) => string | undefined) =>
  z.string().superRefine((text, ctx) => {
    try {
      const problem = check(renderSmokeTemplate(text, SMOKE_VARIABLES));
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

const urlTemplate = rendered((url) => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http or https URL once its variables are filled in';
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:'
    ? undefined
    : `must be an http or https URL, not ${parsed.protocol}`;
});
const headerValue = rendered((value) => (/[\r\n\0]/.test(value) ? 'header values are one line' : undefined));
// Names are checked here rather than as the record's keys, so that the message says what a name must be.
const headers = z.record(z.string(), headerValue).superRefine((given, ctx) => {
  for (const name of Object.keys(given))
    if (!isHeaderName(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'is not an HTTP header name (letters, digits and -)',
      });
});

/** The request template of a namespace or a service. */
const templateSchema = z
  .strictObject({
    url: urlTemplate,
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    headers: headers.default({}),
    body: rendered(() => undefined).optional(),
    /** Requests per second, averaged over the minute: a tick sends `rate` × 60 of them (rounded). */
    rate: z.number().min(1 / 60, 'must be at least one request a minute (1/60 per second)'),
    /** Requests in flight at once. */
    concurrency: z.number().int().min(1).max(16).default(2),
    /** Each request's own timeout. */
    timeoutMs: z.number().int().min(100).max(10_000).default(5_000),
    /** A tick's requests are spread evenly over this many seconds from the start of the release's tick job. */
    spreadSeconds: z.number().min(1).max(30).default(10),
  })
  .superRefine((template, ctx) => {
    if (template.body !== undefined && (template.method === 'GET' || template.method === 'HEAD'))
      ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${template.method} request has no body` });
  });

/** A template as parsed, defaults filled in. */
export type SmokeTemplate = z.output<typeof templateSchema>;

/**
 * `CANARY_BOT_SMOKE`: `{"maxRate": 5, "namespaces": {"shop": template}, "services": {"shop/catalog": template}}`.
 * A rate above the cap is refused, naming the field.
 */
export const smokeSettingSchema = z
  .strictObject({
    maxRate: z.number().gt(0).max(SMOKE_RATE_CEILING, `at most ${SMOKE_RATE_CEILING} requests per second`),
    namespaces: z.record(z.string(), templateSchema),
    services: z.record(z.string(), templateSchema),
  })
  .partial()
  .superRefine((setting, ctx) => {
    for (const problem of settingKeyProblems(setting)) ctx.addIssue({ code: 'custom', ...problem });
    const cap = setting.maxRate ?? DEFAULT_MAX_SMOKE_RATE;
    for (const where of ['namespaces', 'services'] as const)
      for (const [key, template] of Object.entries(setting[where] ?? {}))
        if (template.rate > cap)
          ctx.addIssue({
            code: 'custom',
            path: [where, key, 'rate'],
            message:
              setting.maxRate === undefined
                ? `${template.rate} requests per second is above the default cap of ${DEFAULT_MAX_SMOKE_RATE}; smoke traffic goes faster only with an explicit "maxRate" in this setting`
                : `${template.rate} requests per second is above "maxRate" (${setting.maxRate})`,
          });
  });

/** The smoke setting, parsed. */
export type SmokeSetting = z.output<typeof smokeSettingSchema>;

/**
 * The template that applies to a service: its own, else its namespace's, else none.
 * @example smokeTemplateOf(setting)('shop', 'catalog')
 */
export function smokeTemplateOf(
  setting: SmokeSetting,
): (namespace: string, service: string) => SmokeTemplate | undefined {
  return (namespace, service) => {
    const key = `${namespace}/${service}`;
    if (setting.services && Object.hasOwn(setting.services, key)) return setting.services[key];
    if (setting.namespaces && Object.hasOwn(setting.namespaces, namespace))
      return setting.namespaces[namespace];
    return undefined;
  };
}
