// The local Slack page in the browser: polls the channel and the person's views, renders Block Kit, modals
// and the app's Home tab, and sends commands, clicks, shortcuts, suggestions and submissions.
// Every text goes into the page as a text node (never innerHTML): messages cannot inject markup.

const EMOJI = {
  arrow_forward: '▶️',
  arrows_counterclockwise: '🔄',
  ballot_box_with_check: '☑️',
  bar_chart: '📊',
  double_vertical_bar: '⏸️',
  eyes: '👀',
  gear: '⚙️',
  grey_question: '❔',
  heavy_check_mark: '✔️',
  heavy_minus_sign: '➖',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  information_source: 'ℹ️',
  large_blue_circle: '🔵',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  leftwards_arrow_with_hook: '↩️',
  lock: '🔒',
  mag: '🔍',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  question: '❓',
  red_circle: '🔴',
  rocket: '🚀',
  tada: '🎉',
  warning: '⚠️',
  white_check_mark: '✅',
  white_circle: '⚪\uFE0F',
  x: '❌',
};

// Code, <link|mention|date>, *bold*, _italic_, ~strike~ (at word edges, as Slack reads them), :emoji:.
const INLINE =
  /`([^`\n]+)`|<([^<>\n]+)>|(?<![\w*])\*(?![\s*])([^*\n]+?)\*(?![\w*])|(?<![\w_])_(?![\s_])([^_\n]+?)_(?![\w_])|(?<![\w~])~(?![\s~])([^~\n]+?)~(?![\w~])|:([a-z0-9_+-]+):/g;
const CODE_BLOCK = /```([\s\S]*?)```/g;
const POLL_MS = 1000;

const params = new URLSearchParams(location.search);
const page = {
  workspace: undefined,
  user: '',
  channel: '',
  thread: undefined,
  last: '',
  /** The person's views as last read, and what is on screen (so polling never wipes what they typed). */
  views: { stack: [], home: undefined },
  lastViews: '',
  modalKey: '',
  homeKey: '',
  showHome: false,
  /** External select picks: `${viewId} ${blockId} ${actionId}` → option. */
  picked: new Map(),
};
/** Slack asks for external options once this many characters are typed, unless the element says otherwise. */
const MIN_QUERY_LENGTH = 3;
const SUGGEST_DELAY_MS = 250;
const $ = (id) => document.getElementById(id);

/** An element with attributes and children; strings become text nodes. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children.filter((c) => c !== undefined && c !== null && c !== ''));
  return element;
}

/** Slack escapes `&`, `<` and `>` in mrkdwn; shown as text, they are harmless. */
function decode(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] ?? all);
}

function userName(id) {
  return page.workspace.users.find((u) => u.id === id)?.name ?? id;
}

/** Slack shows `<#C1>` (no label) as the channel's name, as apps write it to let Slack name it. */
function channelName(id) {
  return page.workspace.channels.find((c) => c.id === id)?.name ?? id;
}

function localTime(seconds, options) {
  return new Date(seconds * 1000).toLocaleString([], options);
}

/** A mrkdwn text: code blocks, then inline formatting. */
function mrkdwn(text) {
  const element = h('div', { class: 'mrkdwn' });
  let at = 0;
  for (const match of text.matchAll(CODE_BLOCK)) {
    inline(text.slice(at, match.index), element);
    element.append(h('pre', {}, decode(match[1].replace(/^\n/, '').replace(/\n$/, ''))));
    at = match.index + match[0].length;
  }
  inline(text.slice(at), element);
  return element;
}

function inline(text, parent) {
  let at = 0;
  for (const match of text.matchAll(INLINE)) {
    parent.append(decode(text.slice(at, match.index)), token(match));
    at = match.index + match[0].length;
  }
  parent.append(decode(text.slice(at)));
}

function token([all, code, angle, bold, italic, strike, emoji]) {
  if (code !== undefined) return h('code', {}, decode(code));
  if (angle !== undefined) return angled(angle);
  const styled = [
    ['b', bold],
    ['i', italic],
    ['s', strike],
  ].find(([, inner]) => inner !== undefined);
  if (styled) {
    const element = h(styled[0]);
    inline(styled[1], element);
    return element;
  }
  return EMOJI[emoji] ?? all;
}

