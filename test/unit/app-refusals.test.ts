import { silentLogger } from '../../src/app/logger.js';
import type { TelemetryMetric } from '../../src/app/ports/telemetry.js';
import { MAX_RECORDED_REFUSALS, recordRefusal } from '../../src/app/refusals.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';

describe('recordRefusal', () => {
  it('records a flood of refusals a bounded number of times per person, subject and action, then counts them', async () => {
    const store = new EmbeddedStore();
    const counted: TelemetryMetric[] = [];
    const deps = {
      store,
      clock: () => new Date('2026-12-05T08:00:00Z'),
      log: silentLogger,
      telemetry: { count: (metric: TelemetryMetric) => void counted.push(metric) },
    };
    const mallory = {
      userId: 'U0MALLORY9',
      groupIds: [],
      kind: 'guest' as const,
      origin: { teamId: 'T0PROD', channelId: 'C0RELEASES' },
    };

    const recorded = [];
    for (let i = 0; i < 1000; i++)
      recorded.push(await recordRefusal(deps, 'r1', mallory, 'approve', 'no guests'));
    await recordRefusal(deps, 'r1', mallory, 'rollback', 'no guests');
    await recordRefusal(deps, 'r2', mallory, 'approve', 'no guests');

    expect(recorded.filter(Boolean)).toHaveLength(MAX_RECORDED_REFUSALS);
    expect(counted).toHaveLength(1000 - MAX_RECORDED_REFUSALS);
    const trail = await store.listAudit('r1');
    expect(trail.map((e) => e.action)).toEqual([
      ...Array(MAX_RECORDED_REFUSALS).fill('refused-approve'),
      'refused-rollback',
    ]);
    expect(trail[0]?.detail).toEqual({
      reason: 'no guests',
      channel: 'C0RELEASES',
      team: 'T0PROD',
      userKind: 'guest',
    });
    expect(trail[MAX_RECORDED_REFUSALS - 1]?.detail).toMatchObject({
      note: expect.stringMatching(/counted, not recorded/),
    });
    expect(await store.listAudit('r2')).toHaveLength(1);
  });
});
