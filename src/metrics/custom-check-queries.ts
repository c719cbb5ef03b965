/**
 * Custom checks as a setting (`CANARY_BOT_CHECKS`): PromQL templates with the canary's or the baseline's
 * namespace, service, version and window, a kind (a ratio of two counts, or a bounded per-minute value),
 * the direction that is better and a tolerance; per namespace, and per service on top.
 */
import { z } from 'zod';
import type { CheckSide, ConfiguredCheck } from '../app/ports/custom-checks.js';
import { customCheckProblems } from '../domain/judge/index.js';
import { settingKeyProblems } from '../domain/validation/index.js';
import { type QueryTemplate, renderQuery } from './promql-template.js';

/** The variables every custom check template may use. */
export const CUSTOM_CHECK_VARIABLES = {
  namespace: 'label-value',
  service: 'label-value',
  version: 'label-value',
  window: 'duration',
} as const satisfies QueryTemplate['variables'];

/** The template of one query of a check, named after the check and the field that holds it. */
export function customCheckTemplate(checkName: string, field: string, text: string): QueryTemplate {
  return {
    name: `custom check "${checkName}" ${field}`,
    description: `The ${field} query of the custom check "${checkName}".`,
    text,
    variables: CUSTOM_CHECK_VARIABLES,
  };
}

/**
 * A check's query for one side over a window (seconds).
 *
 * @example renderCustomCheckQuery(check, 'total', { namespace: 'shop', service: 'checkout', version: 'v2' }, 300)
 */
export function renderCustomCheckQuery(
  check: ConfiguredCheck,
  field: 'events' | 'total' | 'query',
  side: CheckSide,
  windowSeconds: number,
): string {
  const text = check.kind === 'ratio' ? (field === 'query' ? undefined : check[field]) : check.query;
  if (text === undefined) throw new RangeError(`a ${check.kind} check has no ${field} query`);
  return renderQuery(customCheckTemplate(check.name, field, text), { ...side, window: windowSeconds });
}

/** A query template a check can render; refused at start, naming the field, when it cannot. */
const templateText = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    try {
      renderQuery(customCheckTemplate('(check)', 'query', text), {
        namespace: 'ns',
        service: 'svc',
        version: 'v1',
        window: 60,
      });
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `${(error as Error).message.replace(/^query template custom check "\(check\)" query:? ?/, '')}; use {{ namespace }}, {{ service }}, {{ version }} and {{ window }}`,
      });
      return;
    }
    // The same query for both versions compares the baseline with itself.
    if (!/\{\{\s*(version|service)\s*\}\}/.test(text))
      ctx.addIssue({
        code: 'custom',
        message: 'must tell the versions apart with {{ version }} or {{ service }}',
      });
  });

const checkName = z
  .string()
  .trim()
  .min(1, 'a check needs a name')
  .max(60, 'at most 60 characters')
  .regex(/^[^*_~`<>&|\n]+$/, 'letters, digits, spaces and simple punctuation only');
const better = z.enum(['lower', 'higher']);
const ratioCheck = z.strictObject({
  name: checkName,
  kind: z.literal('ratio'),
  better,
  events: templateText,
  total: templateText,
  floor: z.number().gt(0).lt(1),
  ratio: z.number().min(1).default(1.5),
});
const boundedCheck = z.strictObject({
  name: checkName,
  kind: z.literal('bounded'),
  better,
  query: templateText,
  min: z.number(),
  max: z.number(),
  absolute: z.number().min(0).default(0),
  relative: z.number().min(0).default(0),
});
const checkSchema = z.discriminatedUnion('kind', [ratioCheck, boundedCheck]).superRefine((check, ctx) => {
  for (const problem of customCheckProblems(check))
    ctx.addIssue({ code: 'custom', message: problem.replace(/^custom check "[^"]*": /, '') });
});
const checkList = z.array(checkSchema).superRefine((checks, ctx) => {
  const seen = new Set<string>();
  checks.forEach((check, index) => {
    if (seen.has(check.name))
      ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${check.name}" is named twice` });
    seen.add(check.name);
  });
});
/** `CANARY_BOT_CHECKS`: `{"namespaces": {"shop": [check…]}, "services": {"shop/checkout": [check…]}}`. */
export const customChecksSettingSchema = z
  .strictObject({
    namespaces: z.record(z.string(), checkList),
    services: z.record(z.string(), checkList),
  })
  .partial()
  .superRefine((setting, ctx) => {
    // Keys are checked here so that the message says what a key must be.
    for (const problem of settingKeyProblems(setting)) ctx.addIssue({ code: 'custom', ...problem });
  });

/** The checks setting, parsed. */
export type CustomChecksSetting = z.output<typeof customChecksSettingSchema>;

/**
 * The checks of a service: its namespace's, with the service's own on top (a service's check replaces its
 * namespace's check of the same name).
 *
 * @example customChecksOf(setting)('shop', 'checkout').map((c) => c.name) // ['checkout failures']
 */
export function customChecksOf(
  setting: CustomChecksSetting,
): (namespace: string, service: string) => readonly ConfiguredCheck[] {
  const lookup = <T>(record: Record<string, T> | undefined, key: string) =>
    record && Object.hasOwn(record, key) ? record[key] : undefined;
  return (namespace, service) => {
    const own = lookup(setting.services, `${namespace}/${service}`) ?? [];
    const names = new Set(own.map((c) => c.name));
    const inherited = (lookup(setting.namespaces, namespace) ?? []).filter((c) => !names.has(c.name));
    return [...inherited, ...own];
  };
}

/** Every configured check with where it was configured (`namespaces.shop`, `services.shop/checkout`). */
export function everyCustomCheck(
  setting: CustomChecksSetting,
): { where: string; namespace: string; service?: string; check: ConfiguredCheck }[] {
  return [
    ...Object.entries(setting.namespaces ?? {}).flatMap(([namespace, checks]) =>
      checks.map((check) => ({ where: `namespaces.${namespace}`, namespace, check })),
    ),
    ...Object.entries(setting.services ?? {}).flatMap(([key, checks]) => {
      const [namespace = '', service = ''] = key.split('/');
      return checks.map((check) => ({ where: `services.${key}`, namespace, service, check }));
    }),
  ];
}
