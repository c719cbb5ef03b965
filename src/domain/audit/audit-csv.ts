/**
 * The audit trail as CSV (RFC 4180), for `/canary audit`: one row per entry, every field quoted, and any
 * field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) neutralised
 * with a leading `'`. Pure.
 */

/** An audit entry as the store gives it (structurally: the domain does not import the store's port). */
export interface AuditRecord {
  readonly releaseId: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly cluster?: string;
  readonly step?: number;
  readonly stateVersion?: number;
  readonly detail?: unknown;
}

/** The columns, in order: who, when, what, which step and state version, what they saw, from where. */
export const AUDIT_CSV_COLUMNS = [
  'at',
  'actor',
  'action',
  'release',
  'cluster',
  'namespace',
  'service',
  'step',
  'state_version',
  'saw',
  'channel',
  'workspace',
  'detail',
] as const;

/** One row, by column. */
export type AuditCsvRow = Readonly<Record<(typeof AUDIT_CSV_COLUMNS)[number], string>>;

/** Characters that make a spreadsheet read a cell as a formula when they come first. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A value as a CSV field: a leading formula character neutralised with `'`, then quoted with inner quotes
 * doubled (commas, quotes and line breaks stay inside the field).
 *
 * @example csvField('=HYPERLINK("x")') // `"'=HYPERLINK(""x"")"`
 */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

/**
 * The CSV text: a header line, then one line per row, CRLF line ends (RFC 4180).
 *
 * @example auditCsv([row]).split('\r\n')[0] // '"at","actor","action",…'
 */
export function auditCsv(rows: readonly AuditCsvRow[]): string {
  const lines = [
    AUDIT_CSV_COLUMNS.map(csvField).join(','),
    ...rows.map((row) => AUDIT_CSV_COLUMNS.map((column) => csvField(row[column])).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The row of an entry about a service. "saw" is what the entry says the person had before them (the step
 * as described, the verdict and its reasons, a reason given); channel and workspace are where they acted.
 *
 * @example auditRowOf(entry, { namespace: 'shop', service: 'reviews' }).saw // 'canary weight 25 | verdict pass: …'
 */
export function auditRowOf(
  entry: AuditRecord,
  subject: { readonly namespace: string; readonly service: string },
): AuditCsvRow {
  const detail = isObject(entry.detail) ? entry.detail : {};
  const from = isObject(detail.from) ? detail.from : {};
  return {
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    release: entry.releaseId,
    cluster: entry.cluster ?? '',
    namespace: subject.namespace,
    service: subject.service,
    step: entry.step === undefined ? '' : String(entry.step),
    state_version: entry.stateVersion === undefined ? '' : String(entry.stateVersion),
    saw: sawOf(detail),
    channel: text(from.channel) ?? text(from.channelId) ?? text(detail.channel) ?? '',
    workspace: text(from.team) ?? text(from.teamId) ?? text(detail.team) ?? '',
    detail: entry.detail === undefined ? '' : JSON.stringify(entry.detail),
  };
}

function sawOf(detail: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const description = text(detail.description);
  if (description) parts.push(description);
  const verdict = text(detail.verdict);
  if (verdict) {
    const reasons = Array.isArray(detail.reasons) ? detail.reasons.filter((r) => typeof r === 'string') : [];
    parts.push(`verdict ${verdict}${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`);
  }
  const reason = text(detail.reason);
  if (reason) parts.push(`reason: ${reason}`);
  return parts.join(' | ');
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
