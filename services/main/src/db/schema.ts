import { timestamptz, timestamptzNow } from '@platform/db';
import { sql } from 'drizzle-orm';
import {
  bit,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const categories = pgTable('categories', {
  id: uuid().primaryKey().defaultRandom(),
  slug: text().notNull().unique('categories_slug_key'),
  name: text().notNull(),
  createdAt: timestamptzNow(),
  updatedAt: timestamptzNow(),
});

/**
 * Every index on posts leads with `status` (and a filter column where there is one), then the
 * sort key and id: each list query names one status per branch (see posts/list-query.ts), so
 * every filter and sort reads its first and its 1,000th page straight from an index.
 */
export const posts = pgTable(
  'posts',
  {
    id: uuid().primaryKey().defaultRandom(),
    slug: text().notNull(),
    title: text().notNull(),
    body: text().notNull(),
    excerpt: text().notNull(),
    status: text().notNull().$type<'draft' | 'published'>(),
    authorId: uuid().notNull(),
    categoryId: uuid().references(() => categories.id),
    /** Tag slugs in the order the author gave them; post_tags holds the same for filtering. */
    tags: text().array().notNull().default(sql`'{}'::text[]`),
    /** Bumped on every change; the ETag. */
    version: integer().notNull().default(1),
    createdAt: timestamptzNow(),
    updatedAt: timestamptzNow(),
    publishedAt: timestamptz(),
    /** A draft is "published at infinity": newest in -published_at, last in published_at. */
    publishedSort: timestamp({ withTimezone: true, mode: 'string' })
      .notNull()
      .generatedAlwaysAs(sql`coalesce(published_at, 'infinity'::timestamptz)`),
    /**
     * Kept in the row, uncompressed (migration 0001): ranked search reads thousands per page.
     * Built with the text search configuration posts_search (migration 0014: English with accents
     * folded); the query side must parse q with the same one (posts/list-query.ts SEARCH_CONFIG).
     */
    search: tsvector()
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector('posts_search'::regconfig, title), 'A') || setweight(to_tsvector('posts_search'::regconfig, body), 'B')`,
      ),
  },
  (t) => [
    uniqueIndex('posts_slug_key').on(t.slug),
    check('posts_status_check', sql`${t.status} in ('draft', 'published')`),
    index('posts_published_idx').on(t.status, t.publishedSort, t.id),
    index('posts_created_idx').on(t.status, t.createdAt, t.id),
    index('posts_title_idx').on(t.status, t.title, t.id),
    index('posts_category_idx').on(t.categoryId, t.status, t.publishedSort, t.id),
    index('posts_author_idx').on(t.authorId, t.status, t.publishedSort, t.id),
    // With a tag, q checks the posts' tags too (posts/list-query.ts): for a rare word the
    // planner then reads only posts holding both from this one index (migration 0004).
    index('posts_search_tags_idx').using('gin', t.search, t.tags),
    // Each row a tag walk (post_tags) checks is fetched by id: a hash index reaches it in about
    // half the pages the primary key's B-tree takes.
    index('posts_id_hash_idx').using('hash', t.id),
  ],
);

/**
 * One row per (post, tag), carrying the post's status and sort key so a tag filter walks this
 * index in list order instead of collecting every tagged post and sorting them.
 */
export const postTags = pgTable(
  'post_tags',
  {
    postId: uuid()
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    tag: text().notNull(),
    status: text().notNull(),
    publishedSort: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
    /**
     * The post's lexemes hashed into 512 bits (SQL function search_sig, migration 0005): a tag
     * walk for q fetches only the posts whose signature holds the query's (search_query_sig).
     * Left out, every bit is set: the row is never skipped.
     */
    searchSig: bit({ dimensions: 512 }).notNull().default(sql`~(B'0'::bit(512))`),
  },
  (t) => [
    primaryKey({ columns: [t.postId, t.tag] }),
    // The signature last: read by the walk from the index, never part of the order (post_id is
    // unique per tag), and suffix truncation keeps it out of the inner pages.
    index('post_tags_list_idx').on(t.tag, t.status, t.publishedSort, t.postId, t.searchSig),
  ],
);

/** Tags exist once used; `post_count` counts published posts, kept in the writing transaction. */
export const tags = pgTable(
  'tags',
  {
    slug: text().primaryKey(),
    postCount: integer().notNull().default(0),
    createdAt: timestamptzNow(),
  },
  // GET /tags pages in this order (tags/repository.ts); unused tags are never listed.
  (t) => [index('tags_listed_idx').on(t.postCount.desc(), t.slug).where(sql`${t.postCount} > 0`)],
);

/**
 * Accounts whose `user.deleted` main has processed: a create by one of them is refused, however
 * late it arrives (a token still valid for a second, a request already in flight). Kept for good:
 * a row is an id and a time, accounts are deleted rarely, and user ids are random UUIDs never
 * issued again, so a tombstone can never refuse a live account. A purge would save next to nothing
 * and would first have to prove that no token or request of that user can still arrive.
 */
export const deletedAuthors = pgTable('deleted_authors', {
  userId: uuid().primaryKey(),
  deletedAt: timestamptzNow(),
});

/** Domain events written with the change, relayed to analytics by @platform/outbox. */
export { outbox } from '@platform/outbox';
