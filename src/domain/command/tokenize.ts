/** Splitting a command line into words, the way a shell user expects quotes to work. */

/** A word of a command line. A word that began with a quote is never read as an option. */
export interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

/** The words, or a sentence saying why the line cannot be split. */
export type Tokenized =
  | { readonly ok: true; readonly tokens: Token[] }
  | { readonly ok: false; readonly error: string };

/** Longer command lines are refused before any work: Slack itself sends at most a few thousand characters. */
export const MAX_COMMAND_LENGTH = 4000;

// Slack clients on macOS and iOS turn straight quotes into curly ones; both must group words.
const CLOSING_QUOTE: Readonly<Record<string, string>> = {
  "'": "'",
  '"': '"',
  '\u2018': '\u2019',
  '\u201C': '\u201D',
};

/**
 * Splits on whitespace; single, double and curly quotes group words (`'user=tester'`, `"a b"`) and may sit
 * inside a word (`--cookie='user=tester'`). An unquoted word in `restOptions` (with or without `=value`)
 * takes the rest of the line as it is, quotes and all, as its single value word.
 *
 * @example tokenize(`ab frontend v2 --cookie 'user=tester'`, []) // words: ab, frontend, v2, --cookie, user=tester
 */
export function tokenize(text: string, restOptions: readonly string[]): Tokenized {
  if (text.length > MAX_COMMAND_LENGTH)
    return {
      ok: false,
      error: `The command is too long (${text.length} characters; at most ${MAX_COMMAND_LENGTH}).`,
    };
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isSpace(text[i] as string)) i++;
    if (i >= text.length) break;
    const start = i;
    let word = '';
    let hadQuotes = false;
    const quoted = (text[i] as string) in CLOSING_QUOTE;
    while (i < text.length && !isSpace(text[i] as string)) {
      const char = text[i] as string;
      const closing = CLOSING_QUOTE[char];
      if (closing === undefined) {
        word += char;
        i++;
        continue;
      }
      const end = text.indexOf(closing, i + 1);
      if (end < 0)
        return {
          ok: false,
          error: `The quote ${char} at character ${i + 1} is never closed; close it or remove it.`,
        };
      word += text.slice(i + 1, end);
      hadQuotes = true;
      i = end + 1;
    }
    if (!quoted && restOptions.includes(word.split('=')[0] as string)) {
      // The rest of the line is free text (a reason): apostrophes in it are not quotes.
      const raw = text.slice(start);
      const eq = word.indexOf('=');
      const flag = eq < 0 ? word : word.slice(0, eq);
      const rest = (eq < 0 ? raw.slice(flag.length) : raw.slice(raw.indexOf('=') + 1)).trim();
      tokens.push({ text: flag, quoted: false });
      if (rest.length > 0) tokens.push({ text: unwrapQuotes(rest), quoted: true });
      return { ok: true, tokens };
    }
    tokens.push({ text: word, quoted: quoted || (hadQuotes && word.length === 0) });
  }
  return { ok: true, tokens };
}

function isSpace(char: string): boolean {
  return /\s/u.test(char);
}

/** `'a b'` -> `a b` when the whole text is one quoted string. */
function unwrapQuotes(text: string): string {
  const first = text[0] as string;
  const closing = CLOSING_QUOTE[first];
  return closing !== undefined &&
    text.length >= 2 &&
    text.endsWith(closing) &&
    text.indexOf(closing, 1) === text.length - 1
    ? text.slice(1, -1)
    : text;
}
