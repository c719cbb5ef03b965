/** Codes of store failures; each comes with a sentence for a person and the details as `cause`. */
export type StoreErrorCode =
  | 'release-exists' // create: the id is taken
  | 'route-busy' // create: another active release holds the route
  | 'not-found' // update: no such release
  | 'version-conflict' // someone else wrote first; re-read and decide again
  | 'finished' // update: a finished release cannot become active again
  | 'invalid' // the input itself is wrong (empty id, too large, not JSON); nothing was written
  | 'unavailable' // the backend did not answer or kept throttling after retries
  | 'failed'; // anything else the backend refused

/**
 * A failure of a store operation. `code` tells the caller what to do; `message` is for people.
 *
 * @example
 * if (error instanceof StoreError && error.code === 'version-conflict') return retryWithFreshState();
 */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A release with this id already exists. */
export class ReleaseExistsError extends StoreError {
  override name = 'ReleaseExistsError';
  constructor(
    readonly releaseId: string,
    options?: { cause?: unknown },
  ) {
    super('release-exists', `A release with id ${releaseId} already exists.`, options);
  }
}

/** Another release is active on the route; `activeReleaseId` says which (undefined if it finished meanwhile). */
export class RouteBusyError extends StoreError {
  override name = 'RouteBusyError';
  constructor(
    readonly routeKey: string,
    readonly activeReleaseId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'route-busy',
      `Route ${routeKey} already has an active release${activeReleaseId ? ` (${activeReleaseId})` : ''}.`,
      options,
    );
  }
}

/** No release with this id. */
export class ReleaseNotFoundError extends StoreError {
  override name = 'ReleaseNotFoundError';
  constructor(
    readonly releaseId: string,
    options?: { cause?: unknown },
  ) {
    super('not-found', `There is no release with id ${releaseId}.`, options);
  }
}

/** The stored version is not the expected one (`actual` is undefined when the item does not exist). */
export class VersionConflictError extends StoreError {
  override name = 'VersionConflictError';
  constructor(
    /** What was written: `release rel-1` or `record subscription/C0123`. */
    readonly subject: string,
    readonly expected: number,
    readonly actual: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'version-conflict',
      `${subject} changed meanwhile: expected version ${expected}, found ${actual ?? 'none'}.`,
      options,
    );
  }
}

/** A finished release was asked to become active again. */
export class ReleaseFinishedError extends StoreError {
  override name = 'ReleaseFinishedError';
  constructor(
    readonly releaseId: string,
    options?: { cause?: unknown },
  ) {
    super('finished', `Release ${releaseId} is finished and cannot become active again.`, options);
  }
}

/** The input is wrong; nothing was written. */
export class StoreInputError extends StoreError {
  override name = 'StoreInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid', message, options);
  }
}

/** The backend is throttling or unreachable even after the client's retries; try again later. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
  }
}