/** `<@U1>`, `<#C1|name>`, `<!here>`, `<!date^…|fallback>`, `<https://…|label>`. */
function angled(inner) {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : decode(inner.slice(bar + 1));
  if (target.startsWith('@')) return h('span', { class: 'mention' }, `@${userName(target.slice(1))}`);
  if (target.startsWith('#'))
    return h('span', { class: 'mention' }, `#${label ?? channelName(target.slice(1))}`);
  if (target.startsWith('!date^')) {
    const seconds = Number(target.split('^')[1]);
    if (!Number.isFinite(seconds)) return label ?? '';
    return h(
      'time',
      { title: label ?? '' },
      localTime(seconds, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    );
  }
  if (target.startsWith('!subteam^')) return h('span', { class: 'mention' }, label ?? '@group');
  if (target.startsWith('!')) return h('span', { class: 'mention' }, `@${target.slice(1)}`);
  const url = decode(target);
  // Only web and mail links: a `javascript:` URL in a message must stay text.
  if (!/^(https?:|mailto:)/i.test(url)) return label ?? url;
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label ?? url);
}

function textObject(text) {
  if (!text || typeof text.text !== 'string') return '';
  if (text.type === 'mrkdwn') return mrkdwn(text.text);
  return h('span', {}, text.emoji === false ? text.text : emojify(text.text));
}

function block(b, message) {
  switch (b.type) {
    case 'header':
      return h('div', { class: 'block header' }, textObject(b.text));
    case 'section': {
      const main = h('div', { class: 'block section' }, textObject(b.text));
      if (Array.isArray(b.fields)) main.append(h('div', { class: 'fields' }, ...b.fields.map(textObject)));
      if (!b.accessory) return main;
      return h('div', { class: 'with-accessory' }, main, element(b.accessory, b, message));
    }
    case 'context':
      return h(
        'div',
        { class: 'block context' },
        ...(b.elements ?? []).map((e) => (e.type === 'image' ? `[${e.alt_text ?? 'image'}]` : textObject(e))),
      );
    case 'divider':
      return h('hr', { class: 'block' });
    case 'actions':
      return h('div', { class: 'block actions' }, ...(b.elements ?? []).map((e) => element(e, b, message)));
    case 'image':
      return h('div', { class: 'block context' }, `[image: ${b.alt_text ?? ''}]`);
    default:
      return h('div', { class: 'block context' }, `(a ${String(b.type)} block, not shown here)`);
  }
}

function element(e, b, message) {
  if (e.type !== 'button') return h('span', { class: 'context' }, `(${String(e.type)}, not shown here)`);
  const button = h('button', { type: 'button', class: `button ${e.style ?? ''}` }, textObject(e.text));
  button.addEventListener('click', () => press(message, b, e, button));
  return button;
}

/** A click, as Slack does it: the confirm dialog first when the button has one. */
async function press(message, b, e, button) {
  if (e.confirm && !(await confirmed(e.confirm))) return;
  button.disabled = true;
  await post('/api/click', {
    user: page.user,
    channel: page.channel,
    ts: message.ts,
    actionId: e.action_id,
    blockId: b.block_id,
  });
  await poll();
}

function confirmed(confirm) {
  const dialog = $('confirm');
  $('confirm-title').textContent = confirm.title?.text ?? 'Are you sure?';
  $('confirm-text').textContent = confirm.text?.text ?? '';
  $('confirm-ok').textContent = confirm.confirm?.text ?? 'Yes';
  $('confirm-ok').className = confirm.style ?? 'primary';
  $('confirm-deny').textContent = confirm.deny?.text ?? 'Cancel';
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true }),
  );
}

function messageView(message, replies, inThread) {
  const name = message.bot ? page.workspace.botName : userName(message.user);
  const seconds = Number(message.ts.split('.')[0]);
  const body = h(
    'div',
    { class: 'body' },
    h(
      'div',
      { class: 'meta' },
      h('span', { class: 'name' }, name),
      message.bot ? h('span', { class: 'badge' }, 'APP') : '',
      h('span', { class: 'time' }, localTime(seconds, { hour: '2-digit', minute: '2-digit' })),
      message.edited ? h('span', { class: 'edited' }, '(edited)') : '',
    ),
  );
  if (message.ephemeral) body.append(h('div', { class: 'only-you' }, 'Only visible to you'));
  const blocks = Array.isArray(message.blocks) ? message.blocks : [];
  body.append(...(blocks.length > 0 ? blocks.map((b) => block(b, message)) : [mrkdwn(message.text)]));
  for (const file of message.files) body.append(fileView(file));
  for (const [url, unfurl] of Object.entries(message.unfurls ?? {}))
    body.append(unfurlView(url, unfurl, message));
  if (!inThread && replies?.length) {
    const link = h(
      'button',
      { type: 'button', class: 'replies' },
      plural(replies.length, 'reply', 'replies'),
    );
    link.addEventListener('click', () => openThread(message.ts));
    body.append(link);
  }
  const avatar = h('div', { class: message.bot ? 'avatar bot' : 'avatar' }, name.slice(0, 1).toUpperCase());
  return h(
    'div',
    { class: message.ephemeral ? 'message ephemeral' : 'message', 'data-ts': message.ts },
    avatar,
    body,
    message.ephemeral ? '' : moreActions(message),
  );
}

