import { timestamptz, timestamptzNow } from '@platform/db';
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
  createdBy: text(),
  createdAt: timestamptzNow(),
  /** Set on revocation; the row stays so a revoked key is never reissued or mistaken. */
  revokedAt: timestamptz(),
});
