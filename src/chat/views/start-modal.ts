/**
 * The start modal: a form that starts a release exactly as `/canary start|switch|ab|mirror` would. Its
 * submission becomes the equivalent command line, read by the same grammar as the slash command, so the
 * two can never disagree; what the grammar refuses is shown on the field it is about.
 */

import {
  bakeDuration,
  canarySteps,
  clusterName,
  mirrorPercent,
  namespaceName,
  onFailure,
  quote,
  serviceName,
  versionName,
} from '../../domain/command/command-values.js';
import {
  type AbCommand,
  type CommandName,
  type MirrorCommand,
  parseCommand,
  SLASH_COMMAND,
  type StartCommand,
  type SwitchCommand,
} from '../../domain/command/index.js';
import { tokenize } from '../../domain/command/tokenize.js';
import { isDnsLabel } from '../../domain/validation/index.js';
import { type Button, button, clip, escapeMrkdwn, type PlainText } from './block-kit.js';
import { type ModalView, VIEW_LIMITS } from './slack-view.js';

/** The modal's `callback_id`: Slack sends its submission to the listener registered for it. */
export const START_CALLBACK_ID = 'canary.start';

/** The action_id of the "New release" button (help message, App Home): it opens the modal. */
export const NEW_RELEASE_ACTION_ID = 'canary.new_release';

/** The kinds of release the modal starts: the commands it stands for. */
export const START_KINDS = ['start', 'switch', 'ab', 'mirror'] as const satisfies readonly CommandName[];
export type StartKind = (typeof START_KINDS)[number];

/** A command the modal makes. */
export type StartModalCommand = StartCommand | SwitchCommand | AbCommand | MirrorCommand;

/**
 * The "New release" button that opens the modal, for any message or view.
 *
 * @example actions('home.actions', [newReleaseButton()])
 */
export function newReleaseButton(): Button {
  return button(NEW_RELEASE_ACTION_ID, 'New release', 'new', { style: 'primary' });
}

/** The fields of the modal: each is the `block_id` of its input block; its element's action_id is `start.<field>`. */
export const START_FIELDS = [
  'kind',
  'cluster',
  'namespace',
  'service',
  'version',
  'baseline',
  'steps',
  'match',
  'percent',
  'on_failure',
  'bake',
  'channel',
] as const;
export type StartField = (typeof START_FIELDS)[number];

/** The fields whose options come from the service catalog (external selects). */
export type SuggestedField = 'service' | 'version' | 'baseline';

/**
 * The action_id of a field's element.
 *
 * @example startActionId('service') // 'start.service'
 */
export function startActionId(field: StartField): `start.${StartField}` {
  return `start.${field}`;
}

/**
 * The field of an action_id, if it is one of the modal's.
 *
 * @example startFieldOf('start.version') // 'version'
 */
export function startFieldOf(actionId: string): StartField | undefined {
  const field = actionId.startsWith('start.') ? actionId.slice('start.'.length) : '';
  return (START_FIELDS as readonly string[]).includes(field) ? (field as StartField) : undefined;
}

/** What the modal is opened with. */
export interface StartModalInput {
  /** The configured clusters; a cluster menu is shown only when there are several. */
  readonly clusters: readonly string[];
  readonly defaultCluster: string;
  readonly defaultNamespace: string;
  /** The conversation it was opened from: the card's conversation unless the person picks another. */
  readonly channelId?: string;
  /** The kind chosen at first; default a canary. */
  readonly kind?: StartKind;
}

/** An option of a select menu or of radio buttons. */
export interface ViewOption {
  readonly text: PlainText;
  readonly value: string;
  readonly description?: PlainText;
}

const KIND_WORDS: Readonly<Record<StartKind, { label: string; plural: string; description: string }>> = {
  start: { label: 'Canary', plural: 'canaries', description: 'Weighted steps, each approved on the card' },
  switch: {
    label: 'Blue/green',
    plural: 'blue/green releases',
    description: 'All traffic at once, with an instant switch-back',
  },
  ab: {
    label: 'A/B test',
    plural: 'A/B tests',
    description: 'Matching requests go to the version, then promotion',
  },
  mirror: {
    label: 'Mirror',
    plural: 'mirrors',
    description: 'Copies of requests go to the version; answers discarded',
  },
};

