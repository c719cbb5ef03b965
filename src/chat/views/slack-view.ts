/**
 * Slack views (modals and the App Home tab): what `views.open`, `views.update`, `views.push` and
 * `views.publish` take. Blocks are kept loose (`unknown` objects) because views use input blocks and
 * select menus that messages do not; {@link VIEW_LIMITS} are Slack's documented limits for views.
 */

/** Slack's limits for a view (https://api.slack.com/reference/surfaces/views). */
export const VIEW_LIMITS = {
  /** Modals and the home tab: at most 100 blocks. */
  blocks: 100,
  /** title, submit and close of a modal: plain text, 24 characters. */
  title: 24,
  submit: 24,
  close: 24,
  callbackId: 255,
  privateMetadata: 3000,
  externalId: 255,
  blockId: 255,
  actionId: 255,
  /** A section's text, a label's text: 3000 and 2000 characters. */
  sectionText: 3000,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  /** An option's text: 75 characters; its value: 150; a select offers at most 100 options. */
  optionText: 75,
  optionValue: 150,
  options: 100,
  /** How long a trigger_id may be used to open a view. */
  triggerSeconds: 3,
  /** Views stacked in one modal (views.push): at most 3. */
  stack: 3,
} as const;

interface PlainTextObject {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

/** A modal view. */
export interface ModalView {
  type: 'modal';
  title: PlainTextObject;
  blocks: readonly unknown[];
  submit?: PlainTextObject;
  close?: PlainTextObject;
  callback_id?: string;
  private_metadata?: string;
  external_id?: string;
  clear_on_close?: boolean;
  notify_on_close?: boolean;
}

/** The App Home tab's view. */
export interface HomeView {
  type: 'home';
  blocks: readonly unknown[];
  callback_id?: string;
  private_metadata?: string;
  external_id?: string;
}

export type SlackView = ModalView | HomeView;

/** The id and hash Slack answers for an opened or updated view (`hash` guards `views.update`). */
export interface OpenedView {
  id: string;
  hash: string;
}
