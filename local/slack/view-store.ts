// Views as Slack keeps them: trigger_ids (3 seconds, one use), each person's modal stack (at most 3
// views) and published home tab, view ids, hashes, external ids and the state of their inputs.
import { randomBytes } from 'node:crypto';
import { VIEW_LIMITS } from '../../src/chat/views/slack-view.js';

/** A view as Slack returns it from views.* and sends it in interaction payloads. */
export interface SlackViewObject {
  id: string;
  team_id: string;
  type: 'modal' | 'home';
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: Record<string, unknown>[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  state: { values: ViewStateValues };
  hash: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  previous_view_id: string | null;
  root_view_id: string;
  app_id: string;
  app_installed_team_id: string;
  bot_id: string;
}

/** One element's state, in Slack's shape per element type. */
export type ElementState = { type: string } & Record<string, unknown>;

/** `state.values`: block_id → action_id → element state. */
export type ViewStateValues = Record<string, Record<string, ElementState>>;

/** What a person entered: text, an option value (or the option), option values, a channel id; null clears. */
export type UserInput = string | readonly string[] | { text: string; value: string } | null;

/** What a person entered in a view: block_id → action_id → input. */
export type UserValues = Record<string, Record<string, UserInput>>;

/** A view on screen and the field errors the app last answered for it (by block_id). */
export interface RecordedView {
  view: SlackViewObject;
  errors?: Record<string, string>;
}

/** One person's views: the open modal (bottom view first) and the published home tab. */
export interface UserViews {
  user: string;
  stack: RecordedView[];
  home?: RecordedView;
}

/** Why a trigger_id was refused, with Slack's error codes. */
export type TriggerError = 'invalid_trigger_id' | 'expired_trigger_id' | 'exchanged_trigger_id';

interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
  /** The view the interaction came from, if any. */
  viewId?: string;
}

/** Expired triggers are still told apart from unknown ones for this long. */
const TRIGGERS_KEPT_MS = 60 * 60 * 1000;

/** Identity of the app whose views these are. */
export interface ViewOwner {
  teamId: string;
  appId: string;
  botId: string;
}

/** Slack's trigger_id shape: seconds, a random number, and a hex digest. */
function newTriggerId(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}${randomBytes(2).readUInt16BE()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}

/** Slack's view hash: seconds and 8 hex digits; it changes on every update. */
function newHash(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}.${randomBytes(4).toString('hex')}`;
}

function newViewId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return `V${Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join('')}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Slack gives blocks without block_id and elements without action_id random ones. */
function withIds(blocks: readonly unknown[]): Record<string, unknown>[] {
  const random = () => randomBytes(3).toString('base64url');
  const element = (e: unknown) =>
    isObject(e) && e.action_id === undefined ? { ...e, action_id: random() } : e;
  return blocks.filter(isObject).map((block) => {
    const copy: Record<string, unknown> = { ...block, block_id: block.block_id ?? random() };
    if (isObject(copy.element)) copy.element = element(copy.element);
    if (isObject(copy.accessory)) copy.accessory = element(copy.accessory);
    if (Array.isArray(copy.elements) && copy.type === 'actions') copy.elements = copy.elements.map(element);
    return copy;
  });
}

/** The elements of a view that hold state, with where they are. */
export function statefulElements(
  blocks: readonly Record<string, unknown>[],
): { blockId: string; element: Record<string, unknown>; input: boolean }[] {
  const found: { blockId: string; element: Record<string, unknown>; input: boolean }[] = [];
  for (const block of blocks) {
    const blockId = String(block.block_id);
    if (block.type === 'input' && isObject(block.element))
      found.push({ blockId, element: block.element, input: true });
    if (block.type === 'section' && isObject(block.accessory) && block.accessory.type !== 'button')
      found.push({ blockId, element: block.accessory, input: false });
    if (block.type === 'actions' && Array.isArray(block.elements)) {
      for (const element of block.elements)
        if (isObject(element) && element.type !== 'button') found.push({ blockId, element, input: false });
    }
  }
  return found;
}