const ON_FAILURE_WORDS = { rollback: 'Roll back', pause: 'Pause' } as const;

/** Match options of the grammar (`ab`), the only words the match field takes. */
const MATCH_FLAGS = ['--header', '--cookie', '--user-agent'] as const;

const text = (value: string, max: number): PlainText => ({
  type: 'plain_text',
  text: clip(value.length > 0 ? value : ' ', max),
  emoji: true,
});

function option(value: string, label: string, description?: string): ViewOption {
  return {
    text: text(label, VIEW_LIMITS.optionText),
    value,
    ...(description !== undefined ? { description: text(description, VIEW_LIMITS.optionText) } : {}),
  };
}

/** An input block named after its field, its element's action_id `start.<field>`. */
function inputBlock(
  field: StartField,
  label: string,
  element: Record<string, unknown>,
  more: { optional?: boolean; hint?: string } = {},
): Record<string, unknown> {
  return {
    type: 'input',
    block_id: field,
    label: text(label, VIEW_LIMITS.label),
    element: { ...element, action_id: startActionId(field) },
    optional: more.optional ?? false,
    ...(more.hint !== undefined ? { hint: text(more.hint, VIEW_LIMITS.hint) } : {}),
  };
}

function placeholder(words: string): PlainText {
  return text(words, VIEW_LIMITS.placeholder);
}

function plainInput(words: string, maxLength: number, initial?: string): Record<string, unknown> {
  return {
    type: 'plain_text_input',
    placeholder: placeholder(words),
    max_length: maxLength,
    ...(initial !== undefined && initial.length > 0 ? { initial_value: initial } : {}),
  };
}

function catalogSelect(words: string): Record<string, unknown> {
  return { type: 'external_select', placeholder: placeholder(words), min_query_length: 0 };
}

/**
 * The modal that starts a release: kind, cluster (when there are several), namespace, service, versions,
 * then the options of each kind, and the conversation the card goes to. It fits Slack's view limits.
 *
 * @example startModal({ clusters: ['prod'], defaultCluster: 'prod', defaultNamespace: 'bookinfo' }).callback_id
 * // 'canary.start'
 */
export function startModal(input: StartModalInput): ModalView {
  const kind = input.kind ?? 'start';
  const kinds = START_KINDS.map((k) => option(k, KIND_WORDS[k].label, KIND_WORDS[k].description));
  const clusters = [...new Set([input.defaultCluster, ...input.clusters])]
    .filter((c) => c.length > 0 && c.length <= VIEW_LIMITS.optionValue)
    .slice(0, VIEW_LIMITS.options)
    .map((c) => option(c, c));
  const defaultCluster = clusters.find((c) => c.value === input.defaultCluster);
  const onFailures = (Object.keys(ON_FAILURE_WORDS) as (keyof typeof ON_FAILURE_WORDS)[]).map((k) =>
    option(k, ON_FAILURE_WORDS[k]),
  );
  const blocks = [
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Starts a release as \`${SLASH_COMMAND} start\`, \`switch\`, \`ab\` or \`mirror\` would. Fields for one kind only say so.`,
        },
      ],
    },
    inputBlock('kind', 'Kind of release', {
      type: 'radio_buttons',
      options: kinds,
      initial_option: kinds[START_KINDS.indexOf(kind)],
    }),
    ...(clusters.length > 1
      ? [
          inputBlock('cluster', 'Cluster', {
            type: 'static_select',
            placeholder: placeholder('Choose a cluster'),
            options: clusters,
            ...(defaultCluster ? { initial_option: defaultCluster } : {}),
          }),
        ]
      : []),
    inputBlock('namespace', 'Namespace', plainInput('bookinfo', 63, input.defaultNamespace)),
    inputBlock('service', 'Service', catalogSelect('Choose a service')),
    inputBlock('version', 'Version to release', catalogSelect('Choose the new version')),
    inputBlock('baseline', 'Baseline version', catalogSelect('What the route serves now'), {
      optional: true,
      hint: 'The version the new one is compared with; by default, the one the route serves now.',
    }),
    inputBlock('steps', 'Steps (canary only)', plainInput('10,25,50,100', 200), {
      optional: true,
      hint: 'Canary weights in percent, each approved on the card; 100 is added. Default 10,25,50,100.',
    }),
    inputBlock('match', 'Requests to match (A/B test only)', plainInput('--header end-user=jason', 2000), {
      optional: true,
      hint: "One or more of --header NAME=VALUE, --header NAME~REGEX, --cookie 'NAME=VALUE', --user-agent REGEX.",
    }),
    inputBlock('percent', 'Share to mirror (mirror only)', plainInput('100', 10), {
      optional: true,
      hint: 'Percent of requests copied to the new version, above 0 and at most 100. Default 100.',
    }),
    inputBlock(
      'on_failure',
      'On a failed analysis',
      { type: 'static_select', placeholder: placeholder('Roll back'), options: onFailures },
      { optional: true },
    ),
    inputBlock('bake', 'Bake after the last step (not mirror)', plainInput('30m', 10), {
      optional: true,
      hint: 'Keep judging the new version this long (1m to 24h) once it takes all traffic, before it is promoted; a fail restores the original route.',
    }),
    inputBlock('channel', 'Post the card in', {
      type: 'conversations_select',
      placeholder: placeholder('Choose a conversation'),
      response_url_enabled: true,
      default_to_current_conversation: true,
      ...(input.channelId ? { initial_conversation: input.channelId } : {}),
    }),
  ];
  return {
    type: 'modal',
    callback_id: START_CALLBACK_ID,
    title: text('New release', VIEW_LIMITS.title),
    submit: text('Start', VIEW_LIMITS.submit),
    close: text('Cancel', VIEW_LIMITS.close),
    blocks,
  };
}

