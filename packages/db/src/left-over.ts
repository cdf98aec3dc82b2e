import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/**
 * Whether the database at `url` holds what an earlier service of its name left: drizzle's record
 * of applied migrations has rows, every one older than the first migration in `folder`. drizzle
 * would run that first migration again over the earlier service's tables (`relation "items"
 * already exists`): a service removed and made again (`npm run new:service`) writes its first
 * migration anew, later. A database the service migrated itself has its first migration applied;
 * one without drizzle's table, or a folder without a journal, is never said to be left over.
 */
export async function leftByEarlierService(url: string, folder: string): Promise<boolean> {
  let first: number | undefined;
  try {
    const journal = JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8'));
    first = Number(journal.entries?.[0]?.when);
  } catch {
    return false;
  }
  if (!Number.isFinite(first)) return false;
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // as in runMigrations
  await client.connect();
  try {
    const { rows } = await client
      .query<{ last: string | null }>(
        'select max(created_at) as last from drizzle.__drizzle_migrations',
      )
      .catch((error: { code?: string }) => {
        // No drizzle schema or table (3F000, 42P01): nothing was migrated there.
        if (error.code === '3F000' || error.code === '42P01') return { rows: [] };
        throw error;
      });
    const last = rows[0]?.last;
    return last !== null && last !== undefined && Number(last) < first;
  } finally {
    await client.end();
  }
}
