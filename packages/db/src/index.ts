import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { migrationError } from './migration-error.ts';

export interface Database<TSchema extends Record<string, unknown>> {
  pool: pg.Pool;
  db: NodePgDatabase<TSchema>;
  /** Resolves when the server answers; used by `/health/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  maxConnections?: number;
  /** Kills a statement that runs longer than this; protects the pool from runaway queries. */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity, so a DBA sees which service holds a connection. */
  applicationName?: string;
  /**
   * A query still unanswered after this long gives up its connection as dead (default: the
   * statement timeout and 10 s more).
   */
  unansweredAfterMs?: number;
}

/**
 * node-postgres' client, except that a query left unanswered past `query_timeout` ends its
 * connection. node-postgres rejects such a query but keeps the connection with the query still in
 * flight: handed back to the pool (Drizzle releases a transaction's client without an error),
 * every later query on it waited behind that one and timed out in turn. Ended, it is dropped by
 * the pool when it is released, and what is still asked of it (Drizzle's `rollback`) fails at
 * once with the same message rather than node-postgres' "Client was closed", so callers see why.
 *
 * And a client checked out with `pool.connect()` whose connection ends (so, too, once it is ended
 * here) goes back to the pool at once, with the error, so the pool drops it: Drizzle runs a
 * transaction's `begin` before the try whose finally releases the client
 * (drizzle-team/drizzle-orm#6241), and each `begin` that failed kept a pool slot for good.
 */
class Client extends pg.Client {
  #unanswered = false;
  /** Set by Pool#connect while the client is checked out; idempotent. */
  giveBack: ((error: Error) => void) | undefined;

  constructor(config?: pg.ClientConfig) {
    super(config);
    this.once('end', () =>
      this.giveBack?.(new Error('Connection terminated while the client was checked out')),
    );
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg.Client's query has a dozen overloads.
  override query(...args: any[]): any {
    if (this.#unanswered && returnsPromise(args)) {
      return Promise.reject(
        new Error(`${READ_TIMEOUT}: an earlier query on this connection got no answer`),
      );
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (!(error instanceof Error) || error.message !== READ_TIMEOUT) return;
        this.#unanswered = true;
        this.end().catch(() => {});
      });
    }
    return result;
  }
}

/**
 * pg-pool's pool, except that a client checked out in promise form (Drizzle's transactions, the
 * outbox) may be released more than once: the client gives itself back when its connection ends,
 * and its user's own release later does nothing. (The callback form, `pool.query`'s, releases
 * with the error itself and is left as it is.)
 */
class Pool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: pg.Pool's connect has overloads.
  override connect(...args: any[]): any {
    if (args.length > 0) return (super.connect as (...a: unknown[]) => unknown)(...args);
    return super.connect().then((pooled) => {
      const client = pooled as pg.PoolClient & Client;
      const release = client.release;
      let released = false;
      const once = (error?: Error | boolean) => {
        if (released) return;
        released = true;
        client.giveBack = undefined;
        release(error);
      };
      client.release = once;
      client.giveBack = once;
      return client;
    });
  }
}

/** Whether node-postgres answers these arguments with a promise (no callback, no submittable). */
const returnsPromise = (args: unknown[]) => {
  const [first] = args as [{ callback?: unknown; submit?: unknown } | undefined];
  return (
    typeof args.at(-1) !== 'function' &&
    typeof first?.callback !== 'function' &&
    typeof first?.submit !== 'function'
  );
};

/** node-postgres' message when `query_timeout` runs out. */
const READ_TIMEOUT = 'Query read timeout';

export function connect<TSchema extends Record<string, unknown>>(
  url: string,
  schema: TSchema,
  options: DatabaseOptions = {},
): Database<TSchema> {
  const statementTimeoutMs = options.statementTimeoutMs ?? 15_000;
  const pool = new Pool({
    Client,
    connectionString: url,
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: statementTimeoutMs,
    // statement_timeout is the server's clock: it cannot end a query whose answer never comes, as
    // when the server's host is gone without closing its connections (a crash, a partition, a
    // firewall dropping an idle connection). Without a clock of the client's own such a query,
    // and the request waiting on it, waited for good, and a pool of them stalled the service.
    query_timeout: options.unansweredAfterMs ?? statementTimeoutMs + 10_000,
    // And an idle connection to a vanished server is found out by TCP before it is used.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: options.applicationName ?? 'service',
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor one in use: pg-pool listens for a client's 'error' only while it is idle, so a
  // connection PostgreSQL ends under a transaction (a restart, a failover) was an uncaught
  // exception. Its queries fail on their own, and the pool drops the client when it comes back.
  pool.on('connect', (client) => client.on('error', () => {}));
  return {
    pool,
    db: drizzle(pool, { schema, casing: 'snake_case' }),
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

/**
 * Applies the drizzle-kit migrations in `folder`. An advisory lock serialises replicas that
 * start together, so each migration runs exactly once. A failing one is a MigrationError: one
 * line naming its file, PostgreSQL's reason and the statement.
 */
export async function runMigrations(url: string, folder: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  // A connection lost mid-migration fails the migration (its query rejects), not the process.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', ['drizzle-migrations']);
    await migrate(drizzle(client), { migrationsFolder: folder }).catch(async (error: unknown) => {
      // Rolled back: the table holds what ran before, so the failing one is among the later ones.
      const applied = await client
        .query<{ last: string | null }>(
          'select max(created_at) as last from drizzle.__drizzle_migrations',
        )
        .then(
          ({ rows }) => Number(rows[0]?.last ?? 0),
          () => 0,
        );
      throw migrationError(error, folder, url, applied);
    });
  } finally {
    await client
      .query('select pg_advisory_unlock(hashtext($1))', ['drizzle-migrations'])
      .catch(() => {});
    await client.end();
  }
}

/**
 * Creates `name` on the server at `adminUrl` unless it exists; returns the database's URL. Names
 * are a service's (`order-history` too: hyphens are fine, the name is always quoted).
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_-]{0,62}$/.test(name)) throw new Error(`invalid database name: ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {}); // as in runMigrations
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      await client.query(`create database "${name}"`).catch((error: { code?: string }) => {
        // Someone else created it between our check and our create.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
  return databaseUrl(adminUrl, name);
}

/** The same server and credentials, another database. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
export { timestamptz, timestamptzNow } from './columns.ts';
export { leftByEarlierService } from './left-over.ts';
export {
  type ChannelListener,
  type ChannelListenerOptions,
  listenToChannel,
  NotHeardError,
} from './listen.ts';
export { MigrationError } from './migration-error.ts';

/** Whether a query (raw pg, or under Drizzle's wrapper) failed with this SQLSTATE. */
export function hasSqlState(error: unknown, state: string): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return (error as { code?: unknown } | undefined)?.code === state || cause?.code === state;
}

/** Whether a query failed on statement_timeout (57014, query_canceled). */
export const isStatementTimeout = (error: unknown): boolean => hasSqlState(error, '57014');
export {
  type ValueWatch,
  type ValueWatchOptions,
  type WatchLog,
  type WatchMessages,
  watchValue,
} from './value-watch.ts';
export {
  MAX_HELD_REQUESTS,
  type VersionWatch,
  type VersionWatchOptions,
  watchVersion,
} from './version-watch.ts';
