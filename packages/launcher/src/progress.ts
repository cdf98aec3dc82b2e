import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The LOG_LEVELs at which `npm start` says what it is doing while the stack starts. Nothing was
 * said for 20 s or so after npm's header (the compile, PostgreSQL, the first services), which a
 * newcomer took for a hang. LOG_LEVEL=warn and quieter leave them out (the launcher's tests run
 * so); what matters at every level (a skipped service, an error, `Gateway ready at …`) is said
 * regardless.
 */
const PROGRESS_LEVELS: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

/** `say` for progress lines at `logLevel`: itself, or nothing when quieter than info. */
export function progress(logLevel: string, say: (line: string) => void): (line: string) => void {
  return PROGRESS_LEVELS.has(logLevel) ? say : () => {};
}

/** What starting PostgreSQL is about to do: the first start in a DATA_DIR runs initdb too. */
export function postgresProgress(postgresUrl: string | undefined, dataDir: string): string {
  if (postgresUrl) {
    const address = postgresAddress(postgresUrl);
    return address === undefined
      ? 'connecting to PostgreSQL (POSTGRES_URL)…'
      : `connecting to PostgreSQL at ${address} (POSTGRES_URL)…`;
  }
  return existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))
    ? 'starting PostgreSQL…'
    : 'starting PostgreSQL (first start: creating the cluster)…';
}

export const startingProgress = (names: readonly string[]) => `starting ${names.join(', ')}…`;

/**
 * Where pg connects for a postgres:// URL (pg-connection-string): `?host=` and `?port=` before
 * the authority's, a socket folder decoded (`%2Frun%2Fpostgresql`, or the query's
 * `/run/postgresql`). Nothing of the userinfo or the rest of the query. Undefined when the URL
 * took part of the userinfo for the host: a password with an unencoded `/`, `?` or `#` ends the
 * authority there (`postgres://admin:12#34@db/app` has host `admin`, port 12), and what follows
 * holds the `@` (no parameter's name, database name or fragment of a valid one does).
 */
export function postgresAddress(postgresUrl: string): string | undefined {
  const url = new URL(postgresUrl);
  const names = [...url.searchParams.keys()];
  if (url.hash !== '' || url.pathname.includes('@') || names.some((name) => name.includes('@')))
    return undefined;
  let host = url.searchParams.get('host') || decoded(url.hostname);
  const port = url.searchParams.get('port') || url.port;
  if (!host) return undefined;
  // An IPv6 address from the query, bracketed as the authority's is, so that the port stands out.
  if (host.includes(':') && !host.startsWith('[') && !host.startsWith('/')) host = `[${host}]`;
  return port ? `${host}:${port}` : host;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