/** An app's preview of a link (chat.unfurl): blocks, or an attachment's title and text. */
function unfurlView(url, unfurl, message) {
  const box = h('div', { class: 'unfurl', 'data-unfurl-url': url });
  if (Array.isArray(unfurl.blocks)) box.append(...unfurl.blocks.map((b) => block(b, message)));
  else {
    if (unfurl.title) box.append(h('div', { class: 'unfurl-title' }, String(unfurl.title)));
    if (unfurl.text) box.append(mrkdwn(String(unfurl.text)));
  }
  // Buttons of a preview belong to the unfurl, not to the message: shown, not sent.
  for (const button of box.querySelectorAll('button')) button.disabled = true;
  return box;
}

/** A message's "More actions" menu: the app's message shortcuts. */
function moreActions(message) {
  const shortcuts = page.workspace.shortcuts ?? [];
  if (shortcuts.length === 0) return '';
  const menu = h('div', { class: 'menu', 'data-actions-menu': message.ts, hidden: '' });
  for (const shortcut of shortcuts) {
    const item = h('button', { type: 'button', 'data-shortcut': shortcut.callbackId }, shortcut.name);
    item.addEventListener('click', async () => {
      menu.hidden = true;
      await post('/api/shortcut', {
        user: page.user,
        channel: page.channel,
        ts: message.ts,
        callbackId: shortcut.callbackId,
      });
      await poll();
    });
    menu.append(item);
  }
  const toggle = h(
    'button',
    { type: 'button', class: 'more', 'data-more-actions': message.ts, 'aria-label': 'More actions' },
    '⋯',
  );
  toggle.addEventListener('click', () => {
    menu.hidden = !menu.hidden;
  });
  return h('div', { class: 'message-actions' }, toggle, menu);
}

function fileView(file) {
  const src = `/files/${encodeURIComponent(file.id)}`;
  if (file.mimetype === 'image/png')
    return h('div', { class: 'file' }, h('img', { src, alt: file.title ?? file.name }));
  return h(
    'div',
    { class: 'file' },
    h('a', { href: src, download: file.name }, `📎 ${file.title ?? file.name}`),
  );
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function render(messages) {
  const replies = new Map();
  for (const m of messages) if (m.threadTs) replies.set(m.threadTs, [...(replies.get(m.threadTs) ?? []), m]);
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren(
    ...messages
      .filter((m) => !m.threadTs || m.replyBroadcast)
      .map((m) => messageView(m, replies.get(m.ts), false)),
  );
  if (atBottom) list.scrollTop = list.scrollHeight;
  const parent = messages.find((m) => m.ts === page.thread);
  $('thread').hidden = !parent;
  if (!parent) return;
  const thread = replies.get(parent.ts) ?? [];
  $('thread-messages').replaceChildren(
    messageView(parent, thread, true),
    h('div', { class: 'thread-divider' }, plural(thread.length, 'reply', 'replies')),
    ...thread.map((m) => messageView(m, undefined, true)),
  );
}

function openThread(ts) {
  page.thread = ts;
  render(JSON.parse(page.last).messages);
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    $('status').textContent = `${path}: ${await response.text()}`;
    return undefined;
  }
  return response.json();
}

async function poll() {
  await pollViews();
  try {
    const query = new URLSearchParams({ channel: page.channel, user: page.user });
    const response = await fetch(`/api/messages?${query}`);
    if (!response.ok) throw new Error(await response.text());
    const text = await response.text();
    $('status').textContent = '';
    if (text === page.last) return;
    page.last = text;
    render(JSON.parse(text).messages);
  } catch (error) {
    $('status').textContent = `cannot read the channel: ${error.message}`;
  }
}

