// Slack's documented limits for message content and views, as pure functions (no I/O).
// Problems are reported the way Slack reports them: "<message> [json-pointer:/blocks/0/text/text]".
import { VIEW_LIMITS } from '../../src/chat/views/slack-view.js';

/** Limits Slack documents for messages and the Block Kit blocks a bot posts. */
export const SLACK_MESSAGE_LIMITS = {
  blocksPerMessage: 50,
  messageText: 40_000,
  /** Undocumented total of the text inside all blocks (Slack answers `msg_blocks_too_long`, bolt-js#2509). */
  totalBlockText: 13_000,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  actionId: 255,
  blockId: 255,
  imageAltText: 2000,
  imageTitle: 2000,
  markdownBlockText: 12_000,
} as const;

/** One Block Kit violation: where (a JSON pointer into the request) and what. */
export interface BlockProblem {
  pointer: string;
  message: string;
}

/** Why Slack would refuse a message's content, with Slack's error code. */
export interface MessageContentError {
  error: 'no_text' | 'msg_too_long' | 'invalid_blocks' | 'invalid_blocks_format' | 'msg_blocks_too_long';
  /** For invalid_blocks: Slack's `errors` strings, e.g. `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`. */
  errors?: string[];
}

/** The message fields Slack checks, already decoded from the request. */
export interface MessageContent {
  text?: unknown;
  blocks?: unknown;
  attachments?: unknown;
}

const L = SLACK_MESSAGE_LIMITS;

/** Formats a problem exactly like an entry of Slack's `errors` array. */
export function formatBlockProblem(problem: BlockProblem): string {
  return `${problem.message} [json-pointer:${problem.pointer}]`;
}

/**
 * Checks what chat.postMessage, chat.update, chat.postEphemeral and response_url check, in Slack's order.
 * @example checkMessageContent({ text: 'hi' }) // => undefined (accepted)
 */
export function checkMessageContent(content: MessageContent): MessageContentError | undefined {
  const { text, blocks, attachments } = content;
  if (blocks !== undefined && !Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  const hasText = typeof text === 'string' && text.length > 0;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return { error: 'no_text' };
  if (hasText && (text as string).length > L.messageText) return { error: 'msg_too_long' };
  if (hasBlocks) {
    const problems = findBlockProblems(blocks);
    if (problems.length > 0) return { error: 'invalid_blocks', errors: problems.map(formatBlockProblem) };
    if (totalBlockText(blocks) > L.totalBlockText) return { error: 'msg_blocks_too_long' };
  }
  return undefined;
}

/** Sum of every `text` string inside the blocks: what Slack's total block size limit roughly counts. */
export function totalBlockText(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + totalBlockText(item), 0);
  if (!isObject(value)) return 0;
  let sum = 0;
  for (const [key, child] of Object.entries(value)) {
    sum += key === 'text' && typeof child === 'string' ? child.length : totalBlockText(child);
  }
  return sum;
}

/**
 * Every Block Kit problem of a message's `blocks`, for the block types a bot uses
 * (section, header, actions, context, divider, image, plus rich_text and markdown checked shallowly).
 * @example findBlockProblems([{ type: 'divider' }]) // => []
 */
export function findBlockProblems(blocks: unknown): BlockProblem[] {
  const check = new BlockChecker('message');
  if (!Array.isArray(blocks)) {
    check.fail('/blocks', 'expected: array');
    return check.problems;
  }
  if (blocks.length > L.blocksPerMessage)
    check.fail('/blocks', `must be less than ${L.blocksPerMessage + 1} items`);
  blocks.forEach((block, i) => {
    check.block(block, `/blocks/${i}`);
  });
  return check.problems;
}

/** Where blocks are shown: messages take no input blocks; modals and the home tab do. */
export type BlockSurface = 'message' | 'modal' | 'home';

