import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { databaseUrl, runMigrations } from '@platform/db';
import type pg from 'pg';
import { endKeptPools, keptPool } from './postgres.ts';

/**
 * Applies only the migrations of `folder` (a service's drizzle folder) whose tag sorts before
 * `tag` (`'0013'`): the schema an older version left, for tests of an upgrade's migration. The
 * journal is trimmed in a copy of the folder, removed afterwards.
 */
export async function migrateBefore(url: string, folder: string, tag: string): Promise<void> {
  const older = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  try {
    await cp(folder, older, { recursive: true });
    const journalPath = path.join(older, 'meta/_journal.json');
    const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
      entries: { tag: string }[];
    };
    journal.entries = journal.entries.filter((e) => e.tag < tag);
    await writeFile(journalPath, JSON.stringify(journal));
    await runMigrations(url, older);
  } finally {
    await rm(older, { recursive: true, force: true });
  }
}

/**
 * A fresh database on the test server started by `npm test` (scripts/test.ts), so test files
 * never share state. Call `drop()` when done.
 *
 * Empty by default. With `migrations` (a service's drizzle folder) it is a copy of a template
 * database migrated once per server and migration set: copying is much cheaper than migrating
 * each test's database. The service's own migration run then finds everything applied.
 */
export async function createTestDatabase(
  options: { migrations?: string } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.TEST_POSTGRES_URL;
  if (!server) throw new Error('TEST_POSTGRES_URL is not set: run the tests with `npm test`');
  const name = `test_${randomBytes(6).toString('hex')}`;
  // One kept connection to the server's own database for making and dropping them (two new
  // ones per database before).
  const admin = await keptPool(server, 1).connect();
  try {
    const template = options.migrations
      ? await migratedTemplate(admin, server, options.migrations)
      : undefined;
    await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  } finally {
    admin.release();
  }
  return {
    url: databaseUrl(server, name),
    drop: async () => {
      const url = databaseUrl(server, name);
      await endKeptPools(url);
      await closed(keptPool(server, 1), name);
      await keptPool(server, 1).query(`drop database if exists ${name} with (force)`);
    },
  };
}

/** How long a drop waits for the database's connections to close before forcing them out. */
const CLOSING_MS = 250;

/**
 * Until no connection to `name` is left, CLOSING_MS at most. pg.Pool's end() resolves once it
 * has asked its connections to close, not once they have: forced out meanwhile (the drop is
 * sent at once on the kept connection), one still closing got "terminating connection due to
 * administrator command", which a pool without an error listener (a test file's own) threw as
 * an uncaught exception, failing the file. Those go within milliseconds; connections a test
 * left open are forced out after the wait.
 */
async function closed(admin: pg.Pool, name: string) {
  const deadline = Date.now() + CLOSING_MS;
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where datname = $1',
      [name],
    );
    if (rows[0]?.n === 0 || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The template for a migrations folder, made on first use. Named after a hash of the folder's
 * files, so a changed or added migration gets a new one. It is migrated under a temporary name
 * and renamed when complete, and the lock keeps concurrent test files from building it twice.
 */
async function migratedTemplate(admin: pg.PoolClient, server: string, folder: string) {
  const hash = createHash('sha256');
  const files = (await readdir(folder, { recursive: true })).sort();
  for (const file of files) {
    const full = path.join(folder, file);
    if (!(await stat(full)).isFile()) continue;
    hash
      .update(`${file}\0`)
      .update(await readFile(full))
      .update('\0');
  }
  const template = `template_${hash.digest('hex').slice(0, 24)}`;
  const exists = async () =>
    ((await admin.query('select 1 from pg_database where datname = $1', [template])).rowCount ??
      0) > 0;
  if (await exists()) return template;
  await admin.query('select pg_advisory_lock(hashtext($1))', [template]);
  try {
    if (await exists()) return template;
    const building = `${template}_building`;
    await admin.query(`drop database if exists ${building} with (force)`);
    await admin.query(`create database ${building}`);
    await runMigrations(databaseUrl(server, building), folder);
    await admin.query(`alter database ${building} rename to ${template}`);
    return template;
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', [template]);
  }
}

/** The secrets a test stack shares: every service sends and checks the same service token. */
export const TEST_SECRETS = {
  SERVICE_TOKEN: 'test-service-token-0123456789abcdef0123456789',
  // 32 bytes, base64url: "test-key-encryption-key-32-bytes".
  KEY_ENCRYPTION_KEY: 'dGVzdC1rZXktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM',
} as const;

/** A pino destination that keeps every line, for tests that read what was logged. */
export function logCapture(): { stream: Writable; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}
export { compiledModules, compiledScript } from './compiled-entry.ts';
export {
  findCycle,
  folderCycle,
  folderGraph,
  folderOf,
  type ImportGraph,
  importGraph,
} from './feature-structure.ts';
export {
  answerFault,
  assertSweepClean,
  type HostileOperation,
  type HostileProbe,
  hostileOperations,
  hostileProbes,
  internal,
  sweepHostileInput,
} from './hostile-input.ts';
export { startInflux, type TestInflux } from './influx.ts';
export { type KeepAliveRaceServer, keepAliveRaceServer } from './keep-alive-race.ts';
export * from './mail.ts';
export { type NginxOptions, renderConfig, startNginx, type TestNginx } from './nginx.ts';
export { openApiConformance } from './openapi-conformance.ts';
export { lintOpenApi } from './openapi-lint.ts';
export { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp.ts';
export { query, sql, writeMigrations } from './postgres.ts';
export {
  type CodeUse,
  documentedOperations,
  problemCodesInSource,
  undocumentedCodes,
} from './problem-codes.ts';
export { startedSideBySide } from './process.ts';
export {
  answersIn,
  exchangeRaw,
  type RawAnswer,
  type RawHead,
  sendBody,
  sendBodyRepeatedly,
} from './raw-http.ts';
export { startRedis, type TestRedis } from './redis.ts';
export { type TcpProxy, type TcpProxyOptions, tcpProxy } from './tcp-proxy.ts';
export {
  type IssuedToken,
  permissionsFrom,
  startTokenIssuer,
  type TestTokenIssuer,
  type TokenClaims,
  type TokenIssuerOptions,
} from './token-issuer.ts';
