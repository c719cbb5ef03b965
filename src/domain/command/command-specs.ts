/**
 * The `/canary` grammar as data: the options, and per command its words, options, help and the zod schema
 * that turns the words into a typed {@link Command}.
 */
import { z } from 'zod';
import type { Command, CommandName, LaunchOptions, ReleaseActionName } from './command.js';
import {
  auditSince,
  bakeDuration,
  bypassReason,
  canarySteps,
  clusterName,
  cookieMatch,
  dnsSubdomain,
  headerMatch,
  historyLimit,
  metricsWindow,
  mirrorPercent,
  namespaceName,
  onFailure,
  quote,
  reasonText,
  releaseRef,
  routeName,
  routeVia,
  schedule,
  serviceName,
  sourcePins,
  stopReason,
  userAgentMatch,
  versionHosts,
  versionName,
  versionWeights,
} from './command-values.js';

/** The slash command as Slack users type it. */
export const SLASH_COMMAND = '/canary';

/**
 * How many words an option takes: `one` word; `pair` one `a=b[,c=d]` word; `rest` the rest of the line;
 * `schedule` one word, or two after `daily`.
 */
export type OptionArity = 'one' | 'pair' | 'rest' | 'schedule';

/** An option of the grammar. */
export interface OptionSpec {
  readonly flag: string;
  readonly aliases: readonly string[];
  readonly arity: OptionArity;
  /** May be given more than once; its words accumulate. */
  readonly repeatable: boolean;
  /** `--ns NS`. */
  readonly syntax: string;
  readonly meaning: string;
  readonly example: string;
}

function option(
  flag: string,
  value: string,
  meaning: string,
  example: string,
  more: Partial<Pick<OptionSpec, 'aliases' | 'arity' | 'repeatable'>> = {},
): OptionSpec {
  return {
    flag,
    aliases: more.aliases ?? [],
    arity: more.arity ?? 'one',
    repeatable: more.repeatable ?? false,
    syntax: `${flag} ${value}`,
    meaning,
    example,
  };
}

/** Every option; a command takes some of them. */
export const OPTIONS = {
  ns: option('--ns', 'NS', 'namespace (default: the configured one)', '--ns bookinfo', {
    aliases: ['-n', '--namespace'],
  }),
  from: option('--from', 'VERSION', 'baseline version (default: what the route serves now)', '--from v1'),
  steps: option(
    '--steps',
    '10,25,50,100',
    'canary weights, each approved (100 is added)',
    '--steps 10,25,50',
  ),
  with: option(
    '--with',
    'SVC=VERSION',
    'also send requests from SVC at VERSION to the canary',
    '--with frontend=v2',
    {
      arity: 'pair',
      repeatable: true,
    },
  ),
  vs: option('--vs', 'NAME', 'VirtualService (default: named after the service)', '--vs reviews-vs'),
  via: option(
    '--via',
    'virtualservice|httproute[/NAME]',
    'route API (and object) to drive (default: the one routing the service)',
    '--via httproute',
  ),
  route: option(
    '--route',
    'NAME',
    'named HTTP route to drive (default: the catch-all route)',
    '--route primary',
  ),
  host: option(
    '--host',
    'VERSION=HOST',
    'version served by its own host instead of a subset',
    '--host v2=apps-svc-v2',
    {
      arity: 'pair',
      repeatable: true,
    },
  ),
  'on-failure': option(
    '--on-failure',
    'rollback|pause',
    'what a failed analysis does (default: rollback)',
    '--on-failure pause',
  ),
  bake: option(
    '--bake',
    'DURATION',
    'after the last step, keep judging the canary this long (1m to 24h) before it is promoted',
    '--bake 30m',
  ),
  cluster: option('--cluster', 'NAME', 'configured cluster (default: the default one)', '--cluster prod-eu'),
  header: option(
    '--header',
    'NAME=VALUE|NAME~REGEX',
    'match a header exactly or by regex',
    '--header end-user=jason',
    {
      repeatable: true,
    },
  ),
  cookie: option('--cookie', "'NAME=VALUE'", 'match one cookie', "--cookie 'user=tester'", {
    repeatable: true,
  }),
  'user-agent': option(
    '--user-agent',
    'REGEX',
    'match the user agent by regex',
    "--user-agent '.*Mobile.*'",
    {
      repeatable: true,
    },
  ),
  percent: option('--percent', 'N', 'share of requests to mirror (default: 100)', '--percent 50'),
  reason: option(
    '--reason',
    'TEXT',
    'why, for the audit trail (the rest of the line)',
    '--reason error spike',
    {
      arity: 'rest',
    },
  ),
  'bypass-freeze': option(
    '--bypass-freeze',
    '"REASON"',
    "go ahead during a freeze, with a reason (the policy's freezeBypass only)",
    '--bypass-freeze "hotfix for INC-42"',
  ),
  window: option('--window', 'DURATION', 'metrics window, 1m to 7d (default: configured)', '--window 1h'),
  limit: option('--limit', 'N', 'how many releases, 1 to 50 (default: 10)', '--limit 20'),
  since: option('--since', 'DURATION', 'how far back, 1m to 90d (default: 7d)', '--since 30d'),
  every: option('--every', '15m|1h|daily HH:MM', 'how often to post the summary', '--every 1h', {
    arity: 'schedule',
  }),
} as const satisfies Record<string, OptionSpec>;

