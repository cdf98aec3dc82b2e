import { sql } from 'drizzle-orm';
import { iso } from '../db/index.ts';

/** A post row as the read queries below select it. */
export type PostRow = {
  id: string;
  slug: string;
  title: string;
  body: string;
  excerpt: string;
  status: 'draft' | 'published';
  author_id: string;
  tags: string[];
  version: number;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  category_id: string | null;
  category_slug: string | null;
  category_name: string | null;
};

/** What every read selects, from `posts p left join categories c`. */
export const POST_COLUMNS = sql.raw(
  `p.id, p.slug, p.title, p.body, p.excerpt, p.status, p.author_id, p.tags, p.version,
   ${iso('p.created_at')} as created_at, ${iso('p.updated_at')} as updated_at,
   ${iso('p.published_at')} as published_at,
   c.id as category_id, c.slug as category_slug, c.name as category_name`,
);

export function toPostView(row: PostRow) {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    body: row.body,
    excerpt: row.excerpt,
    status: row.status,
    author_id: row.author_id,
    category:
      row.category_id && row.category_slug && row.category_name
        ? { id: row.category_id, slug: row.category_slug, name: row.category_name }
        : null,
    tags: row.tags,
    created_at: row.created_at,
    updated_at: row.updated_at,
    published_at: row.published_at,
  };
}

export type PostView = ReturnType<typeof toPostView>;

/** Strong validator of one version of one post. */
export const etagOf = (row: Pick<PostRow, 'id' | 'version'>) => `"${row.id}.${row.version}"`;
