// The local Slack page in the browser: polls the channel, renders Block Kit, sends commands and clicks.
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
const page = { workspace: undefined, user: '', channel: '', thread: undefined, last: '' };
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
  if (target.startsWith('#')) return h('span', { class: 'mention' }, `#${label ?? target.slice(1)}`);
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
  );
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
  if (!response.ok) $('status').textContent = `${path}: ${await response.text()}`;
}

async function poll() {
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

async function pollForever() {
  await poll();
  setTimeout(pollForever, POLL_MS);
}

function channelLink(channel, current) {
  const link = h('a', { href: `?channel=${encodeURIComponent(channel.id)}` }, `# ${channel.name}`);
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
    poll();
  });
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
