/** What a Flagger card's buttons carry: a constant action id per action, and the gate id with a version. */
import { z } from 'zod';
import { type GateTarget, type PersonGateAction, parseGateId } from '../../domain/flagger/index.js';

/** `action_id` per action; apart from the release card's `release.*`, so each has its own listener. */
export const FLAGGER_ACTION_IDS: Readonly<Record<PersonGateAction, string>> = {
  approve: 'flagger.approve',
  reject: 'flagger.reject',
  rollback: 'flagger.rollback',
};

/**
 * The action of a Flagger card `action_id`, or undefined.
 *
 * @example flaggerActionOf('flagger.approve') // 'approve'
 */
export function flaggerActionOf(actionId: string): PersonGateAction | undefined {
  return (Object.keys(FLAGGER_ACTION_IDS) as PersonGateAction[]).find(
    (a) => FLAGGER_ACTION_IDS[a] === actionId,
  );
}

/** `{"g":gateId,"v":version}`: which gate of which revision, and the record version the card showed. */
export interface FlaggerButtonValue {
  /** `namespace/name/checksum/<hook or rollback>` (see gateIdOf). */
  readonly g: string;
  /** Version of the revision record the card was drawn from. */
  readonly v: number;
}

const valueSchema = z.strictObject({
  g: z.string().max(500),
  v: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

/** The JSON a Flagger button carries; nothing else (no secrets, no free text). */
export function encodeFlaggerButtonValue(value: FlaggerButtonValue): string {
  return JSON.stringify({ g: value.g, v: value.v });
}

/**
 * Reads a Flagger button value back, refusing anything {@link encodeFlaggerButtonValue} would not write.
 *
 * @example parseFlaggerButtonValue('{"g":"test/podinfo/7845487b68/confirm-promotion","v":3}')
 * // { ok: true, value: { g: 'test/podinfo/7845487b68/confirm-promotion', v: 3 }, target: 'confirm-promotion' }
 */
export function parseFlaggerButtonValue(
  value: string,
):
  | { readonly ok: true; readonly value: FlaggerButtonValue; readonly target: GateTarget }
  | { readonly ok: false; readonly error: string } {
  if (typeof value !== 'string' || value.length > 2000)
    return { ok: false, error: 'The button value is missing or too long.' };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, error: 'The button value is not JSON.' };
  }
  const parsed = valueSchema.safeParse(json);
  const gate = parsed.success ? parseGateId(parsed.data.g) : undefined;
  if (!parsed.success || !gate)
    return { ok: false, error: 'The button value is not a Flagger gate reference.' };
  return { ok: true, value: parsed.data, target: gate.target };
}
