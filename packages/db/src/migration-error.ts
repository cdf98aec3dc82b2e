import { readFileSync } from 'node:fs';
import path from 'node:path';

/** PostgreSQL's not_null_violation: a NOT NULL column added to a table that has rows. */
const NOT_NULL_VIOLATION = '23502';

/**
 * A migration that failed, in one line a service stops with (runMain prints the stack, and this
 * one's is its message): the file, PostgreSQL's reason and the statement. Before, it was
 * drizzle's `Failed query: …` with twelve lines of its own frames, the reason last, and no file.
 */
export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    message: string,
    /** PostgreSQL's SQLSTATE, when it gave one. */
    readonly code: string | undefined,
  ) {
    super(message);
    this.stack = message;
  }
}

/**
 * The error to throw for `error`, thrown by drizzle while it applied the migrations of `folder`:
 * a MigrationError naming the file when the failing statement is one of its migrations', else
 * `error` itself (a lost connection, a folder without a journal: their own message says more).
 */
export function migrationError(error: unknown, folder: string): unknown {
  const failed = error as { query?: unknown; cause?: { message?: unknown; code?: unknown } };
  if (typeof failed?.query !== 'string') return error;
  const statement = failed.query.trim();
  const file = migrationFileOf(folder, statement);
  if (!file) return error;
  const code = typeof failed.cause?.code === 'string' ? failed.cause.code : undefined;
  const reason =
    typeof failed.cause?.message === 'string' ? failed.cause.message : String(failed.cause);
  const shown = path.relative(process.cwd(), file);
  const where = shown.startsWith('..') || path.isAbsolute(shown) ? file : shown;
  const hint =
    code === NOT_NULL_VIOLATION
      ? '; a NOT NULL column added to a table that has rows needs a default or a backfill in the migration: docs/adding-a-feature.md#a-new-field-on-a-table-with-rows'
      : '';
  return new MigrationError(
    `migration ${where} failed, none of the pending migrations was applied: ${reason} (in: ${oneLine(statement)})${hint}`,
    code,
  );
}

/** The migration (`<folder>/<tag>.sql`, in the journal's order) that holds `statement`. */
function migrationFileOf(folder: string, statement: string): string | undefined {
  let entries: { tag: string }[];
  try {
    entries = JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')).entries;
  } catch {
    return undefined;
  }
  for (const { tag } of entries) {
    const file = path.join(folder, `${tag}.sql`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // drizzle runs each statement between breakpoints as it is written.
    if (text.split('--> statement-breakpoint').some((s) => s.trim() === statement)) return file;
  }
  return undefined;
}

const oneLine = (sql: string) => {
  const flat = sql.replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
};
