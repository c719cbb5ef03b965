/**
 * Custom checks: a team's own metric, compared between canary and baseline with the same always-valid
 * tests as the built-in checks.
 *
 * - A ratio check (events per opportunity) is judged exactly like the error rate: the conditional
 *   binomial comparison with the baseline, intersected with a floor, in the direction the check says
 *   is better; it passes within `passMargin` times its tolerance.
 * - A bounded check (one value a minute within declared bounds) is judged on the minute-by-minute
 *   difference y = canary - (1 + relative) x baseline (or its mirror when higher is better), whose mean
 *   must stay under `absolute`: betting martingales on y rescaled to [0, 1] (bounded-mean-test.ts).
 *   Pairing the minutes cancels what both versions share (a diurnal rate, a shared outage), and the
 *   test holds whenever the tolerance holds at every minute, with no distribution assumed. The price of
 *   assuming nothing: the evidence grows by at most log(1 + effect / range) a minute, so the declared
 *   range must be the narrowest the values can take, and the check is a guard: it fails a canary on
 *   evidence, and passes on the observed means (as Flagger's limits do), since proving a canary within
 *   a tolerance much narrower than the range would take hours of minutes.
 */
import { boundedMeanEvidence } from './bounded-mean-test.js';
import {
  compareHigherWithBaseline,
  compareWithBaseline,
  type Evidence,
  evidenceFigures,
  leaning,
  MAX_PROPORTION,
  statusOf,
  type Tolerance,
  toleranceText,
} from './evidence.js';
import { confidenceOf } from './sequential-test.js';
import type {
  BoundedCheck,
  CheckStatus,
  CustomCheck,
  CustomCheckReading,
  JudgeConfig,
  MinutePair,
  RatioCheck,
  Reason,
} from './verdict.js';
import { formatConfidence, formatPercent, formatShare } from './wording.js';

/**
 * Judges one custom check's reading.
 *
 * @example
 * judgeCustomCheck(
 *   { check: { kind: 'ratio', name: 'checkout failures', better: 'lower', floor: 0.005, ratio: 1.5 },
 *     canary: { events: 40, total: 1000 }, baseline: { events: 20, total: 9000 } },
 *   DEFAULT_JUDGE_CONFIG,
 * ).status // 'fail'
 */
export function judgeCustomCheck(reading: CustomCheckReading, config: JudgeConfig): Reason {
  return 'minutes' in reading
    ? judgeBounded(reading.check, reading.minutes, config)
    : judgeRatio(reading.check, reading.canary, reading.baseline, config);
}

/** What is wrong with a custom check's definition, one sentence per problem (none when it is fine). */
export function customCheckProblems(check: CustomCheck): string[] {
  const problems: string[] = [];
  const name = `custom check "${check.name}"`;
  if (check.name.trim() === '') problems.push('a custom check needs a name');
  if (check.better !== 'lower' && check.better !== 'higher') {
    problems.push(`${name}: better must be "lower" or "higher"`);
  }
  if (check.kind === 'ratio') {
    if (!(check.floor > 0 && check.floor < 1))
      problems.push(`${name}: floor must be in (0, 1), got ${check.floor}`);
    if (!(check.ratio >= 1)) problems.push(`${name}: ratio must be >= 1, got ${check.ratio}`);
    return problems;
  }
  if (!(Number.isFinite(check.min) && Number.isFinite(check.max) && check.min < check.max)) {
    problems.push(`${name}: min must be below max, got [${check.min}, ${check.max}]`);
  }
  if (!(check.absolute >= 0 && check.relative >= 0 && check.absolute + check.relative > 0)) {
    problems.push(`${name}: absolute and relative must be >= 0 and not both 0`);
  }
  if (check.better === 'higher' && !(check.relative < 1)) {
    problems.push(`${name}: relative must be below 1 when higher is better, got ${check.relative}`);
  }
  const { m0 } = problems.length === 0 ? boundedNull(check) : { m0: 0.5 };
  if (!(m0 < 1))
    problems.push(`${name}: the tolerance is wider than the metric's range: it could never fail`);
  if (!(m0 > 0)) problems.push(`${name}: the tolerance lies below the metric's range: it could never pass`);
  return problems;
}

function judgeRatio(
  check: RatioCheck,
  canaryCount: { events: number; total: number },
  baselineCount: { events: number; total: number },
  config: JudgeConfig,
): Reason {
  const canary = { bad: canaryCount.events, total: canaryCount.total };
  const baseline = { bad: baselineCount.events, total: baselineCount.total };
  const lower = check.better === 'lower';
  const fail: Tolerance = { floor: check.floor, ratio: check.ratio };
  const pass: Tolerance = {
    floor: lower
      ? Math.min(config.passMargin * check.floor, MAX_PROPORTION)
      : check.floor / config.passMargin,
    ratio: config.passMargin * check.ratio,
  };
  const figures = {
    canaryEvents: canary.bad,
    canaryTotal: canary.total,
    baselineEvents: baseline.bad,
    baselineTotal: baseline.total,
    toleranceFloor: fail.floor,
    toleranceRatio: fail.ratio,
  };
  const head = `${check.name}: canary ${formatShare(canary.bad, canary.total)} vs baseline ${formatShare(baseline.bad, baseline.total)}`;
  if (canary.total <= 0 || baseline.total <= 0) {
    return {
      check: 'custom',
      name: check.name,
      status: 'pending',
      message: `${head}: no ${canary.total <= 0 ? 'canary' : 'baseline'} data yet`,
      figures,
    };
  }
  const evidence = lower
    ? compareWithBaseline(canary, baseline, fail, pass)
    : compareHigherWithBaseline(canary, baseline, fail, pass);
  const status = statusOf(evidence, config);
  const text = (t: Tolerance) =>
    lower ? toleranceText(t) : `the smaller of ${formatPercent(t.floor)} and baseline ÷ ${t.ratio}`;
  return {
    check: 'custom',
    name: check.name,
    status,
    message: sentence(head, status, evidence, text(fail), text(pass), config),
    figures: { ...figures, ...evidenceFigures(evidence) },
  };
}

