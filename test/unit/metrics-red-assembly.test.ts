import { InvalidMetricsRequestError, NoDataError } from '../../src/app/ports/metrics-errors.js';
import type { InstantSample, RangeSeries } from '../../src/metrics/prometheus-api.js';
import { parseInstantResponse, parseRangeResponse } from '../../src/metrics/prometheus-api.js';
import {
  assembleRed,
  assembleRedRange,
  errorCodeMatcher,
  requireVersion,
} from '../../src/metrics/red-assembly.js';

const reviews = (version: string) => ({
  destination_workload_namespace: 'bookinfo',
  destination_service_name: 'reviews',
  destination_version: version,
  destination_workload: `reviews-${version}`,
});

function requests(version: string, code: string, value: number): InstantSample {
  return { labels: { ...reviews(version), response_code: code }, value };
}

function buckets(version: string, counts: Record<string, number>): InstantSample[] {
  return Object.entries(counts).map(([le, value]) => ({ labels: { ...reviews(version), le }, value }));
}

describe('assembleRed', () => {
  const requestsByCode = [
    requests('v1', '200', 5346),
    requests('v1', '500', 54),
    requests('v2', '200', 540),
    requests('v2', '503', 50),
    requests('v2', '429', 10),
  ];
  const bucketSamples = [
    ...buckets('v2', { '+Inf': 600, '10': 240, '25': 480, '50': 570, '100': 600 }),
    ...buckets('v1', { '10': 0, '+Inf': 0 }),
  ];

  it('gives requests, rates, 5xx errors, quantiles and sorted buckets per version', () => {
    const versions = assembleRed({
      requestsByCode,
      buckets: bucketSamples,
      windowSeconds: 600,
      errorCodes: ['5xx'],
    });

    expect(versions.map((v) => v.version)).toEqual(['v1', 'v2']);
    const [v1, v2] = versions;
    expect(v1).toMatchObject({ requests: 5400, requestRate: 9, errors: 54, errorRate: 0.01 });
    // Buckets exist but hold nothing: no latency rather than a latency of zero.
    expect(v1!.latencyMs).toBeUndefined();
    expect(v2).toMatchObject({
      namespace: 'bookinfo',
      service: 'reviews',
      workload: 'reviews-v2',
      requests: 600,
      requestRate: 1,
      errors: 50,
    });
    expect(v2!.errorRate).toBeCloseTo(50 / 600, 15);
    // p50: rank 300 in (10, 25] holding 240 from 240 -> 10 + 15 * 60/240 = 13.75
    // p90: rank 540 in (25, 50] holding 90 from 480 -> 25 + 25 * 60/90 = 41.666...
    // p99: rank 594 in (50, 100] holding 30 from 570 -> 50 + 50 * 24/30 = 90
    expect(v2!.latencyMs!.p50).toBeCloseTo(13.75, 12);
    expect(v2!.latencyMs!.p90).toBeCloseTo(41.666666666666664, 12);
    expect(v2!.latencyMs!.p99).toBeCloseTo(90, 12);
    expect(v2!.buckets).toEqual([
      { le: 10, count: 240 },
      { le: 25, count: 480 },
      { le: 50, count: 570 },
      { le: 100, count: 600 },
      { le: Number.POSITIVE_INFINITY, count: 600 },
    ]);
  });

  it('counts a configured set of codes as errors', () => {
    const [, v2] = assembleRed({
      requestsByCode,
      buckets: [],
      windowSeconds: 60,
      errorCodes: ['503', '429'],
    });

    expect(v2!.errors).toBe(60);
  });

  it('gives no error rate (not 0) to a version that served nothing in the window', () => {
    const [idle] = assembleRed({
      requestsByCode: [requests('v3', '200', 0)],
      buckets: [],
      windowSeconds: 60,
      errorCodes: ['5xx'],
    });

    expect(idle).toMatchObject({ requests: 0, errors: 0, errorRate: undefined, latencyMs: undefined });
  });

  it('keeps host-based versions apart by service name', () => {
    const host = (service: string, version: string, value: number): InstantSample => ({
      labels: {
        destination_workload_namespace: 'apps',
        destination_service_name: service,
        destination_version: version,
        destination_workload: `apps-svc-${version}`,
        response_code: '200',
      },
      value,
    });

    const versions = assembleRed({
      requestsByCode: [
        host('apps-svc-v2', 'v2', 20),
        host('apps-svc-v1', 'v1', 80),
        host('apps-svc-all', 'v1', 5),
      ],
      buckets: [],
      windowSeconds: 10,
      errorCodes: ['5xx'],
    });

    expect(versions.map((v) => `${v.service}/${v.version}=${v.requests}`)).toEqual([
      'apps-svc-all/v1=5',
      'apps-svc-v1/v1=80',
      'apps-svc-v2/v2=20',
    ]);
  });
});