async function pollViews() {
  try {
    const response = await fetch(`/api/views?${new URLSearchParams({ user: page.user })}`);
    if (!response.ok) return;
    const text = await response.text();
    if (text === page.lastViews) return;
    page.lastViews = text;
    showViews(JSON.parse(text));
  } catch {
    // the channel poll reports the page's trouble
  }
}

function showViews(views) {
  page.views = views;
  renderModal();
  renderHome();
}

// ---- views: the modal and the Home tab ---------------------------------------------------------------

/** The top view of the person's modal, over the channel; re-drawn only when the view or its errors change. */
function renderModal() {
  const backdrop = $('modal');
  const top = page.views.stack.at(-1);
  if (!top) {
    backdrop.hidden = true;
    backdrop.replaceChildren();
    page.modalKey = '';
    return;
  }
  const key = `${top.view.id} ${top.view.hash} ${JSON.stringify(top.errors ?? {})}`;
  if (key === page.modalKey) return;
  page.modalKey = key;
  const view = top.view;
  const errors = top.errors ?? {};
  const pushed = page.views.stack.length > 1;
  const dismiss = h(
    'button',
    { type: 'button', class: 'icon', 'data-modal-dismiss': '', 'aria-label': 'Close' },
    '×',
  );
  dismiss.addEventListener('click', () => closeView(true));
  const close = h(
    'button',
    { type: 'button', 'data-modal-close': '' },
    view.close?.text ?? (pushed ? 'Back' : 'Cancel'),
  );
  close.addEventListener('click', () => closeView(!pushed || view.clear_on_close));
  const footer = h(
    'footer',
    { class: 'modal-footer' },
    h('span', { class: 'modal-error', 'data-modal-error': '' }),
    close,
  );
  if (view.submit) {
    const submit = h(
      'button',
      { type: 'button', class: 'primary', 'data-modal-submit': '' },
      view.submit.text,
    );
    submit.addEventListener('click', () => submitModal(view, submit));
    footer.append(submit);
  }
  const modal = h(
    'div',
    {
      class: 'modal',
      role: 'dialog',
      'aria-modal': 'true',
      'aria-label': view.title?.text ?? '',
      'data-view-id': view.id,
      'data-callback-id': view.callback_id,
      'data-stack-depth': String(page.views.stack.length),
    },
    h(
      'header',
      { class: 'modal-header' },
      h('h2', { 'data-modal-title': '' }, view.title?.text ?? ''),
      dismiss,
    ),
    h('div', { class: 'modal-body' }, ...view.blocks.map((b) => viewBlock(b, view, errors[b.block_id]))),
    footer,
  );
  backdrop.replaceChildren(modal);
  backdrop.hidden = false;
}

/** The app's Home tab, in place of the channel, while the person is on it. */
function renderHome() {
  const section = $('home');
  if (!page.showHome) return;
  const home = page.views.home?.view;
  const key = home ? `${home.id} ${home.hash}` : 'none';
  if (key === page.homeKey) return;
  page.homeKey = key;
  if (!home) {
    section.replaceChildren(
      h('p', { class: 'context' }, `${page.workspace.botName} has no Home tab for you yet.`),
    );
    return;
  }
  const view = h('div', {
    class: 'home-view',
    'data-view-id': home.id,
    'data-callback-id': home.callback_id,
  });
  view.append(...home.blocks.map((b) => viewBlock(b, home, undefined)));
  section.replaceChildren(view);
}

function showHome(on) {
  page.showHome = on;
  page.homeKey = '';
  $('home').hidden = !on;
  $('messages').hidden = on;
  $('composer').hidden = on;
  if (on) $('thread').hidden = true;
  $('home-link').classList.toggle('current', on);
  for (const link of $('channels').querySelectorAll('a'))
    link.classList.toggle('current', !on && link.dataset.channel === page.channel);
  $('channel-name').textContent = on
    ? page.workspace.botName
    : `#${page.workspace.channels.find((c) => c.id === page.channel)?.name}`;
}

/** Opening the Home tab: Slack sends app_home_opened, and shows what the app published. */
async function openHome() {
  showHome(true);
  const views = await post('/api/home', { user: page.user });
  if (views) {
    page.lastViews = '';
    showViews(views);
  }
}

