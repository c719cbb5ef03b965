import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { StoreError, StoreUnavailableError } from '../../app/ports/store-errors.js';

/** What the store reads from an SDK error (the SDK's exception classes carry these fields). */
interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  Item?: Record<string, AttributeValue>;
  CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[];
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const shapeOf = (error: unknown): SdkErrorShape =>
  typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};

const throttled = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const serverSide = new Set(['InternalServerError', 'ServiceUnavailable', 'TransactionInProgressException']);
const network = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError', 'AbortError']);
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const transientReasons = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'TransactionConflict']);

/** A connection that failed; the SDK may wrap the socket error into one that keeps only its text. */
function isSocketFailure(shape: SdkErrorShape): boolean {
  if (socketCodes.has(shape.code ?? '')) return true;
  const words = (shape.message ?? '').match(/\b[A-Z][A-Z_]{4,}\b/g) ?? [];
  return words.some((word) => socketCodes.has(word));
}

/**
 * Whether a failed write only means "the conditions held by another writer a moment ago": a transaction that
 * collided with another one. Worth retrying after a short pause.
 */
export function isTransactionConflict(error: unknown): boolean {
  const shape = shapeOf(error);
  if (shape.name === 'TransactionConflictException') return true;
  if (shape.name !== 'TransactionCanceledException') return false;
  const codes = (shape.CancellationReasons ?? []).map((reason) => reason.Code);
  return codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
}

/**
 * The condition-check results of a cancelled transaction, one per action (`Code` `None` when it passed), or
 * undefined if the error is something else.
 */
export function cancellationReasons(
  error: unknown,
): { code: string; item: Record<string, AttributeValue> | undefined }[] | undefined {
  const shape = shapeOf(error);
  if (shape.name !== 'TransactionCanceledException') return undefined;
  return (shape.CancellationReasons ?? []).map((reason) => ({
    code: reason.Code ?? 'None',
    item: reason.Item,
  }));
}

/**
 * The stored item of a failed conditional single-item write (null when it does not exist), or undefined when
 * the error is not a failed condition.
 */
export function conditionFailure(error: unknown): Record<string, AttributeValue> | null | undefined {
  const shape = shapeOf(error);
  if (shape.name !== 'ConditionalCheckFailedException') return undefined;
  return shape.Item ?? null;
}

/**
 * The typed store error for anything the SDK threw (after its own retries). Throttling, server errors,
 * timeouts and network failures become StoreUnavailableError; StoreErrors pass through.
 *
 * @example
 * try { await client.send(command); } catch (error) { throw storeErrorOf(error, 'reading release rel-1'); }
 */
export function storeErrorOf(error: unknown, operation: string): StoreError {
  if (error instanceof StoreError) return error;
  const shape = shapeOf(error);
  const name = shape.name ?? 'Error';
  const reasons = cancellationReasons(error);
  if (throttled.has(name) || reasons?.some((reason) => transientReasons.has(reason.code))) {
    return new StoreUnavailableError(
      `DynamoDB is throttling or busy while ${operation}; try again shortly.`,
      {
        cause: error,
      },
    );
  }
  const status = shape.$metadata?.httpStatusCode ?? 0;
  if (serverSide.has(name) || network.has(name) || isSocketFailure(shape) || status >= 500) {
    return new StoreUnavailableError(`DynamoDB did not answer while ${operation} (${name}).`, {
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new StoreUnavailableError(`The store's DynamoDB table does not exist (${operation}).`, {
      cause: error,
    });
  }
  return new StoreError('failed', `DynamoDB refused ${operation}: ${name}: ${shape.message ?? ''}`, {
    cause: error,
  });
}
