import fc from 'fast-check';
import { VIEW_LIMITS } from '../../src/chat/views/slack-view.js';
import {
  commandWord,
  START_CALLBACK_ID,
  START_FIELDS,
  START_KINDS,
  type StartField,
  type StartKind,
  type StartValues,
  startFromSubmission,
  startingView,
  startModal,
  startSuggestions,
} from '../../src/chat/views/start-modal.js';
import { parseCommand } from '../../src/domain/command/index.js';
import { tokenize } from '../../src/domain/command/tokenize.js';
import { isDnsLabel } from '../../src/domain/validation/index.js';

type Json = Record<string, unknown>;

/** Every limit of Slack's views that the modal's pieces are subject to, as problems found. */
function viewProblems(view: Json): string[] {
  const problems: string[] = [];
  const within = (what: string, value: unknown, max: number) => {
    if (typeof value === 'string' && value.length > max) problems.push(`${what}: ${value.length} > ${max}`);
  };
  const textOf = (object: unknown) => (object as { text?: unknown } | undefined)?.text;
  within('title', textOf(view.title), VIEW_LIMITS.title);
  within('submit', textOf(view.submit), VIEW_LIMITS.submit);
  within('close', textOf(view.close), VIEW_LIMITS.close);
  within('callback_id', view.callback_id, VIEW_LIMITS.callbackId);
  within('private_metadata', view.private_metadata, VIEW_LIMITS.privateMetadata);
  const blocks = view.blocks as Json[];
  if (blocks.length > VIEW_LIMITS.blocks) problems.push(`${blocks.length} blocks`);
  const ids = blocks.map((b) => b.block_id).filter((id) => id !== undefined);
  if (new Set(ids).size !== ids.length) problems.push('block_ids repeat');
  for (const block of blocks) {
    within('block_id', block.block_id, VIEW_LIMITS.blockId);
    within('label', textOf(block.label), VIEW_LIMITS.label);
    within('hint', textOf(block.hint), VIEW_LIMITS.hint);
    if (block.type === 'section') within('section', textOf(block.text), VIEW_LIMITS.sectionText);
    const element = block.element as Json | undefined;
    if (!element) continue;
    within('action_id', element.action_id, VIEW_LIMITS.actionId);
    within('placeholder', textOf(element.placeholder), VIEW_LIMITS.placeholder);
    const options = (element.options as Json[] | undefined) ?? [];
    if (options.length > VIEW_LIMITS.options) problems.push(`${options.length} options`);
    for (const option of [...options, ...(element.initial_option ? [element.initial_option as Json] : [])]) {
      within('option text', textOf(option.text), VIEW_LIMITS.optionText);
      within('option description', textOf(option.description), VIEW_LIMITS.optionText);
      within('option value', option.value, VIEW_LIMITS.optionValue);
    }
  }
  return problems;
}

const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/);
const defaults = { namespace: 'default', cluster: 'prod' };

/** Submitted state as Slack sends it: selects carry `selected_option`, text inputs `value`. */
function submitted(fields: Partial<Record<StartField, string>>): StartValues {
  const selects = new Set<StartField>(['kind', 'cluster', 'service', 'version', 'baseline', 'on_failure']);
  const values: Record<string, Record<string, Json>> = {};
  for (const field of START_FIELDS) {
    const value = fields[field];
    const empty = value === undefined || value === '';
    values[field] = {
      [`start.${field}`]: selects.has(field)
        ? { type: 'static_select', selected_option: empty ? null : { value } }
        : field === 'channel'
          ? { type: 'conversations_select', selected_conversation: value ?? null }
          : { type: 'plain_text_input', value: empty ? null : value },
    };
  }
  return values as StartValues;
}

