import {
  boundaryAtOrAbove,
  boundaryAtOrBelow,
  countSlowerThanBoundary,
  histogramQuantile,
  normalizeHistogram,
  quantileBoundary,
} from '../../src/domain/judge/latency-histogram.js';

const INF = Number.POSITIVE_INFINITY;
const sample = [
  { le: 100, count: 90 },
  { le: 500, count: 100 },
  { le: INF, count: 100 },
];

describe('histogramQuantile (Prometheus semantics)', () => {
  it('interpolates linearly inside the bucket holding the rank', () => {
    // Act and Assess: rank 99 is 9/10 of the way through (100, 500]
    expect(histogramQuantile(0.99, sample)).toBeCloseTo(460, 9);
    expect(histogramQuantile(0.5, sample)).toBeCloseTo(55.5555555, 5);
  });

  it('returns the last finite edge when the rank is in +Inf, and NaN without data', () => {
    // Prepare
    const tail = [
      { le: 100, count: 50 },
      { le: 500, count: 90 },
      { le: INF, count: 100 },
    ];
    // Act and Assess
    expect(histogramQuantile(0.99, tail)).toBe(500);
    expect(
      histogramQuantile(0.99, [
        { le: 100, count: 0 },
        { le: INF, count: 0 },
      ]),
    ).toBeNaN();
  });
});

describe('histogram helpers', () => {
  it('sorts buckets, raises dips to the running maximum, and needs +Inf', () => {
    // Act
    const fixed = normalizeHistogram([
      { le: INF, count: 10 },
      { le: 500, count: 9 },
      { le: 100, count: 9.5 },
    ]);
    // Assess
    expect(fixed).toEqual([
      { le: 100, count: 9.5 },
      { le: 500, count: 9.5 },
      { le: INF, count: 10 },
    ]);
    expect(normalizeHistogram([{ le: 100, count: 1 }])).toBeUndefined();
  });

  it('finds the boundary above a quantile and counts the requests beyond a boundary', () => {
    // Act and Assess
    expect(quantileBoundary(sample, 0.9)).toBe(100);
    expect(quantileBoundary(sample, 0.95)).toBe(500);
    expect(
      quantileBoundary(
        [
          { le: 100, count: 1 },
          { le: INF, count: 10 },
        ],
        0.5,
      ),
    ).toBeUndefined();
    expect(countSlowerThanBoundary(sample, 100)).toBe(10);
    expect(boundaryAtOrAbove(sample, 300)).toBe(500);
    expect(boundaryAtOrBelow(sample, 300)).toBe(100);
    expect(boundaryAtOrBelow(sample, 50)).toBe(0);
  });
});
