import { seededRandom } from '../../bench/judge/random.js';
import { confidenceOf, lowerEvidence, upperEvidence } from '../../src/domain/judge/index.js';

describe('upperEvidence and lowerEvidence', () => {
  it('grow with the distance from p0 and stay below 1 on the wrong side', () => {
    // Prepare
    const p0 = 0.01;
    // Act
    const far = upperEvidence(12, 100, p0);
    const near = upperEvidence(2, 100, p0);
    const below = upperEvidence(0, 1000, p0);
    const clean = lowerEvidence(0, 2000, p0);
    // Assess
    expect(far).toBeGreaterThan(1e5);
    expect(near).toBeLessThan(4);
    expect(below).toBeLessThan(1);
    expect(clean).toBeGreaterThan(20);
  });

  it('give no evidence without data and handle the edges of p0', () => {
    // Act and Assess
    expect(upperEvidence(0, 0, 0.2)).toBe(1);
    expect(upperEvidence(1, 10, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(upperEvidence(10, 10, 1)).toBe(1);
    expect(confidenceOf(1000)).toBeCloseTo(0.999, 12);
    expect(confidenceOf(0.5)).toBe(0);
  });

  it('wrongly reach 1/alpha at most alpha of the time over 30 looks at the edge of the null', () => {
    // Prepare: p exactly p0, 100 requests a minute, a look every minute
    const random = seededRandom(42);
    const p0 = 0.02;
    const runs = 1000;
    let rejections = 0;
    // Act
    for (let run = 0; run < runs; run++) {
      let hits = 0;
      for (let minute = 1; minute <= 30; minute++) {
        for (let request = 0; request < 100; request++) if (random.next() < p0) hits++;
        if (upperEvidence(hits, 100 * minute, p0) >= 100) {
          rejections++;
          break;
        }
      }
    }
    // Assess: Ville bounds it by alpha = 1%; discrete looks keep it far lower (about 0.15%)
    expect(rejections / runs).toBeLessThanOrEqual(0.01);
  });
});
