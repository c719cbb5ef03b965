import { histogramQuantile, parseBucketBound, sortedBuckets } from '../../src/metrics/histogram-quantile.js';

const inf = Number.POSITIVE_INFINITY;
// 100 observations: 40 at most 10 ms, 80 at most 20, 95 at most 50, all at most 100.
const histogram = [
  { le: 10, count: 40 },
  { le: 20, count: 80 },
  { le: 50, count: 95 },
  { le: 100, count: 100 },
  { le: inf, count: 100 },
];

describe('histogramQuantile (Prometheus interpolation)', () => {
  it.each([
    // rank 20 in (0, 10] holding 40: 0 + 10 * 20/40
    [0.2, 5],
    // rank 50 in (10, 20] holding 40 from 40: 10 + 10 * (50-40)/40
    [0.5, 12.5],
    // rank 90 in (20, 50] holding 15 from 80: 20 + 30 * (90-80)/15
    [0.9, 40],
    // rank 99 in (50, 100] holding 5 from 95: 50 + 50 * (99-95)/5
    [0.99, 90],
    // rank 0: the first bucket, at its lower edge
    [0, 0],
    // rank 100: first bucket reaching 100 is le=100, its upper edge
    [1, 100],
  ])('q=%p gives %p ms', (q, expected) => {
    expect(histogramQuantile(q, histogram)).toBeCloseTo(expected, 12);
  });

  it('answers the upper bound of the last finite bucket when the rank falls in +Inf', () => {
    const slow = [
      { le: 10, count: 10 },
      { le: 25, count: 20 },
      { le: inf, count: 100 },
    ];

    expect(histogramQuantile(0.5, slow)).toBe(25);
  });

  it('sorts, merges equal bounds and forces counts monotonic first', () => {
    const messy = [
      { le: inf, count: 100 },
      { le: 20, count: 40 }, // dips below le=10 (extrapolated separately): raised to 50
      { le: 10, count: 30 },
      { le: 10, count: 20 }, // same bound as above: summed to 50
      { le: 50, count: 100 },
    ];

    // le=10: 50, le=20: 50, le=50: 100; rank 50 sits at the top of the first bucket.
    expect(histogramQuantile(0.5, messy)).toBe(10);
    // rank 75 in (20, 50] holding 50 from 50: 20 + 30 * 25/50
    expect(histogramQuantile(0.75, messy)).toBe(35);
  });

  it('returns the bound itself for a first bucket at or below zero', () => {
    expect(
      histogramQuantile(0.25, [
        { le: 0, count: 10 },
        { le: 10, count: 20 },
        { le: inf, count: 20 },
      ]),
    ).toBe(0);
  });

  it('has the special cases of Prometheus', () => {
    expect(histogramQuantile(-0.1, histogram)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(1.1, histogram)).toBe(inf);
    expect(histogramQuantile(Number.NaN, histogram)).toBeNaN();
    expect(histogramQuantile(0.5, histogram.slice(0, 4))).toBeNaN(); // no +Inf bucket
    expect(histogramQuantile(0.5, [{ le: inf, count: 5 }])).toBeNaN(); // fewer than two buckets
    expect(
      histogramQuantile(
        0.5,
        histogram.map((b) => ({ ...b, count: 0 })),
      ),
    ).toBeNaN(); // no observation
    expect(histogramQuantile(0.5, [])).toBeNaN();
  });

  it('leaves its input untouched', () => {
    const input = [
      { le: inf, count: 10 },
      { le: 5, count: 10 },
    ];
    histogramQuantile(0.5, input);

    expect(input).toEqual([
      { le: inf, count: 10 },
      { le: 5, count: 10 },
    ]);
  });
});

describe('parseBucketBound', () => {
  it.each([
    ['+Inf', inf],
    ['Inf', inf],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['0.5', 0.5],
    ['3600000', 3600000],
    ['1e3', 1000],
    ['.5', 0.5],
  ])('reads %p as %p', (text, value) => {
    expect(parseBucketBound(text)).toBe(value);
  });

  it.each(['', 'abc', '1ms', '0x10', ' 1'])('refuses %p', (text) => {
    expect(parseBucketBound(text)).toBeUndefined();
  });
});

describe('sortedBuckets', () => {
  it('sorts by bound and sums equal bounds without altering counts otherwise', () => {
    expect(
      sortedBuckets([
        { le: inf, count: 9 },
        { le: 1, count: 5 },
        { le: 1, count: 2 },
        { le: 0.5, count: 8 },
      ]),
    ).toEqual([
      { le: 0.5, count: 8 },
      { le: 1, count: 7 },
      { le: inf, count: 9 },
    ]);
  });
});
