/**
 * The values a command takes, as zod schemas from the words people type to typed values. Every refusal is
 * one sentence that names the value and says what would do.
 */
import { z } from 'zod';
import { InvalidReleaseError } from '../release/release-errors.js';
import { MAX_BAKE_SECONDS, MIN_BAKE_SECONDS } from '../release/start-release.js';
import { parseCanarySteps } from '../release/step-plan.js';
import { parseVia } from '../routing/route-api.js';
import { cookieRegex, type RequestMatch } from '../routing/route-math.js';
import {
  isCookiePair,
  isDnsLabel,
  isDnsSubdomain,
  isHeaderName,
  quoteValue,
  regexProblem,
} from '../validation/index.js';
import type { ReleaseRef, Schedule, VersionHost, VersionWeight } from './command.js';

/** A value as quoted back in an error: never more than 60 characters. */
export const quote = quoteValue;
export { isDnsLabel };

const releaseIdShape = /^[A-Za-z0-9]{1,40}$/;

/** A custom issue: the sentence the person reads. */
function fail(ctx: z.core.$RefinementCtx<unknown>, input: unknown, message: string): typeof z.NEVER {
  ctx.issues.push({ code: 'custom', message, input });
  return z.NEVER;
}

/** `reviews`, `bookinfo`, `v2`: names that are Kubernetes labels. */
export function dnsLabel(what: string) {
  return z.string().refine(isDnsLabel, {
    error: (issue) =>
      `${quote(String(issue.input))} is not a valid ${what}: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.`,
  });
}

export const serviceName = dnsLabel('service name');
export const namespaceName = dnsLabel('namespace');
export const versionName = dnsLabel('version');

/** Kubernetes object names and hosts: DNS-1123 subdomains. */
export function dnsSubdomain(what: string) {
  return z.string().refine(isDnsSubdomain, {
    error: (issue) =>
      `${quote(String(issue.input))} is not a valid ${what}: use lowercase letters, digits, '-' and '.', at most 253 characters.`,
  });
}

/** Istio route names are free strings; keep them to what reads well in a chat and a YAML file. */
export const routeName = z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/, {
  error: (issue) =>
    `${quote(String(issue.input))} is not a route name: use letters, digits, '-', '_' and '.', at most 253 characters.`,
});

/** EKS cluster names: letters, digits, '-' and '_', at most 100 characters. */
export const clusterName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, {
  error: (issue) =>
    `${quote(String(issue.input))} is not a cluster name: use letters, digits, '-' and '_', at most 100 characters.`,
});

export const onFailure = z.enum(['rollback', 'pause'], {
  error: (issue) =>
    `On failure the release can roll back or pause: use --on-failure rollback or --on-failure pause, not ${quote(String(issue.input))}.`,
});

/**
 * `--bake 30m`: how long the canary is watched after the last step, in seconds, from 1 minute to 24 hours;
 * `s`, `m` and `h` may be combined (`1h30m`).
 */
export const bakeDuration = z.string().transform((text, ctx) => {
  const parts = /^(?:(\d{1,3})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s)?$/.exec(text.trim().toLowerCase());
  const seconds = parts
    ? Number(parts[1] ?? 0) * 3600 + Number(parts[2] ?? 0) * 60 + Number(parts[3] ?? 0)
    : Number.NaN;
  if (!parts || text.trim() === '' || !(seconds >= MIN_BAKE_SECONDS && seconds <= MAX_BAKE_SECONDS))
    return fail(
      ctx,
      text,
      `A bake lasts from 1m to 24h, e.g. --bake 30m or --bake 1h30m; ${quote(text)} is not such a duration.`,
    );
  return seconds;
});

/** `--steps 10,25,50`: the domain's own validation, 100 appended. */
export const canarySteps = z.string().transform((text, ctx) => {
  try {
    return parseCanarySteps(text);
  } catch (error) {
    if (error instanceof InvalidReleaseError) return fail(ctx, text, error.message);
    throw error;
  }
});

/** `name=value` pairs, one or several per word, separated by commas. */
function pairs<T>(what: string, example: string, build: (key: string, value: string) => T | string) {
  return z.array(z.string()).transform((words, ctx) => {
    const out: T[] = [];
    for (const part of words.flatMap((w) => w.split(',')).filter((p) => p.length > 0)) {
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1)
        return fail(ctx, part, `${quote(part)} is not a ${what}; write it as ${example}.`);
      const built = build(part.slice(0, eq), part.slice(eq + 1));
      if (typeof built === 'string') return fail(ctx, part, built);
      out.push(built);
    }
    if (out.length === 0) return fail(ctx, words, `Give at least one ${what}, e.g. ${example}.`);
    return out;
  });
}

function labelProblem(value: string, what: string): string | undefined {
  return isDnsLabel(value)
    ? undefined
    : `${quote(value)} is not a valid ${what}: use lowercase letters, digits and '-', at most 63 characters.`;
}