function optionsOf(element: Record<string, unknown>): Record<string, unknown>[] {
  const direct = Array.isArray(element.options) ? element.options : [];
  const grouped = Array.isArray(element.option_groups)
    ? element.option_groups.flatMap((g) => (isObject(g) && Array.isArray(g.options) ? g.options : []))
    : [];
  return [...direct, ...grouped].filter(isObject);
}

function optionFor(element: Record<string, unknown>, input: UserInput): Record<string, unknown> | null {
  if (input === null || Array.isArray(input)) return null;
  if (isObject(input))
    return { text: { type: 'plain_text', text: input.text, emoji: true }, value: input.value };
  const known = optionsOf(element).find((o) => o.value === input);
  return known ?? { text: { type: 'plain_text', text: input, emoji: true }, value: input };
}

/**
 * One element's state in Slack's shape, from what the person entered (or the element's initial value).
 * @example elementState({ type: 'plain_text_input', action_id: 'a' }, 'v1.2') // => { type: 'plain_text_input', value: 'v1.2' }
 */
export function elementState(element: Record<string, unknown>, input: UserInput | undefined): ElementState {
  const type = String(element.type);
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const value =
        input === undefined ? (element.initial_value ?? null) : typeof input === 'string' ? input : null;
      return { type, value: value === '' ? null : value };
    }
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
      return {
        type,
        selected_option: input === undefined ? (element.initial_option ?? null) : optionFor(element, input),
      };
    case 'checkboxes':
    case 'multi_static_select':
    case 'multi_external_select': {
      const values =
        input === undefined ? undefined : Array.isArray(input) ? input : input === null ? [] : [input];
      const selected =
        values === undefined
          ? (element.initial_options ?? [])
          : values.map((v) => optionFor(element, v as string)).filter((o) => o !== null);
      return { type, selected_options: selected };
    }
    case 'conversations_select':
      return {
        type,
        selected_conversation:
          input === undefined
            ? (element.initial_conversation ?? null)
            : typeof input === 'string'
              ? input
              : null,
      };
    case 'channels_select':
      return {
        type,
        selected_channel:
          input === undefined ? (element.initial_channel ?? null) : typeof input === 'string' ? input : null,
      };
    case 'users_select':
      return {
        type,
        selected_user:
          input === undefined ? (element.initial_user ?? null) : typeof input === 'string' ? input : null,
      };
    case 'datepicker':
      return { type, selected_date: input === undefined ? (element.initial_date ?? null) : input };
    default:
      return { type, value: input ?? null };
  }
}

/**
 * A view's full `state.values` as Slack sends it with view_submission and block_actions: every stateful
 * element, as entered or else as initially set.
 * @example submittedState(view).service?.name // => { type: 'plain_text_input', value: 'reviews' }
 */
export function submittedState(view: Pick<SlackViewObject, 'blocks' | 'state'>): ViewStateValues {
  const values: ViewStateValues = {};
  for (const { blockId, element } of statefulElements(view.blocks)) {
    const actionId = String(element.action_id);
    const entered = view.state.values[blockId]?.[actionId];
    values[blockId] = { ...values[blockId], [actionId]: entered ?? elementState(element, undefined) };
  }
  return values;
}

/** Why a views.* call was refused (Slack's error code). */
export type ViewRefusal =
  | TriggerError
  | 'not_found'
  | 'hash_conflict'
  | 'push_limit_reached'
  | 'duplicate_external_id';

/** The views of one emulated app: triggers, modal stacks, home tabs. */
export class ViewStore {
  private readonly triggers = new Map<string, Trigger>();
  private readonly stacks = new Map<string, RecordedView[]>();
  private readonly homes = new Map<string, RecordedView>();

  constructor(
    private readonly owner: ViewOwner,
    private readonly now: () => number,
  ) {}

