/** One entity tag in a list, or `*`; a comma inside quotes belongs to its tag. */
const ENTITY_TAG = /\*|(?:W\/)?"[^"]*"/g;

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * RFC 9110 §13.1.2 If-None-Match: true when `*` or any listed tag matches `etag` by weak
 * comparison (a `W/` on either side is ignored), so the answer is a 304.
 */
export function isNotModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const current = opaque(etag);
  for (const [tag] of ifNoneMatch.matchAll(ENTITY_TAG)) {
    if (tag === '*' || opaque(tag) === current) return true;
  }
  return false;
}
