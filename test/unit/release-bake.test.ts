import fc from 'fast-check';
import { bakeThreshold, judgeBake, REFERENCE_PADDING } from '../../src/domain/judge/index.js';
import type { Verdict, VersionTraffic } from '../../src/domain/judge/verdict.js';
import {
  availableActions,
  decide,
  type Observation,
  type Release,
  recordedTraffic,
  releaseOptions,
  summarizeProgress,
  trafficOf,
} from '../../src/domain/release/index.js';
import {
  act,
  appliedNow,
  approveAndApply,
  approveNow,
  at,
  drive,
  eventMessages,
  FAIL,
  NO_DATA,
  PASS,
  started,
  tickOf,
  v1,
  v2,
} from './release-fixtures.js';

const BAKE = 1800;
const BASELINE_AT_50: VersionTraffic = {
  requests: 12_000,
  errors: 6,
  latency: [
    { le: 25, count: 9000 },
    { le: 100, count: 11_900 },
    { le: 500, count: 12_000 },
    { le: Number.POSITIVE_INFINITY, count: 12_000 },
  ],
};

/** A tick whose verdict carries the baseline figures it was computed on (as the app's judge sends it). */
function judged(r: Release, seconds: number, verdict: Verdict): Observation {
  const o = tickOf(r, seconds, { verdict });
  if (o.type !== 'tick' || !o.verdict) return o;
  return { type: 'tick', at: o.at, verdict: { ...o.verdict, baseline: BASELINE_AT_50 } };
}

/** A canary 50 -> 100 with a bake, driven to the start of the bake (the 100% step passed at 720 s). */
function baking(options: Record<string, unknown> = {}): { release: Release; messages: string[] } {
  const run = drive(
    started({ kind: 'canary', steps: [50, 100] }, { options: { bakeSeconds: BAKE, ...options } }),
    ...approveAndApply(10),
    (r) => judged(r, 315, PASS),
    ...approveAndApply(400),
    (r) => judged(r, 720, PASS),
  );
  return { release: run.release, messages: eventMessages(run.decisions) };
}

describe('the bake judge (canary live vs recorded baseline figures)', () => {
  it('says no-data, loudly, when the canary served nothing', () => {
    const verdict = judgeBake({
      canary: { requests: 0, errors: 0 },
      reference: BASELINE_AT_50,
      elapsedSeconds: 300,
      canaryIdleSeconds: 300,
    });
    expect(verdict.verdict).toBe('no-data');
    expect(verdict.reasons[0]?.message).toMatch(/no requests .* since the bake started/);
  });

  it('fails a canary whose error rate is far above the recorded baseline', () => {
    const verdict = judgeBake({
      canary: { requests: 6000, errors: 300 },
      reference: BASELINE_AT_50,
      elapsedSeconds: 300,
      canaryIdleSeconds: 0,
    });
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reasons[0]?.message).toMatch(/recorded baseline's 0\.05% \(6\/12000\)/);
  });

  it('passes a canary as good as the recorded baseline on plenty of traffic', () => {
    const verdict = judgeBake({
      canary: { requests: 60_000, errors: 30 },
      reference: BASELINE_AT_50,
      elapsedSeconds: 1800,
      canaryIdleSeconds: 0,
    });
    expect(verdict.verdict).toBe('pass');
  });

  it('without recorded figures holds the canary to the success-rate minimum only', () => {
    const atTwoPercent = judgeBake({
      canary: { requests: 6000, errors: 120 },
      elapsedSeconds: 300,
      canaryIdleSeconds: 0,
    });
    const atHalfPercent = judgeBake({
      canary: { requests: 6000, errors: 30 },
      elapsedSeconds: 300,
      canaryIdleSeconds: 0,
    });
    expect(atTwoPercent.verdict).toBe('fail');
    expect(atTwoPercent.reasons[0]?.message).toMatch(/no baseline figures were recorded/);
    expect(atHalfPercent.verdict).not.toBe('fail');
  });

  it('fails a canary that got slow against the recorded latency', () => {
    const buckets = (fast: number, slow: number) => [
      { le: 25, count: fast },
      { le: 100, count: fast },
      { le: 1000, count: fast + slow },
      { le: Number.POSITIVE_INFINITY, count: fast + slow },
    ];
    const verdict = judgeBake({
      canary: { requests: 5000, errors: 0, latency: buckets(4000, 1000) },
      reference: { requests: 10_000, errors: 0, latency: buckets(10_000, 0) },
      elapsedSeconds: 300,
      canaryIdleSeconds: 0,
    });
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reasons.filter((r) => r.status === 'fail').map((r) => r.check)).toContain(
      'latency-vs-baseline',
    );
  });

  it('never fails a canary whose errors are at the recorded rate, whatever the counts (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 200_000 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 200_000 }),
        (referenceRequests, referenceErrors, canaryRequests) => {
          // Error rates up to 30%: beyond that a threshold would hit its 99.9% cap.
          const errors = Math.min(referenceErrors, Math.floor(referenceRequests * 0.3));
          const rate = errors / referenceRequests;
          const verdict = judgeBake({
            canary: { requests: canaryRequests, errors: Math.floor(rate * canaryRequests) },
            reference: { requests: referenceRequests, errors },
            elapsedSeconds: 600,
            canaryIdleSeconds: 0,
          });
          expect(verdict.verdict).not.toBe('fail');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds a share to at least its floor and to ratio x the padded recorded share (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.0001, max: 0.5, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (floor, ratio, bad, total) => {
          const threshold = bakeThreshold(floor, ratio, { bad: Math.min(bad, total), total });
          expect(threshold).toBeGreaterThanOrEqual(Math.min(floor, 0.999));
          expect(threshold).toBeLessThanOrEqual(0.999);
          const padded = (Math.min(bad, total) + REFERENCE_PADDING) / total;
          expect(threshold).toBeGreaterThanOrEqual(Math.min(0.999, ratio * Math.min(1, padded)) - 1e-12);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('recorded figures', () => {
  it('come back from JSON as the judge read them (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.nat({ max: 1000 }),
        fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 100_000 }), { maxLength: 12 }), {
          nil: undefined,
        }),
        (requests, errors, boundaries) => {
          const sorted = boundaries ? [...boundaries].sort((a, b) => a - b) : undefined;
          const traffic: VersionTraffic = {
            requests,
            errors,
            ...(sorted
              ? {
                  latency: [
                    ...sorted.map((le, i) => ({ le, count: i })),
                    { le: Number.POSITIVE_INFINITY, count: sorted.length },
                  ],
                }
              : {}),
          };
          const stored = JSON.parse(JSON.stringify(recordedTraffic(traffic)));
          expect(trafficOf(stored)).toEqual(traffic);
        },
      ),
    );
  });
});

