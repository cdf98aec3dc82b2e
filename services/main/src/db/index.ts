import path from 'node:path';
import { connect, type Database, runMigrations } from '@platform/db';
import * as schema from './schema.ts';

export type MainDatabase = Database<typeof schema>;
export type Db = MainDatabase['db'];
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** A connection or a transaction: repository functions run in whichever the caller holds. */
export type Executor = Db | Tx;
export { schema };

/**
 * ISO 8601 UTC text made by Postgres, for every feature's reads: the driver hands timestamps over
 * as strings anyway.
 */
export const iso = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export const migrationsFolder = path.resolve(import.meta.dirname, '../../drizzle');

export async function openDatabase(
  url: string,
  options: { maxConnections?: number; statementTimeoutMs?: number } = {},
): Promise<MainDatabase> {
  await runMigrations(url, migrationsFolder);
  return connect(url, schema, { ...options, applicationName: 'main' });
}
