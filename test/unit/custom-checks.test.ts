/**
 * Custom checks from the setting to the card: `CANARY_BOT_CHECKS` parsed strictly (naming the bad field),
 * templates rendered with escaped values, Prometheus' answers read into the judge's form (and refusals
 * named), the reading carried by a tick job, the gate that refuses a release whose check Prometheus
 * refuses, and the card that shows a custom check's reason like a built-in one.
 */
import { readFile } from 'node:fs/promises';
import type { CustomChecks } from '../../src/app/canary-analysis.js';
import { judgeReading, type MetricsByCluster, readReleases } from '../../src/app/canary-analysis.js';
import { CustomCheckGate } from '../../src/app/custom-check-gate.js';
import { silentLogger } from '../../src/app/logger.js';
import {
  type ConfiguredCheck,
  type CustomCheckReader,
  definitionOf,
} from '../../src/app/ports/custom-checks.js';
import { BadQueryError, PrometheusUnavailableError } from '../../src/app/ports/metrics-errors.js';
import { parseTickJob, readingFromWire, readingToWire } from '../../src/app/tick.js';
import { releaseCard } from '../../src/chat/views/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { customChecksOf, renderCustomCheckQuery } from '../../src/metrics/custom-check-queries.js';
import type { InstantSample, RangeSeries } from '../../src/metrics/prometheus-api.js';
import { PrometheusMetricsReader, type PromqlRunner } from '../../src/metrics/prometheus-metrics-reader.js';
import { appliedNow, approveNow, drive, passStep, started, tick } from './release-fixtures.js';

const minimal = {
  CANARY_BOT_SLACK_SIGNING_SECRET: 'a-signing-secret-of-some-length',
  CANARY_BOT_SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
};
const noSecrets = async (reference: string) => {
  throw new Error(`unexpected secret reference ${reference}`);
};

const checkoutFailures = {
  name: 'checkout failures',
  kind: 'ratio',
  better: 'lower',
  events:
    'sum(increase(shop_checkouts_total{namespace="{{ namespace }}", app="{{ service }}", version="{{ version }}", outcome="failed"}[{{ window }}]))',
  total:
    'sum(increase(shop_checkouts_total{namespace="{{ namespace }}", app="{{ service }}", version="{{ version }}"}[{{ window }}]))',
  floor: 0.005,
};
const cacheHits = {
  name: 'cache hit ratio',
  kind: 'bounded',
  better: 'higher',
  query: 'avg(cache_hit_ratio{namespace="{{ namespace }}", version="{{ version }}"})',
  min: 0,
  max: 1,
  absolute: 0.1,
};

async function configWith(checks: unknown) {
  return await loadConfig({ ...minimal, CANARY_BOT_CHECKS: JSON.stringify(checks) }, noSecrets);
}

