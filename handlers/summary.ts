// Lambda: scheduled RED summaries (EventBridge, every 5 minutes): posts the digest of every subscription
// whose slot is due. The slot comes from the event's scheduled time, so a retried invocation computes the
// same slots, and each digest is claimed before it is posted: a retry or an overlapping run posts it once.
import { runDueSummaries, type SummaryRunReport } from '../src/app/summaries.js';
import { loadConfig } from '../src/config.js';
import { powertoolsLogger } from '../src/observability/powertools.js';
import { buildSummaries } from './compose/summary.js';
import { once } from './lazy.js';

/** The schedule's period: a slot that ended up to two runs ago is still posted (a late or missed run). */
export const SUMMARY_RUN_SECONDS = 300;

/** What EventBridge sends; `time` is when the run was scheduled. */
export interface ScheduledEvent {
  time?: string;
}

/** Some summaries failed before they were claimed: the invocation's retry will post them. */
export class SummaryRunError extends Error {
  override readonly name = 'SummaryRunError';
}

const log = powertoolsLogger('summary');
const deps = once(async () => buildSummaries(await loadConfig(), log));

export const handler = async (event: ScheduledEvent = {}): Promise<SummaryRunReport> => {
  const summaries = await deps();
  const scheduled = event.time ? new Date(event.time) : undefined;
  const now = scheduled && Number.isFinite(scheduled.getTime()) ? scheduled : summaries.clock();
  const report = await runDueSummaries(summaries, { now, lookbackSeconds: 2 * SUMMARY_RUN_SECONDS });
  summaries.log.info('summary run', { ...report, failed: report.failed.length });
  const retriable = report.failed.filter((f) => !f.claimed);
  if (retriable.length > 0)
    throw new SummaryRunError(`${retriable.length} summary(ies) failed before posting; the retry posts them`);
  return report;
};