describe('startModal', () => {
  it('fits Slack view limits for every kind, however many and long the clusters', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...START_KINDS),
        fc.array(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/), { maxLength: 160 }),
        fc.option(fc.stringMatching(/^C[A-Z0-9]{8,20}$/), { nil: undefined }),
        (kind, clusters, channelId) => {
          const view = startModal({
            clusters,
            defaultCluster: clusters[0] ?? 'prod',
            defaultNamespace: 'bookinfo',
            kind,
            ...(channelId ? { channelId } : {}),
          }) as unknown as Json;
          expect(viewProblems(view)).toEqual([]);
          expect(view.callback_id).toBe(START_CALLBACK_ID);
        },
      ),
    );
  });

  it('names each input block after its field, its element start.<field>, and preselects the kind', () => {
    const view = startModal({
      clusters: ['prod', 'staging'],
      defaultCluster: 'prod',
      defaultNamespace: 'bookinfo',
      kind: 'mirror',
      channelId: 'C0RELEASES',
    });
    const inputs = view.blocks.filter((b) => (b as Json).type === 'input') as Json[];

    expect(inputs.map((b) => b.block_id)).toEqual([...START_FIELDS]);
    for (const block of inputs) expect((block.element as Json).action_id).toBe(`start.${block.block_id}`);
    const element = (field: string) => inputs.find((b) => b.block_id === field)?.element as Json;
    expect((element('kind').initial_option as Json).value).toBe('mirror');
    expect((element('cluster').initial_option as Json).value).toBe('prod');
    expect(element('namespace').initial_value).toBe('bookinfo');
    for (const field of ['service', 'version', 'baseline'])
      expect(element(field)).toMatchObject({ type: 'external_select', min_query_length: 0 });
    expect(element('channel')).toMatchObject({
      type: 'conversations_select',
      response_url_enabled: true,
      default_to_current_conversation: true,
      initial_conversation: 'C0RELEASES',
    });
    const optional = inputs.filter((b) => b.optional).map((b) => b.block_id);
    expect(optional).toEqual(['baseline', 'steps', 'match', 'percent', 'on_failure', 'bake']);
  });

  it('shows no cluster menu when there is one cluster', () => {
    const view = startModal({ clusters: ['prod'], defaultCluster: 'prod', defaultNamespace: 'default' });

    expect(view.blocks.map((b) => (b as Json).block_id)).not.toContain('cluster');
  });
});

describe('startSuggestions', () => {
  it('offers the names holding what was typed, exact then prefix then the rest', () => {
    const options = startSuggestions('service', 'RE', ['details', 'scores', 'reviews', 're', 'productpage']);

    expect(options.options.map((o) => o.value)).toEqual(['re', 'reviews', 'scores']);
  });

  it('offers versions newest name first', () => {
    expect(startSuggestions('version', '', ['v1', 'v2', 'v10']).options.map((o) => o.value)).toEqual([
      'v10',
      'v2',
      'v1',
    ]);
  });

  it('offers at most 100 options, with texts of at most 75 characters and values Slack can send back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 200 }), { maxLength: 400 }),
        fc.string({ maxLength: 3 }),
        (items, typed) => {
          const { options } = startSuggestions('baseline', typed, items);
          expect(options.length).toBeLessThanOrEqual(VIEW_LIMITS.options);
          for (const option of options) {
            expect(option.text.text.length).toBeLessThanOrEqual(VIEW_LIMITS.optionText);
            expect(option.value.length).toBeLessThanOrEqual(VIEW_LIMITS.optionValue);
            expect(option.value.toLowerCase()).toContain(typed.trim().toLowerCase());
          }
          const fitting = new Set(
            items.filter(
              (i) =>
                i.length <= VIEW_LIMITS.optionValue && i.toLowerCase().includes(typed.trim().toLowerCase()),
            ),
          );
          // Nothing in the catalog matches: what was typed is offered as typed (a name Slack can send back).
          const asTyped = fitting.size === 0 && isDnsLabel(typed.trim()) ? 1 : 0;
          expect(options).toHaveLength(Math.min(100, fitting.size) + asTyped);
        },
      ),
    );
  });
});

/** One request match as the test writes it: the grammar's flag and what follows it. */
const matchArbitrary = fc.oneof(
  fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
      fc.stringMatching(/^[A-Za-z0-9._'-][A-Za-z0-9 ._'-]{0,10}$/),
    )
    .map(([name, value]) => ['--header', `${name}=${value}`] as const),
  fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.constantFrom('^j.*', '.*son$', '(a|b)+', "it's x"))
    .map(([name, regex]) => ['--header', `${name}~${regex}`] as const),
  fc.stringMatching(/^[a-z]{1,8}=[a-z0-9]{1,8}$/).map((pair) => ['--cookie', pair] as const),
  fc
    .constantFrom('.*Mobile.*', '.*Mobile Safari.*', "^Bob's", '[0-9]+')
    .map((r) => ['--user-agent', r] as const),
);

const fieldsArbitrary = fc
  .record({
    kind: fc.constantFrom(...START_KINDS),
    service: label,
    version: label,
    baseline: fc.option(label, { nil: undefined }),
    namespace: fc.option(label, { nil: undefined }),
    cluster: fc.option(fc.constantFrom('prod', 'staging', 'eu_west-2'), { nil: undefined }),
    steps: fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 5 }), {
      nil: undefined,
    }),
    stepsSeparator: fc.constantFrom(',', ', '),
    matches: fc.array(matchArbitrary, { minLength: 1, maxLength: 4 }),
    matchStyle: fc.constantFrom('space', 'equals', 'curly'),
    percent: fc.option(fc.constantFrom('1', '50', '12.5', '100'), { nil: undefined }),
    onFailure: fc.option(fc.constantFrom('rollback', 'pause'), { nil: undefined }),
    bake: fc.option(fc.constantFrom('1m', '30m', '1h30m', '24h'), { nil: undefined }),
  })
  .filter((f) => f.baseline !== f.version);