describe('one reporter per service (sidecars, or the waypoint in ambient mode)', () => {
  const reported = (reporter: string, service: string, version: string, code: string, value: number) => ({
    labels: { ...reviews(version), destination_service_name: service, reporter, response_code: code },
    value,
  });

  it("judges a service behind a waypoint on the waypoint's reports, and never counts a request twice", () => {
    // Prepare: reviews is behind a waypoint whose pods still have sidecars (each request reported twice);
    // ratings has sidecars only.
    const requestsByCode = [
      reported('waypoint', 'reviews', 'v1', '200', 900),
      reported('waypoint', 'reviews', 'v2', '200', 90),
      reported('waypoint', 'reviews', 'v2', '503', 10),
      reported('destination', 'reviews', 'v1', '200', 900),
      reported('destination', 'reviews', 'v2', '200', 100),
      reported('destination', 'ratings', 'v1', '200', 400),
      { labels: { ...reviews('v3'), destination_service_name: 'details', response_code: '200' }, value: 7 },
    ];
    // Act
    const versions = assembleRed({ requestsByCode, buckets: [], windowSeconds: 100, errorCodes: ['5xx'] });
    // Assess
    const byKey = Object.fromEntries(
      versions.map((v) => [`${v.service}/${v.version}`, [v.requests, v.errors]]),
    );
    expect(byKey).toEqual({
      'details/v3': [7, 0],
      'ratings/v1': [400, 0],
      'reviews/v1': [900, 0],
      'reviews/v2': [100, 10],
    });
  });

  it('keeps the sidecars where they saw more: a waypoint no longer used, or traffic that skips it', () => {
    const requestsByCode = [
      // ratings left its waypoint: the waypoint's counter is flat (0 in the window).
      reported('waypoint', 'ratings', 'v1', '200', 0),
      reported('destination', 'ratings', 'v1', '200', 400),
      // details: requests from the ingress gateway skip the waypoint; its sidecars see all of them.
      reported('waypoint', 'details', 'v1', '200', 600),
      reported('destination', 'details', 'v1', '200', 1000),
      reported('destination', 'details', 'v1', '503', 10),
    ];
    const versions = assembleRed({ requestsByCode, buckets: [], windowSeconds: 100, errorCodes: ['5xx'] });
    expect(versions.map((v) => [v.service, v.requests, v.errors])).toEqual([
      ['details', 1010, 10],
      ['ratings', 400, 0],
    ]);
  });

  it('does the same for chart series', () => {
    const series = (reporter: string, value: number) => ({
      labels: { ...reviews('v2'), reporter, response_code: '200' },
      points: [{ atMs: 60_000, value }],
    });
    const charts = assembleRedRange({
      requestRatesByCode: [series('waypoint', 3), series('destination', 3)],
      bucketRates: [],
      errorCodes: ['5xx'],
    });
    expect(charts.map((c) => c.points.map((p) => p.requestRate))).toEqual([[3]]);
  });
});

