import { randomBytes } from 'node:crypto';

export const SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LENGTH = 80;

/**
 * A readable URL slug: ASCII letters and digits joined by hyphens ("Crème brûlée!" →
 * "creme-brulee"). Never shaped like a uuid, so `/posts/{id or slug}` is never ambiguous.
 */
export function slugify(text: string, fallback: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_LENGTH)
    .replace(/^-+|-+$/g, '');
  if (!slug) return fallback;
  return UUID.test(slug) ? `${fallback}-${slug}` : slug;
}

/** A taken slug gets a short random suffix rather than a count that races with other writers. */
export const withSuffix = (slug: string) => `${slug}-${randomBytes(3).toString('hex')}`;