/** The name of an option: its flag without dashes. */
export type OptionName = keyof typeof OPTIONS;

/** A word a command takes by position. */
export interface PositionalSpec {
  readonly name: string;
  readonly placeholder: string;
  readonly optional: boolean;
  /** Takes every remaining word (at least one unless optional). */
  readonly variadic: boolean;
  /** The sentence when it is missing. */
  readonly missing: string;
}

/** The words as bound to positions and options, before validation. */
export type BoundWords = Readonly<Record<string, string | readonly string[]>>;

/** A command of the grammar. */
export interface CommandSpec {
  readonly name: CommandName;
  /** Without the slash command: `status [<service>] [--ns NS]`. */
  readonly usage: string;
  readonly summary: string;
  readonly example: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionName[];
  /** Options that must be given, with the sentence when one is not. */
  readonly required: Readonly<Partial<Record<OptionName, string>>>;
  readonly schema: z.ZodType<Command, BoundWords>;
}

function positional(
  name: string,
  placeholder: string,
  missing: string,
  more: Partial<Pick<PositionalSpec, 'optional' | 'variadic'>> = {},
): PositionalSpec {
  return { name, placeholder, missing, optional: more.optional ?? false, variadic: more.variadic ?? false };
}

const launchOptions = [
  'ns',
  'from',
  'with',
  'vs',
  'via',
  'route',
  'host',
  'on-failure',
  'cluster',
  'bypass-freeze',
] as const;

/** The zod shape shared by release-starting commands. */
const launchShape = {
  service: serviceName,
  version: versionName,
  ns: namespaceName.optional(),
  from: versionName.optional(),
  with: sourcePins.optional(),
  vs: dnsSubdomain('VirtualService name').optional(),
  via: routeVia.optional(),
  route: routeName.optional(),
  host: versionHosts.optional(),
  'on-failure': onFailure.optional(),
  bake: bakeDuration.optional(),
  cluster: clusterName.optional(),
  'bypass-freeze': bypassReason.optional(),
};

const { version: _version, ...launchShapeWithoutVersion } = launchShape;

type LaunchWords = z.output<z.ZodObject<typeof launchShape>>;

