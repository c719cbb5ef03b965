/** Scheduled RED summaries: subscriptions, schedule slots, period-over-period change, digests. Pure. */
export {
  buildDigest,
  type ChartedVersion,
  chartedVersions,
  type Digest,
  worseServices,
} from './digest.js';
export { planReads, type ReadGroup } from './read-plan.js';
export {
  compareServices,
  DEFAULT_WORSE_THRESHOLDS,
  type ServiceChange,
  type VersionChange,
  type VersionPeriod,
  type WorseReason,
  type WorseThresholds,
} from './red-change.js';
export {
  type DueSummary,
  dueSummaries,
  latestSlot,
  nextSlotAt,
  periodSeconds,
  previousPeriodSeconds,
  type ScheduleSlot,
  slotClaimKey,
} from './schedule-slots.js';
export {
  describePeriod,
  describeSchedule,
  inSubject,
  MAX_SUBSCRIPTIONS_PER_CHANNEL,
  SUBSCRIPTION_RECORD_KIND,
  type Subscription,
  type SummarySubject,
  subjectKey,
  subjectName,
  subscriptionId,
} from './subscription.js';
export {
  addDays,
  instantOf,
  isTimeZone,
  UnknownTimeZoneError,
  type WallTime,
  wallTimeAt,
} from './time-zone.js';
