import * as k8s from '@kubernetes/client-node';

/**
 * Per-call options that abort a Kubernetes request after `ms`: the client has no timeout of its own, and an
 * API server that accepts a connection and never answers would otherwise hold a worker until Lambda kills it.
 *
 * @example await custom.getNamespacedCustomObject(params, requestTimeout(10_000));
 */
export function requestTimeout(ms: number): k8s.ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request) => {
          request.setSignal(AbortSignal.timeout(ms));
          return new k8s.Observable(Promise.resolve(request));
        },
        post: (response) => new k8s.Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