describe('baking after the last step', () => {
  it('starts after 100% passed, records the figures of the step before, and says until when', () => {
    const { release, messages } = baking();
    expect(release.phase).toBe('baking');
    expect(release.bake).toEqual({ startedAt: at(720), until: at(720 + BAKE) });
    expect(release.bakeReference).toMatchObject({ step: 0, baseline: recordedTraffic(BASELINE_AT_50) });
    // The store keeps JSON: the recorded figures survive it, +Inf bucket included.
    const stored = JSON.parse(JSON.stringify(release)) as Release;
    expect(stored).toStrictEqual(release);
    expect(trafficOf(stored.bakeReference!.baseline)).toEqual(BASELINE_AT_50);
    expect(release.analysis?.startedAt).toBe(at(720));
    expect(release.lastVerdict).toBeUndefined();
    expect(messages).toContain(
      "Normal: Baking reviews.bookinfo reviews/v2 until 10:42 UTC: judged against the baseline's figures recorded at step 1/2 (12000 requests, 6 errors)",
    );
    expect(summarizeProgress(release).headline).toMatch(/^reviews\.bookinfo v2: baking until 10:42 UTC/);
    expect(availableActions(release)).toEqual(['rollback', 'pause', 'cancel']);
  });

  it('promotes only when the bake is over and nothing failed', () => {
    const { release } = baking();
    const during = drive(release, (r) => tickOf(r, 1200, { verdict: PASS })).release;
    expect(during.phase).toBe('baking');
    const end = drive(during, (r) => tickOf(r, 720 + BAKE, { verdict: PASS }));
    expect(end.release.phase).toBe('promoted');
    expect(end.release.bake?.outcome).toBe('passed');
    expect(eventMessages(end.decisions)).toEqual([
      'Normal: Bake passed reviews.bookinfo: every check within its limits',
      'Normal: Promotion completed! reviews.bookinfo routes all traffic to reviews/v2',
    ]);
  });

  it('restores the original route exactly on a fail verdict, as an automatic rollback does', () => {
    const { release } = baking();
    const failed = decide(release, tickOf(release, 1500, { verdict: FAIL }));
    expect(failed.next.phase).toBe('rolling-back');
    expect(failed.next.desired).toMatchObject({
      restore: true,
      checkDrift: true,
      weights: [{ destination: v1, weight: 100 }],
      routes: [],
    });
    expect(failed.effects.map((e) => e.kind)).toEqual(['audit', 'converge', 'event', 'notify']);
    const ended = decide(failed.next, appliedNow(failed.next, 1505)).next;
    expect(ended.phase).toBe('rolled-back');
    expect(ended.summary).toMatch(/^failed checks during the bake: .*; original route restored$/);
    expect(
      eventMessages([failed, decide(failed.next, appliedNow(failed.next, 1505))]).map((m) => m.split(':')[1]),
    ).toEqual([
      ' Rolling back reviews.bookinfo failed checks during the bake',
      ' Canary failed! Restored reviews.bookinfo original route',
    ]);
  });

  it('halts loudly and leaves the route on the canary when the previous version cannot take traffic back', () => {
    const { release } = baking();
    const failed = decide(release, {
      ...tickOf(release, 1500, { verdict: FAIL }),
      previousUnavailable: 'subset v1 of reviews has no ready pods',
    } as Observation);
    expect(failed.next.phase).toBe('paused');
    expect(failed.next.pause).toMatchObject({ reason: 'failed-analysis', from: 'baking' });
    expect(failed.effects.some((e) => e.kind === 'converge')).toBe(false);
    expect(failed.next.desired).toEqual(release.desired);
    expect(eventMessages([failed])[0]).toMatch(
      /^Warning: Halt reviews\.bookinfo failed checks during the bake, but the previous version cannot take its traffic back \(subset v1 of reviews has no ready pods\): the route stays on reviews\/v2/,
    );
  });

  it('halts instead of rolling back with --on-failure pause, and a resume bakes again from then', () => {
    const { release } = baking({ onFailure: 'pause' });
    const halted = decide(release, tickOf(release, 1500, { verdict: FAIL })).next;
    expect(halted.phase).toBe('paused');
    const resumed = drive(halted, act('resume', 1600, 'U0APPROVER')).release;
    expect(resumed.phase).toBe('baking');
    expect(resumed.bake).toEqual({ startedAt: at(1600), until: at(1600 + BAKE) });
  });

  it('lets people roll back, pause and cancel during the bake; an approval click changes nothing', () => {
    const { release } = baking();
    const click = decide(release, { ...approveNow(release, 900), step: release.currentStep });
    expect(click.outcome.status).toBe('refused');
    expect(click.next).toBe(release);
    const completion = decide(release, { ...approveNow(release, 900), step: release.plan.steps.length });
    expect(completion.outcome.status).toBe('refused');
    expect(completion.next).toBe(release);
    expect(drive(release, act('rollback', 900, 'U0APPROVER')).release.phase).toBe('rolling-back');
    expect(drive(release, act('cancel', 900, 'U0APPROVER')).release.phase).toBe('rolling-back');
    const paused = drive(release, act('pause', 900, 'U0APPROVER')).release;
    expect(paused.pause?.from).toBe('baking');
  });

  it('never promotes a bake without traffic: warns once, then asks a person, who promotes without a second bake', () => {
    const { release } = baking();
    let r = release;
    const decisions = [];
    for (let s = 780; s <= 720 + BAKE; s += 60) {
      const d = decide(r, tickOf(r, s, { verdict: NO_DATA }));
      decisions.push(d);
      r = d.next;
    }
    const messages = eventMessages(decisions);
    expect(messages.filter((m) => m.includes('the canary receives no traffic'))).toHaveLength(1);
    expect(r.phase).toBe('awaiting-approval');
    expect(r.approvalRequest).toMatchObject({ step: 2, unjudged: 'no-data' });
    expect(messages.at(-1)).toMatch(/^Warning: Halt reviews\.bookinfo the bake ended without evidence/);
    const promoted = decide(r, approveNow(r, 720 + BAKE + 10)).next;
    expect(promoted.phase).toBe('promoted');
    // While that approval waits, the canary is still judged as in the bake: a fail acts as it does there.
    expect(decide(r, tickOf(r, 720 + BAKE + 60, { verdict: FAIL })).next.phase).toBe('rolling-back');
    const gone = decide(r, {
      ...tickOf(r, 720 + BAKE + 60, { verdict: FAIL }),
      previousUnavailable: 'reviews/v1 has no ready replicas',
    } as Observation).next;
    expect(gone.pause).toMatchObject({ reason: 'failed-analysis', from: 'awaiting-approval' });
    expect(gone.desired).toEqual(r.desired);
  });

  it('bakes a blue/green switch against the absolute limits only, and says so', () => {
    const run = drive(
      started({ kind: 'blue-green' }, { options: { bakeSeconds: 600 } }),
      ...approveAndApply(10),
      (r) => judged(r, 315, PASS),
    );
    expect(run.release.phase).toBe('baking');
    expect(run.release.bakeReference).toBeUndefined();
    expect(eventMessages(run.decisions).at(-1)).toMatch(
      /^Warning: Baking reviews\.bookinfo reviews\/v2 until 10:15 UTC: no baseline figures were recorded before 100%/,
    );
  });

  it('bakes an A/B test after its promotion step, against the figures of the match step', () => {
    const run = drive(
      started(
        { kind: 'ab', matches: [{ kind: 'header', name: 'end-user', match: { exact: 'jason' } }] },
        { options: { bakeSeconds: 600 } },
      ),
      ...approveAndApply(10),
      (r) => judged(r, 315, PASS),
      ...approveAndApply(400),
      (r) => judged(r, 720, PASS),
    );
    expect(run.release.phase).toBe('baking');
    expect(run.release.bakeReference).toMatchObject({ step: 0, baseline: recordedTraffic(BASELINE_AT_50) });
  });

  it('warns when the metrics cannot be read, and never promotes on unreadable metrics', () => {
    const { release } = baking();
    let r = release;
    const decisions = [];
    for (let s = 780; s <= 720 + BAKE; s += 60) {
      const d = decide(r, tickOf(r, s, { unreadable: 'Prometheus is unavailable' }));
      decisions.push(d);
      r = d.next;
    }
    const warnings = eventMessages(decisions).filter((m) => m.includes('unjudged since'));
    expect(warnings).toHaveLength(1);
    expect(r.phase).toBe('awaiting-approval');
    expect(r.approvalRequest?.unjudged).toBe('unreadable');
  });

  it('halts on drift during the bake, and a resume re-applies the last step and bakes again after it passes', () => {
    const { release } = baking();
    const drifted = decide(
      release,
      tickOf(release, 900, { drift: 'found reviews/v1=50, reviews/v2=50' }),
    ).next;
    expect(drifted.pause).toMatchObject({ reason: 'drift', from: 'baking' });
    const resumed = drive(drifted, act('resume', 960, 'U0APPROVER')).release;
    expect(resumed.phase).toBe('applying');
    expect(resumed.desired.checkDrift).toBe(false);
    const again = drive(
      resumed,
      (r) => appliedNow(r, 965),
      (r) => tickOf(r, 1270, { verdict: PASS }),
    ).release;
    expect(again.phase).toBe('baking');
    expect(again.bake).toEqual({ startedAt: at(1270), until: at(1270 + BAKE) });
  });

  it('holds the promotion at the end of the bake while a freeze lasts', () => {
    const { release } = baking();
    const frozen = decide(release, tickOf(release, 720 + BAKE, { verdict: PASS }), {
      freeze: { kind: 'stop', window: 'stop the line', until: at(9000), reason: 'incident' },
    });
    expect(frozen.next.phase).toBe('baking');
  });

  it('takes no bake for a plan that does not end on all traffic (mirror)', () => {
    const run = drive(
      started({ kind: 'mirror' }, { options: { bakeSeconds: 600 } }),
      ...approveAndApply(10),
      (r) => judged(r, 315, PASS),
      (r) => approveNow(r, 320),
      (r) => appliedNow(r, 325),
    );
    expect(run.release.phase).toBe('completed');
    expect(run.release.bake).toBeUndefined();
  });
});

describe('--bake as an option', () => {
  it.each([0, 60, 1800, 86_400])('accepts %i s', (bakeSeconds) => {
    expect(releaseOptions({ bakeSeconds }).bakeSeconds).toBe(bakeSeconds);
  });

  it.each([1, 59, 86_401, 90.5, -60])('refuses %d s with the allowed range', (bakeSeconds) => {
    expect(() => releaseOptions({ bakeSeconds })).toThrow(/A bake lasts from 1 minute to 24 hours/);
  });

  it('keeps v2 on the route while baking (the mesh is not touched when the bake starts)', () => {
    const { release } = baking();
    expect(release.desired.weights).toEqual([
      { destination: v1, weight: 0 },
      { destination: v2, weight: 100 },
    ]);
    expect(release.applied).toBe(true);
  });
});
