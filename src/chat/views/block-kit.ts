/**
 * The few Block Kit pieces the views use, built so that they always fit Slack's limits: every text is
 * clipped to its limit, and {@link fitMessage} keeps a whole message under the block count and the total
 * text size (Slack answers `msg_blocks_too_long` around 13k characters).
 */

/** Slack's documented limits for what the views build. */
export const BLOCK_KIT_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Below Slack's ~13k total of block text, with room for what the checker counts that we do not clip. */
  totalText: 12_000,
  /** The notification text: Slack allows 40k, a notification needs far less. */
  fallbackText: 3000,
} as const;

const L = BLOCK_KIT_LIMITS;

export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}

export interface Mrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}

export type TextObject = PlainText | Mrkdwn;

/** A confirmation dialog on a button. */
export interface ConfirmDialog {
  readonly title: PlainText;
  readonly text: PlainText;
  readonly confirm: PlainText;
  readonly deny: PlainText;
  readonly style?: 'primary' | 'danger';
}

export interface Button {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: PlainText;
  readonly value?: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: ConfirmDialog;
}

/** The blocks the views use. */
export type Block =
  | { readonly type: 'header'; readonly text: PlainText }
  | { readonly type: 'section'; readonly text?: Mrkdwn; readonly fields?: readonly Mrkdwn[] }
  | { readonly type: 'context'; readonly elements: readonly Mrkdwn[] }
  | { readonly type: 'divider' }
  | { readonly type: 'actions'; readonly block_id?: string; readonly elements: readonly Button[] };

/** What a view returns: `text` is the notification (and screen reader) fallback of `blocks`. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Block[];
}

/**
 * `text` cut to `max` characters, ending with `…` when cut; never cuts a surrogate pair or an `&amp;` entity.
 *
 * @example clip('canary weight 25', 8) // 'canary …'
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  cut = cut.replace(/&[a-z]{0,3}$/, '');
  return `${cut}…`;
}

/** Text made safe for mrkdwn: Slack's three control characters escaped, so `<` cannot become a link or a mention. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Foreign text escaped for mrkdwn, then cut to `max` characters (escaping can make text five times longer). */
export function escaped(text: string, max: number): string {
  return clip(escapeMrkdwn(text), max);
}

/** Inline code: backticks inside would end it, so they become quotes. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text).replace(/`/g, "'")}\``;
}

/** A Slack user id as a mention; anything else (`canary-bot`, `flagger`) as plain text. */
export function mention(actor: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(actor) ? `<@${actor}>` : escapeMrkdwn(actor);
}

/**
 * A time that Slack shows in each reader's time zone; the fallback is UTC.
 *
 * @example slackDate('2025-05-01T10:00:00.000Z') // '<!date^1746093600^{date_short_pretty} {time}|2025-05-01 10:00 UTC>'
 */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escaped(iso, 40);
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

export function plain(text: string, max: number): PlainText {
  return { type: 'plain_text', text: clip(text.length > 0 ? text : ' ', max), emoji: true };
}

function mrkdwn(text: string, max: number): Mrkdwn {
  return { type: 'mrkdwn', text: clip(text.length > 0 ? text : ' ', max) };
}

export function header(text: string): Block {
  return { type: 'header', text: plain(text, L.headerText) };
}

/** A section of mrkdwn text (already escaped where it holds foreign text). */
export function section(text: string): Block {
  return { type: 'section', text: mrkdwn(text, L.sectionText) };
}

/** A section of fields, shown two a row: a small table. */
export function fields(texts: readonly string[]): Block {
  return { type: 'section', fields: texts.slice(0, L.sectionFields).map((t) => mrkdwn(t, L.fieldText)) };
}

/** Small grey text. */
export function context(...texts: readonly string[]): Block {
  return {
    type: 'context',
    elements: texts.slice(0, L.contextElements).map((t) => mrkdwn(t, L.sectionText)),
  };
}

export function divider(): Block {
  return { type: 'divider' };
}

/** A confirmation dialog, texts clipped to Slack's limits. */
export function confirmDialog(
  title: string,
  text: string,
  confirm: string,
  deny: string,
  danger = false,
): ConfirmDialog {
  return {
    title: plain(title, L.confirmTitle),
    text: plain(text, L.confirmText),
    confirm: plain(confirm, L.confirmButton),
    deny: plain(deny, L.confirmButton),
    ...(danger ? { style: 'danger' as const } : {}),
  };
}

export function button(
  actionId: string,
  text: string,
  value: string,
  more: { style?: 'primary' | 'danger'; confirm?: ConfirmDialog } = {},
): Button {
  return {
    type: 'button',
    action_id: clip(actionId, L.actionId),
    text: plain(text, L.buttonText),
    value: clip(value, L.buttonValue),
    ...(more.style ? { style: more.style } : {}),
    ...(more.confirm ? { confirm: more.confirm } : {}),
  };
}

export function actions(blockId: string, buttons: readonly Button[]): Block {
  return { type: 'actions', block_id: blockId, elements: buttons.slice(0, L.actionsElements) };
}

/** Characters of every `text` in the blocks, as Slack's total limit counts them. */
export function blockTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + blockTextLength(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  let sum = 0;
  for (const [key, child] of Object.entries(value)) {
    sum += key === 'text' && typeof child === 'string' ? child.length : blockTextLength(child);
  }
  return sum;
}

type MutableText = { text: string };

/** The texts that may shrink (sections, fields, context), not headers or buttons. */
function shrinkable(blocks: Block[]): MutableText[] {
  return blocks.flatMap((block): MutableText[] => {
    if (block.type === 'section') return [...(block.text ? [block.text] : []), ...(block.fields ?? [])];
    if (block.type === 'context') return [...block.elements];
    return [];
  }) as MutableText[];
}

/**
 * A message that Slack accepts: at most 50 blocks (the last ones replaced by a note), the total text under
 * {@link BLOCK_KIT_LIMITS.totalText} (the longest texts cut first), and a non-empty, bounded fallback made
 * from plain `text` (escaped here).
 *
 * @example fitMessage('3 releases', [section('...')]).blocks.length // 1
 */
export function fitMessage(text: string, blocks: readonly Block[]): SlackMessage {
  let fitted: Block[] = structuredClone([...blocks]) as Block[];
  if (fitted.length > L.blocks) {
    const dropped = fitted.length - (L.blocks - 1);
    fitted = [...fitted.slice(0, L.blocks - 1), context(`…${dropped} more blocks not shown.`)];
  }
  for (
    let excess = blockTextLength(fitted) - L.totalText;
    excess > 0;
    excess = blockTextLength(fitted) - L.totalText
  ) {
    const longest = shrinkable(fitted).sort((a, b) => b.text.length - a.text.length)[0];
    if (!longest || longest.text.length <= 2) break;
    longest.text = clip(longest.text, Math.max(2, longest.text.length - excess - 1));
  }
  // The fallback is mrkdwn too: unescaped, a `<!channel>` in a reason would notify everyone.
  return { text: escaped(text.trim().length > 0 ? text : 'canary-bot', L.fallbackText), blocks: fitted };
}