/** `--with frontend=v2,ratings=v2`. */
export const sourcePins = pairs('service=version pin', 'frontend=v2', (service, version) => {
  const problem = labelProblem(service, 'service name') ?? labelProblem(version, 'version');
  return problem ?? { service, version };
}).transform((pins, ctx) => {
  const twice = pins.find((p, i) => pins.findIndex((o) => o.service === p.service) !== i);
  return twice ? fail(ctx, pins, `${twice.service} is pinned twice in --with.`) : pins;
});

/** `--host v2=apps-svc-v2`. */
export const versionHosts = pairs<VersionHost>('version=host pair', 'v2=apps-svc-v2', (version, host) => {
  const problem =
    labelProblem(version, 'version') ??
    (isDnsSubdomain(host)
      ? undefined
      : `${quote(host)} is not a valid host: use lowercase letters, digits, '-' and '.', at most 253 characters.`);
  return problem ?? { version, host };
}).transform((hosts, ctx) => {
  const twice = hosts.find((h, i) => hosts.findIndex((o) => o.version === h.version) !== i);
  return twice ? fail(ctx, hosts, `Version ${twice.version} is given two hosts in --host.`) : hosts;
});

/** `v1=90 v2=10`: whole percentages adding up to 100, distinct versions, the last one above 0. */
export const versionWeights = pairs<VersionWeight>(
  'version=weight pair',
  'v1=90 v2=10',
  (version, weight) => {
    const problem = labelProblem(version, 'version');
    if (problem) return problem;
    if (!/^\d{1,3}$/.test(weight) || Number(weight) > 100)
      return `The weight of ${version} must be a whole percentage from 0 to 100, not ${quote(weight)}.`;
    return { version, weight: Number(weight) };
  },
).transform((weights, ctx) => {
  const twice = weights.find((w, i) => weights.findIndex((o) => o.version === w.version) !== i);
  if (twice) return fail(ctx, weights, `${twice.version} is listed twice.`);
  const total = weights.reduce((sum, w) => sum + w.weight, 0);
  if (total !== 100)
    return fail(
      ctx,
      weights,
      `Weights must add up to 100, not ${total} (${weights.map((w) => `${w.version}=${w.weight}`).join(' ')}).`,
    );
  const canary = weights.at(-1);
  if (canary && canary.weight === 0)
    return fail(
      ctx,
      weights,
      `The last version listed (${canary.version}) is the one being released; give it a weight above 0.`,
    );
  return weights;
});

/** `--header end-user=jason` (exact) or `--header end-user~^j.*` (regex). */
export const headerMatch = z.string().transform((word, ctx): RequestMatch => {
  const at = word.search(/[=~]/);
  const name = at < 0 ? word : word.slice(0, at);
  const value = at < 0 ? '' : word.slice(at + 1);
  if (at <= 0 || value.length === 0)
    return fail(
      ctx,
      word,
      `${quote(word)} is not a header match; write --header name=value (exact) or --header name~regex.`,
    );
  if (!isHeaderName(name))
    return fail(ctx, word, `${quote(name)} is not a valid header name: use letters, digits and '-'.`);
  if (word[at] === '=') return { kind: 'header', name: name.toLowerCase(), match: { exact: value } };
  const problem = regexProblem(value, `header ${name}`);
  return problem
    ? fail(ctx, word, problem)
    : { kind: 'header', name: name.toLowerCase(), match: { regex: value } };
});

/** `--cookie 'user=tester'`: one cookie anywhere in the Cookie header, as Istio documents it. */
export const cookieMatch = z.string().transform((word, ctx): RequestMatch => {
  if (word.length > 512) return fail(ctx, word, 'The cookie to match must have at most 512 characters.');
  if (!isCookiePair(word))
    return fail(ctx, word, `${quote(word)} is not a cookie to match; write it as --cookie 'name=value'.`);
  return { kind: 'cookie', regex: cookieRegex(word) };
});

/** `--user-agent '.*Mobile.*'`. */
export const userAgentMatch = z.string().transform((regex, ctx): RequestMatch => {
  const problem = regexProblem(regex, 'user agent');
  return problem ? fail(ctx, regex, problem) : { kind: 'user-agent', regex };
});

/** `--percent 50`: above 0, at most 100, decimals allowed (Istio's mirrorPercentage is a double). */
export const mirrorPercent = z.string().transform((text, ctx) => {
  const value = /^\d{1,3}(\.\d{1,4})?$/.test(text) ? Number(text) : Number.NaN;
  return value > 0 && value <= 100
    ? value
    : fail(ctx, text, `The mirror percentage is a number above 0 and at most 100, not ${quote(text)}.`);
});