  /** A trigger_id for an interaction of `user` (from inside `viewId`, if any). */
  issueTrigger(user: string, viewId?: string): string {
    // Long-expired triggers are forgotten, so a long local session does not keep every one.
    for (const [old, trigger] of this.triggers)
      if (this.now() - trigger.issuedAt > TRIGGERS_KEPT_MS) this.triggers.delete(old);
    const id = newTriggerId(this.now());
    this.triggers.set(id, { user, issuedAt: this.now(), used: false, viewId });
    return id;
  }

  /** Uses a trigger_id: Slack's rules are 3 seconds and once. */
  exchange(triggerId: unknown): { user: string; viewId?: string } | { error: TriggerError } {
    const trigger = typeof triggerId === 'string' ? this.triggers.get(triggerId) : undefined;
    if (!trigger) return { error: 'invalid_trigger_id' };
    if (trigger.used) return { error: 'exchanged_trigger_id' };
    if (this.now() - trigger.issuedAt > VIEW_LIMITS.triggerSeconds * 1000)
      return { error: 'expired_trigger_id' };
    trigger.used = true;
    return { user: trigger.user, viewId: trigger.viewId };
  }

  /** views.open: a new modal, replacing whatever modal the person had open. */
  open(user: string, view: Record<string, unknown>): SlackViewObject | { error: ViewRefusal } {
    if (this.externalIdTaken(view.external_id)) return { error: 'duplicate_external_id' };
    const created = this.build(view, { previous: null });
    this.stacks.set(user, [{ view: created }]);
    return created;
  }

  /** views.push: on top of the person's modal; a fourth view is `push_limit_reached`. */
  push(user: string, view: Record<string, unknown>): SlackViewObject | { error: ViewRefusal } {
    const stack = this.stacks.get(user) ?? [];
    if (stack.length >= VIEW_LIMITS.stack) return { error: 'push_limit_reached' };
    if (this.externalIdTaken(view.external_id)) return { error: 'duplicate_external_id' };
    const top = stack.at(-1)?.view;
    const created = this.build(view, { previous: top ?? null });
    this.stacks.set(user, [...stack, { view: created }]);
    return created;
  }

  /** views.update by view_id or external_id; a stale hash is `hash_conflict`. */
  update(
    ref: { viewId?: unknown; externalId?: unknown; hash?: unknown },
    view: Record<string, unknown>,
  ): SlackViewObject | { error: ViewRefusal } {
    const found = this.find((v) =>
      typeof ref.viewId === 'string' && ref.viewId !== ''
        ? v.id === ref.viewId
        : typeof ref.externalId === 'string' && ref.externalId !== '' && v.external_id === ref.externalId,
    );
    if (!found) return { error: 'not_found' };
    if (typeof ref.hash === 'string' && ref.hash !== '' && ref.hash !== found.view.hash)
      return { error: 'hash_conflict' };
    if (view.external_id !== found.view.external_id && this.externalIdTaken(view.external_id))
      return { error: 'duplicate_external_id' };
    found.view = this.replace(found.view, view);
    delete found.errors;
    return found.view;
  }

  /** views.publish: the person's home tab; a stale hash is `hash_conflict`. */
  publish(
    user: string,
    view: Record<string, unknown>,
    hash: unknown,
  ): SlackViewObject | { error: ViewRefusal } {
    const current = this.homes.get(user);
    if (current && typeof hash === 'string' && hash !== '' && hash !== current.view.hash)
      return { error: 'hash_conflict' };
    const published = current ? this.replace(current.view, view) : this.build(view, { previous: null });
    this.homes.set(user, { view: published });
    return published;
  }

  /** A view by id, modal or home, with its owner. */
  byId(viewId: string): { user: string; recorded: RecordedView; home: boolean } | undefined {
    for (const [user, stack] of this.stacks) {
      const recorded = stack.find((r) => r.view.id === viewId);
      if (recorded) return { user, recorded, home: false };
    }
    for (const [user, recorded] of this.homes)
      if (recorded.view.id === viewId) return { user, recorded, home: true };
    return undefined;
  }

