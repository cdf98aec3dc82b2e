import { timestamptz, timestamptzNow } from '@platform/db';
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';

/** One per user named by a write-key message: the traits `identify` gave, merged, and when seen. */
export const profiles = pgTable(
  'profiles',
  {
    userId: text().primaryKey(),
    traits: jsonb().notNull().$type<Record<string, unknown>>().default({}),
    /** Time of the latest `identify` merged: an older one arriving late does not overwrite it. */
    traitsAt: timestamptz(),
    firstSeen: timestamptz().notNull(),
    lastSeen: timestamptz().notNull(),
  },
  // A deleted user's profile is found in any case (repository.ts forgetUsers, migration 0020).
  (t) => [index('profiles_user_lower_idx').on(sql`lower(${t.userId})`)],
);

/**
 * Identity stitching: an anonymous id belongs to one user once `alias` or an `identify` naming
 * both links them (the first link wins, so a merge is recorded once and replays change nothing;
 * but a server key's link wins over a browser key's, `trusted`).
 * Reads join through this table, so stitching works the same on both stores.
 */
export const identityLinks = pgTable(
  'identity_links',
  {
    anonymousId: text().primaryKey(),
    userId: text().notNull(),
    /** `identify` or `alias`: the message that made the link. */
    via: text().notNull().$type<'identify' | 'alias'>(),
    messageId: text(),
    linkedAt: timestamptzNow(),
    /**
     * Made by a server write key (a backend that knows who signed in). A browser key's link is
     * public hearsay: a server key's link of the same anonymous id to a user replaces it, and a
     * browser key never replaces a link.
     */
    trusted: boolean().notNull().default(true),
  },
  (t) => [
    index('identity_links_user_idx').on(t.userId),
    // A deleted user's links are found in any case (repository.ts forgetUsers, migration 0020).
    index('identity_links_user_lower_idx').on(sql`lower(${t.userId})`),
    // And a link of a deleted user's id as an anonymous id (repository.ts forgetUsers, 0023).
    index('identity_links_anonymous_lower_idx').on(sql`lower(${t.anonymousId})`),
  ],
);
