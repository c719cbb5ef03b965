/**
 * Flagger keys per namespace. Each namespace's Canaries authenticate with their own key, derived from the
 * master secret (CANARY_BOT_FLAGGER_SECRET): HMAC-SHA256 of the namespace, base64url without padding. The
 * bot never stores a key; it derives the one of the payload's namespace and compares. A Canary author thus
 * holds their namespace's key only, and a key of one namespace cannot speak for another.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The webhook metadata entry that carries the key (Flagger sends a webhook's `metadata` in its payload). */
export const FLAGGER_KEY_METADATA = 'canary-bot-key';

/** The master secrets: the current one, and during a rotation the previous one. */
export interface FlaggerMasters {
  readonly current: string;
  readonly previous?: string;
}

/**
 * The key of one namespace.
 *
 * @example flaggerNamespaceKey('master-secret-0123456789abcdef', 'bookinfo') // 'q3V…' (43 characters)
 */
export function flaggerNamespaceKey(master: string, namespace: string): string {
  return createHmac('sha256', master).update(namespace, 'utf8').digest('base64url');
}

/**
 * Which master a presented key was derived from for this namespace, or undefined. Constant time: every
 * candidate is compared (hashed to 32 bytes first, so lengths do not leak).
 *
 * @example keyGeneration(masters, 'bookinfo', presented) // 'current' | 'previous' | undefined
 */
export function keyGeneration(
  masters: FlaggerMasters,
  namespace: string,
  presented: string,
): 'current' | 'previous' | undefined {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  const given = digest(presented);
  const current = timingSafeEqual(given, digest(flaggerNamespaceKey(masters.current, namespace)));
  const previous =
    masters.previous !== undefined &&
    timingSafeEqual(given, digest(flaggerNamespaceKey(masters.previous, namespace)));
  if (current) return 'current';
  return previous ? 'previous' : undefined;
}
