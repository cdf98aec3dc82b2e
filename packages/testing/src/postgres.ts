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

const pools = new Map<string, pg.Pool>();

/**
 * Connections to `url` the process keeps for its next statements (up to `max` at once): a new
 * one for each cost the server ~15 ms of CPU to start (a process forked, its caches filled) and
 * the client a few. Idle, they do not hold the process; one the server ended (a database dropped
 * `with (force)`, a test stopping backends) is left out and the next statement gets a new one.
 */
export function keptPool(url: string, max: number): pg.Pool {
  const key = `${max} ${url}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new pg.Pool({ connectionString: url, max, allowExitOnIdle: true });
    pool.on('error', () => {});
    pools.set(key, pool);
  }
  return pool;
}

/** Ends the connections kept for `url` (a database about to be dropped), and forgets them. */
export async function endKeptPools(url: string): Promise<void> {
  const ending: Promise<void>[] = [];
  for (const [key, pool] of pools) {
    if (key.slice(key.indexOf(' ') + 1) !== url) continue;
    pools.delete(key);
    ending.push(pool.end());
  }
  await Promise.all(ending);
}

/**
 * One statement on a test database, for set-ups and checks the API does not offer, on kept
 * connections (tests run dozens of these). Statements sent at once get connections of their own
 * (up to ten), so a check never queues behind a statement waiting for a lock. Not for a
 * database a test renames or drops without force: `query` leaves nothing connected.
 */
export async function sql(url: string, text: string, values: unknown[] = []) {
  return (await keptPool(url, 10).query(text, values)).rows;
}
