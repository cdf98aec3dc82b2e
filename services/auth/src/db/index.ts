import path from 'node:path';
import { connect, type Database, runMigrations } from '@platform/db';
import * as schema from './schema.ts';

export type AuthDatabase = Database<typeof schema>;
export type Db = AuthDatabase['db'];
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** A connection or a transaction: repository functions run in whichever the caller holds. */
export type Executor = Db | Tx;
export { schema };

const migrations = path.resolve(import.meta.dirname, '../../drizzle');

export async function openDatabase(url: string): Promise<AuthDatabase> {
  await runMigrations(url, migrations);
  return connect(url, schema, { applicationName: 'auth' });
}
