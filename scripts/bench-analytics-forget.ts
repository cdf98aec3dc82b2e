/**
 * `node --import tsx scripts/bench-analytics-forget.ts`: forgetting deleted users on the
 * PostgreSQL store, on an embedded PostgreSQL with BENCH_EVENTS events (default 1,000,000), each
 * naming a user in `user_id` and in its properties. Prints, in ms: one pass of the statement
 * earlier versions ran for every user and every pass (13 passes per deleted account), the store's
 * first pass for one user and for five together, and the later passes, which read only what was
 * written since the previous one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase, runMigrations } from '@platform/db';
import { startEmbeddedPostgres } from '@platform/launcher';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../services/analytics/src/db/index.ts';
import { createPostgresStore } from '../services/analytics/src/store/postgres.ts';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const scratch = await mkdtemp(path.join(tmpdir(), 'bench-forget-'));
const postgres = await startEmbeddedPostgres({ dataDir: scratch });
try {
  const url = await ensureDatabase(postgres.url, 'analytics');
  await runMigrations(url, path.resolve(import.meta.dirname, '../services/analytics/drizzle'));
  const database = await openDatabase(url, { statementTimeoutMs: 600_000 });
  const { db } = database;
  await db.execute(sql`
    insert into events (seq, event_id, name, source, user_id, anonymous_id, properties, occurred_at)
    select g, 'e' || g, 'page.viewed', 'api', md5(g::text)::uuid::text, null,
      jsonb_build_object('path', '/p/' || (g % 1000), 'user_id', md5(g::text)::uuid::text,
        'referrer', 'https://example.com/' || (g % 97)),
      now() - (g || ' seconds')::interval
    from generate_series(1, ${N}) g`);
  await db.execute(sql`vacuum analyze events`);
  const store = createPostgresStore(db);
  const user = (i: number) => ({
    userId: `${String(i).padStart(8, '0')}-1111-4222-8333-444455556666`,
    pseudonym: `deleted-${i}`,
  });
  const ms = async (run: () => Promise<unknown>) => {
    const start = performance.now();
    await run();
    return Math.round((performance.now() - start) * 10) / 10;
  };
  const before = (u: { userId: string; pseudonym: string }) =>
    db.execute(sql`
      update events set
        user_id = case when user_id = ${u.userId} then ${u.pseudonym} else user_id end,
        properties = replace(properties::text, ${u.userId}, ${u.pseudonym})::jsonb
      where user_id = ${u.userId} or properties::text like ${`%${u.userId}%`}`);
  const beforePass = [await ms(() => before(user(1))), await ms(() => before(user(2)))];
  const firstOne = await ms(() => store.forgetUsers([user(3)]));
  const five = [4, 5, 6, 7, 8].map(user);
  let mark: string | undefined;
  const firstFive = await ms(async () => {
    mark = (await store.forgetUsers(five)).mark;
  });
  const later: number[] = [];
  for (let i = 0; i < 12; i++) {
    await db.execute(sql`insert into events (seq, event_id, name, source, user_id, properties,
      occurred_at) values (${N + 1 + i}, ${`late-${i}`}, 'x', 'api', ${five[0]!.userId}, '{}', now())`);
    later.push(
      await ms(async () => {
        mark = (await store.forgetUsers(five, mark)).mark;
      }),
    );
  }
  console.log(JSON.stringify({ events: N, beforePass, firstOne, firstFive, later }));
  await database.close();
} finally {
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
