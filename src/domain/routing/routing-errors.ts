/** Codes of the reasons a route change is refused before anything is written. */
export type RouteErrorCode =
  | 'route-not-found'
  | 'invalid-weights'
  | 'duplicate-destination'
  | 'destination-not-in-route'
  | 'route-name-taken'
  | 'route-full'
  | 'invalid-match';

/**
 * A route change that cannot be made; the message is a sentence a person understands.
 *
 * @example
 * throw new RouteError('invalid-weights', 'Weights must add up to 100, not 95 (v1=90, v2=5).');
 */
export class RouteError extends Error {
  override name = 'RouteError';
  constructor(
    readonly code: RouteErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
