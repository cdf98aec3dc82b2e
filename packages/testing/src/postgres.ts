// What tests of @platform/db and the launcher do to a PostgreSQL server by hand: one statement at a
// time, and the drizzle-kit folders whose migrations they run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/**
 * One statement on a connection of its own, closed after it: a database being made, dropped or
 * renamed around it is in no pool's way.
 */
export async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * `folder` made anew as drizzle-kit writes a service's drizzle folder: each migration (tag → SQL)
 * in `<tag>.sql`, in that order, and the journal listing them, the first written at `when` (ms;
 * drizzle's record keeps it), each next one a millisecond later.
 */
export function writeMigrations(
  folder: string,
  migrations: Record<string, string>,
  when = 1_700_000_000_000,
) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(path.join(folder, 'meta'), { recursive: true });
  const entries = Object.keys(migrations).map((tag, idx) => ({
    idx,
    version: '7',
    when: when + idx,
    tag,
    breakpoints: true,
  }));
  writeFileSync(
    path.join(folder, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'postgresql', entries }),
  );
  for (const [tag, sql] of Object.entries(migrations)) {
    writeFileSync(path.join(folder, `${tag}.sql`), sql);
  }
}