/** Typed launch options without undefined keys, refusing a baseline equal to the canary. */
function launch(
  words: Omit<LaunchWords, 'version'>,
  canaryVersion: string,
  ctx: z.core.$RefinementCtx<unknown>,
): LaunchOptions | typeof z.NEVER {
  if (words.from === canaryVersion) {
    ctx.issues.push({
      code: 'custom',
      input: words.from,
      message: `The baseline (--from ${words.from}) and the canary are the same version.`,
    });
    return z.NEVER;
  }
  const self = words.with?.find((pin) => pin.service === words.service);
  if (self) {
    ctx.issues.push({
      code: 'custom',
      input: self,
      message: `--with ${self.service}=${self.version} pins the service being released; pin the services that call it.`,
    });
    return z.NEVER;
  }
  return {
    service: words.service,
    canaryVersion,
    ...(words.ns !== undefined ? { namespace: words.ns } : {}),
    ...(words.from !== undefined ? { baselineVersion: words.from } : {}),
    ...(words.vs !== undefined ? { virtualService: words.vs } : {}),
    ...(words.via !== undefined ? { via: words.via } : {}),
    ...(words.route !== undefined ? { route: words.route } : {}),
    hosts: words.host ?? [],
    withSources: words.with ?? [],
    ...(words['on-failure'] !== undefined ? { onFailure: words['on-failure'] } : {}),
    ...(words.bake !== undefined ? { bakeSeconds: words.bake } : {}),
    ...(words.cluster !== undefined ? { cluster: words.cluster } : {}),
    ...(words['bypass-freeze'] !== undefined ? { bypassFreeze: words['bypass-freeze'] } : {}),
  };
}

const servicePositional = positional('service', '<service>', 'Name the service, e.g. reviews.');
const versionPositional = positional('version', '<version>', 'Name the version to release, e.g. v2.');
const nsShape = { ns: namespaceName.optional(), cluster: clusterName.optional() };
const withNs = (ns: string | undefined, cluster?: string) => ({
  ...(ns !== undefined ? { namespace: ns } : {}),
  ...(cluster !== undefined ? { cluster } : {}),
});

/** approve, rollback, pause, resume, cancel. */
function releaseAction(name: ReleaseActionName, summary: string, example: string): CommandSpec {
  const reason = name === 'rollback' || name === 'approve';
  const bypass = name === 'approve';
  const more: OptionName[] = [
    ...(reason ? ['reason' as const] : []),
    ...(bypass ? ['bypass-freeze' as const] : []),
  ];
  return {
    name,
    usage: `${name} [<service>|<release-id>] [--ns NS] [--cluster NAME]${reason ? ' [--reason TEXT]' : ''}${bypass ? ' [--bypass-freeze "REASON"]' : ''}`,
    summary,
    example,
    positionals: [positional('release', '<service>|<release-id>', '', { optional: true })],
    options: ['ns', 'cluster', ...more],
    required: {},
    schema: z
      .object({
        release: releaseRef.optional(),
        ...nsShape,
        reason: reasonText.optional(),
        'bypass-freeze': bypassReason.optional(),
      })
      .transform(
        (w): Command => ({
          kind: name,
          ...(w.release !== undefined ? { release: w.release } : {}),
          ...withNs(w.ns, w.cluster),
          ...(w.reason !== undefined ? { reason: w.reason } : {}),
          ...(w['bypass-freeze'] !== undefined ? { bypassFreeze: w['bypass-freeze'] } : {}),
        }),
      ),
  };
}

