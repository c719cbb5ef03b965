/** Reading `/canary` command lines: words to positions and options, then each command's zod schema. */
import type { CommandName, ParseResult } from './command.js';
import {
  type BoundWords,
  COMMAND_SPECS,
  type CommandSpec,
  OPTIONS,
  type OptionName,
  type OptionSpec,
  SLASH_COMMAND,
} from './command-specs.js';
import { quote } from './command-values.js';
import { type Token, tokenize } from './tokenize.js';

/** The usage line of a command, e.g. `/canary status [<service>] [--ns NS]`. */
export function usageOf(name: CommandName): string {
  const spec = COMMAND_SPECS.find((s) => s.name === name);
  return spec ? `${SLASH_COMMAND} ${spec.usage}` : GENERAL_USAGE;
}

/** The usage line when no command could be read. */
export const GENERAL_USAGE = `${SLASH_COMMAND} <command> [arguments], where <command> is ${COMMAND_SPECS.map((s) => s.name).join(', ')}; ${SLASH_COMMAND} help <command> for its options`;

const REST_FLAGS = Object.values(OPTIONS)
  .filter((o) => o.arity === 'rest')
  .map((o) => o.flag);

const HELP_WORDS = new Set(['--help', '-h', '?']);

/**
 * Parses the text of a `/canary` slash command (what Slack sends after the command). Never throws: any text
 * gives a command or one sentence saying what is wrong, with the usage line of the command.
 *
 * @example
 * parseCommand('start reviews v2 --ns bookinfo --steps 10,50')
 * // { ok: true, command: { kind: 'start', service: 'reviews', canaryVersion: 'v2', namespace: 'bookinfo',
 * //   steps: [10, 50, 100], hosts: [], withSources: [] } }
 * parseCommand('start reviews')
 * // { ok: false, error: 'Name the version to release, e.g. v2.', usage: '/canary start <service> <version> ...' }
 */
export function parseCommand(text: string): ParseResult {
  const words = tokenize(String(text ?? ''), REST_FLAGS);
  if (!words.ok) return refuse(words.error, commandNamed(String(text).trim().split(/\s+/)[0] ?? ''));
  const [first, ...rest] = words.tokens;
  if (first === undefined || HELP_WORDS.has(first.text)) return { ok: true, command: { kind: 'help' } };
  const spec = commandNamed(first.text);
  if (!spec) return refuse(unknownCommand(first.text));
  const bound = bind(spec, rest);
  if (typeof bound === 'string') return refuse(bound, spec);
  const parsed = spec.schema.safeParse(bound);
  if (parsed.success) return { ok: true, command: parsed.data };
  const message = parsed.error.issues[0]?.message;
  return refuse(message && message.length > 0 ? message : 'This command cannot be read.', spec);
}

function refuse(error: string, spec?: CommandSpec): ParseResult {
  return { ok: false, error, usage: spec ? usageOf(spec.name) : GENERAL_USAGE };
}

function commandNamed(word: string): CommandSpec | undefined {
  const name = word.toLowerCase();
  return COMMAND_SPECS.find((s) => s.name === name);
}

function unknownCommand(word: string): string {
  const near = closest(
    word.toLowerCase(),
    COMMAND_SPECS.map((s) => s.name),
  );
  return `There is no command ${quote(word)}${near ? `; did you mean ${near}?` : '.'}`;
}

function isOptionWord(token: Token): boolean {
  return !token.quoted && /^--?[A-Za-z]/.test(token.text);
}

function optionNamed(flag: string): [OptionName, OptionSpec] | undefined {
  const lower = flag.toLowerCase();
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    if (spec.flag === lower || spec.aliases.includes(lower)) return [name, spec];
  }
  return undefined;
}

/** Binds words to the command's positions and options, or says what is wrong. */
function bind(spec: CommandSpec, tokens: readonly Token[]): BoundWords | string {
  const bound: Record<string, string | string[]> = {};
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (!isOptionWord(token)) {
      positionals.push(token.text);
      continue;
    }
    const eq = token.text.indexOf('=');
    const flag = eq < 0 ? token.text : token.text.slice(0, eq);
    const found = optionNamed(flag);
    if (!found) return unknownOption(spec, flag);
    const [name, option] = found;
    if (!spec.options.includes(name))
      return `${SLASH_COMMAND} ${spec.name} does not take ${option.flag}${spec.options.length > 0 ? '' : ' (it takes no options)'}.`;
    const values: string[] = [];
    const next = () => {
      const candidate = tokens[i + 1];
      if (candidate === undefined || isOptionWord(candidate)) return undefined;
      i++;
      return candidate.text;
    };
    const firstValue = eq < 0 ? next() : token.text.slice(eq + 1);
    if (firstValue === undefined) return `${option.flag} needs a value, e.g. ${option.example}.`;
    values.push(firstValue);
    if (option.arity === 'schedule' && firstValue === 'daily') {
      const time = next();
      if (time !== undefined) values.push(time);
    }
    const already = bound[name];
    if (already !== undefined && !option.repeatable) return `${option.flag} is given twice; give it once.`;
    bound[name] =
      option.repeatable || option.arity === 'schedule' || option.arity === 'pair'
        ? [...((already as string[] | undefined) ?? []), ...values]
        : firstValue;
  }
  for (const p of spec.positionals) {
    if (positionals.length === 0) {
      if (!p.optional) return p.missing;
      continue;
    }
    bound[p.name] = p.variadic ? positionals.splice(0) : (positionals.shift() as string);
  }
  const extra = positionals[0];
  if (extra !== undefined) {
    const takes = spec.positionals.map((p) => p.placeholder).join(' ');
    return `Unexpected ${quote(extra)}: ${SLASH_COMMAND} ${spec.name} takes ${takes.length > 0 ? takes : 'no arguments'}${spec.options.length > 0 ? ' and options' : ''}.`;
  }
  for (const [name, missing] of Object.entries(spec.required) as [OptionName, string][]) {
    if (bound[name] === undefined) return missing;
  }
  return bound;
}

function unknownOption(spec: CommandSpec, flag: string): string {
  const near = closest(
    flag.toLowerCase(),
    spec.options.map((o) => OPTIONS[o].flag),
  );
  const hint = near
    ? `; did you mean ${near}?`
    : spec.options.length > 0
      ? `; it takes ${spec.options.map((o) => OPTIONS[o].flag).join(', ')}.`
      : '; it takes no options.';
  return `${SLASH_COMMAND} ${spec.name} has no option ${quote(flag)}${hint}`;
}

/** The candidate within two edits of `word`, if one is. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 40) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
