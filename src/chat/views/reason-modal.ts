/**
 * The reason form: when the approval policy asks for a reason to approve or roll back, the card's button
 * carries one of {@link REASON_ACTION_IDS} and the ingress opens this modal on the click's trigger (within
 * Slack's three seconds). Its submission is read back with {@link reasonFromSubmission} and becomes the same
 * job as the plain button's, with the reason.
 */
import { z } from 'zod';
import { context, escapeMrkdwn, plain, section } from './block-kit.js';
import type { ButtonValue } from './button-value.js';
import { type ModalView, VIEW_LIMITS } from './slack-view.js';

/** The actions whose button can ask for a reason. */
export type ReasonedAction = 'approve' | 'rollback';

/** `action_id` of a card button that asks for a reason first (not under `release.`: those act at once). */
export const REASON_ACTION_IDS: Readonly<Record<ReasonedAction, string>> = {
  approve: 'reason.approve',
  rollback: 'reason.rollback',
};

/** `callback_id` of the modal. */
export const REASON_CALLBACK_ID = 'canary.reason';

/** Block and action id of the reason input: Slack keys the submitted value and its error by them. */
export const REASON_INPUT = { blockId: 'reason', actionId: 'reason' } as const;

/** Longest reason accepted (the input's `max_length`, as for `--reason`). */
export const REASON_MAX = 500;

/** Which action on which release, and where the click came from; kept in `private_metadata` as JSON. */
export interface ReasonSource {
  readonly action: ReasonedAction;
  readonly value: ButtonValue;
  readonly channelId: string;
  readonly teamId?: string;
  readonly enterpriseId?: string;
  /** The click's response URL: the answer goes there, privately, in the card's channel. */
  readonly responseUrl?: string;
  /** The click came from the App Home tab. */
  readonly home?: boolean;
}

const sourceSchema = z.strictObject({
  action: z.enum(['approve', 'rollback']),
  value: z.strictObject({
    r: z.string().regex(/^[A-Za-z0-9]{1,40}$/),
    s: z.number().int().min(0).max(1000),
    v: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  }),
  channelId: z.string().regex(/^([CGD][A-Z0-9]{2,40})?$/),
  teamId: z
    .string()
    .regex(/^[TE][A-Z0-9]{2,40}$/)
    .optional(),
  enterpriseId: z
    .string()
    .regex(/^E[A-Z0-9]{2,40}$/)
    .optional(),
  responseUrl: z
    .url({ protocol: /^https?$/ })
    .max(1000)
    .optional(),
  home: z.boolean().optional(),
});

const WORDS: Readonly<Record<ReasonedAction, { title: string; submit: string; ask: string }>> = {
  approve: { title: 'Approve with a reason', submit: 'Approve', ask: 'Why is this step good to go?' },
  rollback: { title: 'Roll back with a reason', submit: 'Roll back', ask: 'What went wrong?' },
};

/**
 * The modal for a click on a reason button: what the button said (`Approve: canary weight 25`), and a
 * required reason.
 *
 * @example await views.open(body.trigger_id, reasonModal({ action: 'approve', value, channelId }, 'Approve: canary weight 25'));
 */
export function reasonModal(source: ReasonSource, what: string): ModalView {
  const words = WORDS[source.action];
  const metadata = JSON.stringify(source);
  return {
    type: 'modal',
    callback_id: REASON_CALLBACK_ID,
    title: plain(words.title, VIEW_LIMITS.title),
    submit: plain(words.submit, VIEW_LIMITS.submit),
    close: plain('Cancel', VIEW_LIMITS.close),
    private_metadata: metadata.length <= VIEW_LIMITS.privateMetadata ? metadata : '{}',
    blocks: [
      section(`*${escapeMrkdwn(what)}*`),
      {
        type: 'input',
        block_id: REASON_INPUT.blockId,
        label: plain('Reason', VIEW_LIMITS.label),
        hint: plain(
          "The approval policy asks for one. It goes into the audit trail and the release's thread.",
          VIEW_LIMITS.hint,
        ),
        element: {
          type: 'plain_text_input',
          action_id: REASON_INPUT.actionId,
          multiline: true,
          max_length: REASON_MAX,
          placeholder: plain(words.ask, VIEW_LIMITS.placeholder),
        },
      },
      context(`Release ${escapeMrkdwn(source.value.r)}, state version ${source.value.v}`),
    ],
  };
}

/** What a submission asks for: the action with its reason, or the errors to show by block id. */
export type ReasonRequest =
  | { readonly ok: true; readonly source: ReasonSource; readonly reason: string }
  | { readonly ok: false; readonly errors: Record<string, string> };

const stateValuesSchema = z.record(
  z.string(),
  z.record(z.string(), z.looseObject({ type: z.string(), value: z.string().nullish() })),
);

/**
 * Reads a submission of {@link reasonModal}: the reason (trimmed, required, at most 500 characters) and
 * the action from `private_metadata`. Errors are keyed by block id, as `response_action: 'errors'` takes them.
 *
 * @example
 * const request = reasonFromSubmission(view.state.values, view.private_metadata);
 * if (!request.ok) return ack({ response_action: 'errors', errors: request.errors });
 */
export function reasonFromSubmission(values: unknown, metadata: string): ReasonRequest {
  let source: ReasonSource | undefined;
  try {
    const parsed = sourceSchema.safeParse(JSON.parse(metadata));
    if (parsed.success) source = parsed.data as ReasonSource;
  } catch {
    source = undefined;
  }
  const state = stateValuesSchema.safeParse(values);
  if (!source || !state.success)
    return {
      ok: false,
      errors: { [REASON_INPUT.blockId]: 'This form could not be read; close it and use the button again.' },
    };
  const reason = (state.data[REASON_INPUT.blockId]?.[REASON_INPUT.actionId]?.value ?? '').trim();
  if (reason.length === 0)
    return {
      ok: false,
      errors: {
        [REASON_INPUT.blockId]:
          source.action === 'approve' ? 'Say why you approve.' : 'Say why you roll it back.',
      },
    };
  if (reason.length > REASON_MAX)
    return {
      ok: false,
      errors: { [REASON_INPUT.blockId]: `Keep the reason within ${REASON_MAX} characters.` },
    };
  return { ok: true, source, reason };
}
