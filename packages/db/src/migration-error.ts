import { readFileSync } from 'node:fs';
import path from 'node:path';

/** PostgreSQL's not_null_violation: a NOT NULL column added to a table that has rows. */
const NOT_NULL_VIOLATION = '23502';
/** duplicate_table: a relation (table, index, sequence) of that name already exists. */
const DUPLICATE_TABLE = '42P07';

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
 * The error to throw for `error`, thrown by drizzle while it applied the migrations of `folder`
 * to the database at `url`: a MigrationError naming the file when the failing statement is one
 * of its migrations', else `error` itself (a lost connection, a folder without a journal: their
 * own message says more).
 */
export function migrationError(
  error: unknown,
  folder: string,
  url: string,
  /** The `when` of the last migration the database had applied (drizzle's created_at), or 0. */
  applied = 0,
): unknown {
  const failed = error as { query?: unknown; cause?: { message?: unknown; code?: unknown } };
  if (typeof failed?.query !== 'string') return error;
  const statement = failed.query.trim();
  const found = migrationFileOf(folder, statement, applied);
  if (!found) return error;
  const { file, first } = found;
  const code = typeof failed.cause?.code === 'string' ? failed.cause.code : undefined;
  const reason =
    typeof failed.cause?.message === 'string' ? failed.cause.message : String(failed.cause);
  const shown = path.relative(process.cwd(), file);
  const where = shown.startsWith('..') || path.isAbsolute(shown) ? file : shown;
  const hint =
    code === NOT_NULL_VIOLATION
      ? '; a NOT NULL column added to a table that has rows needs a default or a backfill in the migration: docs/adding-a-feature.md#a-new-field-on-a-table-with-rows'
      : code === DUPLICATE_TABLE && first
        ? `; the database${database(url)} already has tables its first migration creates, left by an earlier service of this name (removed and generated again?): drop it, docs/services-as-data.md`
        : '';
  return new MigrationError(
    `migration ${where} failed, none of the pending migrations was applied: ${reason} (in: ${oneLine(statement)})${hint}`,
    code,
  );
}

/** ` "<name>"`, the database's name from its URL, or nothing. */
function database(url: string): string {
  try {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    return name ? ` "${name}"` : '';
  } catch {
    return '';
  }
}

/**
 * The first migration after `applied` (`<folder>/<tag>.sql`, in the journal's order, as drizzle
 * runs them) that holds `statement`, and whether it is the journal's first (which creates the
 * service's tables).
 */
function migrationFileOf(
  folder: string,
  statement: string,
  applied: number,
): { file: string; first: boolean } | undefined {
  let entries: { tag: string; when: number }[];
  try {
    entries = JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')).entries;
  } catch {
    return undefined;
  }
  for (const [index, { tag, when }] of entries.entries()) {
    if (when <= applied) continue;
    const file = path.join(folder, `${tag}.sql`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // drizzle runs each statement between breakpoints as it is written.
    if (text.split('--> statement-breakpoint').some((s) => s.trim() === statement)) {
      return { file, first: index === 0 };
    }
  }
  return undefined;
}

const oneLine = (sql: string) => {
  const flat = sql.replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
};
