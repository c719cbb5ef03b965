/** The canary judge: verdicts on canary vs baseline RED metrics. See judge.ts for the method. */
export { type BakeInput, bakeThreshold, judgeBake, REFERENCE_PADDING } from './bake.js';
export { boundedMeanEvidence } from './bounded-mean-test.js';
export { customCheckProblems, judgeCustomCheck } from './custom-check.js';
export { judgeCanary } from './judge.js';
export {
  histogramQuantile,
  ISTIO_DURATION_BUCKETS_MS,
  type LatencyBucket,
} from './latency-histogram.js';
export { confidenceOf, lowerEvidence, upperEvidence } from './sequential-test.js';
export {
  type BoundedCheck,
  type CheckName,
  type CheckStatus,
  type CustomCheck,
  type CustomCheckReading,
  DEFAULT_JUDGE_CONFIG,
  type EventCount,
  InvalidJudgeConfigError,
  InvalidJudgeInputError,
  type JudgeConfig,
  type JudgeInput,
  type MinutePair,
  type RatioCheck,
  type Reason,
  type Verdict,
  type VerdictKind,
  type VersionTraffic,
} from './verdict.js';
