import { desc, eq, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import { rollupDirty, rollupState } from '../db/schema.ts';
import { createInfluxStore } from './influx.ts';
import type { RollupState } from './influx-rollups.ts';
import { createPostgresStore } from './postgres.ts';
import type { Store } from './types.ts';

/** InfluxDB when INFLUX_URL is set, otherwise tables in the service's own PostgreSQL. */
export function createStore(config: Config, db: Db): Store {
  if (!config.INFLUX_URL) return createPostgresStore(db);
  return createInfluxStore({
    url: config.INFLUX_URL,
    database: config.INFLUX_DB,
    token: config.INFLUX_TOKEN,
    username: config.INFLUX_USERNAME,
    password: config.INFLUX_PASSWORD,
    retentionDays: config.RETENTION_DAYS,
    queryTimeoutMs: config.QUERY_TIMEOUT_MS,
    rollupState: postgresRollupState(db, `${config.INFLUX_URL} ${config.INFLUX_DB}`),
  });
}

/** Rows per InfluxDB database; replicas starting together agree on the first coverage saved. */
export function postgresRollupState(db: Db, store: string): RollupState {
  const load = async () => {
    const [row] = await db.select().from(rollupState).where(eq(rollupState.store, store));
    return row?.coveredFrom ?? null;
  };
  return {
    load,
    async save(coveredFrom, replace = false) {
      const insert = db.insert(rollupState).values({ store, coveredFrom });
      await (replace
        ? insert.onConflictDoUpdate({ target: rollupState.store, set: { coveredFrom } })
        : insert.onConflictDoNothing());
      return (await load()) ?? coveredFrom;
    },
    async markRange(from, to) {
      await db.execute(sql`
        insert into rollup_dirty (store, minute)
        select ${store}, m from generate_series(${new Date(from)}::timestamptz,
          ${new Date(to - 60_000)}::timestamptz, '1 minute') as m
        on conflict (store, minute) do nothing`);
    },
    async pendingBefore(time) {
      const { rows } = await db.execute(sql`
        select 1 from rollup_dirty where store = ${store} and minute < ${time} limit 1`);
      return rows.length > 0;
    },
    async mark(minutes) {
      if (minutes.length === 0) return;
      await db.execute(sql`
        insert into rollup_dirty (store, minute)
        select ${store}, to_timestamp(m / 1000) from unnest(string_to_array(${minutes.join(',')}, ',')::float8[]) as m
        on conflict (store, minute) do update set marked_at = now()`);
    },
    async dirty(limit) {
      const [{ asOf }] = (await db.execute<{ asOf: Date }>(sql`select now() as "asOf"`)).rows as [
        { asOf: string | Date },
      ];
      const rows = await db
        .select({ minute: rollupDirty.minute })
        .from(rollupDirty)
        .where(eq(rollupDirty.store, store))
        .orderBy(desc(rollupDirty.minute))
        .limit(limit);
      const minutes = rows.map((r) => r.minute.getTime()).reverse();
      return { minutes, asOf: new Date(asOf) };
    },
    async clear(minutes, asOf) {
      if (minutes.length === 0) return;
      await db.execute(sql`
        delete from rollup_dirty where store = ${store} and marked_at <= ${asOf}
          and minute = any(select to_timestamp(m / 1000)
            from unnest(string_to_array(${minutes.join(',')}, ',')::float8[]) as m)`);
    },
  };
}
