/** What a channel reads of a metrics failure: what went wrong, never where Prometheus lives. */
import {
  BadQueryError,
  metricsFailureForPeople,
  PrometheusAuthError,
  PrometheusResponseError,
  PrometheusUnavailableError,
} from '../../src/app/ports/metrics-errors.js';

const workspace = 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd-4567';

describe('metricsFailureForPeople', () => {
  it.each([
    [
      new PrometheusUnavailableError(
        `Prometheus at ${workspace} is unavailable (HTTP 503) after 3 attempts`,
        'server-error',
        3,
        503,
      ),
      'Prometheus is unavailable: it answered HTTP 503 (3 attempts)',
    ],
    [
      new PrometheusUnavailableError(
        'Prometheus at http://10.0.3.7:9090 is unavailable (ECONNREFUSED: connect ECONNREFUSED 10.0.3.7:9090) after 1 attempt',
        'connection',
        1,
        undefined,
      ),
      'Prometheus is unavailable: it could not be reached (1 attempt)',
    ],
    [
      new PrometheusUnavailableError(
        `Prometheus at ${workspace} is unavailable (no answer) after 2 attempts`,
        'timeout',
        2,
        undefined,
      ),
      'Prometheus is unavailable: it did not answer in time (2 attempts)',
    ],
    [
      new PrometheusAuthError(`Prometheus at ${workspace} refused the bot's credentials (HTTP 403)`, 403),
      "Prometheus refused the bot's credentials (HTTP 403)",
    ],
    [
      new PrometheusResponseError(`Prometheus at http://10.0.3.7:9090/ answered HTTP 302`),
      'Prometheus answered HTTP 302',
    ],
    [
      new BadQueryError(
        'Prometheus refused the query: 1:5: parse error',
        400,
        'bad_data',
        '1:5: parse error',
        'sum(',
      ),
      'Prometheus refused the query: 1:5: parse error',
    ],
    [new Error(`connect to ${workspace} failed`), 'the metrics could not be read'],
  ])('%s', (error, expected) => {
    // Act
    const text = metricsFailureForPeople(error);
    // Assess
    expect(text).toBe(expected);
    expect(text).not.toMatch(/amazonaws|ws-0123|10\.0\.3\.7/);
  });

  it('scrubs any address left in a message', () => {
    expect(
      metricsFailureForPeople(
        new PrometheusResponseError('proxy 192.168.1.20:8080 said no; see http://proxy.internal/x'),
      ),
    ).toBe('proxy its address said no; see its endpoint');
  });
});