/** Element types an input block holds (the ones the emulated workspace knows). */
const INPUT_ELEMENTS = new Set([
  'plain_text_input',
  'static_select',
  'external_select',
  'conversations_select',
  'channels_select',
  'users_select',
  'multi_static_select',
  'multi_external_select',
  'multi_conversations_select',
  'multi_users_select',
  'radio_buttons',
  'checkboxes',
  'datepicker',
  'timepicker',
  'number_input',
  'email_text_input',
  'url_text_input',
]);

/**
 * Every problem Slack finds in a view passed to views.open, views.push, views.update or views.publish,
 * with pointers under `/view` as Slack reports them.
 * @example findViewProblems({ type: 'modal', title: { type: 'plain_text', text: 'Start' }, blocks: [] }) // => []
 */
export function findViewProblems(view: unknown): BlockProblem[] {
  const V = VIEW_LIMITS;
  if (!isObject(view)) return [{ pointer: '/view', message: 'expected: object' }];
  if (view.type !== 'modal' && view.type !== 'home') {
    const message =
      view.type === undefined ? 'missing required field: type' : `unsupported type: ${String(view.type)}`;
    return [{ pointer: '/view/type', message }];
  }
  const surface: BlockSurface = view.type;
  const check = new BlockChecker(surface);
  if (surface === 'modal') {
    check.textObject(view.title, '/view/title', { max: V.title, required: true }, 'plain_text');
    check.textObject(view.submit, '/view/submit', { max: V.submit }, 'plain_text');
    check.textObject(view.close, '/view/close', { max: V.close }, 'plain_text');
  }
  check.optionalString(view.callback_id, '/view/callback_id', V.callbackId);
  check.optionalString(view.private_metadata, '/view/private_metadata', V.privateMetadata);
  check.optionalString(view.external_id, '/view/external_id', V.externalId);
  const blocks = view.blocks;
  if (!Array.isArray(blocks)) {
    check.fail('/view/blocks', blocks === undefined ? 'missing required field: blocks' : 'expected: array');
    return check.problems;
  }
  if (blocks.length > V.blocks) check.fail('/view/blocks', `must be less than ${V.blocks + 1} items`);
  blocks.forEach((block, i) => {
    check.block(block, `/view/blocks/${i}`);
  });
  const hasInput = blocks.some((block) => isObject(block) && block.type === 'input');
  if (surface === 'modal' && hasInput && view.submit === undefined) {
    check.fail('/view/submit', 'must provide submit when the view has input blocks');
  }
  return check.problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface StringRule {
  max: number;
  required?: boolean;
}

class BlockChecker {
  readonly problems: BlockProblem[] = [];
  private readonly blockIds = new Set<string>();

  constructor(private readonly surface: BlockSurface) {}

  fail(pointer: string, message: string): void {
    this.problems.push({ pointer, message });
  }

  block(block: unknown, at: string): void {
    if (!isObject(block)) {
      this.fail(at, 'expected: object');
      return;
    }
    this.blockId(block.block_id, `${at}/block_id`);
    switch (block.type) {
      case 'section':
        this.section(block, at);
        return;
      case 'header':
        this.textObject(block.text, `${at}/text`, { max: L.headerText, required: true }, 'plain_text');
        return;
      case 'actions':
        this.actions(block, at);
        return;
      case 'context':
        this.context(block, at);
        return;
      case 'divider':
        return;
      case 'image':
        this.image(block, at);
        return;
      case 'markdown':
        this.string(block.text, `${at}/text`, { max: L.markdownBlockText, required: true });
        return;
      case 'input':
        if (this.surface === 'message') this.fail(`${at}/type`, 'unsupported type: input');
        else this.input(block, at);
        return;
      case 'rich_text':
        if (!Array.isArray(block.elements)) this.fail(`${at}/elements`, 'missing required field: elements');
        return;
      case undefined:
        this.fail(`${at}/type`, 'missing required field: type');
        return;
      default:
        this.fail(`${at}/type`, `unsupported type: ${String(block.type)}`);
        return;
    }
  }

  private blockId(value: unknown, at: string): void {
    if (value === undefined) return;
    if (!this.string(value, at, { max: L.blockId })) return;
    if (this.blockIds.has(value as string)) this.fail(at, `duplicate block_id: ${String(value)}`);
    this.blockIds.add(value as string);
  }

  private section(block: Record<string, unknown>, at: string): void {
    if (block.text === undefined && block.fields === undefined) {
      this.fail(at, 'must provide either text or fields');
      return;
    }
    if (block.text !== undefined)
      this.textObject(block.text, `${at}/text`, { max: L.sectionText, required: true });
    if (block.fields !== undefined) {
      if (!Array.isArray(block.fields)) {
        this.fail(`${at}/fields`, 'expected: array');
        return;
      }
      if (block.fields.length > L.sectionFields) {
        this.fail(`${at}/fields`, `must be less than ${L.sectionFields + 1} items`);
      }
      block.fields.forEach((field, i) => {
        this.textObject(field, `${at}/fields/${i}`, { max: L.sectionFieldText, required: true });
      });
    }
    if (block.accessory !== undefined) this.element(block.accessory, `${at}/accessory`);
  }

  private input(block: Record<string, unknown>, at: string): void {
    this.textObject(block.label, `${at}/label`, { max: VIEW_LIMITS.label, required: true }, 'plain_text');
    if (block.hint !== undefined)
      this.textObject(block.hint, `${at}/hint`, { max: VIEW_LIMITS.hint }, 'plain_text');
    if (block.element === undefined) {
      this.fail(`${at}/element`, 'missing required field: element');
      return;
    }
    const type = isObject(block.element) ? block.element.type : undefined;
    if (typeof type === 'string' && !INPUT_ELEMENTS.has(type)) {
      this.fail(`${at}/element/type`, `unsupported type: ${type}`);
      return;
    }
    this.element(block.element, `${at}/element`);
  }

  /** Optional strings that may be empty (private_metadata, callback_id) but not too long. */
  optionalString(value: unknown, at: string, max: number): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string') this.fail(at, 'expected: string');
    else if (value.length > max) this.fail(at, `must be less than ${max + 1} characters`);
  }

  /** The options of a select, radio buttons or checkboxes: 100 at most, short texts and values. */
  private options(element: Record<string, unknown>, at: string): void {
    const check = (options: unknown, where: string) => {
      if (!Array.isArray(options)) {
        this.fail(where, 'expected: array');
        return;
      }
      if (options.length > VIEW_LIMITS.options)
        this.fail(where, `must be less than ${VIEW_LIMITS.options + 1} items`);
      options.forEach((option, i) => {
        this.option(option, `${where}/${i}`);
      });
    };
    if (element.options !== undefined) check(element.options, `${at}/options`);
    if (Array.isArray(element.option_groups)) {
      element.option_groups.forEach((group, i) => {
        if (isObject(group)) check(group.options, `${at}/option_groups/${i}/options`);
      });
    }
    if (element.initial_option !== undefined) this.option(element.initial_option, `${at}/initial_option`);
  }

  private option(option: unknown, at: string): void {
    if (!isObject(option)) {
      this.fail(at, 'expected: object');
      return;
    }
    this.textObject(option.text, `${at}/text`, { max: VIEW_LIMITS.optionText, required: true });
    this.string(option.value, `${at}/value`, { max: VIEW_LIMITS.optionValue, required: true });
  }

  private actions(block: Record<string, unknown>, at: string): void {
    const elements = block.elements;
    if (!Array.isArray(elements) || elements.length === 0) {
      this.fail(`${at}/elements`, 'must provide at least 1 item');
      return;
    }
    if (elements.length > L.actionsElements) {
      this.fail(`${at}/elements`, `must be less than ${L.actionsElements + 1} items`);
    }
    const actionIds = new Set<string>();
    elements.forEach((element, i) => {
      this.element(element, `${at}/elements/${i}`);
      const actionId = isObject(element) ? element.action_id : undefined;
      if (typeof actionId !== 'string') return;
      if (actionIds.has(actionId))
        this.fail(`${at}/elements/${i}/action_id`, `duplicate action_id: ${actionId}`);
      actionIds.add(actionId);
    });
  }

  private context(block: Record<string, unknown>, at: string): void {
    const elements = block.elements;
    if (!Array.isArray(elements) || elements.length === 0) {
      this.fail(`${at}/elements`, 'must provide at least 1 item');
      return;
    }
    if (elements.length > L.contextElements) {
      this.fail(`${at}/elements`, `must be less than ${L.contextElements + 1} items`);
    }
    elements.forEach((element, i) => {
      const where = `${at}/elements/${i}`;
      if (isObject(element) && element.type === 'image') this.imageFields(element, where);
      else this.textObject(element, where, { max: L.sectionText, required: true });
    });
  }

  private image(block: Record<string, unknown>, at: string): void {
    this.imageFields(block, at);
    if (block.title !== undefined) {
      this.textObject(block.title, `${at}/title`, { max: L.imageTitle, required: true }, 'plain_text');
    }
  }

  private imageFields(image: Record<string, unknown>, at: string): void {
    if (image.slack_file === undefined)
      this.string(image.image_url, `${at}/image_url`, { max: L.url, required: true });
    this.string(image.alt_text, `${at}/alt_text`, { max: L.imageAltText, required: true });
  }

  /** Interactive elements; buttons fully, other element types only for their action_id. */
  private element(element: unknown, at: string): void {
    if (!isObject(element)) {
      this.fail(at, 'expected: object');
      return;
    }
    if (typeof element.type !== 'string') {
      this.fail(`${at}/type`, 'missing required field: type');
      return;
    }
    if (element.action_id !== undefined)
      this.string(element.action_id, `${at}/action_id`, { max: L.actionId });
    if (element.type === 'image') {
      this.imageFields(element, at);
      return;
    }
    if (element.placeholder !== undefined) {
      this.textObject(
        element.placeholder,
        `${at}/placeholder`,
        { max: VIEW_LIMITS.placeholder, required: true },
        'plain_text',
      );
    }
    if (element.options !== undefined || element.option_groups !== undefined || element.initial_option)
      this.options(element, at);
    if (element.type !== 'button') return;
    this.textObject(element.text, `${at}/text`, { max: L.buttonText, required: true }, 'plain_text');
    if (element.value !== undefined) this.string(element.value, `${at}/value`, { max: L.buttonValue });
    if (element.url !== undefined) this.string(element.url, `${at}/url`, { max: L.url });
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
      this.fail(`${at}/style`, 'must be one of: primary, danger');
    }
  }

  /** A composition text object; a nested failure also yields Slack's union-level message on the object. */
  textObject(value: unknown, at: string, rule: StringRule, only?: 'plain_text'): void {
    if (value === undefined) {
      if (rule.required) this.fail(at, `missing required field: ${at.split('/').pop()}`);
      return;
    }
    const before = this.problems.length;
    if (!isObject(value)) {
      this.fail(at, 'expected: object');
    } else {
      const allowed = only ? [only] : ['plain_text', 'mrkdwn'];
      if (!allowed.includes(value.type as string))
        this.fail(`${at}/type`, `unsupported type: ${String(value.type)}`);
      this.string(value.text, `${at}/text`, { ...rule, required: true });
    }
    if (this.problems.length > before && !only) {
      this.problems.splice(before, 0, { pointer: at, message: 'failed to match all allowed schemas' });
    }
  }

  private string(value: unknown, at: string, rule: StringRule): boolean {
    if (value === undefined) {
      if (rule.required) this.fail(at, `missing required field: ${at.split('/').pop()}`);
      return false;
    }
    if (typeof value !== 'string') {
      this.fail(at, 'expected: string');
      return false;
    }
    if (value.length === 0) {
      this.fail(at, 'must be more than 0 characters');
      return false;
    }
    if (value.length > rule.max) {
      this.fail(at, `must be less than ${rule.max + 1} characters`);
      return false;
    }
    return true;
  }
}
