import { fenceAllows } from '../../src/domain/release/index.js';

describe('fenceAllows: who may write a route, judged on its owner mark', () => {
  it('lets a release write over its own older marks, never over its tombstone', () => {
    expect(
      fenceAllows('r1/4@00aa11bb22cc33dd', { release: 'r1', stateVersion: 5, final: false }).allowed,
    ).toBe(true);
    expect(
      fenceAllows('r1/6@00aa11bb22cc33dd', { release: 'r1', stateVersion: 5, final: false }),
    ).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/already wrote version 6/),
    });
    expect(
      fenceAllows('r1/6/final@00aa11bb22cc33dd', { release: 'r1', stateVersion: 7, final: false }),
    ).toMatchObject({ allowed: false, reason: expect.stringMatching(/is over/) });
  });

  it("lets a new release take over once its predecessor's tombstone lands after it started (a redelivered job leaves it)", () => {
    // r2 started when r1 had ended in the store but its worker died before the tombstone: r2 saw r1/5.
    const fence = { release: 'r2', stateVersion: 2, final: false, predecessor: 'r1/5@00aa11bb22cc33dd' };

    expect(fenceAllows('r1/6/final@00aa11bb22cc33dd', fence).allowed).toBe(true);
  });

  it('refuses a new release when its predecessor wrote routes again, another release took the route, or the mark went back', () => {
    const fence = { release: 'r2', stateVersion: 2, final: false, predecessor: 'r1/5@00aa11bb22cc33dd' };

    expect(fenceAllows('r1/6@44ee55ff66aa77bb', fence)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/belongs to release r1/),
    });
    expect(fenceAllows('r3/1@44ee55ff66aa77bb', fence)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/belongs to release r3/),
    });
    expect(fenceAllows('r1/4/final@00aa11bb22cc33dd', fence).allowed).toBe(false);
    // A tombstone over routes that changed since r2 looked (a late write of r1 landed first) is not a take-over.
    expect(fenceAllows('r1/6/final@44ee55ff66aa77bb', fence)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/belongs to release r1 \(version 6, over\)/),
    });
    expect(fenceAllows(undefined, fence).allowed).toBe(false);
  });
});
