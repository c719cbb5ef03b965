// Lambda: scheduled RED summaries per subscription (EventBridge schedule). Placeholder until the
// summarize use case lands: it proves the deployment wiring (configuration, secrets, role) and does nothing.
import { jsonLineLogger } from '../src/app/logger.js';
import { loadConfig } from '../src/config.js';
import { once } from './lazy.js';

const config = once(() => loadConfig());

/** What one scheduled run did. */
export interface SummaryRunReport {
  posted: number;
  skipped: 'not-implemented';
}

export const handler = async (): Promise<SummaryRunReport> => {
  await config();
  jsonLineLogger.warn('summary: scheduled summaries are not implemented yet; nothing posted');
  return { posted: 0, skipped: 'not-implemented' };
};
