import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/**
 * Whether the database at `url` holds what an earlier service of its name left: drizzle's record
 * of applied migrations has rows, every one older than the first migration in `folder`, and one
 * of them is that very first migration (drizzle's hash of its SQL). drizzle would run that first
 * migration again over the earlier service's tables (`relation "items" already exists`): a
 * service removed and made again (`npm run new:service`) writes the template's first migration
 * anew, later. A database the service migrated itself has its first migration applied; one
 * without drizzle's table, or a folder without a journal, is never said to be left over.
 *
 * Nor is one whose record lacks that first migration's SQL: the same service's migrations
 * squashed or regenerated also leave the record older than the (new) first migration, and its
 * live database was renamed and an empty one made. That one, and an earlier service of other
 * SQL, stop the launch on the first migration as they did before (`MigrationError` says why).
 */
export async function leftByEarlierService(url: string, folder: string): Promise<boolean> {
  let first: number | undefined;
  let hash: string;
  try {
    const journal = JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8'));
    const entry = journal.entries?.[0];
    first = Number(entry?.when);
    // As drizzle's readMigrationFiles hashes it: the whole file.
    const sql = readFileSync(path.join(folder, `${entry?.tag}.sql`), 'utf8');
    hash = createHash('sha256').update(sql).digest('hex');
  } catch {
    return false;
  }
  if (!Number.isFinite(first)) return false;
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // as in runMigrations
  await client.connect();
  try {
    const { rows } = await client
      .query<{ last: string | null; same: boolean | null }>(
        'select max(created_at) as last, bool_or(hash = $1) as same from drizzle.__drizzle_migrations',
        [hash],
      )
      .catch((error: { code?: string }) => {
        // No drizzle schema or table (3F000, 42P01): nothing was migrated there.
        if (error.code === '3F000' || error.code === '42P01') return { rows: [] };
        throw error;
      });
    const last = rows[0]?.last;
    return last !== null && last !== undefined && Number(last) < first && rows[0]?.same === true;
  } finally {
    await client.end();
  }
}
