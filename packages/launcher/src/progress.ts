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
    const { host } = new URL(postgresUrl);
    return `connecting to PostgreSQL at ${host} (POSTGRES_URL)…`;
  }
  return existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))
    ? 'starting PostgreSQL…'
    : 'starting PostgreSQL (first start: creating the cluster)…';
}

export const startingProgress = (names: readonly string[]) => `starting ${names.join(', ')}…`;