/**
 * The options of a catalog menu for what the person typed: names holding it (case-insensitive), exact
 * matches first, then those starting with it, then the rest; versions newest name first. At most 100.
 *
 * @example startSuggestions('version', 'v', ['v1', 'v2', 'v10']).options.map((o) => o.value) // ['v10', 'v2', 'v1']
 */
export function startSuggestions(
  field: SuggestedField,
  typed: string,
  items: readonly string[],
): { options: ViewOption[] } {
  const wanted = typed.trim().toLowerCase();
  const ordered = field === 'version' ? [...items].reverse() : [...items];
  const rank = (item: string) => {
    const name = item.toLowerCase();
    if (name === wanted) return 0;
    if (name.startsWith(wanted)) return 1;
    return name.includes(wanted) ? 2 : -1;
  };
  const ranked = [...new Set(ordered)]
    .filter((item) => item.length > 0 && item.length <= VIEW_LIMITS.optionValue)
    .map((item, at) => ({ item, at, rank: rank(item) }))
    .filter((r) => r.rank >= 0)
    .sort((a, b) => a.rank - b.rank || a.at - b.at);
  const options = ranked.slice(0, VIEW_LIMITS.options).map((r) => option(r.item, r.item));
  // What the person typed, when nothing in the catalog matches it: a Service per version (`--host`), or a
  // catalog not read yet. The submission and the worker still check it.
  const typedName = typed.trim();
  if (options.length === 0 && typedName !== '' && isDnsLabel(typedName))
    return { options: [option(typedName, `${typedName} (as typed)`)] };
  return { options };
}

/** One element's state in a `view_submission` (or `block_suggestion`): Slack's `view.state.values[block][action]`. */
export interface StartStateValue {
  readonly type?: string;
  readonly value?: string | null;
  readonly selected_option?: { readonly value: string } | null;
  readonly selected_conversation?: string | null;
}

/** `view.state.values`: block_id → action_id → state. */
export type StartValues = Readonly<Record<string, Readonly<Record<string, StartStateValue>> | undefined>>;

/** What a submission gives: the command and its text (without `/canary`), or an error per field. */
export type StartSubmission =
  | { readonly ok: true; readonly text: string; readonly command: StartModalCommand }
  | { readonly ok: false; readonly errors: Readonly<Partial<Record<StartField, string>>> };

/**
 * What a field holds, trimmed: a text input's text, a select's or radio's chosen value, a conversation id;
 * '' when empty.
 *
 * @example startFieldValue(view.state.values, 'namespace') // 'bookinfo'
 */
export function startFieldValue(values: StartValues, field: StartField): string {
  const state = values[field]?.[startActionId(field)];
  return (state?.selected_option?.value ?? state?.selected_conversation ?? state?.value ?? '').trim();
}

