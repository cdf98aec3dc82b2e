import path from 'node:path';
import { connect, type Database, runMigrations } from '@platform/db';
import * as schema from './schema.ts';

export type AuthDatabase = Database<typeof schema>;
export type Db = AuthDatabase['db'];
export { schema };

const migrations = path.resolve(import.meta.dirname, '../../drizzle');

export async function openDatabase(url: string): Promise<AuthDatabase> {
  await runMigrations(url, migrations);
  return connect(url, schema, { applicationName: 'auth' });
}
