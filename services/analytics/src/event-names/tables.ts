import { timestamptzNow } from '@platform/db';
import { pgTable, text } from 'drizzle-orm/pg-core';

/**
 * The distinct event names clients may send (`/track-event`, Segment's `track`), shared by all
 * replicas and capped by EVENT_NAMES_MAX: on InfluxDB each name is a series (a tag), so names a
 * client makes up must not grow without bound (see event-names/registry.ts).
 */
export const eventNames = pgTable('event_names', {
  name: text().primaryKey(),
  firstSeen: timestamptzNow(),
  /**
   * Whose budget registered it: `trusted` (a server write key, an admin) or `public` (anonymous
   * or signed-in `/track-event`, a browser write key: at most EVENT_NAMES_PUBLIC_MAX of those).
   * Null: registered before the budgets (migration 0017), counted as public.
   */
  registeredBy: text({ enum: ['trusted', 'public'] }),
});