/** `--limit 10`: 1 to 50. */
export const historyLimit = z.string().transform((text, ctx) => {
  const value = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  return value >= 1 && value <= 50
    ? value
    : fail(ctx, text, `The limit is a whole number from 1 to 50, not ${quote(text)}.`);
});

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `15m`, `1h`, `2d` in seconds, or undefined. */
function durationSeconds(text: string): number | undefined {
  const match = /^(\d{1,5})([smhd])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

/** `--window 1h`: 1 minute to 7 days. */
export const metricsWindow = z.string().transform((text, ctx) => {
  const seconds = durationSeconds(text);
  return seconds !== undefined && seconds >= 60 && seconds <= 7 * 86_400
    ? seconds
    : fail(ctx, text, `The window is a duration from 1m to 7d such as 5m, 1h or 1d, not ${quote(text)}.`);
});

/** The longest `--since` of `/canary audit`, in days. */
export const AUDIT_SINCE_MAX_DAYS = 90;

/** `--since 7d`: how far back an audit export goes, 1 minute to {@link AUDIT_SINCE_MAX_DAYS} days. */
export const auditSince = z.string().transform((text, ctx) => {
  const seconds = durationSeconds(text);
  return seconds !== undefined && seconds >= 60 && seconds <= AUDIT_SINCE_MAX_DAYS * 86_400
    ? seconds
    : fail(
        ctx,
        text,
        `--since is a duration from 1m to ${AUDIT_SINCE_MAX_DAYS}d such as 24h, 7d or 30d, not ${quote(text)}.`,
      );
});

/** `--every 15m`, `--every 1h`, `--every daily 09:00`. */
export const schedule = z.array(z.string()).transform((words, ctx): Schedule => {
  const [first = '', second] = words;
  if (first === 'daily' || first === 'hourly') {
    if (first === 'hourly') return { kind: 'interval', seconds: 3600 };
    const time = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(second ?? '');
    return time
      ? { kind: 'daily', hour: Number(time[1]), minute: Number(time[2]) }
      : fail(
          ctx,
          words,
          `Give the time of the daily summary as HH:MM, e.g. --every daily 09:00${second === undefined ? '' : `, not ${quote(second)}`}.`,
        );
  }
  const seconds = durationSeconds(first);
  if (seconds === undefined || seconds % 60 !== 0)
    return fail(
      ctx,
      first,
      `${quote(first)} is not a schedule; use --every 15m, --every 1h or --every daily 09:00.`,
    );
  if (seconds < 300 || seconds > 86_400)
    return fail(ctx, first, `Summaries go out every 5m at most and every 24h at least, not every ${first}.`);
  return { kind: 'interval', seconds };
});

/** `reviews` (a service) or `01JABCDEF...` (a release id: letters and digits, with capitals). */
export const releaseRef = z.string().transform((word, ctx): ReleaseRef => {
  if (isDnsLabel(word)) return { by: 'service', service: word };
  if (releaseIdShape.test(word)) return { by: 'id', id: word };
  return fail(
    ctx,
    word,
    `${quote(word)} is neither a service name (lowercase letters, digits and '-') nor a release id (letters and digits).`,
  );
});

/** `--reason ...`: free text, kept short for the audit trail and the card. */
export const reasonText = z
  .string()
  .trim()
  .min(1, { error: 'Give the reason after --reason, e.g. --reason error spike.' })
  .max(500, { error: 'The reason must have at most 500 characters.' });

/** Text of a `rest` option with the quotes people put around it removed: `"disk full"` -> `disk full`. */
const unquoted = (text: string) => text.trim().replace(/^(["'“])(.*)(["'”])$/s, '$2');

/** `freeze now --reason …`: why the line is stopped, for the cards, the thread and the audit trail. */
export const stopReason = z
  .string()
  .transform(unquoted)
  .pipe(
    z
      .string()
      .trim()
      .min(1, { error: 'Say why the line is stopped: --reason "incident 4711".' })
      .max(500, { error: 'The reason must have at most 500 characters.' }),
  );

/** `--bypass-freeze "…"`: why this cannot wait for the freeze to end. */
export const bypassReason = z
  .string()
  .trim()
  .min(3, { error: 'Say why the freeze is bypassed: --bypass-freeze "hotfix for INC-42".' })
  .max(500, { error: 'The bypass reason must have at most 500 characters.' });

/** `--via httproute`, `--via virtualservice/reviews-vs`: the route API (and object) a release drives. */
export const routeVia = z.string().transform((word, ctx) => {
  const via = parseVia(word);
  if (typeof via === 'string') {
    ctx.issues.push({ code: 'custom', input: word, message: via });
    return z.NEVER;
  }
  if (via.name !== undefined && !isDnsSubdomain(via.name)) {
    ctx.issues.push({
      code: 'custom',
      input: word,
      message: `${quote(via.name)} is not a valid route object name: use lowercase letters, digits, '-' and '.', at most 253 characters.`,
    });
    return z.NEVER;
  }
  return via;
});