type Fields = typeof fieldsArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** The match field as a person types it: flags with a value after a space or an '=', straight or curly quotes. */
function typedMatch(f: Fields): string {
  return f.matches
    .map(([flag, value]) => {
      if (f.matchStyle === 'curly') return `${flag} \u201C${value}\u201D`;
      return f.matchStyle === 'equals' ? `${flag}="${value}"` : `${flag} "${value}"`;
    })
    .join(' ');
}

/** The command a person would type for the same release, written independently of the modal. */
function handWritten(f: Fields): string {
  const options = [
    ...(f.onFailure ? [`--on-failure ${f.onFailure}`] : []),
    ...(f.kind !== 'mirror' && f.bake ? [`--bake ${f.bake}`] : []),
    ...(f.kind === 'mirror' && f.percent ? [`--percent ${f.percent}`] : []),
    ...(f.kind === 'ab' ? f.matches.map(([flag, value]) => `${flag} "${value}"`) : []),
    ...(f.kind === 'start' && f.steps ? [`--steps "${[...f.steps].sort((a, b) => a - b).join(',')}"`] : []),
    ...(f.baseline ? [`--from ${f.baseline}`] : []),
    ...(f.cluster && f.cluster !== defaults.cluster ? [`--cluster ${f.cluster}`] : []),
    `--namespace ${f.namespace ?? defaults.namespace}`,
  ];
  return `${f.kind} ${f.service} ${f.version} ${options.join(' ')}`;
}

function formOf(f: Fields): Partial<Record<StartField, string>> {
  return {
    kind: f.kind,
    service: f.service,
    version: f.version,
    ...(f.baseline ? { baseline: f.baseline } : {}),
    ...(f.namespace ? { namespace: f.namespace } : {}),
    ...(f.cluster ? { cluster: f.cluster } : {}),
    ...(f.kind === 'start' && f.steps
      ? { steps: [...f.steps].sort((a, b) => a - b).join(f.stepsSeparator) }
      : {}),
    ...(f.kind === 'ab' ? { match: typedMatch(f) } : {}),
    ...(f.kind === 'mirror' && f.percent ? { percent: f.percent } : {}),
    ...(f.onFailure ? { on_failure: f.onFailure } : {}),
    ...(f.kind !== 'mirror' && f.bake ? { bake: f.bake } : {}),
    channel: 'C0RELEASES',
  };
}

