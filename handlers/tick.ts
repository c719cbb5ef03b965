// Lambda: every minute (EventBridge), analyse and advance every active release.
import { type TickReport, tick } from '../src/app/tick.js';
import { loadConfig } from '../src/config.js';
import { once } from './lazy.js';
import { buildRuntime } from './runtime.js';

const runtime = once(async () => buildRuntime(await loadConfig()));

export const handler = async (): Promise<TickReport> => {
  const { deps } = await runtime();
  const report = await tick(deps);
  deps.log.info('tick', { ...report });
  if (report.failed.length > 0)
    throw new Error(`${report.failed.length} release(s) failed this tick; see the log`);
  return report;
};
