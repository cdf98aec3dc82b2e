import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '@platform/http';
import { createTestDatabase } from '@platform/testing';
import pg from 'pg';
import { bearer, buildTestAuth, login, SERVICE_TOKEN, signUp } from '../../auth/test/helper.ts';
import { buildApp } from '../src/app.ts';
import { type Config, readConfig } from '../src/config.ts';
import { type AnalyticsDatabase, openDatabase } from '../src/db/index.ts';
import type { QueuedEvent, Store } from '../src/store/types.ts';

export { bearer, login, SERVICE_TOKEN, signUp };

export const ADMIN = { email: 'admin@example.com', password: 'admin password for tests' };

export interface TestAnalytics {
  app: App;
  config: Config;
  database: AnalyticsDatabase;
  databaseUrl: string;
  /** The in-process auth service that signs the tokens analytics verifies. */
  auth: App;
  /** Its database, for roles the API does not offer. */
  authDatabaseUrl: string;
  adminToken: string;
  /** Resolves once the writer has moved everything queued so far into the store. */
  drained(): Promise<void>;
}

/**
 * The analytics app on a fresh database, verifying tokens of a real auth app listening on a
 * loopback port (keys and revocations come over HTTP, as in production). Closed after the file.
 */
export async function buildTestAnalytics(
  env: Record<string, string> = {},
  extra: { store?: Store; authEnv?: Record<string, string> } = {},
): Promise<TestAnalytics> {
  const { authEnv, ...deps } = extra;
  const auth = await buildTestAuth({
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ...authEnv,
  });
  const authUrl = await auth.app.listen({ port: 0, host: '127.0.0.1' });
  const test = await createTestDatabase();
  const config = readConfig({
    DATABASE_URL: test.url,
    AUTH_URL: authUrl,
    SERVICE_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WRITER_INTERVAL_MS: '50',
    WRITER_MAX_BACKOFF_MS: '1000',
    ...env,
  });
  const database = await openDatabase(config.DATABASE_URL, {
    statementTimeoutMs: config.QUERY_TIMEOUT_MS,
  });
  const app = await buildApp({ config, database, ...deps });
  await app.ready();
  after(async () => {
    await app.close();
    await database.close();
    await test.drop();
  });
  const { accessToken } = await login(auth.app, ADMIN.email, ADMIN.password);
  return {
    app,
    config,
    database,
    databaseUrl: test.url,
    auth: auth.app,
    authDatabaseUrl: auth.databaseUrl,
    adminToken: accessToken,
    drained: async () => {
      // The writer may be backing off after a failure: keep asking until the queue is empty.
      for (;;) {
        const { rows } = await database.pool.query('select count(*)::int as n from queue');
        if (rows[0].n === 0) return;
        await sleep(50);
      }
    },
  };
}

/** Runs one SQL statement on a test database, for checks the API does not offer. */
export async function sql(databaseUrl: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

export const serviceHeaders = { 'x-service-token': SERVICE_TOKEN };

/**
 * A stand-in store for the writer's tests: events go to `writeEvents`, the rest does nothing.
 * `kind` matters: the writer runs two passes side by side on `influxdb`, one on `postgres`.
 * `encodes` adds the encoded path (Store.encodeEvents) as JSON text, which comes back to
 * `writeEvents`, and counts its writes in `encodedWrites`.
 */
export function eventsStore(
  kind: Store['kind'],
  writeEvents: (events: QueuedEvent[]) => Promise<void>,
  options: { encodes?: boolean } = {},
): Store & { encodedWrites: number } {
  const store = {
    kind,
    encodedWrites: 0,
    init: async () => {},
    ping: async () => {},
    writeEvents,
    writeSamples: async () => {},
    prune: async () => {},
    ...(options.encodes && {
      encodeEvents: (events: QueuedEvent[]) => `${JSON.stringify(events)}\n`,
      async writeEncoded(bodies: string[]) {
        store.encodedWrites += 1;
        await writeEvents(bodies.flatMap((b) => JSON.parse(b) as QueuedEvent[]));
      },
    }),
  };
  return store as unknown as Store & { encodedWrites: number };
}