function judgeBounded(check: BoundedCheck, minutes: readonly MinutePair[], config: JudgeConfig): Reason {
  const pairs = minutes.filter((m) => Number.isFinite(m.canary) && Number.isFinite(m.baseline));
  const mean = (values: readonly number[]) =>
    values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
  const canaryMean = mean(pairs.map((m) => m.canary));
  const baselineMean = mean(pairs.map((m) => m.baseline));
  const figures = {
    minutes: pairs.length,
    canaryMean,
    baselineMean,
    absolute: check.absolute,
    relative: check.relative,
  };
  if (pairs.length === 0) {
    return {
      check: 'custom',
      name: check.name,
      status: 'pending',
      message: `${check.name}: no minute with both versions yet`,
      figures,
    };
  }
  const head = `${check.name}: canary mean ${formatValue(canaryMean)} vs baseline ${formatValue(baselineMean)} over ${pairs.length} minutes`;
  const { scale, m0 } = boundedNull(check);
  const scaled = pairs.map(scale);
  const evidence: Evidence = {
    failEvidence: boundedMeanEvidence(scaled, m0, 1),
    passEvidence: 0,
    // Each minute is one observation: the judge's minimums of requests do not apply.
    badRequests: Number.POSITIVE_INFINITY,
    requests: Number.POSITIVE_INFINITY,
    withinObserved: mean(scaled) <= m0,
  };
  const status = statusOf(evidence, config);
  const tolerance = boundedText(check);
  const message =
    status === 'fail'
      ? `${head}: ${formatConfidence(confidenceOf(evidence.failEvidence))} sure it is worse than the tolerance (${tolerance})`
      : status === 'pass'
        ? `${head}: within the tolerance (${tolerance})`
        : `${head}: worse than the tolerance (${tolerance}) so far, not yet surely${leaning(evidence, config, 'worse', 'within')}`;
  return {
    check: 'custom',
    name: check.name,
    status,
    message,
    figures: { ...figures, ...evidenceFigures(evidence) },
  };
}

/** The per-minute difference of a bounded check, rescaled to [0, 1], and the largest mean it may have. */
function boundedNull(check: BoundedCheck): { scale: (m: MinutePair) => number; m0: number } {
  const { relative, absolute } = check;
  // lower is better: y = c - (1 + r) b; higher is better: y = (1 - r) b - c. Either must stay <= absolute.
  const y =
    check.better === 'lower'
      ? (m: MinutePair) => clamp(m.canary, check) - (1 + relative) * clamp(m.baseline, check)
      : (m: MinutePair) => (1 - relative) * clamp(m.baseline, check) - clamp(m.canary, check);
  const low =
    check.better === 'lower'
      ? check.min - (1 + relative) * check.max
      : (1 - relative) * check.min - check.max;
  const high =
    check.better === 'lower'
      ? check.max - (1 + relative) * check.min
      : (1 - relative) * check.max - check.min;
  return { scale: (m) => (y(m) - low) / (high - low), m0: (absolute - low) / (high - low) };
}

function clamp(value: number, check: BoundedCheck): number {
  return Math.min(Math.max(value, check.min), check.max);
}

function boundedText(check: BoundedCheck): string {
  const sign = check.better === 'lower' ? '+' : '−';
  const parts = [
    check.absolute > 0 ? `${formatValue(check.absolute)}` : '',
    check.relative > 0 ? `${formatPercent(check.relative)} of it` : '',
  ].filter((part) => part !== '');
  return `baseline ${sign} ${parts.join(` ${sign} `)}`;
}

function sentence(
  head: string,
  status: CheckStatus,
  evidence: Evidence,
  failText: string,
  passText: string,
  config: JudgeConfig,
): string {
  if (status === 'fail') {
    return `${head}: ${formatConfidence(confidenceOf(evidence.failEvidence))} sure it is worse than the tolerance (${failText})`;
  }
  if (status === 'pass') {
    return `${head}: ${formatConfidence(confidenceOf(evidence.passEvidence))} sure it is within ${passText}`;
  }
  return `${head}: not enough data yet (it fails beyond ${failText} and passes within ${passText})${leaning(evidence, config, 'worse', 'within')}`;
}

/** A metric value with three significant digits below 1000, whole above: `41.2`, `0.0123`, `1234`. */
function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return Math.abs(value) >= 1000 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}
