/** Slack views: pure functions from state to `{ text, blocks }` that always fit Slack's limits. */
export {
  BLOCK_KIT_LIMITS,
  type Block,
  type Button,
  type ConfirmDialog,
  type Mrkdwn,
  type PlainText,
  type SlackMessage,
  type TextObject,
} from './block-kit.js';
export {
  type ButtonValue,
  CARD_ACTION_IDS,
  type CardAction,
  cardActionOf,
  encodeButtonValue,
  parseButtonValue,
} from './button-value.js';
export {
  encodeFlaggerButtonValue,
  FLAGGER_ACTION_IDS,
  type FlaggerButtonValue,
  flaggerActionOf,
  parseFlaggerButtonValue,
} from './flagger-button-value.js';
export { flaggerCard, flaggerDecisionLine, flaggerEventLine, flaggerWaitingLine } from './flagger-card.js';
export { freezeLine, freezeList, stopNote } from './freeze-views.js';
export { helpMessage } from './help-message.js';
export { commandErrorMessage, errorMessage, policyRefusalMessage, refusalMessage } from './notices.js';
export type { RedFigures, VersionFigures } from './red-figures.js';
export {
  CARD_APPROVALS_SHOWN,
  type ReleaseCardExtras,
  releaseCard,
  type SmokeOnCard,
} from './release-card.js';
export { releaseEventLine } from './release-event.js';
export {
  type AuditLine,
  auditTrail,
  historyList,
  type ListScope,
  releaseChoice,
  statusList,
} from './release-lists.js';
export { subscribedNote, subscriptionList, unsubscribedNote } from './subscription-views.js';
export {
  compactServiceText,
  type DigestLayout,
  digestMessages,
  pointsChange,
  rateText,
  relativeChange,
  releaseLine,
  serviceText,
  summaryUnavailable,
  versionLine,
} from './summary-digest.js';
export { type WeightRow, weightBars } from './weight-bar.js';