/** One block of a view, with `data-block-id`; inputs get their element and their field error. */
function viewBlock(b, view, error) {
  let shown;
  switch (b.type) {
    case 'input':
      shown = h(
        'div',
        { class: 'block input' },
        h(
          'label',
          { class: 'label' },
          b.label?.text ?? '',
          b.optional ? h('span', { class: 'optional' }, ' (optional)') : '',
        ),
        control(b.element, b, view, true),
        b.hint ? h('div', { class: 'hint' }, b.hint.text) : '',
      );
      break;
    case 'actions':
      shown = h(
        'div',
        { class: 'block actions' },
        ...(b.elements ?? []).map((e) => control(e, b, view, false)),
      );
      break;
    case 'section': {
      const main = h('div', { class: 'block section' }, textObject(b.text));
      if (Array.isArray(b.fields)) main.append(h('div', { class: 'fields' }, ...b.fields.map(textObject)));
      shown = b.accessory
        ? h('div', { class: 'with-accessory' }, main, control(b.accessory, b, view, false))
        : main;
      break;
    }
    default:
      shown = block(b, {});
  }
  const wrapper = h(
    'div',
    { class: error ? 'view-block has-error' : 'view-block', 'data-block-id': b.block_id },
    shown,
  );
  wrapper.append(h('div', { class: 'field-error', 'data-error-for': b.block_id }, error ?? ''));
  return wrapper;
}

/** An interactive element in a view: an input's control, or a button or select that acts at once. */
function control(e, b, view, inInput) {
  const at = { 'data-action-id': e.action_id, 'data-element-type': e.type };
  const act = (value) => viewAction(view, b, e, value);
  // What the person already entered (kept by Slack across field errors and updates) wins over initial values.
  const state = view.state?.values?.[b.block_id]?.[e.action_id];
  switch (e.type) {
    case 'button': {
      const button = h(
        'button',
        { type: 'button', class: `button ${e.style ?? ''}`, ...at },
        textObject(e.text),
      );
      button.addEventListener('click', async () => {
        if (e.confirm && !(await confirmed(e.confirm))) return;
        await act(undefined);
      });
      return button;
    }
    case 'plain_text_input': {
      const input = e.multiline ? h('textarea', { rows: '3', ...at }) : h('input', { type: 'text', ...at });
      if (e.placeholder) input.placeholder = e.placeholder.text;
      const text = state ? state.value : e.initial_value;
      if (text) input.value = text;
      return input;
    }
    case 'static_select':
    case 'conversations_select':
    case 'channels_select': {
      const select = h('select', at, h('option', { value: '' }, e.placeholder?.text ?? 'Select…'));
      const options =
        e.type === 'static_select'
          ? optionsOf(e).map((o) => [o.value, o.text.text])
          : page.workspace.channels.map((c) => [c.id, `# ${c.name}`]);
      select.append(...options.map(([value, text]) => h('option', { value }, text)));
      select.value =
        state?.selected_option?.value ??
        state?.selected_conversation ??
        state?.selected_channel ??
        e.initial_option?.value ??
        e.initial_conversation ??
        e.initial_channel ??
        (e.default_to_current_conversation ? page.channel : '');
      if (!inInput) select.addEventListener('change', () => act(select.value || null));
      return select;
    }
    case 'external_select':
      return externalSelect(e, b, view, at, inInput);
    case 'radio_buttons':
    case 'checkboxes': {
      const kind = e.type === 'radio_buttons' ? 'radio' : 'checkbox';
      const chosen = state
        ? [state.selected_option, ...(state.selected_options ?? [])]
        : [e.initial_option, ...(e.initial_options ?? [])];
      const initial = new Set(chosen.filter(Boolean).map((o) => o.value));
      const group = h('div', { class: 'choices', role: kind === 'radio' ? 'radiogroup' : 'group', ...at });
      for (const option of optionsOf(e)) {
        const box = h('input', {
          type: kind,
          name: `${view.id}-${b.block_id}-${e.action_id}`,
          value: option.value,
        });
        box.checked = initial.has(option.value);
        if (!inInput) box.addEventListener('change', () => act(readControl(group, e, view, b)));
        group.append(h('label', {}, box, ` ${option.text.text}`));
      }
      return group;
    }
    default:
      return h('span', { class: 'context', ...at }, `(${String(e.type)}, not shown here)`);
  }
}

function optionsOf(e) {
  return [...(e.options ?? []), ...(e.option_groups ?? []).flatMap((g) => g.options ?? [])];
}

