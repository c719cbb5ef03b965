import { MissingQueryVariableError, QueryTemplateError } from '../../src/app/ports/metrics-errors.js';
import { ISTIO_QUERIES } from '../../src/metrics/istio-queries.js';
import {
  ANY_VALUE,
  anyOfRegex,
  escapePromqlString,
  type QueryTemplate,
  quoteRegex,
  renderQuery,
} from '../../src/metrics/promql-template.js';

const probe: QueryTemplate = {
  name: 'probe',
  description: 'for tests',
  text: 'x{a="{{ a }}", b=~"{{b}}", c=~"{{ c }}"}[{{ w }}] > {{ n }}',
  variables: { a: 'label-value', b: 'label-regex', c: 'any-of', w: 'duration', n: 'number' },
};

describe('renderQuery', () => {
  it("renders Flagger's request-success-rate word for word", () => {
    const query = renderQuery(ISTIO_QUERIES['flagger-request-success-rate'], {
      namespace: 'test',
      target: 'podinfo',
      interval: '1m',
    });

    expect(query).toBe(
      'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) * 100',
    );
  });

  it("renders Flagger's request-duration word for word", () => {
    const query = renderQuery(ISTIO_QUERIES['flagger-request-duration'], {
      namespace: 'test',
      target: 'podinfo',
      interval: 60,
    });

    expect(query).toBe(
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[60s])) by (le))',
    );
  });

  it('renders the batched RED query with namespaces as a literal alternation and any service as .+', () => {
    const query = renderQuery(ISTIO_QUERIES['red-requests-by-code'], {
      namespaces: ['bookinfo', 'apps.prod'],
      services: ANY_VALUE,
      window: 300,
    });

    expect(query).toBe(
      'sum by (destination_workload_namespace, destination_service_name, destination_version, destination_workload, reporter, response_code) (increase(istio_requests_total{reporter=~"destination|waypoint", destination_workload_namespace=~"bookinfo|apps\\\\.prod", destination_service_name=~".+"}[300s]))',
    );
  });

  it('fails with MissingQueryVariableError naming every missing variable', () => {
    const error = (() => {
      try {
        renderQuery(ISTIO_QUERIES['flagger-request-duration'], { namespace: 'test' });
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(MissingQueryVariableError);
    expect((error as MissingQueryVariableError).missing).toEqual(['target', 'interval']);
    expect((error as MissingQueryVariableError).code).toBe('template');
  });

  it('refuses a placeholder that the template does not declare', () => {
    const broken: QueryTemplate = { ...probe, text: 'up{job="{{ jobb }}"}' };

    expect(() => renderQuery(broken, { jobb: 'x' })).toThrow(/undeclared variables: jobb/);
  });

  it('refuses values of the wrong kind', () => {
    const valid = { a: 'x', b: 'y', c: ['z'], w: 60, n: 1 };

    expect(() => renderQuery(probe, { ...valid, c: [] })).toThrow(QueryTemplateError);
    expect(() => renderQuery(probe, { ...valid, w: '5 minutes' })).toThrow(/PromQL duration/);
    expect(() => renderQuery(probe, { ...valid, w: -1 })).toThrow(/positive number of seconds/);
    expect(() => renderQuery(probe, { ...valid, n: Number.NaN })).toThrow(/finite number/);
    expect(() => renderQuery(probe, { ...valid, a: ['x'] })).toThrow(/must be a string/);
  });

  it('escapes every kind of value for its place', () => {
    const query = renderQuery(probe, {
      a: 'say "hi"\\\n',
      b: 'reviews.v2+(canary)',
      c: ['a|b', 'c'],
      w: 1.5,
      n: 0.25,
    });

    expect(query).toBe(
      'x{a="say \\"hi\\"\\\\\\n", b=~"reviews\\\\.v2\\\\+\\\\(canary\\\\)", c=~"a\\\\|b|c"}[1500ms] > 0.25',
    );
  });
});

describe('escaping helpers', () => {
  it('escapes quotes, backslashes and control characters but keeps UTF-8', () => {
    expect(escapePromqlString('a"b\\c\td\re\u0001é')).toBe('a\\"b\\\\c\\td\\re\\u0001é');
  });

  it('quotes every RE2 metacharacter', () => {
    expect(quoteRegex('.+*?()|[]{}^$\\')).toBe('\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$\\\\');
    expect(quoteRegex('reviews-v2')).toBe('reviews-v2');
  });

  it('builds an alternation without duplicates', () => {
    expect(anyOfRegex(['a.b', 'c', 'a.b'])).toBe('a\\.b|c');
  });
});
