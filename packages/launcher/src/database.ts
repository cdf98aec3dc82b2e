import path from 'node:path';
import { databaseUrl, ensureDatabase, leftByEarlierService } from '@platform/db';
import pg from 'pg';
import type { LauncherConfig } from './config.ts';
import { LaunchError } from './ports.ts';
import { startEmbeddedPostgres } from './postgres.ts';
import { postgresAddress } from './progress.ts';
import type { PlannedService } from './services.ts';

export interface PostgresServer {
  /** A superuser URL; each service's database is created through it. */
  url: string;
  /** A server of someone else's (POSTGRES_URL), perhaps shared: its databases are never renamed. */
  external?: boolean;
  stop(): Promise<void>;
}

const VERBOSE = new Set(['debug', 'trace']);

export async function startPostgres(
  config: LauncherConfig,
  dataDir: string,
): Promise<PostgresServer> {
  if (config.POSTGRES_URL) {
    return { url: config.POSTGRES_URL, external: true, stop: async () => {} };
  }
  return startEmbeddedPostgres({
    dataDir,
    ...(VERBOSE.has(config.LOG_LEVEL as string)
      ? { onLog: (line: string) => process.stdout.write(`postgres | ${line}\n`) }
      : {}),
  }).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    // PostgreSQL's lock file names neither the cause nor the way out: a second `npm start` (or
    // `npm run dev`) on the same DATA_DIR, say with another GATEWAY_PORT, met the first's server.
    if (/lock file "postmaster\.pid" already exists/.test(reason))
      throw new LaunchError(
        `DATA_DIR ${dataDir} is in use by another npm start or npm run dev (its PostgreSQL holds ` +
          'the lock file postmaster.pid): stop that one, or set DATA_DIR to another folder to ' +
          'run a second stack beside it.',
      );
    // PostgreSQL's own failures already read well; others are about the folder.
    if (reason.startsWith('PostgreSQL')) throw new LaunchError(reason);
    throw new LaunchError(`DATA_DIR ${dataDir} cannot hold the embedded PostgreSQL: ${reason}`);
  });
}

/**
 * Creates any missing service database; existing ones, and their data, are kept as they are. One
 * that an earlier service of the same name left (leftByEarlierService: removed, then made again
 * by new:service) is renamed `<name>_removed_<UTC time>` and a new one made, with a line saying
 * so: the new service's first migration stopped the launch on its tables at every start. Only on
 * the embedded PostgreSQL the launcher runs in DATA_DIR: on a server of POSTGRES_URL, which others
 * may use, the launch stops on the migration's error and its hint instead.
 */
export async function createDatabases(
  server: PostgresServer,
  services: PlannedService[],
  /** Where services/<name>/drizzle is; without it, no database is checked for an earlier one's. */
  options: { root?: string; say?: (line: string) => void } = {},
): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for (const { spec } of services) {
    if (!spec.database) continue;
    const fail = (what: string) => (error: unknown) => {
      // Where pg connected (a `?host=` wins), and nothing of the userinfo.
      const address = postgresAddress(server.url);
      const reason = error instanceof Error ? error.message : String(error);
      throw new LaunchError(
        `could not ${what} database ${spec.name} on PostgreSQL${address ? ` at ${address}` : ''}: ${reason}`,
      );
    };
    const url = await ensureDatabase(server.url, spec.name).catch(fail('create'));
    if (options.root && !server.external) {
      const folder = path.join(options.root, 'services', spec.name, 'drizzle');
      if (await leftByEarlierService(url, folder).catch(fail('read'))) {
        const aside = await setAside(server.url, spec.name).catch(fail('set aside'));
        await ensureDatabase(server.url, spec.name).catch(fail('create'));
        options.say?.(
          `${spec.name}: the database "${spec.name}" held the tables of an earlier services/${spec.name} (its migrations are not this one's): kept as "${aside}", a new one made; drop the old one once you no longer need it (docs/services-as-data.md)`,
        );
      }
    }
    urls.set(spec.name, databaseUrl(server.url, spec.name));
  }
  return urls;
}

/** Renames database `name` to `<name>_removed_<yyyymmddhhmmss>` (UTC); returns the new name. */
async function setAside(serverUrl: string, name: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const aside = `${name}_removed_${stamp}`;
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`alter database "${name}" rename to "${aside}"`);
  } finally {
    await client.end();
  }
  return aside;
}
