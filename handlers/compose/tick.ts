/** The tick: reads RED in batches and fans out one job per active release. No Kubernetes client here. */

import type { HomesJob } from '../../src/app/home-refresh.js';
import type { Logger } from '../../src/app/logger.js';
import type { JobQueue } from '../../src/app/ports/job-queue.js';
import type { BotStore } from '../../src/app/ports/release-store.js';
import type { TickJob } from '../../src/app/tick.js';
import { type TickDependencies, tick } from '../../src/app/tick.js';
import type { BotConfig } from '../../src/config.js';
import type { Release } from '../../src/domain/release/index.js';
import { customChecksFrom, metricsByCluster, type Overrides, storeOf } from './parts.js';

/**
 * Builds the tick from the configuration.
 *
 * @example const run = await buildTick(config, log, queue); await run(new Date());
 */
export async function buildTick(
  config: BotConfig,
  log: Logger,
  queue: JobQueue<TickJob | HomesJob>,
  overrides: Overrides & { store?: BotStore<Release>; metricsFor?: TickDependencies['metricsFor'] } = {},
): Promise<(at?: Date) => ReturnType<typeof tick>> {
  const readers = metricsByCluster(config);
  const store = overrides.store ?? (await storeOf(config, overrides));
  const deps: TickDependencies = {
    store,
    metricsFor: overrides.metricsFor ?? readers,
    customChecks: customChecksFrom(config, readers),
    queue,
    clock: overrides.clock ?? (() => new Date()),
    log,
    // App Home tabs marked out of date by a change are redrawn by a worker (one Query of a tiny partition).
    homes: store,
    ...(overrides.telemetry ? { telemetry: overrides.telemetry } : {}),
  };
  return (at) => tick(deps, at);
}
