/** Help as data: one entry per command, for the help views. */
import type { CommandName } from './command.js';
import { COMMAND_SPECS, OPTIONS, SLASH_COMMAND } from './command-specs.js';

/** One option of a command, as help shows it. */
export interface OptionHelp {
  /** `--ns NS`. */
  readonly syntax: string;
  readonly meaning: string;
}

/** One command, as help shows it. */
export interface CommandHelp {
  readonly name: CommandName;
  /** `/canary status [<service>] [--ns NS]`. */
  readonly usage: string;
  /** The usage without optional options: `/canary status [<service>] [options]`. */
  readonly brief: string;
  /** A few words: what it is for. */
  readonly summary: string;
  /** A command line that works. */
  readonly example: string;
  readonly options: readonly OptionHelp[];
}

/** Every command, in help order. */
export const COMMAND_HELP: readonly CommandHelp[] = COMMAND_SPECS.map((spec) => ({
  name: spec.name,
  usage: `${SLASH_COMMAND} ${spec.usage}`,
  brief: `${SLASH_COMMAND} ${briefUsage(spec.usage)}`,
  summary: spec.summary,
  example: spec.example,
  options: spec.options.map((o) => ({ syntax: OPTIONS[o].syntax, meaning: OPTIONS[o].meaning })),
}));

/** `start <service> <version> [--steps ...] [--ns NS]` -> `start <service> <version> [options]`. */
function briefUsage(usage: string): string {
  const cut = usage.indexOf(' [--');
  return cut < 0 ? usage : `${usage.slice(0, cut)} [options]`;
}

/**
 * The help of one command.
 *
 * @example helpOf('status').usage // '/canary status [<service>] [--ns NS]'
 */
export function helpOf(name: CommandName): CommandHelp {
  return COMMAND_HELP.find((h) => h.name === name) as CommandHelp;
}
