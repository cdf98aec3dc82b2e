import assert from 'node:assert/strict';
import path from 'node:path';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '@platform/http';
import {
  createTestDatabase,
  permissionsFrom,
  startTokenIssuer,
  TEST_SECRETS,
  type TestTokenIssuer,
} from '@platform/testing';
import { type AnalyticsAppDeps, buildApp } from '../src/app.ts';
import { type Config, readConfig } from '../src/config.ts';
import { type AnalyticsDatabase, openDatabase } from '../src/db/index.ts';
import { createStore } from '../src/store/index.ts';
import type { QueuedEvent, Store } from '../src/store/types.ts';

export const { SERVICE_TOKEN } = TEST_SECRETS;

/**
 * The permissions analytics checks, as auth grants them to each role
 * (services/auth/drizzle/0001_roles_and_permissions.sql and 0002_analytics_manage.sql).
 */
const permissionsOf = permissionsFrom({
  user: [],
  editor: [],
  admin: ['analytics:read', 'analytics:manage'],
});

export interface TestUser {
  id: string;
  sessionId: string;
  accessToken: string;
}

export interface TestAnalytics {
  app: App;
  config: Config;
  database: AnalyticsDatabase;
  databaseUrl: string;
  /** Signs the tokens analytics verifies, e.g. with permissions no role grants. */
  issuer: TestTokenIssuer;
  /** A fresh user signed in with the given roles (default: just `user`). */
  user(roles?: string[]): Promise<TestUser>;
  /** An admin's access token. */
  adminToken: string;
  /** Resolves once the writer has moved everything queued so far into the store. */
  drained(): Promise<void>;
  /**
   * One SQL statement on the test database over the app's pool, for checks the API does not
   * offer. Not for session state (locks, settings, transactions): a statement may run on any of
   * the pool's connections.
   */
  sql(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
}

/**
 * The analytics app on a fresh database, verifying tokens from a test issuer on a loopback port
 * (keys and revocations come over HTTP, as from auth in production). No auth service runs:
 * flows that need one are tested through the gateway. Closed after the file.
 */
export async function buildTestAnalytics(
  env: Record<string, string> = {},
  deps: {
    store?: Store;
    /** Wraps the store configuration would make (to watch or hold its calls). */
    wrapStore?: (store: Store) => Store;
    /** The forgetting worker's timings (buildApp's `forgetting`); production's by default. */
    forgetting?: AnalyticsAppDeps['forgetting'];
    /** buildApp's `retentionFirstRunMs`: a file driving the hourly clean-up itself defers it. */
    retentionFirstRunMs?: number;
  } = {},
): Promise<TestAnalytics> {
  const issuer = await startTokenIssuer({ serviceToken: SERVICE_TOKEN });
  const test = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  const config = readConfig({
    DATABASE_URL: test.url,
    AUTH_URL: issuer.url,
    SERVICE_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WRITER_INTERVAL_MS: '50',
    WRITER_MAX_BACKOFF_MS: '1000',
    ...env,
  });
  const database = await openDatabase(config.DATABASE_URL, {
    statementTimeoutMs: config.QUERY_TIMEOUT_MS,
  });
  const store = deps.store ?? deps.wrapStore?.(createStore(config, database.db));
  const app = await buildApp({
    config,
    database,
    ...(store ? { store } : {}),
    ...(deps.forgetting ? { forgetting: deps.forgetting } : {}),
    ...(deps.retentionFirstRunMs ? { retentionFirstRunMs: deps.retentionFirstRunMs } : {}),
  });
  await app.ready();
  after(async () => {
    // Every problem the tests provoked carries a code its operation documents (schema.errors).
    const undocumented = [...app.undocumentedProblems];
    await app.close();
    await database.close();
    await test.drop();
    assert.deepEqual(undocumented, [], 'problems with a code their operation does not document');
  });
  const user = async (roles = ['user']) => {
    const minted = await issuer.token({ roles, permissions: permissionsOf(roles) });
    return { id: minted.userId, sessionId: minted.sessionId, accessToken: minted.accessToken };
  };
  return {
    app,
    config,
    database,
    databaseUrl: test.url,
    issuer,
    user,
    adminToken: (await user(['user', 'admin'])).accessToken,
    drained: async () => {
      // The writer may be backing off after a failure: keep asking until the queue is empty.
      for (;;) {
        const { rows } = await database.pool.query('select count(*)::int as n from queue');
        if (rows[0].n === 0) return;
        await sleep(50);
      }
    },
    sql: async (text, values = []) => (await database.pool.query(text, values)).rows,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** One SQL statement on a test database, for set-ups and checks the API does not offer. */
export { sql } from '@platform/testing';

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
      async writeEncoded(bodies: (string | Buffer)[]) {
        store.encodedWrites += 1;
        await writeEvents(bodies.flatMap((b) => JSON.parse(b.toString()) as QueuedEvent[]));
      },
    }),
  };
  return store as unknown as Store & { encodedWrites: number };
}

/** What `POST /write-keys` answers: the key itself is shown this once. */
export interface CreatedWriteKey {
  id: string;
  key: string;
  name: string;
  kind: string;
  origins: string[];
}

/** A new write key (`{name}` a server key; `kind: "browser"` with its `origins`). */
export async function newWriteKey(
  t: TestAnalytics,
  body: Record<string, unknown> = { name: 'backend' },
): Promise<CreatedWriteKey> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/write-keys',
    headers: bearer(t.adminToken),
    payload: body,
  });
  assert.equal(created.statusCode, 201, created.body);
  return created.json() as CreatedWriteKey;
}

/** HTTP Basic with a write key as user name, as Segment's clients send it. */
export const basicAuth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** A new write key's `Authorization` header (HTTP Basic, the key as user name). */
export async function writeKeyAuth(t: TestAnalytics, name = 'backend') {
  return basicAuth((await newWriteKey(t, { name })).key);
}

/**
 * A store that is down (refuses every write and ping) until `state.down` is set false, then
 * records what it takes in `state.written`.
 */
export function downStore() {
  const state = { down: true, written: [] as QueuedEvent[] };
  const store = eventsStore('influxdb', async (events) => {
    if (state.down) throw new Error('connect ECONNREFUSED');
    state.written.push(...events);
  });
  store.ping = async () => {
    if (state.down) throw new Error('connect ECONNREFUSED');
  };
  return { store, state };
}

/** Auth's `user.deleted` domain event for `userId`, as its outbox relays it. */
export const userDeleted = (t: TestAnalytics, userId: string) =>
  t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: { 'x-service-token': t.config.SERVICE_TOKEN },
    payload: {
      events: [
        {
          id: `auth:del-${userId}`,
          type: 'user.deleted',
          user_id: userId,
          // As auth sends it.
          payload: { user_id: userId },
          occurred_at: new Date().toISOString(),
        },
      ],
    },
  });
