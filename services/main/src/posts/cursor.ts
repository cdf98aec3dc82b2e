import { createHash } from 'node:crypto';
import { problems } from '@platform/http';
import { UUID } from '../slug.ts';

/** Every order a list can be in; `rank` is the full-text order used when q is given alone. */
export type ListOrder = '-published_at' | 'published_at' | '-created_at' | 'title' | 'rank';

/** The position after the last item of a page: its sort value (as Postgres wrote it) and id. */
export interface Cursor {
  order: ListOrder;
  value: string;
  id: string;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z|infinity)$/;
const RANK = /^\d+(\.\d+)?(e-?\d+)?$/;
const VALID: Record<ListOrder, (value: string) => boolean> = {
  '-published_at': (v) => TIMESTAMP.test(v) && validDate(v),
  published_at: (v) => TIMESTAMP.test(v) && validDate(v),
  '-created_at': (v) => TIMESTAMP.test(v) && v !== 'infinity' && validDate(v),
  title: (v) => v.length >= 1 && v.length <= 200,
  rank: (v) => RANK.test(v),
};

// The check digits catch a cursor that was cut, edited or made for another order. They are no
// secret: a forged cursor only moves where a list starts, and every row is still authorized.
const check = (payload: string) =>
  createHash('sha256').update(payload).digest('base64url').slice(0, 10);

export function encodeCursor(cursor: Cursor): string {
  const payload = Buffer.from(JSON.stringify([cursor.order, cursor.value, cursor.id])).toString(
    'base64url',
  );
  return `${payload}.${check(payload)}`;
}

/** Anything but a cursor this service made for the same order is a 400, never a query. */
export function decodeCursor(text: string, order: ListOrder): Cursor {
  const [payload, sum, extra] = text.split('.');
  if (!payload || !sum || extra !== undefined || check(payload) !== sum) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 3) throw invalid();
  const [o, v, id] = value as unknown[];
  if (o !== order) {
    throw problems.badRequest('The cursor belongs to another sort order.', [
      { field: 'cursor', message: `was made for sort ${String(o)}, not ${order}` },
    ]);
  }
  if (typeof v !== 'string' || typeof id !== 'string' || !UUID.test(id) || !VALID[order](v)) {
    throw invalid();
  }
  return { order, value: v, id };
}

function validDate(v: string): boolean {
  if (v === 'infinity') return true;
  const ms = Date.parse(v);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === v.slice(0, 19);
}

const invalid = () =>
  problems.badRequest('The cursor is invalid; use next_cursor from the previous page.', [
    { field: 'cursor', message: 'is not a cursor from this list' },
  ]);
