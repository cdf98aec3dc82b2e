import { type AnyColumn, sql } from 'drizzle-orm';
import { customType } from 'drizzle-orm/pg-core';

/** Raw bytes (hashes, images): Drizzle has no bytea column of its own. */
export const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * `column = value` in ASCII letter case, as the unique indexes `users_email_key` and
 * `users_username_key` compare (the same expression, so they serve it). Collation "C": lower()
 * otherwise follows the database's locale, which an existing server (POSTGRES_URL) chooses, and in
 * a Turkish one lower('I') is the dotless 'ı' (emails and usernames are ASCII only).
 */
export const sameLetters = (column: AnyColumn, value: string) =>
  sql`lower(${column} collate "C") = lower(${value}::text collate "C")`;
