/** Lists of one-line entries packed into sections, with a note for what does not fit. */
import { BLOCK_KIT_LIMITS, type Block, clip, context, section } from './block-kit.js';

/** How much of a message a list may take. */
export interface ListBudget {
  /** Sections at most. */
  readonly blocks: number;
  /** Characters at most, over all sections. */
  readonly chars: number;
}

/** Leaves room in a message for a header, a title and a note. */
export const DEFAULT_LIST_BUDGET: ListBudget = { blocks: 40, chars: 10_000 };

const SECTION_ROOM = BLOCK_KIT_LIMITS.sectionText - 100;
const LINE_LENGTH = 1000;

/**
 * Lines in as few sections as fit, in order; when the budget runs out the rest are counted in a last
 * context block, e.g. `…and 212 more.`.
 *
 * @example packLines(['• a', '• b']) // [section('• a\n• b')]
 */
export function packLines(
  lines: readonly string[],
  budget: ListBudget = DEFAULT_LIST_BUDGET,
  more: (count: number) => string = (count) => `…and ${count} more.`,
): Block[] {
  const blocks: Block[] = [];
  let current: string[] = [];
  let currentLength = 0;
  let used = 0;
  let shown = 0;
  const flush = () => {
    if (current.length > 0) blocks.push(section(current.join('\n')));
    current = [];
    currentLength = 0;
  };
  for (const raw of lines) {
    const line = clip(raw, LINE_LENGTH);
    if (used + line.length + 1 > budget.chars) break;
    if (currentLength + line.length + 1 > SECTION_ROOM) {
      if (blocks.length + 1 >= budget.blocks) break;
      flush();
    }
    current.push(line);
    currentLength += line.length + 1;
    used += line.length + 1;
    shown++;
  }
  flush();
  if (shown < lines.length) blocks.push(context(more(lines.length - shown)));
  return blocks;
}
