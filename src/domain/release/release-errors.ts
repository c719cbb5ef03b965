/** Codes of the reasons a release cannot be started as asked. */
export type InvalidReleaseCode =
  | 'invalid-steps'
  | 'invalid-weights'
  | 'invalid-match'
  | 'invalid-mirror'
  | 'invalid-pins'
  | 'invalid-options'
  | 'invalid-release';

/**
 * A release that cannot be started as asked; the message is a sentence to show the person who asked.
 *
 * @example
 * throw new InvalidReleaseError('invalid-steps', 'Canary weights must increase at every step; 25 comes after 50.');
 */
export class InvalidReleaseError extends Error {
  override readonly name = 'InvalidReleaseError';
  constructor(
    readonly code: InvalidReleaseCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An approval policy that cannot be used; the message names the policy and the wrong entry. */
export class InvalidApprovalPolicyError extends Error {
  override readonly name = 'InvalidApprovalPolicyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
