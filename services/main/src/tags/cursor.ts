import { problems } from '@platform/http';
import { SLUG_PATTERN } from '../slug.ts';

/** Where a page of tags ends: the last tag's count and slug (the list's order). */
export interface TagPosition {
  postCount: number;
  slug: string;
}

const SLUG = new RegExp(SLUG_PATTERN);
/** tags.post_count is a PostgreSQL integer: a larger count in the query is an error, a 500. */
const MAX_COUNT = 2_147_483_647;

/**
 * Opaque to clients, and no secret: a made-up cursor only moves where the list starts, and the
 * list is public. Decoding checks its shape, so a bad one is a 400, never a query.
 */
export const encodeTagCursor = (p: TagPosition) =>
  Buffer.from(JSON.stringify([p.postCount, p.slug])).toString('base64url');

export function decodeTagCursor(text: string): TagPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [postCount, slug] = value as unknown[];
  if (!Number.isSafeInteger(postCount)) throw invalid();
  if ((postCount as number) < 1 || (postCount as number) > MAX_COUNT) throw invalid();
  if (typeof slug !== 'string' || slug.length > 50 || !SLUG.test(slug)) throw invalid();
  return { postCount: postCount as number, slug };
}

const invalid = () =>
  problems.badRequest('The cursor is invalid; use next_cursor from the previous page.', [
    { field: 'cursor', message: 'is not a cursor from this list' },
  ]);
