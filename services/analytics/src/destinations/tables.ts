import { timestamptzNow } from '@platform/db';
import { currentTraceContext } from '@platform/telemetry';
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * One row per (destination, event) still to deliver, or given up on (`dead`: the dead-letter
 * list). Written in the transaction that accepts the event (one with a message id: that of the
 * writer's claim on it); a delivered row is deleted.
 */
export const destinationDeliveries = pgTable(
  'destination_deliveries',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    destination: text().notNull(),
    eventId: text().notNull(),
    event: text().notNull(),
    /** The Segment-style `track` call, without `sentAt` (set at each attempt). */
    payload: jsonb().notNull().$type<Record<string, unknown>>(),
    status: text().notNull().default('pending').$type<'pending' | 'dead'>(),
    attempts: integer().notNull().default(0),
    /** When a pending row is due; a worker pushes it ahead while it holds the row (a lease). */
    nextAttemptAt: timestamptzNow(),
    lastError: text(),
    createdAt: timestamptzNow(),
    updatedAt: timestamptzNow(),
    /** The traceparent of the work that queued it (null untraced): each attempt links to it. */
    traceContext: text().$defaultFn(() => currentTraceContext() ?? sql`null`),
  },
  (t) => [
    uniqueIndex('destination_deliveries_event_key').on(t.destination, t.eventId),
    index('destination_deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index('destination_deliveries_dead_idx').on(t.id).where(sql`status = 'dead'`),
  ],
);
