import { documentOf, NO_SECRET } from '@platform/http';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';
import { openDatabase } from './db/index.ts';

/** The document auth serves at /accounts/v1/openapi.json, built on the given (scratch) database, without mail. */
export async function openApiDocument(databaseUrl: string) {
  const config = readConfig({
    DATABASE_URL: databaseUrl,
    SERVICE_TOKEN: NO_SECRET,
    KEY_ENCRYPTION_KEY: 'ZG9jdW1lbnQtb25seS1wbGFjZWhvbGRlci0zMi1ieXQ',
    LOG_LEVEL: 'silent',
  });
  const database = await openDatabase(config.DATABASE_URL);
  const mailer = { send: async () => {}, close: () => {} };
  return documentOf(
    () => buildApp({ config, database, mailer, permissions: [] }),
    () => database.close(),
  );
}
