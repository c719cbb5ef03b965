/**
 * `/canary audit <service>`: the audit trail of a service over a period, as CSV. Only the namespace's
 * starters and approvers may export it; a refusal is recorded like any other, and so is every export.
 * The releases of the service come from the store's service index and each release's trail from its
 * partition, both read page by page; the refused starts and the exports of the service are included.
 */
import { type AuditCsvRow, auditCsv, auditRowOf } from '../domain/audit/index.js';
import { type Actor, authorize, authorizeOrigin, ruleFor } from '../domain/release/index.js';
import type { ReleaseDependencies } from './dependencies.js';
import type { AuditEntry } from './ports/release-store.js';
import { originOf, recordRefusal } from './refusals.js';
import { done, refused, type UseCaseResult } from './use-case-result.js';

/** Default period of an export: 7 days. */
export const AUDIT_DEFAULT_SINCE_SECONDS = 7 * 86_400;

/** Releases of a service read for one export, at most (the latest first). */
export const AUDIT_RELEASES_MAX = 1000;

/** Rows in one export, at most; the rest is left out and the answer says so. */
export const AUDIT_ROWS_MAX = 50_000;

/** Release trails read at once. */
const PARALLEL_READS = 8;

/** What to export. */
export interface AuditExportRequest {
  service: string;
  namespace: string;
  /** Only entries of this cluster; undefined: every cluster. */
  cluster?: string;
  sinceSeconds: number;
}

/** An export, ready to upload. */
export interface AuditExport {
  csv: string;
  filename: string;
  rows: number;
  releases: number;
  since: string;
  /** Rows or releases were left out (the limits above). */
  truncated: boolean;
}

/** The audit subject of a service's exports and their refusals. */
export function auditSubjectOfService(namespace: string, service: string): string {
  return `audit:${namespace}/${service}`;
}

/**
 * The CSV of a service's audit trail since `sinceSeconds` ago, if `actor` may start or approve releases in
 * its namespace; the export (or its refusal) is itself recorded.
 *
 * @example const result = await exportAudit(deps, { service: 'reviews', namespace: 'shop', sinceSeconds: 604800 }, actor);
 */
export async function exportAudit(
  deps: ReleaseDependencies,
  request: AuditExportRequest,
  actor: Actor,
): Promise<UseCaseResult<AuditExport>> {
  const { service, namespace, cluster } = request;
  const subject = auditSubjectOfService(namespace, service);
  // Each cluster has its own rule: the person must be a starter or approver of the namespace on the cluster
  // asked for (the default one without --cluster), and an export without --cluster keeps only the clusters
  // whose rule lets them in.
  const home = cluster ?? deps.defaultCluster;
  const allowed = new Map<string, boolean>();
  const mayExport = (on: string | undefined): boolean => {
    const key = on ?? home ?? '';
    let answer = allowed.get(key);
    if (answer === undefined) {
      const scope = { namespace, ...((on ?? home) !== undefined ? { cluster: (on ?? home) as string } : {}) };
      answer =
        authorize('approve', actor, scope, deps.policy).allowed ||
        authorize('start', actor, scope, deps.policy).allowed;
      allowed.set(key, answer);
    }
    return answer;
  };
  if (!mayExport(home)) {
    const found = ruleFor(deps.policy, namespace, home);
    const origin = authorizeOrigin(actor, deps.policy, found);
    const who = [...new Set([...found.rule.starters, ...found.rule.approvers])].map((p) =>
      p === '*' ? 'anyone' : p,
    );
    // A refused origin (another workspace, a guest) says so; otherwise: who may export.
    const reason = origin.allowed
      ? `${found.name} lets only the starters and approvers of ${namespace} (${who.join(', ') || 'nobody'}) export its audit trail; ${actor.userId} is neither.`
      : origin.reason;
    await recordRefusal(deps, subject, actor, 'audit', reason, {
      ...(home !== undefined ? { cluster: home } : {}),
    });
    return refused(reason);
  }
  const now = deps.clock();
  const since = new Date(now.getTime() - request.sinceSeconds * 1000).toISOString();
  const releases = (await deps.store.history(namespace, service, AUDIT_RELEASES_MAX)).filter(
    (r) =>
      r.updatedAt >= since &&
      (cluster === undefined ? mayExport(r.state.meta.cluster) : r.state.meta.cluster === cluster),
  );
  let truncated = releases.length >= AUDIT_RELEASES_MAX;
  const trails: AuditEntry[][] = [];
  const subjects = [...releases.map((r) => r.id), `start:${namespace}/${service}`, subject];
  for (let i = 0; i < subjects.length; i += PARALLEL_READS)
    trails.push(
      ...(await Promise.all(subjects.slice(i, i + PARALLEL_READS).map((id) => deps.store.listAudit(id)))),
    );
  const entries = trails
    .flat()
    .filter(
      (e) =>
        e.at >= since &&
        (cluster === undefined ? mayExport(e.cluster) : e.cluster === undefined || e.cluster === cluster),
    )
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (entries.length > AUDIT_ROWS_MAX) truncated = true;
  const rows: AuditCsvRow[] = entries
    .slice(-AUDIT_ROWS_MAX)
    .map((entry) => auditRowOf(entry, { namespace, service }));
  await deps.store.appendAudit({
    releaseId: subject,
    at: now.toISOString(),
    actor: actor.userId,
    ...(cluster !== undefined ? { cluster } : {}),
    action: 'audit-export',
    detail: { since, rows: rows.length, releases: releases.length, truncated, ...originOf(actor) },
  });
  const day = now.toISOString().slice(0, 10);
  const name = `${service}.${namespace}`;
  return done(
    {
      csv: auditCsv(rows),
      filename: `audit-${service}-${namespace}${cluster ? `-${cluster}` : ''}-${day}.csv`,
      rows: rows.length,
      releases: releases.length,
      since,
      truncated,
    },
    `Audit trail of ${name}${cluster ? ` on ${cluster}` : ''} since ${since.slice(0, 16).replace('T', ' ')} UTC: ${rows.length} entries from ${releases.length} release${releases.length === 1 ? '' : 's'}${truncated ? ` (the oldest were left out: at most ${AUDIT_ROWS_MAX} entries of the latest ${AUDIT_RELEASES_MAX} releases)` : ''}.`,
  );
}
