const LENGTH = 200;

/** The body's first ~200 characters as plain text, cut at a word boundary. */
export function deriveExcerpt(body: string): string {
  const text = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/[#*_`>[\]]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= LENGTH) return text;
  const cut = text.slice(0, LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
