import { connect } from '@platform/db';
import { documentOf, NO_PEER, NO_SECRET } from '@platform/http';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';
import { schema } from './db/index.ts';

/** The document analytics serves at /analytics/v1/openapi.json, built without peers; the database is not used. */
export async function openApiDocument(databaseUrl: string) {
  const config = readConfig({
    DATABASE_URL: databaseUrl,
    AUTH_URL: NO_PEER,
    SERVICE_TOKEN: NO_SECRET,
    LOG_LEVEL: 'silent',
  });
  const database = connect(config.DATABASE_URL, schema);
  return documentOf(
    () => buildApp({ config, database, permissions: [] }),
    () => database.close(),
  );
}
