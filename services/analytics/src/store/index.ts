import { eq } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import { rollupState } from '../db/schema.ts';
import { createInfluxStore } from './influx.ts';
import type { RollupState } from './influx-performance.ts';
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

/** One row per InfluxDB database; replicas starting together agree on the first one saved. */
export function postgresRollupState(db: Db, store: string): RollupState {
  const load = async () => {
    const [row] = await db.select().from(rollupState).where(eq(rollupState.store, store));
    return row?.coveredFrom ?? null;
  };
  return {
    load,
    async save(coveredFrom) {
      await db.insert(rollupState).values({ store, coveredFrom }).onConflictDoNothing();
      return (await load()) ?? coveredFrom;
    },
  };
}
