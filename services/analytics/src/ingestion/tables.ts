import { timestamptzNow } from '@platform/db';
import { bigint, bigserial, pgTable, text } from 'drizzle-orm/pg-core';

/**
 * Queued items the store refused, set aside so the rest of the queue keeps moving: each one in
 * the form a queue row takes (`kind`, `item`), so replaying it is putting it back. A row that
 * could not even be read is kept whole, as it was.
 */
export const ingestionDeadLetters = pgTable('ingestion_dead_letters', {
  id: bigserial({ mode: 'number' }).primaryKey(),
  /** The queue row it was taken from. */
  queueSeq: bigint({ mode: 'number' }).notNull(),
  kind: text().notNull().$type<'event' | 'track' | 'sample'>(),
  item: text().notNull(),
  /** What the store (or the writer) said. */
  error: text().notNull(),
  createdAt: timestamptzNow(),
});
