/**
 * The message shortcut "Roll back a release": a modal opened at once (within the trigger's 3 seconds) that
 * says it is looking, then updated with a select of the releases the person may roll back and a required
 * reason. The submission is read back with {@link rollbackFromSubmission}.
 */
import { z } from 'zod';
import { type Release, targetName } from '../../domain/release/index.js';
import { clip, context, escapeMrkdwn, plain, section, slackDate } from './block-kit.js';
import { KIND_WORDS } from './release-words.js';
import { type ModalView, VIEW_LIMITS } from './slack-view.js';

/** `callback_id` of the modal, in each of its states. */
export const ROLLBACK_CALLBACK_ID = 'canary.rollback';

/** Block and action ids of the modal's inputs: Slack keys submitted values and errors by them. */
export const ROLLBACK_INPUTS = {
  release: { blockId: 'rollback.release', actionId: 'release' },
  reason: { blockId: 'rollback.reason', actionId: 'reason' },
} as const;

/** Longest reason accepted (the input's `max_length`). */
export const ROLLBACK_REASON_MAX = 500;

/** The message the shortcut was used on; kept in the modal's `private_metadata` as JSON. */
export interface RollbackSource {
  readonly channelId: string;
  /** The message's ts, e.g. `1714557600.000100`. */
  readonly messageTs: string;
  readonly teamId?: string;
  /** Slack's permalink of the message (it goes into the release's thread with the reason). */
  readonly permalink?: string;
  /** The shortcut's response URL: the person's answer goes there, privately, in the message's channel. */
  readonly responseUrl?: string;
}

/** What a valid submission asks for: roll back this release, seen at this state version, for this reason. */
export type RollbackRequest =
  | {
      readonly ok: true;
      readonly releaseId: string;
      readonly stateVersion: number;
      readonly reason: string;
      readonly source: RollbackSource;
    }
  | { readonly ok: false; readonly errors: Record<string, string> };

const sourceSchema = z.strictObject({
  channelId: z.string().regex(/^[CGD][A-Z0-9]{2,40}$/),
  messageTs: z.string().regex(/^\d{1,12}\.\d{1,8}$/),
  teamId: z
    .string()
    .regex(/^[TE][A-Z0-9]{2,40}$/)
    .optional(),
  permalink: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional(),
  responseUrl: z
    .url({ protocol: /^https?$/ })
    .max(1000)
    .optional(),
});

/** `<releaseId>:<stateVersion>`, the value of an option. */
const optionValueShape = /^([A-Za-z0-9]{1,40}):([1-9][0-9]{0,14})$/;

const TITLE = 'Roll back a release';

/** The source as `private_metadata`: only the fields the modal needs, well under 3000 characters. */
function metadataOf(source: RollbackSource): string {
  const text = JSON.stringify({
    channelId: source.channelId,
    messageTs: source.messageTs,
    ...(source.teamId !== undefined ? { teamId: source.teamId } : {}),
    ...(source.permalink !== undefined ? { permalink: source.permalink } : {}),
    ...(source.responseUrl !== undefined ? { responseUrl: source.responseUrl } : {}),
  });
  return text.length <= VIEW_LIMITS.privateMetadata ? text : '{}';
}

/** `From a message in #C…, 2025-05-01 10:00 UTC`, linking to the channel (Slack's documented deep link). */
function sourceLine(source: RollbackSource): string {
  const seconds = Number(source.messageTs.split('.')[0]);
  const when = Number.isFinite(seconds) ? ` (${slackDate(new Date(seconds * 1000).toISOString())})` : '';
  const team = source.teamId ? `&team=${encodeURIComponent(source.teamId)}` : '';
  const link =
    source.permalink ??
    `https://slack.com/app_redirect?channel=${encodeURIComponent(source.channelId)}${team}`;
  return `From <${link}|a message> in <#${escapeMrkdwn(source.channelId)}>${when}`;
}

function modal(source: RollbackSource, blocks: readonly unknown[], submit?: string): ModalView {
  return {
    type: 'modal',
    callback_id: ROLLBACK_CALLBACK_ID,
    title: plain(TITLE, VIEW_LIMITS.title),
    close: plain(submit ? 'Cancel' : 'Close', VIEW_LIMITS.close),
    ...(submit ? { submit: plain(submit, VIEW_LIMITS.submit) } : {}),
    private_metadata: metadataOf(source),
    blocks,
  };
}

/**
 * The modal as it opens, before the releases are read (a trigger id is valid for 3 seconds only).
 *
 * @example await client.views.open({ trigger_id, view: rollbackModalLoading({ channelId, messageTs, teamId }) });
 */
export function rollbackModalLoading(source: RollbackSource): ModalView {
  return modal(source, [
    section(':hourglass_flowing_sand: Finding the releases you may roll back…'),
    context(sourceLine(source)),
  ]);
}

/**
 * The modal when the person may roll back nothing now.
 *
 * @example await client.views.update({ view_id, view: noRollbackChoices(source) });
 */
