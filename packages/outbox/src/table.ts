import { timestamptz, timestamptzNow } from '@platform/db';
import { currentTraceContext } from '@platform/telemetry';
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';

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
     * When a subscriber refused the event itself (400, 413, 422 for it alone) on `refusals`
     * separate attempts spanning at least the relay's `setAsideAfterMs` since `firstRefusedAt`:
     * it is set aside, never sent again by the relay; `failure` says who refused it last and why.
     * Before that it is retried at `retryAt` (with backoff) while the events after it go on: during
     * a subscriber's rolling deploy an old replica may refuse what the new ones take.
     * `deliveredTo` names the subscribers that already took it, so a retry goes only to the rest.
     * Accepted at last, it is published and the refusal columns cleared. To send a set-aside event
     * again: clear `set_aside_at`, `failure`, `first_refused_at`, `retry_at`, set `refusals` to 0.
     */
    setAsideAt: timestamptz(),
    failure: text(),
    refusals: integer().notNull().default(0),
    firstRefusedAt: timestamptz(),
    retryAt: timestamptz(),
    deliveredTo: text().array(),
    /**
     * The traceparent of the request that wrote the event (null untraced), filled in on insert:
     * the relay's span links back to it.
     */
    traceContext: text().$defaultFn(() => currentTraceContext() ?? sql`null`),
  },
  // What a relay pass reads, in its order. Set-aside rows stay unpublished for good, so they are
  // left out: every pass (each 500 ms) walked past all of them before it found one to send.
  (t) => [
    index('outbox_unpublished_idx')
      .on(t.id)
      .where(sql`published_at is null and set_aside_at is null`),
    // What the purge deletes, oldest first (purge.ts): published rows by when. Without it each
    // batch scanned the whole table; unpublished rows, the few in flight, are left out.
    index('outbox_published_idx').on(t.publishedAt).where(sql`published_at is not null`),
  ],
);
