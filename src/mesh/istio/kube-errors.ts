import { ApiException } from '@kubernetes/client-node';
import { withoutInternals } from '../../app/ports/for-people.js';
import { MeshError } from '../../app/ports/mesh-errors.js';

/** Maps a Kubernetes client failure to a mesh error with a plain sentence; the original stays as `cause`. */
export function toMeshError(error: unknown, doing: string): MeshError {
  if (error instanceof MeshError) return error;
  // Only the client's ApiException carries an HTTP status; an aborted request (timeout) is a DOMException
  // whose numeric `code` (23) is not one.
  const code = error instanceof ApiException ? error.code : undefined;
  if (typeof code === 'number') {
    const raw = apiMessage(error);
    const reason = raw === undefined ? undefined : withoutInternals(raw);
    switch (code) {
      case 401:
        return new MeshError('forbidden', `Kubernetes did not accept the bot's credentials to ${doing}.`, {
          cause: error,
        });
      case 403:
        return new MeshError(
          'forbidden',
          `Kubernetes RBAC does not allow the bot to ${doing}${reason ? `: ${reason}` : ''}.`,
          { cause: error },
        );
      case 404:
        return new MeshError('not-found', `Could not ${doing}: it does not exist.`, { cause: error });
      case 409:
        return new MeshError('conflict', `Could not ${doing}: it changed meanwhile.`, { cause: error });
      case 400:
      case 422: {
        const admission = reason ? admissionRefusal(reason) : undefined;
        if (admission)
          return new MeshError('rejected', `${admission.by} refused to ${doing}: ${admission.message}`, {
            cause: error,
          });
        return new MeshError('rejected', `Kubernetes refused to ${doing}${reason ? `: ${reason}` : ''}.`, {
          cause: error,
        });
      }
      default:
        if (code >= 500 || code === 429) {
          return new MeshError('unavailable', `Kubernetes API error ${code} while trying to ${doing}.`, {
            cause: error,
          });
        }
        return new MeshError(
          'rejected',
          `Kubernetes answered ${code} to ${doing}${reason ? `: ${reason}` : ''}.`,
          { cause: error },
        );
    }
  }
  return new MeshError('unavailable', `The Kubernetes API did not answer while trying to ${doing}.`, {
    cause: error,
  });
}

const admissionShape = /^admission webhook "([^"]+)" denied the request: ([\s\S]*)$/;

/**
 * A refusal by a validating admission webhook, in the words of whoever refused: Istio's webhook
 * (`validation.istio.io`) is named as Istio, and its own message is kept whole.
 *
 * @example admissionRefusal('admission webhook "validation.istio.io" denied the request: configuration is invalid: x')
 * // { by: "Istio's validating webhook", message: 'configuration is invalid: x' }
 */
export function admissionRefusal(reason: string): { by: string; message: string } | undefined {
  const match = admissionShape.exec(reason.trim());
  if (!match) return undefined;
  const [, webhook = '', message = ''] = match;
  const by = webhook.endsWith('.istio.io')
    ? "Istio's validating webhook"
    : `The admission webhook ${webhook}`;
  return { by, message: /[.!?]$/.test(message) ? message : `${message}.` };
}

function apiMessage(error: unknown): string | undefined {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message;
    } catch {
      return undefined;
    }
  }
  return (body as { message?: string } | undefined)?.message;
}

/**
 * Runs an idempotent read, retrying what is transient (429, 5xx, no answer) with jittered back-off and
 * honouring Retry-After up to a cap. Writes are never retried here: their outcome must be settled by reading.
 */
export async function readWithRetries<T>(read: () => Promise<T>, doing: string, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const failure = toMeshError(error, doing);
      if (failure.code !== 'unavailable' || attempt >= attempts) throw failure;
      const retryAfter = Number((error as { headers?: Record<string, string> }).headers?.['retry-after']);
      const backoff =
        Number.isFinite(retryAfter) && retryAfter > 0
          ? Math.min(retryAfter * 1000, 2000)
          : Math.random() * 100 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

/**
 * Whether a route object can be read: false when it does not exist (or its kind is not served), and when
 * `forbiddenIsAbsent` and the bot's RBAC does not let it read that kind (an optional API the operator did not
 * grant: the bot could not drive such a route either). Other failures throw.
 */
export async function routeObjectExists(
  read: () => Promise<unknown>,
  forbiddenIsAbsent = false,
): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (error instanceof MeshError && error.code === 'not-found') return false;
    if (error instanceof MeshError && error.code === 'forbidden' && forbiddenIsAbsent) return false;
    throw error;
  }
}