  /** What a person typed or picked: the view's `state.values` for those elements. */
  enter(viewId: string, values: UserValues): SlackViewObject | undefined {
    const found = this.byId(viewId);
    if (!found) return undefined;
    const view = found.recorded.view;
    for (const { blockId, element } of statefulElements(view.blocks)) {
      const actionId = String(element.action_id);
      const input = values[blockId]?.[actionId];
      if (input === undefined) continue;
      view.state.values[blockId] = {
        ...view.state.values[blockId],
        [actionId]: elementState(element, input),
      };
    }
    return view;
  }

  /** Field errors the app answered (response_action: errors); the view stays open. */
  setErrors(viewId: string, errors: Record<string, string>): void {
    const found = this.byId(viewId);
    if (found) found.recorded.errors = errors;
  }

  /** Replaces the top view of the person's stack (response_action: update). */
  replaceTop(user: string, view: Record<string, unknown>): SlackViewObject | undefined {
    const top = this.stacks.get(user)?.at(-1);
    if (!top) return undefined;
    top.view = this.replace(top.view, view);
    delete top.errors;
    return top.view;
  }

  /** Closes the top view (`all`: the whole modal); returns the views closed, top first. */
  close(user: string, all: boolean): RecordedView[] {
    const stack = this.stacks.get(user) ?? [];
    const closed = all ? [...stack].reverse() : stack.slice(-1);
    const left = all ? [] : stack.slice(0, -1);
    if (left.length === 0) this.stacks.delete(user);
    else this.stacks.set(user, left);
    return closed;
  }

  views(user: string): UserViews {
    const home = this.homes.get(user);
    return structuredClone({ user, stack: this.stacks.get(user) ?? [], ...(home ? { home } : {}) });
  }

  clear(): void {
    this.triggers.clear();
    this.stacks.clear();
    this.homes.clear();
  }

  private find(match: (view: SlackViewObject) => boolean): RecordedView | undefined {
    for (const stack of this.stacks.values()) {
      const found = stack.find((r) => match(r.view));
      if (found) return found;
    }
    for (const home of this.homes.values()) if (match(home.view)) return home;
    return undefined;
  }

  private externalIdTaken(externalId: unknown): boolean {
    return (
      typeof externalId === 'string' &&
      externalId !== '' &&
      this.find((v) => v.external_id === externalId) !== undefined
    );
  }

  private build(view: Record<string, unknown>, links: { previous: SlackViewObject | null }): SlackViewObject {
    const id = newViewId();
    return {
      id,
      team_id: this.owner.teamId,
      type: view.type === 'home' ? 'home' : 'modal',
      ...(view.type === 'modal'
        ? { title: view.title, submit: view.submit ?? null, close: view.close ?? null }
        : { close: null, submit: null }),
      blocks: withIds(Array.isArray(view.blocks) ? view.blocks : []),
      private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
      callback_id: typeof view.callback_id === 'string' ? view.callback_id : '',
      external_id: typeof view.external_id === 'string' ? view.external_id : '',
      state: { values: {} },
      hash: newHash(this.now()),
      clear_on_close: view.clear_on_close === true,
      notify_on_close: view.notify_on_close === true,
      previous_view_id: links.previous?.id ?? null,
      root_view_id: links.previous?.root_view_id ?? id,
      app_id: this.owner.appId,
      app_installed_team_id: this.owner.teamId,
      bot_id: this.owner.botId,
    };
  }

  /** An update keeps the id, root and previous view, and the state of inputs that are still there. */
  private replace(current: SlackViewObject, view: Record<string, unknown>): SlackViewObject {
    const next = this.build(view, { previous: null });
    const blockIds = new Set(next.blocks.map((b) => String(b.block_id)));
    const kept = Object.fromEntries(
      Object.entries(current.state.values).filter(([blockId]) => blockIds.has(blockId)),
    );
    return {
      ...next,
      id: current.id,
      root_view_id: current.root_view_id,
      previous_view_id: current.previous_view_id,
      state: { values: kept },
    };
  }
}
