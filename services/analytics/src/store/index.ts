import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import { createInfluxStore } from './influx.ts';
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
  });
}
