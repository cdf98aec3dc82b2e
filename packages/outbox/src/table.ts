import { timestamptz, timestamptzNow } from '@platform/db';
import { currentTraceContext } from '@platform/telemetry';
import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';

/**
 * The transactional outbox every producing service keeps in its own database: domain events
 * written in the transaction of the change, read by the relay. One definition, because the relay
 * depends on its shape; a service re-exports it from its `db/schema.ts` so drizzle-kit migrates it.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    type: text().notNull(),
    payload: jsonb().notNull().$type<Record<string, unknown>>(),
    occurredAt: timestamptzNow(),
    publishedAt: timestamptz(),
    /**
     * When a subscriber refused the event itself (400, 413, 422 for it alone): it is set aside,
     * never sent again by the relay, so it cannot hold back the events after it; `failure` says
     * who refused it and why. To send it again: clear both.
     */
    setAsideAt: timestamptz(),
    failure: text(),
    /**
     * The traceparent of the request that wrote the event (null untraced), filled in on insert:
     * the relay's span links back to it.
     */
    traceContext: text().$defaultFn(() => currentTraceContext() ?? sql`null`),
  },
  (t) => [index('outbox_unpublished_idx').on(t.id).where(sql`published_at is null`)],
);
