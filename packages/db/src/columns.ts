import { timestamp } from 'drizzle-orm/pg-core';

/** A `timestamptz` column read as a Date; every service stores times with their zone. */
export const timestamptz = () => timestamp({ withTimezone: true, mode: 'date' });

/** A `timestamptz not null default now()` column, for created_at and the like. */
export const timestamptzNow = () => timestamptz().notNull().defaultNow();
