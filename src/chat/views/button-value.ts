/** What the release card's buttons carry: a constant action id per action, and a compact JSON value. */
import { z } from 'zod';

/** The actions of the card's buttons. */
export type CardAction = 'approve' | 'rollback' | 'pause' | 'resume' | 'cancel';

/** `action_id` per action: constant, so listeners register once. */
export const CARD_ACTION_IDS: Readonly<Record<CardAction, string>> = {
  approve: 'release.approve',
  rollback: 'release.rollback',
  pause: 'release.pause',
  resume: 'release.resume',
  cancel: 'release.cancel',
};

/**
 * The action of a card `action_id`, or undefined.
 *
 * @example cardActionOf('release.approve') // 'approve'
 */
export function cardActionOf(actionId: string): CardAction | undefined {
  return (Object.keys(CARD_ACTION_IDS) as CardAction[]).find((a) => CARD_ACTION_IDS[a] === actionId);
}

/** `{"r":releaseId,"s":step,"v":stateVersion}`: which release, which step, which state the person saw. */
export interface ButtonValue {
  /** Release id. */
  readonly r: string;
  /** Step index (`plan.steps.length` = the completion). */
  readonly s: number;
  /** Release state version. */
  readonly v: number;
}

const buttonValueSchema = z.strictObject({
  r: z.string().regex(/^[A-Za-z0-9]{1,40}$/),
  s: z.number().int().min(0).max(1000),
  v: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

/** The JSON a button carries; nothing else (no secrets, no free text). */
export function encodeButtonValue(value: ButtonValue): string {
  return JSON.stringify({ r: value.r, s: value.s, v: value.v });
}

/**
 * Reads a button value back, refusing anything that is not exactly what {@link encodeButtonValue} writes.
 *
 * @example parseButtonValue('{"r":"R1","s":1,"v":7}') // { ok: true, value: { r: 'R1', s: 1, v: 7 } }
 * @example parseButtonValue('{"r":"R1"}') // { ok: false, error: 'The button value is not a release reference: s: ...' }
 */
export function parseButtonValue(
  value: string,
): { readonly ok: true; readonly value: ButtonValue } | { readonly ok: false; readonly error: string } {
  if (typeof value !== 'string' || value.length > 2000)
    return { ok: false, error: 'The button value is missing or too long.' };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, error: 'The button value is not JSON.' };
  }
  const parsed = buttonValueSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    error: `The button value is not a release reference: ${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid'}.`,
  };
}
