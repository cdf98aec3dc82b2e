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
});
