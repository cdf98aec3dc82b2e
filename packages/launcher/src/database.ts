import { ensureDatabase } from '@platform/db';
import type { LauncherConfig } from './config.ts';
import { LaunchError } from './ports.ts';
import { startEmbeddedPostgres } from './postgres.ts';
import { postgresAddress } from './progress.ts';
import type { PlannedService } from './services.ts';

export interface PostgresServer {
  /** A superuser URL; each service's database is created through it. */
  url: string;
  stop(): Promise<void>;
}

const VERBOSE = new Set(['debug', 'trace']);

export async function startPostgres(
  config: LauncherConfig,
  dataDir: string,
): Promise<PostgresServer> {
  if (config.POSTGRES_URL) return { url: config.POSTGRES_URL, stop: async () => {} };
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

/** Creates any missing service database; existing ones, and their data, are kept as they are. */
export async function createDatabases(
  server: PostgresServer,
  services: PlannedService[],
): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for (const { spec } of services) {
    if (!spec.database) continue;
    const url = await ensureDatabase(server.url, spec.name).catch((error: unknown) => {
      // Where pg connected (a `?host=` wins), and nothing of the userinfo.
      const address = postgresAddress(server.url);
      const reason = error instanceof Error ? error.message : String(error);
      throw new LaunchError(
        `could not create database ${spec.name} on PostgreSQL${address ? ` at ${address}` : ''}: ${reason}`,
      );
    });
    urls.set(spec.name, url);
  }
  return urls;
}
