import { freezeOf, freezeReport, liftStop, stopKey, stopTheLine } from '../../src/app/governance.js';
import { silentLogger } from '../../src/app/logger.js';
import type { ApprovalPolicy, Release } from '../../src/domain/release/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { started } from './release-fixtures.js';

const policy: ApprovalPolicy = {
  default: { starters: ['*'], approvers: ['U0APPROVER'], fourEyes: true },
  namespaces: { payments: { starters: ['*'], approvers: ['U0PAYOPS'], fourEyes: true } },
};
const now = new Date('2026-12-05T08:00:00Z');
const approver = { userId: 'U0APPROVER', groupIds: [] };
const payOps = { userId: 'U0PAYOPS', groupIds: [] };

function depsOf(store = new EmbeddedStore<Release>()) {
  return { store, policy, clock: () => now, log: silentLogger };
}

describe('stopping the line', () => {
  it.each([
    [{}, 'all'],
    [{ namespace: 'payments' }, 'ns:payments'],
    [{ cluster: 'prod' }, 'cluster:prod'],
    [{ cluster: 'prod', namespace: 'payments' }, 'cluster:prod/ns:payments'],
  ])('keys the stop of %o as %p', (scope, key) => {
    // Act / Assess
    expect(stopKey(scope)).toBe(key);
  });

  it("lets only the scope's approvers stop it, recording the refusal, and stores nothing", async () => {
    // Arrange
    const deps = depsOf();
    // Act
    const refused = await stopTheLine(deps, { namespace: 'payments' }, 'incident', approver);
    // Assess
    expect(refused).toEqual({
      ok: false,
      message:
        'The approval policy of namespace payments lets only U0PAYOPS freeze namespace payments; U0APPROVER is not one of them.',
    });
    expect(await deps.store.listRecords('stop-the-line')).toEqual([]);
    expect((await deps.store.listAudit('freeze:ns:payments')).map((e) => e.action)).toEqual([
      'refused-freeze',
    ]);
  });

  it('holds a decision looked up for a moment before the stop (a tick job that runs after it)', async () => {
    // Arrange: the 07:59:40 tick's job reaches a worker after the stop of 08:00.
    const deps = depsOf();
    await stopTheLine(deps, { namespace: 'payments' }, 'incident 4711', payOps);
    // Act
    const held = await freezeOf(
      deps,
      { namespace: 'payments', service: 'reviews' },
      new Date(now.getTime() - 20_000),
    );
    // Assess: a stop in the store holds, whatever the moment the job was scheduled for.
    expect(held?.kind).toBe('stop');
  });

  it('keeps a stop as it was when the same stop comes again (a retried job), and audits a lift before it goes', async () => {
    // Arrange: the audit write fails once, after the stop was written.
    const deps = depsOf();
    const append = deps.store.appendAudit.bind(deps.store);
    let failures = 1;
    deps.store.appendAudit = async (entry) => {
      if (failures-- > 0) throw new Error('throttled');
      return append(entry);
    };
    // Act
    await expect(stopTheLine(deps, { namespace: 'payments' }, 'incident 4711', payOps)).rejects.toThrow();
    const retried = await stopTheLine(deps, { namespace: 'payments' }, 'incident 4711', payOps);
    // Assess: no "replaces the stop by U0PAYOPS", one audit entry.
    expect(retried.ok && retried.message).not.toMatch(/replaces/);
    expect((await deps.store.listAudit('freeze:ns:payments')).map((e) => e.action)).toEqual([
      'stop-the-line',
    ]);
    // A lift whose audit fails leaves the stop in place for the retry.
    failures = 1;
    await expect(liftStop(deps, { namespace: 'payments' }, payOps)).rejects.toThrow();
    expect(await deps.store.listRecords('stop-the-line')).toHaveLength(1);
    expect((await liftStop(deps, { namespace: 'payments' }, payOps)).ok).toBe(true);
  });

  it('holds the releases in scope from the stop until it is lifted, and lists them', async () => {
    // Arrange
    const deps = depsOf();
    const inPayments = { ...started(), id: 'R1', target: { ...started().target, namespace: 'payments' } };
    const elsewhere = { ...started(), id: 'R2' };
    for (const release of [inPayments, elsewhere])
      await deps.store.create({
        id: release.id,
        routeKey: `bed/${release.target.namespace}/reviews/(default)`,
        namespace: release.target.namespace,
        service: release.target.service,
        active: true,
        state: release,
      });
    // Act
    const stopped = await stopTheLine(deps, { namespace: 'payments' }, 'incident 4711', payOps);
    const heldPayments = await freezeOf(deps, { namespace: 'payments', service: 'reviews' }, now);
    const heldElsewhere = await freezeOf(deps, { namespace: 'bookinfo', service: 'reviews' }, now);
    const report = await freezeReport(deps);
    const lifted = await liftStop(deps, { namespace: 'payments' }, payOps);
    const again = await liftStop(deps, { namespace: 'payments' }, payOps);
    // Assess
    expect(stopped.ok && stopped.value.held.map((r) => r.id)).toEqual(['R1']);
    expect(heldPayments).toEqual({
      window: 'stop the line',
      kind: 'stop',
      reason: 'incident 4711',
      by: 'U0PAYOPS',
    });
    expect(heldElsewhere).toBeUndefined();
    expect(report.holds).toEqual([
      {
        window: 'stop the line',
        kind: 'stop',
        reason: 'incident 4711',
        by: 'U0PAYOPS',
        releases: [{ id: 'R1' }],
      },
    ]);
    expect(lifted.ok).toBe(true);
    expect(await freezeOf(deps, { namespace: 'payments', service: 'reviews' }, now)).toBeUndefined();
    expect(again).toEqual({
      ok: false,
      message: 'The line is not stopped for namespace payments; no stop is in force.',
    });
    expect((await deps.store.listAudit('freeze:ns:payments')).map((e) => e.action)).toEqual([
      'stop-the-line',
      'unfreeze',
    ]);
  });
});