describe('startFromSubmission', () => {
  it('makes the command a person would type: its text parses to it, and so does the hand-written command', () => {
    fc.assert(
      fc.property(fieldsArbitrary, (f) => {
        const read = startFromSubmission(submitted(formOf(f)), defaults);
        if (!read.ok) throw new Error(`refused: ${JSON.stringify(read.errors)}`);

        const again = parseCommand(read.text);
        const typed = parseCommand(handWritten(f));
        expect(again).toEqual({ ok: true, command: read.command });
        expect(typed).toEqual({ ok: true, command: read.command });
      }),
      { numRuns: 300 },
    );
  });

  it('reads back every word it writes, whatever characters the word holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.string({
            unit: fc.constantFrom("'", '"', '\u2018', '\u2019', '\u201C', '\u201D', ' ', '\n', '-', '=', 'a'),
          }),
        ),
        (word) => {
          const tokens = tokenize(`x ${commandWord(word)} y`, ['--reason']);
          expect(tokens).toEqual({
            ok: true,
            tokens: [
              { text: 'x', quoted: false },
              { text: word, quoted: expect.any(Boolean) },
              { text: 'y', quoted: false },
            ],
          });
        },
      ),
    );
  });

  it('writes the equivalent command as a person would, with --ns always and the default cluster left out', () => {
    const read = startFromSubmission(
      submitted({
        kind: 'start',
        service: 'reviews',
        version: 'v2',
        namespace: 'bookinfo',
        cluster: 'prod',
        steps: '10,50',
      }),
      defaults,
    );

    expect(read).toMatchObject({ ok: true, text: 'start reviews v2 --ns bookinfo --steps 10,50' });
  });

  const base = { kind: 'ab', service: 'reviews', version: 'v2', channel: 'C1' } as const;
  const errorsOf = (fields: Partial<Record<StartField, string>>) => {
    const read = startFromSubmission(submitted(fields), defaults);
    return read.ok ? {} : read.errors;
  };

  it('puts a bad regex in the match on the match field', () => {
    expect(errorsOf({ ...base, match: '--header end-user~(j' })).toEqual({
      match: expect.stringMatching(/regex "\(j" is not valid RE2/),
    });
    expect(errorsOf({ ...base, match: "--user-agent '*Mobile'" })).toEqual({
      match: expect.stringContaining('user agent'),
    });
  });

  it('takes only request matches in the match field: other options cannot ride along', () => {
    expect(errorsOf({ ...base, match: '--header a=b --ns kube-system' })).toEqual({
      match: expect.stringContaining('Only --header, --cookie, --user-agent go here'),
    });
    expect(errorsOf({ ...base, match: 'end-user=jason' })).toEqual({
      match: expect.stringContaining('is not a match'),
    });
    expect(errorsOf({ ...base, match: "--cookie 'user=x" })).toEqual({
      match: expect.stringContaining('never closed'),
    });
  });

  it('asks for a match when an A/B test has none', () => {
    expect(errorsOf(base)).toEqual({ match: expect.stringContaining('needs at least one --header') });
  });

  it('puts bad steps on the steps field', () => {
    expect(errorsOf({ ...base, kind: 'start', steps: '50,10' })).toEqual({
      steps: 'Canary weights must increase at every step; 10 comes after 50.',
    });
    expect(errorsOf({ ...base, kind: 'start', steps: 'ten' })).toEqual({
      steps: expect.stringContaining('"ten"'),
    });
  });

  it('asks for a missing service and version on their fields, in the grammar words', () => {
    expect(errorsOf({ kind: 'start', channel: 'C1' })).toEqual({
      service: 'Name the service, e.g. reviews.',
      version: 'Name the version to release, e.g. v2.',
    });
    expect(errorsOf({ service: 'reviews', version: 'v2' })).toEqual({ kind: 'Choose the kind of release.' });
  });

  it('refuses fields that do not apply to the kind chosen rather than dropping them', () => {
    expect(errorsOf({ ...base, kind: 'switch', steps: '10', match: '--header a=b', percent: '50' })).toEqual({
      steps: 'Steps apply to canaries only; clear this field or choose Canary.',
      match: 'Request matches apply to A/B tests only; clear this field or choose A/B test.',
      percent: 'Mirror percentages apply to mirrors only; clear this field or choose Mirror.',
    });
  });

  it('refuses a bake for a mirror, and a bake outside 1m to 24h, on the bake field', () => {
    expect(errorsOf({ ...base, kind: 'mirror', bake: '30m' })).toEqual({
      bake: 'A mirror never sends all traffic to the new version, so it takes no bake; clear this field or choose another kind.',
    });
    expect(errorsOf({ ...base, kind: 'start', bake: '25h' })).toEqual({
      bake: 'A bake lasts from 1m to 24h, e.g. --bake 30m or --bake 1h30m; "25h" is not such a duration.',
    });
  });

  it('puts bad names on their fields, and a baseline equal to the canary on the baseline', () => {
    expect(
      errorsOf({
        ...base,
        kind: 'mirror',
        namespace: 'bookinfo --cluster x',
        service: 'Reviews',
        percent: '0',
        cluster: 'a b',
      }),
    ).toEqual({
      namespace: expect.stringContaining('is not a valid namespace'),
      service: expect.stringContaining('is not a valid service name'),
      percent: expect.stringContaining('above 0 and at most 100'),
      cluster: expect.stringContaining('is not a cluster name'),
    });
    expect(errorsOf({ ...base, kind: 'switch', baseline: 'v2' })).toEqual({
      baseline: 'The baseline (--from v2) and the canary are the same version.',
    });
  });
});

describe('startingView', () => {
  it('says the release is starting, shows the command for next time, and has nothing to submit', () => {
    const view = startingView('start reviews v2 --ns bookinfo');

    expect(view.submit).toBeUndefined();
    expect(JSON.stringify(view.blocks)).toContain('```/canary start reviews v2 --ns bookinfo```');
    expect(viewProblems(view as unknown as Json)).toEqual([]);
  });

  it('fits the limits for the longest command', () => {
    const kinds: StartKind[] = [...START_KINDS];
    for (const kind of kinds) {
      const view = startingView(`${kind} reviews v2 ${'--header a=<b&c> '.repeat(250)}`);
      expect(viewProblems(view as unknown as Json)).toEqual([]);
    }
  });
});
