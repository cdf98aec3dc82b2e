import { timestamptz, timestamptzNow } from '@platform/db';
import { sql } from 'drizzle-orm';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';

/**
 * Keys that authenticate the Segment-style endpoints (HTTP Basic, the key as user name). Only a
 * SHA-256 of each key is kept: keys are 256 random bits, so a fast hash is as good as a slow one
 * and the lookup stays one index probe per request.
 */
export const writeKeys = pgTable('write_keys', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  keyHash: text().notNull().unique(),
  /** The key's first characters, so an admin can tell keys apart in a list. */
  keyPrefix: text().notNull(),
  /**
   * `server` (a backend: the Segment routes, trusted with profiles) or `browser` (a web page,
   * public: the analytics.js routes only, from `origins` only, never a profile's traits).
   */
  kind: text({ enum: ['server', 'browser'] })
    .notNull()
    .default('server'),
  /** A browser key's allowed origins (`https://shop.example.com`, or `*`); empty for a server key. */
  origins: text().array().notNull().default(sql`'{}'::text[]`),
  createdBy: text(),
  createdAt: timestamptzNow(),
  /** Set on revocation; the row stays so a revoked key is never reissued or mistaken. */
  revokedAt: timestamptz(),
});