describe('errorCodeMatcher', () => {
  it('matches classes and exact codes', () => {
    const isError = errorCodeMatcher(['5xx', '429', '0']);

    expect(['500', '503', '599', '429', '0'].every(isError)).toBe(true);
    expect(['200', '404', '430', '50', '5000'].some(isError)).toBe(false);
  });

  it('refuses what is neither', () => {
    expect(() => errorCodeMatcher(['5.*'])).toThrow(InvalidMetricsRequestError);
    expect(() => errorCodeMatcher([])).toThrow(InvalidMetricsRequestError);
  });
});

describe('requireVersion', () => {
  const report = {
    versions: assembleRed({
      requestsByCode: [requests('v1', '200', 10), requests('v2', '200', 1)],
      buckets: [],
      windowSeconds: 60,
      errorCodes: ['5xx'],
    }),
  };

  it('finds one version', () => {
    expect(requireVersion(report, { service: 'reviews', version: 'v2' }).requests).toBe(1);
  });

  it('says no data, not zero, for a version without series', () => {
    expect(() => requireVersion(report, { service: 'reviews', version: 'v3' })).toThrow(NoDataError);
  });

  it('refuses an ambiguous match', () => {
    expect(() => requireVersion(report, { service: 'reviews' })).toThrow(/2 versions match/);
  });
});

describe('assembleRedRange', () => {
  it('gives rate, error rate and p99 per step, with gaps where there is nothing', () => {
    const series = (labels: Record<string, string>, values: [number, number][]): RangeSeries => ({
      labels,
      points: values.map(([atMs, value]) => ({ atMs, value })),
    });

    const [v2] = assembleRedRange({
      requestRatesByCode: [
        series({ ...reviews('v2'), response_code: '200' }, [
          [1000, 9],
          [2000, 0],
        ]),
        series({ ...reviews('v2'), response_code: '500' }, [[1000, 1]]),
      ],
      bucketRates: [
        series({ ...reviews('v2'), le: '100' }, [
          [1000, 10],
          [2000, 0],
        ]),
        series({ ...reviews('v2'), le: '+Inf' }, [
          [1000, 10],
          [2000, 0],
        ]),
      ],
      errorCodes: ['5xx'],
    });

    expect(v2!.points).toEqual([
      { atMs: 1000, requestRate: 10, errorRate: 0.1, p99Ms: 99 },
      { atMs: 2000, requestRate: 0, errorRate: undefined, p99Ms: undefined },
    ]);
  });
});

describe('Prometheus API answers', () => {
  it('reads vectors, scalars and special values', () => {
    const vector = parseInstantResponse(
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"le":"+Inf"},"value":[1768471200.5,"NaN"]},{"metric":{},"value":[1768471200.5,"+Inf"]}]}}',
    );
    const scalar = parseInstantResponse(
      '{"status":"success","data":{"resultType":"scalar","result":[1,"12.5"]}}',
    );

    expect(vector[0]!.value).toBeNaN();
    expect(vector[1]).toEqual({ labels: {}, value: Number.POSITIVE_INFINITY });
    expect(scalar).toEqual([{ labels: {}, value: 12.5 }]);
  });

  it('reads matrices with millisecond timestamps', () => {
    const matrix = parseRangeResponse(
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1768471200,"1"],[1768471215.25,"2"]]}]}}',
    );

    expect(matrix).toEqual([
      {
        labels: { a: 'b' },
        points: [
          { atMs: 1768471200000, value: 1 },
          { atMs: 1768471215250, value: 2 },
        ],
      },
    ]);
  });

  it('refuses an answer that is not Prometheus JSON', () => {
    expect(() => parseInstantResponse('<html>502 Bad Gateway</html>')).toThrow(/not JSON: <html>502/);
    expect(() =>
      parseRangeResponse('{"status":"success","data":{"resultType":"vector","result":[]}}'),
    ).toThrow(/unexpected resultType vector/);
  });
});
