import { problems } from '@platform/http';

/** A position in the (created_at, id) order. `at` keeps Postgres's microseconds, as UTC text. */
export interface UserCursor {
  at: string;
  id: string;
}

const AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const encodeCursor = (cursor: UserCursor): string =>
  Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');

/** Anything but a cursor this service made is a 400, never a database error. */
export function decodeCursor(text: string): UserCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalidCursor();
  const [at, id] = value as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !AT.test(at) || !UUID.test(id)) {
    throw invalidCursor();
  }
  // The pattern admits impossible dates (month 13, 30 February), which a round trip refuses,
  // and year 0, which Date.parse reads but Postgres has not.
  const ms = Date.parse(`${at.slice(0, 23)}Z`);
  if (
    Number.isNaN(ms) ||
    at.startsWith('0000') ||
    new Date(ms).toISOString().slice(0, 23) !== at.slice(0, 23)
  ) {
    throw invalidCursor();
  }
  return { at, id };
}

const invalidCursor = () =>
  problems.badRequest('The cursor is invalid; use next_cursor from the previous page.', [
    { field: 'cursor', message: 'is not a cursor from this list' },
  ]);
