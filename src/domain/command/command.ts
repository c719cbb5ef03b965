/**
 * What people ask canary-bot for with `/canary`: typed commands, as {@link parseCommand} reads them.
 * Namespaces left out stay undefined: the app fills in its configured default.
 */
import type { SourcePin } from '../release/release.js';
import type { ViaChoice } from '../routing/route-api.js';
import type { RequestMatch } from '../routing/route-math.js';

/** The subcommands, in the order `help` lists them. */
export const COMMAND_NAMES = [
  'start',
  'ab',
  'switch',
  'mirror',
  'weights',
  'approve',
  'rollback',
  'pause',
  'resume',
  'cancel',
  'status',
  'metrics',
  'history',
  'subscribe',
  'unsubscribe',
  'subscriptions',
  'freeze',
  'unfreeze',
  'audit',
  'help',
] as const;

/** One of {@link COMMAND_NAMES}. */
export type CommandName = (typeof COMMAND_NAMES)[number];

/** `--host v2=apps-svc-v2`: this version is served by its own host (no DestinationRule subsets). */
export interface VersionHost {
  readonly version: string;
  readonly host: string;
}

/** `v1=90`: a share of the owned route for a version. */
export interface VersionWeight {
  readonly version: string;
  readonly weight: number;
}

/** What every release-starting command shares. */
export interface LaunchOptions {
  readonly service: string;
  /** The version being released. */
  readonly canaryVersion: string;
  readonly namespace?: string;
  /** `--from`: the version to compare with; undefined = the version the route serves now. */
  readonly baselineVersion?: string;
  /** `--vs`: the VirtualService; undefined = the one named after the service. */
  readonly virtualService?: string;
  /** `--via`: the route API (and object) to drive; undefined = the one that routes the service. */
  readonly via?: ViaChoice;
  /** `--route`: the named HTTP route to drive; undefined = the default route (the last one without match). */
  readonly route?: string;
  /** `--host`: versions served by their own host; the others are subsets of the service's host. */
  readonly hosts: readonly VersionHost[];
  /** `--with`: requests from these services at these versions go to the canary from the first step. */
  readonly withSources: readonly SourcePin[];
  readonly onFailure?: 'rollback' | 'pause';
  /** `--bake 30m`: watch the canary this many seconds after the last step before it is promoted. */
  readonly bakeSeconds?: number;
  /** `--cluster`: which configured cluster; undefined = the default one. */
  readonly cluster?: string;
  /** `--bypass-freeze "…"`: start during a freeze, with this reason (the policy's `freezeBypass` only). */
  readonly bypassFreeze?: string;
}

/** `/canary start reviews v2 --steps 10,25,50,100`: a weighted canary. */
export interface StartCommand extends LaunchOptions {
  readonly kind: 'start';
  /** Validated canary weights ending at 100; undefined = the default plan. */
  readonly steps?: readonly number[];
}

/** `/canary ab frontend v2 --header end-user=jason`: requests that match go to the canary. */
export interface AbCommand extends LaunchOptions {
  readonly kind: 'ab';
  /** At least one. Cookies are already Istio cookie regexes. */
  readonly matches: readonly RequestMatch[];
}

/** `/canary switch reviews v2`: blue/green. */
export interface SwitchCommand extends LaunchOptions {
  readonly kind: 'switch';
}

/** `/canary mirror reviews v2 --percent 50`: shadow traffic. */
export interface MirrorCommand extends LaunchOptions {
  readonly kind: 'mirror';
  /** Above 0, at most 100; undefined = 100. */
  readonly percent?: number;
}

/**
 * `/canary weights reviews v1=90 v2=10`: weights chosen by hand (still approved). The last version listed
 * is the one being released (`canaryVersion`); the first other one is the baseline unless `--from` says.
 */
export interface WeightsCommand extends LaunchOptions {
  readonly kind: 'weights';
  /** Whole percentages adding up to 100, distinct versions, in the order given. */
  readonly weights: readonly VersionWeight[];
}

/** A release named in a command: by service (the active release of it) or by id. */
export type ReleaseRef =
  | { readonly by: 'service'; readonly service: string }
  | { readonly by: 'id'; readonly id: string };

/** The person actions on a release. */
export type ReleaseActionName = 'approve' | 'rollback' | 'pause' | 'resume' | 'cancel';