/** An external select: the app is asked for options as the person types; a click picks one. */
function externalSelect(e, b, view, at, inInput) {
  const key = `${view.id} ${b.block_id} ${e.action_id}`;
  const box = h('div', { class: 'external-select', ...at });
  const input = h('input', {
    type: 'text',
    'data-external-input': '',
    placeholder: e.placeholder?.text ?? 'Type to search…',
  });
  const list = h('div', { class: 'suggestions', 'data-suggestions': '' });
  const initial =
    page.picked.get(key) ??
    view.state?.values?.[b.block_id]?.[e.action_id]?.selected_option ??
    e.initial_option;
  if (initial) page.picked.set(key, initial);
  if (initial) input.value = initial.text.text;
  let timer;
  input.addEventListener('input', () => {
    page.picked.delete(key);
    clearTimeout(timer);
    if (input.value.length < (e.min_query_length ?? MIN_QUERY_LENGTH)) {
      list.replaceChildren();
      return;
    }
    timer = setTimeout(async () => {
      const answer = await post('/api/view-suggest', {
        user: page.user,
        viewId: view.id,
        blockId: b.block_id,
        actionId: e.action_id,
        value: input.value,
        // Slack's block_suggestion carries the view's state: what the person entered so far in the form.
        ...(view.type === 'modal' ? { values: enteredValues(view).values } : {}),
      });
      list.replaceChildren(
        ...(answer?.options ?? []).map((option) => {
          const item = h(
            'button',
            { type: 'button', 'data-option-value': option.value },
            option.text?.text ?? option.value,
          );
          item.addEventListener('click', () => {
            page.picked.set(key, { text: option.text, value: option.value });
            input.value = option.text?.text ?? option.value;
            list.replaceChildren();
            if (!inInput)
              viewAction(view, b, e, { text: option.text?.text ?? option.value, value: option.value });
          });
          return item;
        }),
      );
    }, SUGGEST_DELAY_MS);
  });
  box.append(input, list);
  return box;
}

/** What a person entered in one control, as the emulator takes it (text, option value(s), channel id). */
function readControl(node, e, view, b) {
  switch (e.type) {
    case 'plain_text_input':
      return node.value === '' ? null : node.value;
    case 'external_select': {
      const picked = page.picked.get(`${view.id} ${b.block_id} ${e.action_id}`);
      return picked ? { text: picked.text?.text ?? picked.value, value: picked.value } : null;
    }
    case 'radio_buttons':
      return node.querySelector('input:checked')?.value ?? null;
    case 'checkboxes':
      return [...node.querySelectorAll('input:checked')].map((box) => box.value);
    default:
      return node.value === '' ? null : node.value;
  }
}

async function viewAction(view, b, e, value) {
  const result = await post('/api/view-action', {
    user: page.user,
    viewId: view.id,
    blockId: b.block_id,
    actionId: e.action_id,
    ...(value === undefined ? {} : { value }),
  });
  if (result?.views) {
    page.lastViews = '';
    showViews(result.views);
  }
}

/** What the person entered in the modal's inputs, and the required ones they left empty (block ids). */
function enteredValues(view) {
  const modal = $('modal');
  const values = {};
  const missing = [];
  for (const b of view.blocks) {
    if (b.type !== 'input' || !b.element) continue;
    const node = modal.querySelector(
      `[data-block-id="${CSS.escape(b.block_id)}"] [data-action-id="${CSS.escape(b.element.action_id)}"]`,
    );
    if (!node) continue;
    const value = readControl(node, b.element, view, b);
    const empty = value === null || (Array.isArray(value) && value.length === 0);
    if (empty && !b.optional) missing.push(b.block_id);
    values[b.block_id] = { [b.element.action_id]: value };
  }
  return { values, missing };
}

/** Submit: Slack's client asks for required inputs first, then the app's answer decides what shows. */
async function submitModal(view, button) {
  const modal = $('modal');
  const { values, missing } = enteredValues(view);
  for (const error of modal.querySelectorAll('[data-error-for]')) {
    const blockId = error.getAttribute('data-error-for');
    if (view.blocks.some((b) => b.type === 'input' && b.block_id === blockId))
      error.textContent = missing.includes(blockId) ? 'Please complete this required field.' : '';
  }
  if (missing.length > 0) return;
  button.disabled = true;
  const result = await post('/api/view-submit', { user: page.user, viewId: view.id, values });
  button.disabled = false;
  if (result?.error) {
    const line = modal.querySelector('[data-modal-error]');
    if (line) line.textContent = `We had some trouble connecting (${result.error}).`;
  }
  if (result?.views) {
    page.modalKey = '';
    page.lastViews = '';
    showViews(result.views);
  }
  await poll();
}

