/**
 * The PromQL the bot runs against Istio's standard metrics, as templates (see promql-template.ts).
 * The batched RED queries read the server side of a request: what the destination's sidecar reported
 * (`reporter="destination"`) or, in Istio's ambient mode, the waypoint in front of it (`reporter="waypoint"`),
 * grouped by reporter so that each service is judged on one of them (see `oneReporterPerService`); the
 * per-service cross-checks and Flagger's own queries read the sidecars'.
 */
import type { QueryTemplate } from './promql-template.js';

/** Istio's request counter and latency histogram (milliseconds). */
export const ISTIO_REQUESTS_TOTAL = 'istio_requests_total';
export const ISTIO_REQUEST_DURATION_BUCKET = 'istio_request_duration_milliseconds_bucket';

/**
 * Labels that identify one version of one service. Subset-based releases (host `reviews`, subsets v1/v2)
 * differ by `destination_version`; host-based ones (`apps-svc-v1`/`apps-svc-v2`) by `destination_service_name`.
 */
export const VERSION_LABELS = [
  'destination_workload_namespace',
  'destination_service_name',
  'destination_version',
  'destination_workload',
] as const;

/** The proxies whose reports are read: sidecars, and ambient mode's waypoints. */
export const SERVER_REPORTERS = ['destination', 'waypoint'] as const;

const BY_VERSION = VERSION_LABELS.join(', ');
const BY_REPORTED_VERSION = `${BY_VERSION}, reporter`;
const SELECTED = `reporter=~"${SERVER_REPORTERS.join('|')}", destination_workload_namespace=~"{{ namespaces }}", destination_service_name=~"{{ services }}"`;
const ONE_SERVICE =
  'reporter="destination", destination_workload_namespace="{{ namespace }}", destination_service_name="{{ service }}"';

function template(
  name: string,
  description: string,
  text: string,
  variables: QueryTemplate['variables'],
): QueryTemplate {
  return { name, description, text, variables };
}

const batched = { namespaces: 'any-of', services: 'any-of', window: 'duration' } as const;
const perService = { namespace: 'label-value', service: 'label-value', window: 'duration' } as const;
const flagger = { namespace: 'label-value', target: 'label-regex', interval: 'duration' } as const;

/**
 * Every query of the bot by name. The batched RED of any number of services is two instant queries
 * (`red-requests-by-code` and `red-duration-buckets`); charts are their two `rate` twins over a range.
 */
export const ISTIO_QUERIES = {
  'red-requests-by-code': template(
    'red-requests-by-code',
    'Requests in the window per version and response code, for many services at once.',
    `sum by (${BY_REPORTED_VERSION}, response_code) (increase(${ISTIO_REQUESTS_TOTAL}{${SELECTED}}[{{ window }}]))`,
    batched,
  ),
  'red-duration-buckets': template(
    'red-duration-buckets',
    'Cumulative latency bucket counts in the window per version, for many services at once.',
    `sum by (${BY_REPORTED_VERSION}, le) (increase(${ISTIO_REQUEST_DURATION_BUCKET}{${SELECTED}}[{{ window }}]))`,
    batched,
  ),
  'red-request-rate-by-code': template(
    'red-request-rate-by-code',
    'Requests per second per version and response code (range query, for charts).',
    `sum by (${BY_REPORTED_VERSION}, response_code) (rate(${ISTIO_REQUESTS_TOTAL}{${SELECTED}}[{{ window }}]))`,
    batched,
  ),
  'red-duration-bucket-rate': template(
    'red-duration-bucket-rate',
    'Latency bucket rates per version (range query, for charts).',
    `sum by (${BY_REPORTED_VERSION}, le) (rate(${ISTIO_REQUEST_DURATION_BUCKET}{${SELECTED}}[{{ window }}]))`,
    batched,
  ),
  'service-requests': template(
    'service-requests',
    'Requests in the window per version of one service (one query per service; for cross-checks).',
    `sum by (${BY_VERSION}) (increase(${ISTIO_REQUESTS_TOTAL}{${ONE_SERVICE}}[{{ window }}]))`,
    perService,
  ),
  'service-errors': template(
    'service-errors',
    'Requests answered 5xx in the window per version of one service.',
    `sum by (${BY_VERSION}) (increase(${ISTIO_REQUESTS_TOTAL}{${ONE_SERVICE}, response_code=~"5.*"}[{{ window }}]))`,
    perService,
  ),
  'service-duration-quantile': template(
    'service-duration-quantile',
    "A latency quantile per version of one service, by Prometheus' own histogram_quantile.",
    `histogram_quantile({{ quantile }}, sum by (${BY_VERSION}, le) (increase(${ISTIO_REQUEST_DURATION_BUCKET}{${ONE_SERVICE}}[{{ window }}])))`,
    { ...perService, quantile: 'number' },
  ),
  // Flagger's built-in checks, word for word (NS, TARGET, INTERVAL become variables).
  'flagger-request-success-rate': template(
    'flagger-request-success-rate',
    "Flagger's request-success-rate: percent of the target workload's requests not answered 5xx.",
    'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100',
    flagger,
  ),
  'flagger-request-duration': template(
    'flagger-request-duration',
    "Flagger's request-duration: p99 latency of the target workload in milliseconds.",
    'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))',
    flagger,
  ),
} as const satisfies Record<string, QueryTemplate>;

export type IstioQueryName = keyof typeof ISTIO_QUERIES;
