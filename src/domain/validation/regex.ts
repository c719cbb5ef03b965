/**
 * Regexes as Envoy runs them: RE2 syntax, checked with RE2's own parser (re2js, a port of the RE2 that
 * Istio's validating webhook compiles with), so what Istio admits is admitted here and what it refuses
 * is refused here with RE2's own reason.
 */
import { RE2JS } from 're2js';

/** Istio refuses regexes longer than this many bytes (an approximation of Envoy's program size limit). */
export const MAX_REGEX_BYTES = 1024;

const utf8 = new TextEncoder();

/**
 * Why RE2 (as Istio checks it) refuses `regex`, as RE2 says it; undefined when it is valid.
 *
 * @example re2SyntaxError('a\\Z') // 'invalid escape sequence: `\\Z`'
 * @example re2SyntaxError('(?i)jason') // undefined
 */
export function re2SyntaxError(regex: string): string | undefined {
  if (regex.length === 0) return 'the regex is empty';
  if (utf8.encode(regex).length > MAX_REGEX_BYTES)
    return `the regex is too large, max length allowed is ${MAX_REGEX_BYTES}`;
  try {
    RE2JS.compile(regex);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^error parsing regexp: /, '');
  }
}

/**
 * The sentence a person reads when `regex` is not valid RE2, naming what it was for; undefined when valid.
 *
 * @example regexProblem('a\\Z', 'header end-user')
 * // 'The header end-user regex "a\\Z" is not valid RE2 (the syntax Istio and Envoy use): invalid escape sequence: `\\Z`.'
 */
export function regexProblem(regex: string, what: string): string | undefined {
  const reason = re2SyntaxError(regex);
  if (reason === undefined) return undefined;
  if (regex.length === 0) return `The ${what} regex is empty.`;
  return `The ${what} regex ${quoteValue(regex)} is not valid RE2 (the syntax Istio and Envoy use): ${reason}.`;
}

/**
 * A value as quoted back in a sentence: never more than 60 characters.
 *
 * @example quoteValue('reviews') // '"reviews"'
 */
export function quoteValue(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return `"${shown}"`;
}
