/** The canary judge: verdicts on canary vs baseline RED metrics. See judge.ts for the method. */
export { judgeCanary } from './judge.js';
export {
  histogramQuantile,
  ISTIO_DURATION_BUCKETS_MS,
  type LatencyBucket,
} from './latency-histogram.js';
export { confidenceOf, lowerEvidence, upperEvidence } from './sequential-test.js';
export {
  type CheckName,
  type CheckStatus,
  DEFAULT_JUDGE_CONFIG,
  InvalidJudgeConfigError,
  InvalidJudgeInputError,
  type JudgeConfig,
  type JudgeInput,
  type Reason,
  type Verdict,
  type VerdictKind,
  type VersionTraffic,
} from './verdict.js';
