/** The `/canary` command grammar: text in, a typed command (or a sentence and a usage line) out. */
export {
  type AbCommand,
  type AuditCommand,
  COMMAND_NAMES,
  type Command,
  type CommandName,
  type FreezeCommand,
  type HelpCommand,
  type HistoryCommand,
  type LaunchOptions,
  type MetricsCommand,
  type MirrorCommand,
  type ParseResult,
  type ReleaseActionCommand,
  type ReleaseActionName,
  type ReleaseRef,
  type Schedule,
  type StartCommand,
  type StatusCommand,
  type SubscribeCommand,
  type SubscriptionsCommand,
  type SwitchCommand,
  type UnfreezeCommand,
  type UnsubscribeCommand,
  type VersionHost,
  type VersionWeight,
  type WeightsCommand,
} from './command.js';
export { COMMAND_HELP, type CommandHelp, helpOf, type OptionHelp } from './command-help.js';
export { SLASH_COMMAND } from './command-specs.js';
export { GENERAL_USAGE, parseCommand, usageOf } from './parse-command.js';
export { MAX_COMMAND_LENGTH } from './tokenize.js';
