/**
 * PromQL kept as data: a template is text with `{{ name }}` placeholders plus the kind of every
 * variable, and the kind decides how a value is escaped. Rendering fails on a missing, undeclared or
 * ill-typed variable instead of sending a query that silently matches nothing.
 */
import { MissingQueryVariableError, QueryTemplateError } from '../app/ports/metrics-errors.js';

/**
 * How a variable is written into the query:
 * - `label-value`: a string placed inside `"..."` (for `=` / `!=`), escaped as a PromQL string;
 * - `label-regex`: a string matched literally inside `"..."` by `=~` / `!~` (RE2 metacharacters escaped);
 * - `any-of`: a non-empty list of strings matched literally by `=~` (`a|b|c`), or {@link ANY_VALUE} (`.+`);
 * - `duration`: seconds (number) or a PromQL duration such as `1m`, for range selectors;
 * - `number`: a finite number, such as a quantile.
 */
export type QueryVariableKind = 'label-value' | 'label-regex' | 'any-of' | 'duration' | 'number';

/** A named PromQL template with `{{ variable }}` placeholders. */
export interface QueryTemplate {
  readonly name: string;
  readonly description: string;
  readonly text: string;
  readonly variables: Readonly<Record<string, QueryVariableKind>>;
}

/** Stands for "any non-empty value" in an `any-of` variable (rendered `.+`). */
export const ANY_VALUE = Object.freeze({ any: true as const });
export type AnyValue = typeof ANY_VALUE;

export type QueryVariableValue = string | number | readonly string[] | AnyValue;
export type QueryVariables = Readonly<Record<string, QueryVariableValue | undefined>>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const RE2_META = /[\\.+*?()|[\]{}^$]/g;

/**
 * Renders a template, escaping every value for its place in the query.
 *
 * @example
 * renderQuery(FLAGGER_REQUEST_DURATION, { namespace: 'bookinfo', target: 'reviews', interval: '1m' })
 * @throws MissingQueryVariableError when a placeholder has no value; QueryTemplateError when a value
 *   does not fit its kind or the text uses an undeclared variable.
 */
export function renderQuery(template: QueryTemplate, variables: QueryVariables): string {
  const used = [...template.text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const undeclared = used.filter((name) => !(name in template.variables));
  if (undeclared.length > 0) {
    throw new QueryTemplateError(
      `query template ${template.name} uses undeclared variables: ${[...new Set(undeclared)].join(', ')}`,
      template.name,
    );
  }
  const missing = [...new Set(used)].filter((name) => variables[name] === undefined);
  if (missing.length > 0) throw new MissingQueryVariableError(template.name, missing);
  const rendered = template.text.replace(PLACEHOLDER, (_match, name: string) =>
    formatVariable(template, name, template.variables[name]!, variables[name]!),
  );
  // A brace pair left over is a typo in the template (e.g. `{{ns}` ), never valid PromQL.
  if (rendered.includes('{{') || rendered.includes('}}')) {
    throw new QueryTemplateError(
      `query template ${template.name} has an unbalanced placeholder`,
      template.name,
    );
  }
  return rendered;
}

function formatVariable(
  template: QueryTemplate,
  name: string,
  kind: QueryVariableKind,
  value: QueryVariableValue,
): string {
  const invalid = (expected: string) =>
    new QueryTemplateError(
      `query template ${template.name}: {{ ${name} }} must be ${expected}, got ${describeValue(value)}`,
      template.name,
    );
  switch (kind) {
    case 'label-value':
      if (typeof value !== 'string') throw invalid('a string');
      return escapePromqlString(value);
    case 'label-regex':
      if (typeof value !== 'string') throw invalid('a string');
      return escapePromqlString(quoteRegex(value));
    case 'any-of':
      if (isAnyValue(value)) return '.+';
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
        throw invalid('a non-empty list of strings or ANY_VALUE');
      }
      return escapePromqlString(anyOfRegex(value as readonly string[]));
    case 'duration':
      return formatDuration(value, invalid);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid('a finite number');
      return String(value);
  }
}

function formatDuration(value: QueryVariableValue, invalid: (expected: string) => Error): string {
  if (typeof value === 'string') {
    if (!DURATION.test(value)) throw invalid('a PromQL duration such as 30s, 5m or 1h30m');
    return value;
  }
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw invalid('a positive number of seconds');
  }
  if (Number.isInteger(value)) return `${value}s`;
  const ms = Math.round(value * 1000);
  if (ms < 1) throw invalid('at least one millisecond');
  return `${ms}ms`;
}

function isAnyValue(value: QueryVariableValue): value is AnyValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'any' in value;
}

function describeValue(value: QueryVariableValue): string {
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * The body of a double-quoted PromQL string holding `value` (without the quotes): backslash, quote and
 * control characters escaped, everything else kept as UTF-8.
 * @example escapePromqlString('say "hi"\n') // 'say \\"hi\\"\\n'
 */
export function escapePromqlString(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (char === '"') out += '\\"';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return out;
}

/** An RE2 regular expression matching exactly `value` (Prometheus anchors label regexes at both ends). */
export function quoteRegex(value: string): string {
  return value.replace(RE2_META, '\\$&');
}

/** An RE2 alternation matching exactly one of `values`, e.g. `reviews|ratings`. */
export function anyOfRegex(values: readonly string[]): string {
  return [...new Set(values)].map(quoteRegex).join('|');
}
