// Lambda: every minute (EventBridge), read RED in batches and hand one job per active release to its writer.
import type { HomesJob } from '../src/app/home-refresh.js';
import type { TickJob } from '../src/app/tick.js';
import { loadConfig } from '../src/config.js';
import { powertoolsLogger, powertoolsTelemetry } from '../src/observability/powertools.js';
import { sqsQueueOf } from './compose/queue.js';
import { buildTick } from './compose/tick.js';
import { once } from './lazy.js';

const log = powertoolsLogger('tick');
const telemetry = powertoolsTelemetry('tick');
const run = once(async () => {
  const config = await loadConfig();
  return await buildTick(config, log, sqsQueueOf<TickJob | HomesJob>(config), { telemetry });
});

/** EventBridge's scheduled event; `time` is when the run was scheduled (a retry reads the same minute). */
export interface ScheduledEvent {
  time?: string;
}

export const handler = async (event: ScheduledEvent = {}) => {
  try {
    const scheduled = event.time ? new Date(event.time) : undefined;
    const report = await (await run())(
      scheduled && Number.isFinite(scheduled.getTime()) ? scheduled : undefined,
    );
    log.info('tick', { ...report });
    return report;
  } finally {
    telemetry.flush();
  }
};