async function refusalOf(checks: unknown): Promise<string> {
  try {
    await configWith(checks);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the setting was accepted');
}

describe('CANARY_BOT_CHECKS', () => {
  it('reads checks per namespace and per service, a service replacing its namespace check of the same name', async () => {
    // Act
    const config = await configWith({
      namespaces: { shop: [checkoutFailures, cacheHits] },
      services: { 'shop/checkout': [{ ...checkoutFailures, floor: 0.01, ratio: 2 }] },
    });
    const checksOf = customChecksOf(config.customChecks);
    // Assess
    expect(checksOf('shop', 'cart').map((c) => c.name)).toEqual(['checkout failures', 'cache hit ratio']);
    expect(checksOf('shop', 'checkout')).toEqual([
      expect.objectContaining({ name: 'cache hit ratio', kind: 'bounded', relative: 0 }),
      expect.objectContaining({ name: 'checkout failures', floor: 0.01, ratio: 2 }),
    ]);
    expect(checksOf('shop', 'cart')[0]).toMatchObject({ ratio: 1.5 });
    expect(checksOf('other', 'cart')).toEqual([]);
    expect(checksOf('constructor', 'toString')).toEqual([]);
  });

  it("accepts the README's example as written", async () => {
    // Prepare
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Custom checks'));
    const example = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    // Act
    const config = await configWith(JSON.parse(example ?? 'null'));
    // Assess
    const checksOf = customChecksOf(config.customChecks);
    expect(checksOf('shop', 'catalog').map((c) => [c.name, c.kind])).toEqual([
      ['checkout failures', 'ratio'],
      ['cache hit ratio', 'bounded'],
    ]);
    expect(
      renderCustomCheckQuery(checksOf('shop', 'catalog')[0] as ConfiguredCheck, 'events', sides.canary, 300),
    ).toBe(
      'sum(increase(shop_checkouts_total{namespace="shop", app="checkout", version="v2", outcome="failed"}[300s]))',
    );
  });

  it('is empty when left out', async () => {
    const config = await loadConfig(minimal, noSecrets);
    expect(config.customChecks).toEqual({});
  });

  it.each([
    [
      'an unknown field',
      { namespaces: { shop: [{ ...checkoutFailures, treshold: 0.1 }] } },
      /CANARY_BOT_CHECKS\.namespaces\.shop\.0: .*treshold/,
    ],
    [
      'a variable no check has',
      { namespaces: { shop: [{ ...checkoutFailures, events: 'sum(x{pod="{{ pod }}"})' }] } },
      /CANARY_BOT_CHECKS\.namespaces\.shop\.0\.events: .*undeclared variables: pod/,
    ],
    [
      'a query that cannot tell the versions apart',
      {
        namespaces: {
          shop: [{ ...checkoutFailures, total: 'sum(rate(shop_checkouts_total[{{ window }}]))' }],
        },
      },
      /CANARY_BOT_CHECKS\.namespaces\.shop\.0\.total: must tell the versions apart/,
    ],
    [
      'a ratio without its tolerance',
      { namespaces: { shop: [{ ...checkoutFailures, floor: undefined }] } },
      /CANARY_BOT_CHECKS\.namespaces\.shop\.0\.floor/,
    ],
    [
      'bounds the wrong way round',
      { services: { 'shop/cart': [{ ...cacheHits, min: 1, max: 0 }] } },
      /CANARY_BOT_CHECKS\.services\.shop\/cart\.0: min must be below max/,
    ],
    [
      'no direction',
      { namespaces: { shop: [{ ...cacheHits, better: 'up' }] } },
      /CANARY_BOT_CHECKS\.namespaces\.shop\.0\.better/,
    ],
    [
      'two checks of one name',
      { namespaces: { shop: [checkoutFailures, checkoutFailures] } },
      /CANARY_BOT_CHECKS\.namespaces\.shop\.1\.name: "checkout failures" is named twice/,
    ],
    [
      'a service not named namespace/service',
      { services: { checkout: [checkoutFailures] } },
      /CANARY_BOT_CHECKS\.services\.checkout: services are named namespace\/service/,
    ],
  ])('refuses %s, naming the field', async (_what, setting, expected) => {
    expect(await refusalOf(setting)).toMatch(expected);
  });

  it('refuses a setting that is not JSON', async () => {
    await expect(loadConfig({ ...minimal, CANARY_BOT_CHECKS: '{' }, noSecrets)).rejects.toThrow(
      /CANARY_BOT_CHECKS: is not valid JSON/,
    );
  });
});

async function configured(): Promise<{ ratio: ConfiguredCheck; bounded: ConfiguredCheck }> {
  const config = await configWith({ namespaces: { shop: [checkoutFailures, cacheHits] } });
  const [ratio, bounded] = customChecksOf(config.customChecks)('shop', 'checkout');
  return { ratio: ratio as ConfiguredCheck, bounded: bounded as ConfiguredCheck };
}

describe('custom check queries', () => {
  it('renders the side and the window, escaping label values', async () => {
    const { ratio } = await configured();
    expect(
      renderCustomCheckQuery(
        ratio,
        'events',
        { namespace: 'shop', service: 'checkout', version: 'v2"x' },
        300,
      ),
    ).toBe(
      'sum(increase(shop_checkouts_total{namespace="shop", app="checkout", version="v2\\"x", outcome="failed"}[300s]))',
    );
  });
});

/** A Prometheus that answers from a function of the query. */
function runner(answer: (query: string) => InstantSample[] | RangeSeries[] | Error): PromqlRunner & {
  queries: string[];
} {
  const queries: string[] = [];
  const reply = async <T>(query: string): Promise<T> => {
    queries.push(query);
    const result = answer(query);
    if (result instanceof Error) throw result;
    return result as T;
  };
  return { queries, instantQuery: (q) => reply(q), rangeQuery: (q) => reply(q) };
}

const sides = {
  canary: { namespace: 'shop', service: 'checkout', version: 'v2' },
  baseline: { namespace: 'shop', service: 'checkout', version: 'v1' },
};

describe('PrometheusMetricsReader.customCheck', () => {
  it("sums a ratio's series per side, counts missing events as 0 and a missing total as no opportunity", async () => {
    // Prepare
    const { ratio } = await configured();
    const prometheus = runner((query) => {
      const canary = query.includes('version="v2"');
      if (query.includes('outcome="failed"'))
        return canary
          ? []
          : [
              { labels: { pod: 'a' }, value: 3 },
              { labels: { pod: 'b' }, value: 2 },
            ];
      return canary ? [] : [{ labels: {}, value: 1000 }];
    });
    // Act
    const reading = await new PrometheusMetricsReader(prometheus).customCheck(ratio, sides, {
      at: 1_700_000_000_000,
      windowSeconds: 240,
    });
    // Assess
    expect(reading).toEqual({
      check: { name: 'checkout failures', kind: 'ratio', better: 'lower', floor: 0.005, ratio: 1.5 },
      canary: { events: 0, total: 0 },
      baseline: { events: 5, total: 1000 },
    });
    expect(prometheus.queries).toHaveLength(4);
    expect(prometheus.queries.every((q) => q.includes('[240s]'))).toBe(true);
  });

  it('pairs the minutes both versions have of a bounded check, averaging several series', async () => {
    // Prepare
    const { bounded } = await configured();
    const prometheus = runner((query) =>
      query.includes('version="v2"')
        ? [
            {
              labels: { pod: 'a' },
              points: [
                { atMs: 60_000, value: 0.2 },
                { atMs: 120_000, value: 0.4 },
              ],
            },
            {
              labels: { pod: 'b' },
              points: [
                { atMs: 60_000, value: 0.4 },
                { atMs: 180_000, value: 0.1 },
              ],
            },
          ]
        : [
            {
              labels: {},
              points: [
                { atMs: 60_000, value: 0.9 },
                { atMs: 180_000, value: 0.8 },
              ],
            },
          ],
    );
    // Act
    const reading = await new PrometheusMetricsReader(prometheus).customCheck(bounded, sides, {
      at: 180_000,
      windowSeconds: 180,
    });
    // Assess
    expect(reading).toEqual({
      check: expect.objectContaining({ kind: 'bounded', name: 'cache hit ratio' }),
      minutes: [
        { canary: expect.closeTo(0.3, 10), baseline: 0.9 },
        { canary: 0.1, baseline: 0.8 },
      ],
    });
    expect(prometheus.queries[0]).toBe('avg(cache_hit_ratio{namespace="shop", version="v2"})');
  });

  it("names the check and the query Prometheus refused, with Prometheus' own error", async () => {
    const { ratio } = await configured();
    const refused = new BadQueryError(
      'Prometheus refused the query (HTTP 400 bad_data): 1:5: parse error: unexpected <by>',
      400,
      'bad_data',
      '1:5: parse error: unexpected <by>',
      'q',
    );
    const reader = new PrometheusMetricsReader(runner(() => refused));
    await expect(reader.probeCustomCheck(ratio, sides.canary, 0)).rejects.toThrow(
      'custom check "checkout failures": Prometheus refused its events query: 1:5: parse error: unexpected <by>',
    );
  });
});

describe('a custom check through a tick job to the verdict', () => {
  it('travels as JSON and fails a canary whose RED is healthy', async () => {
    // Prepare: RED alike for both versions, checkout failures 8% on the canary vs 0.2% on the baseline.
    const { ratio } = await configured();
    const reader = new PrometheusMetricsReader(
      runner((query) => {
        const canary = query.includes('version="v2"');
        const failed = query.includes('outcome="failed"');
        return [{ labels: {}, value: canary ? (failed ? 40 : 500) : failed ? 10 : 5000 }];
      }),
    );
    const custom = await reader.customCheck(ratio, sides, { at: 0, windowSeconds: 300 });
    const healthy = { requests: 500, errors: 0 };
    const reading = {
      kind: 'figures' as const,
      stateVersion: 3,
      step: 1,
      windowStartedAt: '2025-05-01T10:00:00.000Z',
      windowSeconds: 300,
      canary: healthy,
      baseline: { requests: 5000, errors: 0 },
      custom: [custom],
    };
    // Act
    const job = parseTickJob(
      JSON.parse(
        JSON.stringify({
          kind: 'tick',
          releaseId: 'R1',
          at: '2025-05-01T10:05:00.000Z',
          reading: readingToWire(reading),
        }),
      ),
    );
    const back = readingFromWire(job.reading!);
    const judged = judgeReading(back as typeof reading);
    const withoutIt = judgeReading({ ...reading, custom: [] });
    // Assess
    expect(back).toEqual(reading);
    expect(judged.verdict.verdict).toBe('fail');
    expect(judged.verdict.reasons[0]).toMatchObject({
      check: 'custom',
      name: 'checkout failures',
      status: 'fail',
    });
    expect(judged.verdict.reasons[0]?.message).toMatch(
      /^checkout failures: canary 8(\.0)?% \(40\/500\) vs baseline 0\.2% \(10\/5000\): 99(\.\d+)?% sure it is worse than the tolerance/,
    );
    expect(withoutIt.verdict.verdict).not.toBe('fail');
  });

  it('refuses a job whose custom reading is malformed, naming the field', () => {
    expect(() =>
      parseTickJob({
        kind: 'tick',
        releaseId: 'R1',
        at: '2025-05-01T10:05:00.000Z',
        reading: {
          kind: 'figures',
          stateVersion: 1,
          step: 1,
          windowStartedAt: 'x',
          windowSeconds: 60,
          canary: { requests: 1, errors: 0 },
          baseline: { requests: 1, errors: 0 },
          custom: [
            {
              check: { kind: 'ratio', name: 'x', better: 'lower', floor: 0.1, ratio: 1 },
              canary: { events: -1, total: 1 },
              baseline: { events: 0, total: 1 },
            },
          ],
        },
      }),
    ).toThrow(/reading\.custom\.0/);
  });

  it('shows the custom reason on the card, and in the rollback, like a built-in check', async () => {
    // Prepare
    const { ratio } = await configured();
    const custom = await new PrometheusMetricsReader(
      runner((query) => {
        const canary = query.includes('version="v2"');
        const failed = query.includes('outcome="failed"');
        return [{ labels: {}, value: canary ? (failed ? 40 : 500) : failed ? 10 : 5000 }];
      }),
    ).customCheck(ratio, sides, { at: 0, windowSeconds: 300 });
    const { verdict } = judgeReading({
      kind: 'figures',
      stateVersion: 1,
      step: 1,
      windowStartedAt: 'x',
      windowSeconds: 300,
      canary: { requests: 500, errors: 0 },
      baseline: { requests: 5000, errors: 0 },
      custom: [custom],
    });
    const { release } = drive(started(), ...passStep(10), tick(320, { verdict }), (r) => appliedNow(r, 330));
    // Act
    const card = JSON.stringify(releaseCard(release).blocks);
    // Assess
    expect(release.phase).toBe('rolled-back');
    expect(release.rollback?.reason).toMatch(/^failed checks: checkout failures: canary 8/);
    expect(card).toContain(':x: checkout failures: canary 8');
    expect(card).toContain(':white_check_mark: canary success rate 100% (500/500)');
  });
});

describe('CustomCheckGate', () => {
  function gateWith(probe: CustomCheckReader['probeCustomCheck'], check: ConfiguredCheck) {
    const calls: string[] = [];
    const reader: CustomCheckReader = {
      customCheck: async () => {
        throw new Error('not read here');
      },
      probeCustomCheck: async (c, side, at) => {
        calls.push(`${c.name}/${side.version}`);
        return await probe(c, side, at);
      },
    };
    const customChecks: CustomChecks = { checksOf: () => [check], readerFor: () => reader };
    return {
      calls,
      gate: new CustomCheckGate({ customChecks, log: silentLogger, clock: () => new Date(0) }),
    };
  }
  const target = { namespace: 'shop', service: 'checkout' };

  it("refuses with Prometheus' error, naming the check, and asks Prometheus once", async () => {
    const { ratio } = await configured();
    const { gate, calls } = gateWith(async () => {
      throw new BadQueryError(
        'custom check "checkout failures": Prometheus refused its total query: 1:9: parse error: unclosed left parenthesis',
        400,
        'bad_data',
        '1:9: parse error: unclosed left parenthesis',
        'q',
      );
    }, ratio);
    const first = await gate.problemOf('prod', target, sides.canary);
    const second = await gate.problemOf('prod', target, sides.canary);
    expect(first).toBe(
      'custom check "checkout failures" cannot be used: Prometheus refused its total query: 1:9: parse error: unclosed left parenthesis',
    );
    expect(second).toBe(first);
    expect(calls).toEqual(['checkout failures/v2']);
  });

  it('lets a release start when Prometheus cannot be asked, and asks again next time', async () => {
    const { ratio } = await configured();
    const { gate, calls } = gateWith(async () => {
      throw new PrometheusUnavailableError('down', 'connection', 3, undefined);
    }, ratio);
    expect(await gate.problemOf('prod', target, sides.canary)).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await gate.problemOf('prod', target, sides.canary)).toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('refuses a check that reads the same series for both versions of a subset-based release, before asking Prometheus', async () => {
    const { ratio } = await configured();
    const byService: ConfiguredCheck = {
      ...(ratio as Extract<ConfiguredCheck, { kind: 'ratio' }>),
      events: 'sum(increase(shop_checkouts_total{app="{{ service }}", outcome="failed"}[{{ window }}]))',
    };
    const { gate, calls } = gateWith(async () => undefined, byService);

    const subsets = await gate.problemOf('prod', target, sides.canary, { baseline: 'v1', sameService: true });
    const hosts = await gate.problemOf('prod', target, sides.canary, { baseline: 'v1', sameService: false });
    const withVersion = await gateWith(async () => undefined, ratio).gate.problemOf(
      'prod',
      target,
      sides.canary,
      {
        baseline: 'v1',
        sameService: true,
      },
    );

    expect(subsets).toBe(
      'custom check "checkout failures" cannot tell v2 from v1: both are subsets of the Service checkout, and its query names the service but not {{ version }}, so it would compare v1 with itself',
    );
    expect(hosts).toBeUndefined();
    expect(withVersion).toBeUndefined();
    expect(calls).toEqual(['checkout failures/v2']);
  });

  it('accepts a check Prometheus accepts', async () => {
    const { bounded } = await configured();
    const { gate } = gateWith(async () => undefined, bounded);
    expect(await gate.problemOf(undefined, target, sides.canary)).toBeUndefined();
    const { refused } = await gate.validateConfigured([
      { cluster: 'default', where: 'namespaces.shop', check: bounded, side: sides.canary },
    ]);
    expect(refused).toBe(0);
  });
});

describe('readReleases with custom checks', () => {
  const red: MetricsByCluster = () => ({
    red: async (_selection, window) => ({
      at: new Date(Number(window.at)),
      windowSeconds: window.windowSeconds,
      versions: [],
      servicesWithoutData: [],
      queries: 2,
    }),
    redRange: async () => {
      throw new Error('not here');
    },
    flaggerChecks: async () => {
      throw new Error('not here');
    },
  });
  const analysing = () =>
    drive(
      started(),
      (r) => approveNow(r, 10),
      (r) => appliedNow(r, 15),
    ).release;

  it("reads each release's checks for its canary and baseline over its window", async () => {
    // Prepare
    const { ratio } = await configured();
    const asked: unknown[] = [];
    const reader: CustomCheckReader = {
      customCheck: async (check, sides, window) => {
        asked.push({ sides, windowSeconds: window.windowSeconds });
        return {
          check: definitionOf(check as Extract<ConfiguredCheck, { kind: 'ratio' }>),
          canary: { events: 1, total: 10 },
          baseline: { events: 0, total: 90 },
        };
      },
      probeCustomCheck: async () => undefined,
    };
    const release = analysing();
    // Act
    const { readings, queries } = await readReleases(
      {
        metricsFor: red,
        log: silentLogger,
        customChecks: {
          checksOf: (ns, service) => (ns === 'bookinfo' && service === 'reviews' ? [ratio] : []),
          readerFor: () => reader,
        },
      },
      [release],
      new Date(Date.parse(release.analysis?.startedAt ?? '') + 150_000),
    );
    // Assess
    expect(readings.get(release.id)).toMatchObject({
      kind: 'figures',
      custom: [{ check: { name: 'checkout failures' }, canary: { events: 1, total: 10 } }],
    });
    expect(asked).toEqual([
      {
        sides: {
          canary: { namespace: 'bookinfo', service: 'reviews', version: 'v2' },
          baseline: { namespace: 'bookinfo', service: 'reviews', version: 'v1' },
        },
        windowSeconds: 180,
      },
    ]);
    expect(queries).toBe(6);
  });

  it('leaves a release unjudged, naming the check, when Prometheus refuses its query', async () => {
    const { ratio } = await configured();
    const reader: CustomCheckReader = {
      customCheck: async () => {
        throw new BadQueryError(
          'custom check "checkout failures": Prometheus refused its total query: 1:9: parse error: unexpected end of input',
          400,
          'bad_data',
          '1:9: parse error: unexpected end of input',
          'q',
        );
      },
      probeCustomCheck: async () => undefined,
    };
    const release = analysing();
    const { readings } = await readReleases(
      {
        metricsFor: red,
        log: silentLogger,
        customChecks: { checksOf: () => [ratio], readerFor: () => reader },
      },
      [release],
      new Date(Date.parse(release.analysis?.startedAt ?? '') + 60_000),
    );
    expect(readings.get(release.id)).toEqual({
      kind: 'unreadable',
      reason:
        'custom check "checkout failures": Prometheus refused its total query: 1:9: parse error: unexpected end of input',
    });
  });
});
