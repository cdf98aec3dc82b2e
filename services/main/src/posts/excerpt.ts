const LENGTH = 200;

/**
 * The body's first ~200 characters as plain text, cut at a word boundary. Markdown gives way to
 * what a reader sees: a link or image to its text, a heading or quote to its words; `#` and `_`
 * inside words (C#, max_items) are text.
 */
export function deriveExcerpt(body: string): string {
  const text = body
    .replace(/<[^>]*>/g, ' ')
    // Reference definitions ([id]: url) are not shown.
    .replace(/^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$/gm, ' ')
    .replace(/!?\[([^\]\n]*)\]\([^)\n]*\)/g, '$1')
    .replace(/!?\[([^\]\n]*)\]\[[^\]\n]*\]/g, '$1')
    .replace(/^[ \t]*(?:#{1,6}(?=\s|$)|>+)/gm, '')
    .replace(/`+|[[\]]/g, '')
    .replace(/(?<!\w)[*_]+|[*_]+(?!\w)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= LENGTH) return text;
  const cut = text.slice(0, LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
