import path from 'node:path';
import { connect, type Database, runMigrations } from '@platform/db';
import * as schema from './schema.ts';

export type AnalyticsDatabase = Database<typeof schema>;
export type Db = AnalyticsDatabase['db'];
/** A transaction of the analytics database; what `db.transaction` hands its callback. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export { schema };

const migrations = path.resolve(import.meta.dirname, '../../drizzle');

/** Reports scan millions of rows: statements may run up to `statementTimeoutMs` (default 60 s). */
export async function openDatabase(
  url: string,
  options: { statementTimeoutMs?: number } = {},
): Promise<AnalyticsDatabase> {
  await runMigrations(url, migrations);
  return connect(url, schema, {
    applicationName: 'analytics',
    maxConnections: 20,
    statementTimeoutMs: options.statementTimeoutMs ?? 60_000,
  });
}