/**
 * A word as the grammar's tokenizer reads it back unchanged: quoted only when it must be (spaces, quotes,
 * a leading dash, nothing at all); a `'` is written `"'"` inside the quotes.
 *
 * @example commandWord('end-user=jason') // 'end-user=jason'
 * @example commandWord(".*Mobile Safari.*") // "'.*Mobile Safari.*'"
 */
export function commandWord(word: string): string {
  if (word.length > 0 && !/[\s'"\u2018\u2019\u201C\u201D]/u.test(word) && !/^-/.test(word)) return word;
  return `'${word.split("'").join(`'"'"'`)}'`;
}

/** The match field as grammar words (`--header 'a=b' --user-agent x`), or what is wrong with it. */
function matchWords(matchText: string): { ok: true; words: string } | { ok: false; error: string } {
  const tokens = tokenize(matchText, []);
  if (!tokens.ok) return tokens;
  const words: string[] = [];
  const list = tokens.tokens;
  const usage = `write ${MATCH_FLAGS.join(', ')} followed by what to match, e.g. --header end-user=jason`;
  for (let i = 0; i < list.length; i++) {
    const token = list[i]!;
    const isFlag = !token.quoted && /^--?[A-Za-z]/.test(token.text);
    if (!isFlag) return { ok: false, error: `${quote(token.text)} is not a match: ${usage}.` };
    const eq = token.text.indexOf('=');
    const flag = (eq < 0 ? token.text : token.text.slice(0, eq)).toLowerCase();
    if (!(MATCH_FLAGS as readonly string[]).includes(flag))
      return { ok: false, error: `Only ${MATCH_FLAGS.join(', ')} go here, not ${quote(flag)}.` };
    let value: string | undefined = eq < 0 ? undefined : token.text.slice(eq + 1);
    const next = list[i + 1];
    if (value === undefined && next !== undefined && (next.quoted || !/^--?[A-Za-z]/.test(next.text))) {
      value = next.text;
      i++;
    }
    if (value === undefined) return { ok: false, error: `${flag} needs something to match: ${usage}.` };
    words.push(`${flag} ${commandWord(value)}`);
  }
  return { ok: true, words: words.join(' ') };
}

/** The grammar's sentence for one value, or undefined when it is valid. */
function valueProblem(
  schema: { safeParse(value: string): { success: boolean; error?: unknown } },
  value: string,
) {
  const parsed = schema.safeParse(value);
  if (parsed.success) return undefined;
  const issues = (parsed.error as { issues?: { message?: string }[] } | undefined)?.issues;
  return issues?.[0]?.message ?? 'This value cannot be read.';
}

/**
 * Reads a submission of {@link startModal}: builds the equivalent command line and parses it with the
 * slash command's grammar. Each refusal is put on the field it is about, and a field filled in for another
 * kind of release is refused rather than dropped. The namespace defaults to `defaults.namespace`; the
 * default cluster is left out of the command, as a person would.
 *
 * @example
 * startFromSubmission(view.state.values, { namespace: 'default', cluster: 'prod' })
 * // { ok: true, text: 'start reviews v2 --ns bookinfo --steps 10,50', command: { kind: 'start', … } }
 * // or { ok: false, errors: { steps: 'Steps apply to canaries only; …' } }
 */
export function startFromSubmission(
  values: StartValues,
  defaults: { readonly namespace: string; readonly cluster: string },
): StartSubmission {
  const field = (name: StartField) => startFieldValue(values, name);
  const errors: Partial<Record<StartField, string>> = {};
  const kindValue = field('kind');
  const kind = (START_KINDS as readonly string[]).includes(kindValue) ? (kindValue as StartKind) : undefined;
  if (kind === undefined) errors.kind = 'Choose the kind of release.';
  const only = (name: StartField, applies: StartKind, sentence: string) => {
    if (field(name).length > 0 && kind !== undefined && kind !== applies)
      errors[name] =
        `${sentence} apply to ${KIND_WORDS[applies].plural} only; clear this field or choose ${KIND_WORDS[applies].label}.`;
  };
  only('steps', 'start', 'Steps');
  only('match', 'ab', 'Request matches');
  only('percent', 'mirror', 'Mirror percentages');
  if (field('bake').length > 0 && kind === 'mirror')
    errors.bake =
      'A mirror never sends all traffic to the new version, so it takes no bake; clear this field or choose another kind.';

  const namespace = field('namespace') || defaults.namespace;
  const cluster = field('cluster');
  const service = field('service');
  const version = field('version');
  const baseline = field('baseline');
  const checks: [StartField, string, Parameters<typeof valueProblem>[0]][] = [
    ['namespace', namespace, namespaceName],
    ['cluster', cluster, clusterName],
    ['service', service, serviceName],
    ['version', version, versionName],
    ['baseline', baseline, versionName],
    ['steps', field('steps'), canarySteps],
    ['percent', field('percent'), mirrorPercent],
    ['on_failure', field('on_failure'), onFailure],
    ['bake', field('bake'), bakeDuration],
  ];
  for (const [name, value, schema] of checks) {
    if (value.length === 0 || errors[name] !== undefined) continue;
    const problem = valueProblem(schema, value);
    if (problem !== undefined) errors[name] = problem;
  }
  const missing = (name: 'service' | 'version', probe: string) => {
    if (field(name).length > 0) return;
    const parsed = parseCommand(probe);
    errors[name] = parsed.ok ? `Choose the ${name}.` : parsed.error;
  };
  missing('service', kind ?? 'start');
  missing('version', `${kind ?? 'start'} ${service || 'service'}`);

  let match = '';
  if (kind === 'ab' && errors.match === undefined && field('match').length > 0) {
    const words = matchWords(field('match'));
    if (!words.ok) errors.match = words.error;
    else {
      // The match alone, with names that are valid whatever was chosen, so only its own problems show.
      const probe = parseCommand(`ab service version ${words.words}`);
      if (!probe.ok) errors.match = probe.error;
      else match = words.words;
    }
  }
  if (Object.keys(errors).length > 0 || kind === undefined) return { ok: false, errors };

  const words = [
    kind,
    commandWord(service),
    commandWord(version),
    `--ns ${commandWord(namespace)}`,
    ...(cluster.length > 0 && cluster !== defaults.cluster ? [`--cluster ${commandWord(cluster)}`] : []),
    ...(baseline.length > 0 ? [`--from ${commandWord(baseline)}`] : []),
    ...(kind === 'start' && field('steps').length > 0 ? [`--steps ${commandWord(field('steps'))}`] : []),
    ...(match.length > 0 ? [match] : []),
    ...(kind === 'mirror' && field('percent').length > 0
      ? [`--percent ${commandWord(field('percent'))}`]
      : []),
    ...(field('on_failure').length > 0 ? [`--on-failure ${commandWord(field('on_failure'))}`] : []),
    ...(field('bake').length > 0 ? [`--bake ${commandWord(field('bake'))}`] : []),
  ];
  const commandText = words.join(' ');
  const parsed = parseCommand(commandText);
  if (parsed.ok && isStartModalCommand(parsed.command))
    return { ok: true, text: commandText, command: parsed.command };
  // What no field shows alone: the versions together, an A/B test without a match, the whole length.
  const about: StartField =
    baseline.length > 0 && baseline === version ? 'baseline' : kind === 'ab' ? 'match' : 'kind';
  return { ok: false, errors: { [about]: parsed.ok ? 'This is not a release.' : parsed.error } };
}

function isStartModalCommand(command: { kind: string }): command is StartModalCommand {
  return (START_KINDS as readonly string[]).includes(command.kind);
}

/**
 * The modal once a submission is taken: the release is starting, and the command that does the same.
 *
 * @example startingView('start reviews v2 --ns bookinfo') // "Starting… `/canary start reviews v2 --ns bookinfo`"
 */
export function startingView(commandText: string): ModalView {
  const command = `${SLASH_COMMAND} ${commandText}`.replace(/```/g, "'''");
  return {
    type: 'modal',
    callback_id: `${START_CALLBACK_ID}.starting`,
    title: text('New release', VIEW_LIMITS.title),
    close: text('Done', VIEW_LIMITS.close),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: 'Starting… The release card will be posted in the conversation you chose.',
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `The equivalent command for next time:\n\`\`\`${clip(escapeMrkdwn(command), VIEW_LIMITS.sectionText - 60)}\`\`\``,
        },
      },
    ],
  };
}