const specs: readonly CommandSpec[] = [
  {
    name: 'start',
    usage:
      'start <service> <version> [--steps 10,25,50,100] [--ns NS] [--from VERSION] [--with SVC=VERSION]... [--vs NAME] [--via virtualservice|httproute[/NAME]] [--route NAME] [--host VERSION=HOST]... [--on-failure rollback|pause] [--bake DURATION] [--cluster NAME] [--bypass-freeze "REASON"]',
    summary: 'weighted canary, each step approved on the card',
    example: '/canary start reviews v2 --ns bookinfo --steps 10,25,50,100',
    positionals: [servicePositional, versionPositional],
    options: ['steps', ...launchOptions, 'bake'],
    required: {},
    schema: z.object({ ...launchShape, steps: canarySteps.optional() }).transform((w, ctx): Command => {
      const base = launch(w, w.version, ctx);
      return { kind: 'start', ...base, ...(w.steps !== undefined ? { steps: w.steps } : {}) };
    }),
  },
  {
    name: 'ab',
    usage:
      'ab <service> <version> (--header NAME=VALUE | --header NAME~REGEX | --cookie \'NAME=VALUE\' | --user-agent REGEX)... [--ns NS] [--from VERSION] [--with SVC=VERSION]... [--vs NAME] [--via virtualservice|httproute[/NAME]] [--route NAME] [--host VERSION=HOST]... [--on-failure rollback|pause] [--bake DURATION] [--cluster NAME] [--bypass-freeze "REASON"]',
    summary: 'A/B test: matching requests go to the version, then promotion',
    example: '/canary ab frontend v2 --header end-user=jason',
    positionals: [servicePositional, versionPositional],
    options: ['header', 'cookie', 'user-agent', ...launchOptions, 'bake'],
    required: {},
    schema: z
      .object({
        ...launchShape,
        header: z.array(headerMatch).optional(),
        cookie: z.array(cookieMatch).optional(),
        'user-agent': z.array(userAgentMatch).optional(),
      })
      .transform((w, ctx): Command => {
        const matches = [...(w.header ?? []), ...(w.cookie ?? []), ...(w['user-agent'] ?? [])];
        if (matches.length === 0) {
          ctx.issues.push({
            code: 'custom',
            input: w,
            message: 'An A/B test needs at least one --header, --cookie or --user-agent to match.',
          });
          return z.NEVER;
        }
        return { kind: 'ab', ...launch(w, w.version, ctx), matches };
      }),
  },
  {
    name: 'switch',
    usage:
      'switch <service> <version> [--ns NS] [--from VERSION] [--with SVC=VERSION]... [--vs NAME] [--via virtualservice|httproute[/NAME]] [--route NAME] [--host VERSION=HOST]... [--on-failure rollback|pause] [--bake DURATION] [--cluster NAME] [--bypass-freeze "REASON"]',
    summary: 'blue/green: all traffic to the version at once, instant switch-back',
    example: '/canary switch reviews v2 --ns bookinfo',
    positionals: [servicePositional, versionPositional],
    options: [...launchOptions, 'bake'],
    required: {},
    schema: z
      .object(launchShape)
      .transform((w, ctx): Command => ({ kind: 'switch', ...launch(w, w.version, ctx) })),
  },
  {
    name: 'mirror',
    usage:
      'mirror <service> <version> [--percent N] [--ns NS] [--from VERSION] [--vs NAME] [--via virtualservice|httproute[/NAME]] [--route NAME] [--host VERSION=HOST]... [--on-failure rollback|pause] [--cluster NAME] [--bypass-freeze "REASON"]',
    summary: 'shadow traffic: copy requests to the version, answers discarded',
    example: '/canary mirror reviews v2 --percent 100',
    positionals: [servicePositional, versionPositional],
    options: ['percent', ...launchOptions.filter((o) => o !== 'with')],
    required: {},
    schema: z.object({ ...launchShape, percent: mirrorPercent.optional() }).transform(
      (w, ctx): Command => ({
        kind: 'mirror',
        ...launch(w, w.version, ctx),
        ...(w.percent !== undefined ? { percent: w.percent } : {}),
      }),
    ),
  },
  {
    name: 'weights',
    usage:
      'weights <service> <version>=<weight>... [--ns NS] [--from VERSION] [--vs NAME] [--via virtualservice|httproute[/NAME]] [--route NAME] [--host VERSION=HOST]... [--on-failure rollback|pause] [--cluster NAME] [--bypass-freeze "REASON"]',
    summary: 'set weights by hand (still approved); the last version listed is the one released',
    example: '/canary weights reviews v1=90 v2=10',
    positionals: [
      servicePositional,
      positional('weights', '<version>=<weight>...', 'Give the weights, e.g. v1=90 v2=10.', {
        variadic: true,
      }),
    ],
    options: launchOptions.filter((o) => o !== 'with'),
    required: {},
    schema: z
      .object({ ...launchShapeWithoutVersion, weights: versionWeights })
      .transform((w, ctx): Command => {
        const canary = w.weights.at(-1)?.version ?? '';
        const firstOther = w.weights.find((x) => x.version !== canary)?.version;
        const from = w.from ?? firstOther;
        return {
          kind: 'weights',
          ...launch({ ...w, ...(from !== undefined ? { from } : {}) }, canary, ctx),
          weights: w.weights,
        };
      }),
  },
  releaseAction('approve', 'approve the step the release is waiting for', '/canary approve reviews'),
  releaseAction(
    'rollback',
    'restore the original route now',
    '/canary rollback reviews --reason error spike',
  ),
  releaseAction('pause', 'halt the release where it is', '/canary pause reviews'),
  releaseAction('resume', 'carry on after a pause', '/canary resume reviews'),
  releaseAction('cancel', 'stop the release and restore the original route', '/canary cancel reviews'),
  {
    name: 'status',
    usage: 'status [<service>] [--ns NS] [--cluster NAME]',
    summary: 'active releases, one line each',
    example: '/canary status --ns bookinfo',
    positionals: [positional('service', '<service>', '', { optional: true })],
    options: ['ns', 'cluster'],
    required: {},
    schema: z.object({ service: serviceName.optional(), ...nsShape }).transform(
      (w): Command => ({
        kind: 'status',
        ...(w.service !== undefined ? { service: w.service } : {}),
        ...withNs(w.ns, w.cluster),
      }),
    ),
  },
  {
    name: 'metrics',
    usage: 'metrics <service> [--ns NS] [--window 1h] [--cluster NAME]',
    summary: 'RED report (rate, errors, p99) per version, with a chart',
    example: '/canary metrics reviews --window 1h',
    positionals: [servicePositional],
    options: ['ns', 'window', 'cluster'],
    required: {},
    schema: z.object({ service: serviceName, ...nsShape, window: metricsWindow.optional() }).transform(
      (w): Command => ({
        kind: 'metrics',
        service: w.service,
        ...withNs(w.ns, w.cluster),
        ...(w.window !== undefined ? { windowSeconds: w.window } : {}),
      }),
    ),
  },
  {
    name: 'history',
    usage: 'history <service> [--ns NS] [--limit N] [--cluster NAME]',
    summary: 'past releases of a service, newest first',
    example: '/canary history reviews --limit 20',
    positionals: [servicePositional],
    options: ['ns', 'limit', 'cluster'],
    required: {},
    schema: z.object({ service: serviceName, ...nsShape, limit: historyLimit.optional() }).transform(
      (w): Command => ({
        kind: 'history',
        service: w.service,
        ...withNs(w.ns, w.cluster),
        ...(w.limit !== undefined ? { limit: w.limit } : {}),
      }),
    ),
  },
  {
    name: 'subscribe',
    usage: 'subscribe <service|namespace> --every 15m|1h|daily HH:MM [--ns NS] [--cluster NAME]',
    summary: 'post a RED summary to this channel on a schedule',
    example: '/canary subscribe bookinfo --every 1h',
    positionals: [
      positional(
        'subject',
        '<service|namespace>',
        'Name the service or namespace to summarize, e.g. bookinfo.',
      ),
    ],
    options: ['every', 'ns', 'cluster'],
    required: { every: 'Say how often, e.g. --every 1h or --every daily 09:00.' },
    schema: z.object({ subject: serviceName, every: schedule, ...nsShape }).transform(
      (w): Command => ({
        kind: 'subscribe',
        subject: w.subject,
        ...withNs(w.ns, w.cluster),
        schedule: w.every,
      }),
    ),
  },
  {
    name: 'unsubscribe',
    usage: 'unsubscribe <service|namespace> [--ns NS] [--cluster NAME]',
    summary: 'stop the scheduled summary in this channel',
    example: '/canary unsubscribe bookinfo',
    positionals: [
      positional('subject', '<service|namespace>', 'Name the subscription to stop, e.g. bookinfo.'),
    ],
    options: ['ns', 'cluster'],
    required: {},
    schema: z
      .object({ subject: serviceName, ...nsShape })
      .transform((w): Command => ({ kind: 'unsubscribe', subject: w.subject, ...withNs(w.ns, w.cluster) })),
  },
  {
    name: 'subscriptions',
    usage: 'subscriptions',
    summary: "this channel's scheduled summaries",
    example: '/canary subscriptions',
    positionals: [],
    options: [],
    required: {},
    schema: z.object({}).transform((): Command => ({ kind: 'subscriptions' })),
  },
  {
    name: 'freeze',
    usage: 'freeze [now] [--ns NS] [--cluster NAME] [--reason TEXT]',
    summary: 'freeze windows and stops in force, and what they hold; `freeze now` stops the line',
    example: '/canary freeze now --ns payments --reason "incident 4711"',
    positionals: [positional('now', 'now', '', { optional: true })],
    options: ['ns', 'cluster', 'reason'],
    required: {},
    schema: z
      .object({ now: z.string().optional(), ...nsShape, reason: stopReason.optional() })
      .transform((w, ctx): Command => {
        const problem =
          w.now !== undefined && w.now.toLowerCase() !== 'now'
            ? `Unexpected ${quote(w.now)}: ${SLASH_COMMAND} freeze lists the freezes, ${SLASH_COMMAND} freeze now stops the line.`
            : w.now !== undefined && w.reason === undefined
              ? 'Say why the line is stopped: --reason "incident 4711".'
              : w.now === undefined && w.reason !== undefined
                ? `--reason is for stopping the line: ${SLASH_COMMAND} freeze now --reason "…".`
                : undefined;
        if (problem) {
          ctx.issues.push({ code: 'custom', input: w, message: problem });
          return z.NEVER;
        }
        return {
          kind: 'freeze',
          now: w.now !== undefined,
          ...withNs(w.ns, w.cluster),
          ...(w.reason !== undefined ? { reason: w.reason } : {}),
        };
      }),
  },
  {
    name: 'unfreeze',
    usage: 'unfreeze [--ns NS] [--cluster NAME]',
    summary: 'lift the stop of the line of a namespace, a cluster, or everything',
    example: '/canary unfreeze --ns payments',
    positionals: [],
    options: ['ns', 'cluster'],
    required: {},
    schema: z.object(nsShape).transform((w): Command => ({ kind: 'unfreeze', ...withNs(w.ns, w.cluster) })),
  },
  {
    name: 'audit',
    usage: 'audit <service> [--ns NS] [--since 7d] [--cluster NAME]',
    summary:
      "the audit trail of a service as a CSV file in this channel (the namespace's starters and approvers)",
    example: '/canary audit reviews --since 30d',
    positionals: [servicePositional],
    options: ['ns', 'since', 'cluster'],
    required: {},
    schema: z.object({ service: serviceName, ...nsShape, since: auditSince.optional() }).transform(
      (w): Command => ({
        kind: 'audit',
        service: w.service,
        ...withNs(w.ns, w.cluster),
        ...(w.since !== undefined ? { sinceSeconds: w.since } : {}),
      }),
    ),
  },
  {
    name: 'help',
    usage: 'help [<command>]',
    summary: 'this list, or the options of one command',
    example: '/canary help start',
    positionals: [positional('topic', '<command>', '', { optional: true })],
    options: [],
    required: {},
    schema: z.object({ topic: z.string().optional() }).transform((w, ctx): Command => {
      const asked = w.topic;
      if (asked === undefined) return { kind: 'help' };
      const topic = COMMAND_SPECS.find((s) => s.name === asked.toLowerCase())?.name;
      if (topic) return { kind: 'help', topic };
      ctx.issues.push({
        code: 'custom',
        input: asked,
        message: `There is no command ${quote(asked)}; the commands are ${COMMAND_SPECS.map((s) => s.name).join(', ')}.`,
      });
      return z.NEVER;
    }),
  },
];

/** Every command of the grammar, in help order. */
export const COMMAND_SPECS: readonly CommandSpec[] = specs;
