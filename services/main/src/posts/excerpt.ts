const LENGTH = 200;

/** A `*` or `_` run with a letter or digit on both sides is inside a word. */
const WORD = /\w/;

/**
 * Emphasis markers go. Inside a word `_` is text (max_items) and so is a lone `*` (2*3), but a
 * longer run of `*` is emphasis (`foo**bar**baz`).
 */
function emphasis(run: string, at: number, text: string): string {
  const inWord = WORD.test(text[at - 1] ?? '') && WORD.test(text[at + run.length] ?? '');
  if (!inWord) return '';
  return run === '*' ? run : run.replaceAll('*', '');
}

/**
 * Inline links and images (`[text](address)`, `![alt](address)`) as their text. The address runs
 * to the first `)` on its line and may hold brackets (`?tags[]=a`, `http://[::1]/`); a pattern
 * scanning it from every `[(` would rescan the line (`[](` repeated), so the next `)` and the next
 * line break are found by positions that only move forward: linear in the text.
 */
function inlineLinks(text: string): string {
  const opening = /!?\[([^[\]\n]*)\]\(/g;
  let out = '';
  let copied = 0;
  let close = -1;
  let newline = -1;
  for (let m = opening.exec(text); m; m = opening.exec(text)) {
    const from = opening.lastIndex;
    if (close < from) {
      close = text.indexOf(')', from);
      if (close < 0) break;
    }
    if (newline < from) {
      newline = text.indexOf('\n', from);
      if (newline < 0) newline = text.length;
    }
    if (newline < close) continue;
    out += text.slice(copied, m.index) + m[1];
    copied = close + 1;
    opening.lastIndex = copied;
  }
  return out + text.slice(copied);
}

/**
 * The body's first ~200 characters as plain text, cut at a word boundary. Markdown gives way to
 * what a reader sees: a link or image to its text, a heading or quote to its words; `#` and `_`
 * inside words (C#, max_items) are text.
 *
 * Every pattern runs in time linear in the body (up to 100 KB, on every write): a scan never
 * crosses the character that starts its next try (`<` for a tag, `[` for a link; an inline
 * link's address: inlineLinks), and emphasis runs are matched whole and judged in code.
 * `<[^>]*>`, `\[[^\]\n]*\]\(` and `(?<!\w)[*_]+|[*_]+(?!\w)` rescanned the rest of the line
 * from each `<`, `[` or `_`: a 100 KB body of one of them held main's event loop for 5 to 22 s.
 */
export function deriveExcerpt(body: string): string {
  const text = inlineLinks(
    body
      .replace(/<[^<>]*>/g, ' ')
      // Reference definitions ([id]: url) are not shown.
      .replace(/^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$/gm, ' '),
  )
    .replace(/!?\[([^[\]\n]*)\]\[[^[\]\n]*\]/g, '$1')
    .replace(/^[ \t]*(?:#{1,6}(?=\s|$)|>+)/gm, '')
    .replace(/`+|[[\]]/g, '')
    .replace(/[*_]+/g, emphasis)
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= LENGTH) return text;
  const cut = text.slice(0, LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
