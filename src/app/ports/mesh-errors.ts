/** Codes of mesh failures; each comes with a sentence for a person and the details as `cause`. */
export type MeshErrorCode =
  | 'not-found' // the VirtualService does not exist
  | 'invalid' // the change itself is wrong (weights, route, match); nothing was written
  | 'unknown-host' // a destination host is not a Service
  | 'unknown-subset' // a destination subset is not in the DestinationRule
  | 'not-ready' // a version that would receive traffic has no ready replicas
  | 'drift' // the live route is not what the bot last wrote or was told to expect
  | 'conflict' // other writers kept winning; retries exhausted
  | 'verify-failed' // the read-back does not show the change
  | 'forbidden' // RBAC refused the bot
  | 'rejected' // the API server (or the mesh's admission webhook) refused the object
  | 'superseded' // the route's owner mark says a newer writer owns it: this write is refused (fencing)
  | 'unavailable'; // the API server did not answer

/**
 * A failure of a mesh operation. `code` tells the caller what to do; `message` is for people.
 *
 * @example
 * if (error instanceof MeshError && error.code === 'drift') halt(error.message);
 */
export class MeshError extends Error {
  override name = 'MeshError';
  constructor(
    readonly code: MeshErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The live route differs from the expected one; carries both so the channel can be told exactly what changed. */
export class DriftError extends MeshError {
  override name = 'DriftError';
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('drift', message);
  }
}