export function noRollbackChoices(source: RollbackSource): ModalView {
  return modal(source, [
    section(
      'There is no active release you may roll back now. Releases that already ended, or that the approval policy does not let you roll back, are not listed.',
    ),
    context(sourceLine(source)),
  ]);
}

function optionOf(release: Release) {
  const cluster = release.meta.cluster !== undefined ? ` · ${release.meta.cluster}` : '';
  return {
    text: plain(
      `${targetName(release)} ${release.baseline.version} → ${release.canary.version}`,
      VIEW_LIMITS.optionText,
    ),
    description: plain(
      `${KIND_WORDS[release.kind]} · ${release.phase}${cluster} · ${release.id}`,
      VIEW_LIMITS.optionText,
    ),
    value: `${release.id}:${release.version}`,
  };
}

/**
 * The modal with the releases the person may roll back (the first 100, as given), a required reason, and
 * the message it was opened from. The option values are `<releaseId>:<stateVersion>`: the rollback acts on
 * the state the person saw.
 *
 * @example await client.views.update({ view_id, view: rollbackModal(await rollbackChoices(deps, actor), source) });
 */
export function rollbackModal(releases: readonly Release[], source: RollbackSource): ModalView {
  if (releases.length === 0) return noRollbackChoices(source);
  const listed = releases.slice(0, VIEW_LIMITS.options);
  const options = listed.map(optionOf);
  const blocks: unknown[] = [
    context(sourceLine(source)),
    {
      type: 'input',
      block_id: ROLLBACK_INPUTS.release.blockId,
      label: plain('Release', VIEW_LIMITS.label),
      element: {
        type: 'static_select',
        action_id: ROLLBACK_INPUTS.release.actionId,
        placeholder: plain('Pick the release to roll back', VIEW_LIMITS.placeholder),
        options,
        ...(options.length === 1 ? { initial_option: options[0] } : {}),
      },
    },
    {
      type: 'input',
      block_id: ROLLBACK_INPUTS.reason.blockId,
      label: plain('Reason', VIEW_LIMITS.label),
      hint: plain(
        'Recorded in the audit trail and shown on the card. The original route is restored.',
        VIEW_LIMITS.hint,
      ),
      element: {
        type: 'plain_text_input',
        action_id: ROLLBACK_INPUTS.reason.actionId,
        multiline: true,
        max_length: ROLLBACK_REASON_MAX,
        placeholder: plain('What went wrong?', VIEW_LIMITS.placeholder),
      },
    },
  ];
  if (releases.length > listed.length)
    blocks.push(
      context(
        clip(
          `${releases.length - listed.length} more releases are not listed; roll one back from its card or with \`/canary rollback <release-id>\`.`,
          VIEW_LIMITS.sectionText,
        ),
      ),
    );
  return modal(source, blocks, 'Roll back');
}

/** `view.state.values` as Slack sends it in `view_submission`: `{ block_id: { action_id: { type, … } } }`. */
const stateValuesSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.looseObject({
      type: z.string(),
      value: z.string().nullish(),
      selected_option: z.looseObject({ value: z.string() }).nullish(),
    }),
  ),
);

/**
 * Reads a submission of {@link rollbackModal}: the picked release and state version, the reason (trimmed,
 * required, at most 500 characters) and the source message from `private_metadata`. Errors are keyed by
 * block id, as `response_action: 'errors'` takes them.
 *
 * @example
 * const request = rollbackFromSubmission(body.view.state.values, body.view.private_metadata);
 * if (!request.ok) return ack({ response_action: 'errors', errors: request.errors });
 */
export function rollbackFromSubmission(values: unknown, metadata: string): RollbackRequest {
  const release = ROLLBACK_INPUTS.release;
  const reasonInput = ROLLBACK_INPUTS.reason;
  let source: RollbackSource | undefined;
  try {
    const parsed = sourceSchema.safeParse(JSON.parse(metadata));
    if (parsed.success) source = parsed.data;
  } catch {
    source = undefined;
  }
  const state = stateValuesSchema.safeParse(values);
  const errors: Record<string, string> = {};
  if (!source || !state.success) {
    errors[release.blockId] = 'This form could not be read; close it and use the shortcut again.';
    return { ok: false, errors };
  }
  const picked = state.data[release.blockId]?.[release.actionId]?.selected_option?.value ?? '';
  const match = optionValueShape.exec(picked);
  if (!match) errors[release.blockId] = 'Pick the release to roll back.';
  const reason = (state.data[reasonInput.blockId]?.[reasonInput.actionId]?.value ?? '').trim();
  if (reason.length === 0) errors[reasonInput.blockId] = 'Say why you roll it back.';
  else if (reason.length > ROLLBACK_REASON_MAX)
    errors[reasonInput.blockId] = `Keep the reason within ${ROLLBACK_REASON_MAX} characters.`;
  if (!match || Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    releaseId: match[1] as string,
    stateVersion: Number(match[2]),
    reason,
    source,
  };
}
