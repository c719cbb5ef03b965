import {
  checkMessageContent,
  findBlockProblems,
  formatBlockProblem,
  totalBlockText,
} from '../../local/slack/block-kit-limits.js';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (actionId: string, text = 'Approve', value = 'v') => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text },
  value,
});
const errorsOf = (blocks: unknown[]) => findBlockProblems(blocks).map(formatBlockProblem);

describe('message content checks', () => {
  it('accepts 50 blocks and refuses 51 with Slack error strings', () => {
    // Prepare
    const fifty = Array.from({ length: 50 }, () => ({ type: 'divider' }));
    // Act
    const accepted = checkMessageContent({ text: 'fallback', blocks: fifty });
    const refused = checkMessageContent({ text: 'fallback', blocks: [...fifty, { type: 'divider' }] });
    // Assess
    expect(accepted).toBeUndefined();
    expect(refused).toEqual({
      error: 'invalid_blocks',
      errors: ['must be less than 51 items [json-pointer:/blocks]'],
    });
  });

  it('refuses a message with neither text nor blocks', () => {
    expect(checkMessageContent({})).toEqual({ error: 'no_text' });
    expect(checkMessageContent({ text: '', blocks: [] })).toEqual({ error: 'no_text' });
    expect(checkMessageContent({ attachments: [{ fallback: 'x' }] })).toBeUndefined();
  });

  it('refuses text over 40000 characters', () => {
    expect(checkMessageContent({ text: 'x'.repeat(40_000) })).toBeUndefined();
    expect(checkMessageContent({ text: 'x'.repeat(40_001) })).toEqual({ error: 'msg_too_long' });
  });

  it('refuses blocks whose text adds up to more than about 13k characters', () => {
    // Prepare: five sections, each under its own 3000 limit.
    const blocks = Array.from({ length: 5 }, () => section('y'.repeat(2800)));
    // Act
    const result = checkMessageContent({ text: 'fallback', blocks });
    // Assess
    expect(totalBlockText(blocks)).toBe(14_000);
    expect(result).toEqual({ error: 'msg_blocks_too_long' });
  });

  it('refuses blocks that are not an array as a format error', () => {
    expect(checkMessageContent({ text: 'x', blocks: { type: 'divider' } })).toEqual({
      error: 'invalid_blocks_format',
    });
  });
});

describe('Block Kit limits by block type', () => {
  it('reports section text over 3000 like Slack does', () => {
    expect(errorsOf([section('z'.repeat(3000))])).toEqual([]);
    expect(errorsOf([section('z'.repeat(3001))])).toEqual([
      'failed to match all allowed schemas [json-pointer:/blocks/0/text]',
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
  });

  it('limits section fields to 10 of 2000 characters', () => {
    // Prepare
    const field = (text: string) => ({ type: 'mrkdwn', text });
    const eleven = { type: 'section', fields: Array.from({ length: 11 }, () => field('f')) };
    const longField = { type: 'section', fields: [field('f'), field('g'.repeat(2001))] };
    // Act + Assess
    expect(errorsOf([eleven])).toEqual(['must be less than 11 items [json-pointer:/blocks/0/fields]']);
    expect(errorsOf([longField])).toContain(
      'must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]',
    );
  });

  it('requires a section to have text or fields', () => {
    expect(errorsOf([{ type: 'section' }])).toEqual([
      'must provide either text or fields [json-pointer:/blocks/0]',
    ]);
  });

  it('limits headers to 150 characters of plain_text', () => {
    const header = (type: string, text: string) => ({ type: 'header', text: { type, text } });
    expect(errorsOf([header('plain_text', 'h'.repeat(150))])).toEqual([]);
    expect(errorsOf([header('plain_text', 'h'.repeat(151))])).toEqual([
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ]);
    expect(errorsOf([header('mrkdwn', 'h')])).toEqual([
      'unsupported type: mrkdwn [json-pointer:/blocks/0/text/type]',
    ]);
  });

  it('limits actions to 25 buttons with Slack button limits', () => {
    // Prepare
    const many = { type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`a${i}`)) };
    const bad = {
      type: 'actions',
      block_id: 'b'.repeat(256),
      elements: [
        button('approve', 'A'.repeat(76), 'v'.repeat(2001)),
        { ...button('x'.repeat(256)), style: 'green' },
        button('approve'),
      ],
    };
    // Act + Assess
    expect(errorsOf([many])).toEqual(['must be less than 26 items [json-pointer:/blocks/0/elements]']);
    expect(errorsOf([bad])).toEqual([
      'must be less than 256 characters [json-pointer:/blocks/0/block_id]',
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
      'must be less than 256 characters [json-pointer:/blocks/0/elements/1/action_id]',
      'must be one of: primary, danger [json-pointer:/blocks/0/elements/1/style]',
      'duplicate action_id: approve [json-pointer:/blocks/0/elements/2/action_id]',
    ]);
  });

  it('refuses an empty actions block and duplicate block ids', () => {
    const blocks = [
      { type: 'actions', block_id: 'gate', elements: [] },
      { type: 'divider', block_id: 'gate' },
    ];
    expect(errorsOf(blocks)).toEqual([
      'must provide at least 1 item [json-pointer:/blocks/0/elements]',
      'duplicate block_id: gate [json-pointer:/blocks/1/block_id]',
    ]);
  });

  it('checks context elements and images', () => {
    // Prepare
    const context = {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: 'by *alice*' },
        { type: 'image', image_url: 'https://x/y.png' },
      ],
    };
    const image = { type: 'image', image_url: 'https://x/chart.png', alt_text: 'RED chart' };
    const tooMany = {
      type: 'context',
      elements: Array.from({ length: 11 }, () => ({ type: 'plain_text', text: 't' })),
    };
    // Act + Assess
    expect(errorsOf([context])).toEqual([
      'missing required field: alt_text [json-pointer:/blocks/0/elements/1/alt_text]',
    ]);
    expect(errorsOf([image])).toEqual([]);
    expect(errorsOf([tooMany])).toEqual(['must be less than 11 items [json-pointer:/blocks/0/elements]']);
  });

  it('refuses unknown block types', () => {
    expect(errorsOf([{ type: 'carousel' }])).toEqual([
      'unsupported type: carousel [json-pointer:/blocks/0/type]',
    ]);
  });
});
