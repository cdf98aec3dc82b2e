import assert from 'node:assert/strict';
import path from 'node:path';
import { after } from 'node:test';
import { createServiceAuth } from '@platform/auth';
import type { App } from '@platform/http';
import { readManifest, rolePermissions } from '@platform/manifest';
import {
  createTestDatabase,
  permissionsFrom,
  startTokenIssuer,
  TEST_SECRETS,
  type TestTokenIssuer,
} from '@platform/testing';
import pg from 'pg';
import { buildApp, type MainAppDeps } from '../src/app.ts';
import { type Config, readConfig } from '../src/config.ts';
import { migrationsFolder, openDatabase } from '../src/db/index.ts';

/**
 * The permissions main checks, granted to the roles its manifest declares (auth grants them
 * so), so a test user holds what a real sign-in with those roles would give.
 */
export const manifest = readManifest(path.resolve(import.meta.dirname, '../service.json'));
const permissionsOf = permissionsFrom(rolePermissions([manifest]));

export interface User {
  id: string;
  sessionId: string;
  token: string;
}

export interface TestMain {
  app: App;
  config: Config;
  databaseUrl: string;
  /** Signs the tokens main verifies; `issuer.revoke(user.sessionId)` logs a user out. */
  issuer: TestTokenIssuer;
  /** A fresh user signed in with the given roles (default: just `user`). */
  user(roles?: string[]): Promise<User>;
  /** Runs one SQL statement on main's database, for checks the API does not offer. */
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
}

/**
 * The main app on a fresh database, verifying tokens from a test issuer listening on a free
 * port (keys and the revocation feed over HTTP, as from auth in production). No auth service
 * runs: flows that need a real one are tested through the gateway. Closed after the test file.
 */
export async function buildTestMain(
  env: Record<string, string> = {},
  deps: Pick<MainAppDeps, 'permissions'> = {},
  options: {
    /** The URL main connects with, given its database's (a test may put a hop in between). */
    reach?: (databaseUrl: string) => Promise<string>;
  } = {},
): Promise<TestMain> {
  const issuer = await startTokenIssuer({ serviceToken: TEST_SECRETS.SERVICE_TOKEN });
  const database = await createTestDatabase({ migrations: migrationsFolder });
  const config = readConfig({
    DATABASE_URL: options.reach ? await options.reach(database.url) : database.url,
    AUTH_URL: issuer.url,
    SERVICE_TOKEN: TEST_SECRETS.SERVICE_TOKEN,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const db = await openDatabase(config.DATABASE_URL, {
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT,
  });
  const serviceAuth = createServiceAuth({
    authUrl: config.AUTH_URL,
    serviceToken: config.SERVICE_TOKEN,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
  });
  await serviceAuth.revocations.start();
  const app = await buildApp({ config, database: db, auth: serviceAuth, ...deps });
  await app.ready();
  // The tests' own SQL: connections kept for the file (each new one costs a SCRAM handshake and
  // a server process).
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // pool.end() resolves before its connections are gone, and the database's forced drop may
  // terminate one still closing: an idle client's error, not a test's (as in packages/db).
  pool.on('error', () => {});
  after(async () => {
    // Every problem the tests provoked carries a code its operation documents (schema.errors).
    const undocumented = [...app.undocumentedProblems];
    await app.close();
    await db.close();
    await pool.end();
    await database.drop();
    assert.deepEqual(undocumented, [], 'problems with a code their operation does not document');
  });

  return {
    app,
    config,
    databaseUrl: database.url,
    issuer,
    async user(roles = ['user']) {
      const minted = await issuer.token({ roles, permissions: permissionsOf(roles) });
      return { id: minted.userId, sessionId: minted.sessionId, token: minted.accessToken };
    },
    async sql<T>(text: string, values: unknown[] = []) {
      return (await pool.query(text, values)).rows as T[];
    },
  };
}

export const authHeader = (user?: User) =>
  user ? { authorization: `Bearer ${user.token}` } : ({} as Record<string, string>);

let titles = 0;

/** Creates a post through the API (published unless told otherwise) and returns it. */
export async function createPost(
  main: TestMain,
  user: User,
  fields: Record<string, unknown> = {},
): Promise<Post> {
  titles += 1;
  const res = await main.app.inject({
    method: 'POST',
    url: '/main/v1/posts',
    headers: authHeader(user),
    payload: { title: `Post number ${titles}`, body: 'Body text.', status: 'published', ...fields },
  });
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json().post;
}

export interface Post {
  id: string;
  slug: string;
  title: string;
  body: string;
  excerpt: string;
  status: 'draft' | 'published';
  author_id: string;
  category: { id: string; slug: string; name: string } | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

/** GET /main/v1/posts with the given query; returns the page. */
export async function list(main: TestMain, query: string, user?: User) {
  const res = await main.app.inject({ url: `/main/v1/posts?${query}`, headers: authHeader(user) });
  if (res.statusCode !== 200) throw new Error(`list failed: ${res.statusCode} ${res.body}`);
  return res.json() as { items: Post[]; next_cursor: string | null };
}

/**
 * Until `count` of main's connections wait for a lock: the requests under test have reached the
 * rows another transaction holds, which a race test needs before that one commits. Fixed 300 ms
 * pauses stood there (twelve of them, 3.6 s a run), and on a loaded machine a request could still
 * be on its way when the other committed: the race not run, the test passing anyway.
 */
export async function lockWaiters(main: TestMain, count: number) {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const [waiting] = await main.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (waiting!.n >= count) return;
    assert.ok(performance.now() < deadline, `${waiting!.n} of ${count} requests wait for a lock`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