async function closeView(all) {
  const result = await post('/api/view-close', { user: page.user, all });
  if (result?.views) {
    page.lastViews = '';
    showViews(result.views);
  }
}

async function pollForever() {
  await poll();
  setTimeout(pollForever, POLL_MS);
}

function channelLink(channel, current) {
  const link = h(
    'a',
    { href: `?channel=${encodeURIComponent(channel.id)}`, 'data-channel': channel.id },
    `# ${channel.name}`,
  );
  if (channel.id === current.id) link.className = 'current';
  link.addEventListener('click', (event) => {
    event.preventDefault();
    location.search = new URLSearchParams({ channel: channel.id, as: userName(page.user) }).toString();
  });
  return link;
}

async function start() {
  page.workspace = await (await fetch('/api/workspace')).json();
  const { users, channels } = page.workspace;
  const wanted = params.get('as');
  page.user = (users.find((u) => u.name === wanted || u.id === wanted) ?? users[0]).id;
  const channel = channels.find((c) => c.id === params.get('channel')) ?? channels[0];
  page.channel = channel.id;
  $('channel-name').textContent = `#${channel.name}`;
  $('box').placeholder = `Message #${channel.name}, or ${page.workspace.command} help`;
  $('channels').replaceChildren(...channels.map((c) => channelLink(c, channel)));
  const picker = $('user');
  picker.replaceChildren(...users.map((u) => h('option', { value: u.id }, `${u.name} (${u.realName})`)));
  picker.value = page.user;
  picker.addEventListener('change', () => {
    page.user = picker.value;
    page.last = '';
    page.lastViews = '';
    page.picked.clear();
    if (page.showHome) openHome();
    poll();
  });
  if (page.workspace.homeTab) {
    $('apps').hidden = false;
    $('home-link').textContent = page.workspace.botName;
    $('home-link').addEventListener('click', (event) => {
      event.preventDefault();
      openHome();
    });
  }
  $('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('box').value.trim();
    if (text === '') return;
    $('box').value = '';
    await post('/api/send', { user: page.user, channel: page.channel, text });
    await poll();
  });
  $('close-thread').addEventListener('click', () => {
    page.thread = undefined;
    $('thread').hidden = true;
  });
  if (page.workspace.notice) {
    $('notice').textContent = page.workspace.notice;
    $('notice').hidden = false;
  }
  if (page.workspace.traffic) await startTraffic();
  await pollForever();
}

/** The traffic panel: make a simulated version slow or failing, to watch the judge and a rollback. */
async function startTraffic() {
  const { versions } = await (await fetch('/api/traffic')).json();
  const key = (v) => `${v.namespace}/${v.service}/${v.version}`;
  const picker = $('traffic-version');
  picker.replaceChildren(
    ...versions.map((v) => h('option', { value: key(v) }, `${v.service}.${v.namespace} ${v.version}`)),
  );
  const show = () => {
    const v = versions.find((x) => key(x) === picker.value);
    if (!v) return;
    $('traffic-errors').value = String(Math.round(v.behaviour.errorRate * 1000) / 10);
    $('traffic-median').value = String(v.behaviour.latency.medianMs ?? 20);
    $('traffic-p99').value = String(v.behaviour.latency.p99Ms ?? 100);
  };
  picker.addEventListener('change', show);
  show();
  $('traffic').hidden = false;
  $('traffic').addEventListener('submit', async (event) => {
    event.preventDefault();
    const v = versions.find((x) => key(x) === picker.value);
    if (!v) return;
    const change = {
      namespace: v.namespace,
      service: v.service,
      version: v.version,
      errorRate: Number($('traffic-errors').value) / 100,
      medianMs: Number($('traffic-median').value),
      p99Ms: Number($('traffic-p99').value),
    };
    const response = await fetch('/api/traffic', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(change),
    });
    $('traffic-status').textContent = response.ok ? 'applied' : await response.text();
    if (response.ok) {
      v.behaviour = {
        errorRate: change.errorRate,
        latency: { kind: 'lognormal', medianMs: change.medianMs, p99Ms: change.p99Ms },
      };
    }
  });
}

start();