/** `/canary approve reviews`, `/canary rollback R1 --reason error spike`... */
export interface ReleaseActionCommand {
  readonly kind: ReleaseActionName;
  /** Undefined = the only active release the app can find (in the namespace, if given). */
  readonly release?: ReleaseRef;
  readonly namespace?: string;
  /** `--cluster`: which configured cluster; undefined = the default one. */
  readonly cluster?: string;
  /** `rollback` and `approve` only: free text (the policy's `reasons` may require it). */
  readonly reason?: string;
  /** `approve` only: approve during a freeze, with this reason (the policy's `freezeBypass` only). */
  readonly bypassFreeze?: string;
}

/**
 * `/canary freeze`: the freezes in force and the releases they hold; `/canary freeze now --ns payments
 * --reason "…"`: stop the line (approvers of that scope only).
 */
export interface FreezeCommand {
  readonly kind: 'freeze';
  /** `now`: stop the line; left out: list. */
  readonly now: boolean;
  /** `--ns`: the scope of the stop (or of the list); neither this nor `cluster`: everything. */
  readonly namespace?: string;
  readonly cluster?: string;
  /** Why the line is stopped (`now` only; required there). */
  readonly reason?: string;
}

/** `/canary unfreeze [--ns X | --cluster Y]`: lift the stop of the line of that scope. */
export interface UnfreezeCommand {
  readonly kind: 'unfreeze';
  readonly namespace?: string;
  readonly cluster?: string;
}

/** `/canary audit reviews --since 7d`: the audit trail of a service as a CSV file (approvers and starters only). */
export interface AuditCommand {
  readonly kind: 'audit';
  readonly service: string;
  readonly namespace?: string;
  /** `--cluster`: only the entries of that cluster; undefined = every cluster. */
  readonly cluster?: string;
  /** How far back, 1 minute to 90 days; undefined = the app's default (7 days). */
  readonly sinceSeconds?: number;
}

/** `/canary status [reviews] [--ns bookinfo]`. */
export interface StatusCommand {
  readonly kind: 'status';
  readonly service?: string;
  readonly namespace?: string;
  /** `--cluster`: which configured cluster; undefined = the default one. */
  readonly cluster?: string;
}

/** `/canary metrics reviews --window 1h`: a RED report. */
export interface MetricsCommand {
  readonly kind: 'metrics';
  readonly service: string;
  readonly namespace?: string;
  /** `--cluster`: which configured cluster; undefined = the default one. */
  readonly cluster?: string;
  /** Undefined = the app's default window. */
  readonly windowSeconds?: number;
}

/** `/canary history reviews --limit 10`. */
export interface HistoryCommand {
  readonly kind: 'history';
  readonly service: string;
  readonly namespace?: string;
  /** `--cluster`: which configured cluster; undefined = the default one. */
  readonly cluster?: string;
  /** 1 to 50; undefined = the app's default. */
  readonly limit?: number;
}

/** How often a summary is posted: every N seconds, or daily at a time of day (the app's time zone). */
export type Schedule =
  | { readonly kind: 'interval'; readonly seconds: number }
  | { readonly kind: 'daily'; readonly hour: number; readonly minute: number };

/** `/canary subscribe bookinfo --every 1h`: scheduled RED summaries of a service or a namespace. */
export interface SubscribeCommand {
  readonly kind: 'subscribe';
  /** A service or a namespace name: the app tells which. */
  readonly subject: string;
  readonly namespace?: string;
  /** `--cluster`: which configured cluster; undefined = the default one. */
  readonly cluster?: string;
  readonly schedule: Schedule;
}

/** `/canary unsubscribe bookinfo`. */
export interface UnsubscribeCommand {
  readonly kind: 'unsubscribe';
  readonly subject: string;
  readonly namespace?: string;
  /** `--cluster`: which configured cluster; undefined = the default one. */
  readonly cluster?: string;
}

/** `/canary subscriptions`: the channel's subscriptions. */
export interface SubscriptionsCommand {
  readonly kind: 'subscriptions';
}

/** `/canary help [command]`. */
export interface HelpCommand {
  readonly kind: 'help';
  readonly topic?: CommandName;
}

/** A parsed `/canary` command. */
export type Command =
  | StartCommand
  | AbCommand
  | SwitchCommand
  | MirrorCommand
  | WeightsCommand
  | ReleaseActionCommand
  | StatusCommand
  | MetricsCommand
  | HistoryCommand
  | SubscribeCommand
  | UnsubscribeCommand
  | SubscriptionsCommand
  | FreezeCommand
  | UnfreezeCommand
  | AuditCommand
  | HelpCommand;

/** What {@link parseCommand} returns: a command, or a sentence and the usage line to show with it. */
export type ParseResult =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly error: string; readonly usage: string };
