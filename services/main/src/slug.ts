import { randomBytes } from 'node:crypto';

export const SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LENGTH = 80;

/** ASCII letters and digits joined by hyphens, at most `max` characters; '' when none. */
function slugOf(text: string, max: number): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

/**
 * A readable URL slug: ASCII letters and digits joined by hyphens ("Crème brûlée!" →
 * "creme-brulee"). Never shaped like a uuid, so `/posts/{id or slug}` is never ambiguous.
 */
export function slugify(text: string, fallback: string): string {
  const slug = slugOf(text, MAX_LENGTH);
  if (!slug) return fallback;
  return UUID.test(slug) ? `${fallback}-${slug}` : slug;
}

/**
 * A tag as posts store it: its slug ("Web Dev" → "web-dev", "Node.js" → "node-js"), at most 50
 * characters; '' when nothing of it is a letter or digit.
 */
export const tagSlug = (tag: string) => slugOf(tag, 50);

/** A taken slug gets a short random suffix rather than a count that races with other writers. */
export const withSuffix = (slug: string) => `${slug}-${randomBytes(3).toString('hex')}`;
