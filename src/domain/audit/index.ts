/** The audit trail out of the bot: CSV exports and change events for outside systems. Pure. */

export {
  AUDIT_CSV_COLUMNS,
  type AuditCsvRow,
  type AuditRecord,
  auditCsv,
  auditRowOf,
  csvField,
} from './audit-csv.js';
export {
  CHANGE_ACTIONS,
  type ChangeEvent,
  type ChangeKind,
  type ChangeSubject,
  changeEventsOf,
  type GenericChange,
  genericChangeBody,
  PAGERDUTY_SUMMARY_MAX,
  type PagerDutyChange,
  pagerDutyChangeBody,
} from './change-events.js';
